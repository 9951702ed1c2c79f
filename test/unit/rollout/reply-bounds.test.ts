import { describe, expect, test } from "vitest";
import type { Environments } from "../../../src/formats/environments.js";
import { parseSettings } from "../../../src/formats/settings.js";
import {
  type ActionCommand,
  type ParsedCommand,
  parseCommand,
} from "../../../src/rollout/command.js";
import type { ChangePlan } from "../../../src/rollout/plan.js";
import { cutText, MAX_ECHO_CHARS, quoteText } from "../../../src/rollout/quote.js";
import {
  MAX_REPLY_CHARS,
  parseReplyResult,
  type ReplyResult,
  renderHelp,
  renderReply,
  renderStatus,
} from "../../../src/rollout/reply.js";
import { renderedOutsideCode } from "../../support/helpers/markdown-spans.js";

/** GitHub refuses a comment body longer than this. */
const GITHUB_LIMIT = 65_536;
const EVIL = "[Re-authenticate](https://evil.example)";

/** The reply a comment gets when it does not parse, or the dry run of one that does. */
function replyTo(comment: string): string {
  const command: ParsedCommand = parseCommand(comment);
  if (command.kind === "invalid")
    return renderReply({ outcome: "invalid", actor: "mallory", command });
  if (command.kind === "status") return renderStatus(environments(3), command.env);
  if (command.kind === "help" || command.kind === "none")
    throw new Error(`not replied: ${comment}`);
  return renderReply({ outcome: "dry-run", actor: "mallory", command, plan: plan(command) });
}

function environments(n: number): Environments {
  const envs: Environments = { environments: {}, freezes: {} };
  for (let i = 0; i < n; i++) {
    envs.environments[`env-${i}`] = { prompts: { "support-answer": { version: `v${i}` } } };
  }
  return envs;
}

function plan(command: ActionCommand, warnings: string[] = []): ChangePlan {
  return {
    kind: "change",
    action: "rollback",
    env: "production",
    next: environments(1),
    changes: [
      {
        kind: "pin",
        env: "production",
        prompt: "support-answer",
        before: { version: "v5" },
        after: { version: "v4" },
      },
    ],
    summary: "promptgate(production): rollback support-answer v5 → v4",
    skipped: [],
    warnings,
    ...(command.kind === "promote" && command.force ? { forcedGates: [] } : {}),
  };
}

function expectInert(reply: string): void {
  const live = renderedOutsideCode(reply);
  expect(live).not.toContain("evil.example");
  expect(live).not.toMatch(/\]\(|<a |@everyone/);
}

describe("echoed user text stays inside a code span", () => {
  test("the attack of issue 9: a link after the command renders as text, in the bot's voice never", () => {
    const reply = replyTo(
      "/rollback production to previous x`[Re-authenticate](https://evil.example)`",
    );
    expect(reply).toContain("**Not a valid command:**");
    // Echoed, recognisably, but quoted.
    expect(reply).toContain("Re-authenticate](https://evil.example)");
    expectInert(reply);
  });

  test.each([
    ["extra words", `/rollback production to previous ${EVIL}`],
    ["double backticks", `/rollback production to previous x\`\`${EVIL}\`\``],
    ["a triple fence", `/rollback production to previous \`\`\`${EVIL}\`\`\``],
    ["a prompt name", `/rollback production x\`${EVIL}\``],
    ["a misplaced version", `/rollback production v3\`${EVIL}\``],
    ["a target", `/rollback production to x@\`${EVIL}\``],
    ["a commit", `/rollback production to @\`${EVIL}\``],
    ["a glued verb", `/rollback-production\`${EVIL}\``],
    ["a near-miss verb", `/rolback x\`${EVIL}\``],
    ["an unknown option", `/rollback production --x\`${EVIL}\``],
    ["an unterminated quote", `/rollback production --reason "${EVIL}`],
    ["a reason of many words", `/rollback production --reason a\` ${EVIL}\``],
    ["a traffic value", `/promote canary --traffic 5\`${EVIL}\``],
    ["a subcommand", `/promptgate st\`${EVIL}\``],
    ["a status environment", `/promptgate status x\`${EVIL}\``],
    ["a promoted version", `/promote staging to production x@\`${EVIL}\``],
    ["a dry run's reason", `/rollback production --dry-run --reason "\`${EVIL}\` @everyone"`],
  ])("%s", (_, comment) => {
    expectInert(replyTo(comment));
  });

  test("quoteText keeps one line and no backtick of its own", () => {
    expect(quoteText("a\n`b`  c")).toBe("`a 'b' c`");
    expect(renderedOutsideCode(quoteText(`\`\`\`${EVIL}`))).not.toContain("evil");
  });
});

describe("echoed text is cut", () => {
  test("one piece of user text comes back as at most 200 characters, '…' marking the cut", () => {
    const word = "x".repeat(5_000);
    const reply = replyTo(`/rollback production to previous ${word}`);
    const quoted = /`(x+…)`/.exec(reply)?.[1];
    expect(quoted).toHaveLength(MAX_ECHO_CHARS);
    expect(reply).not.toContain("x".repeat(MAX_ECHO_CHARS));
  });

  test("cutText counts characters, never splitting a pair", () => {
    expect(cutText("😀".repeat(300))).toBe(`${"😀".repeat(MAX_ECHO_CHARS - 1)}…`);
    expect(cutText("short")).toBe("short");
  });
});

describe("every reply fits one comment", () => {
  const SIXTY_KB = 60 * 1024;
  const fill = (unit: string) => unit.repeat(Math.ceil(SIXTY_KB / unit.length));

  test.each([
    ["many extra words", `/rollback production to previous ${fill("a`<> ")}`],
    ["one long word", `/rollback production ${fill("x`<>")}`],
    ["a long reason", `/rollback production --dry-run --reason "${fill('<>`\\" ')}"`],
    ["an unterminated quote", `/rollback production --reason "${fill("<> ")}`],
    ["a long glued verb", `/rollback-${fill("x")}`],
  ])("a 60 KB command (%s) gets a short reply", (_, comment) => {
    expect(comment.length).toBeGreaterThanOrEqual(SIXTY_KB);
    const reply = replyTo(comment);
    expect(reply.length).toBeLessThan(4_000);
    expect(parseReplyResult(reply)).toMatchObject({ outcome: expect.any(String) });
  });

  test("long lists are cut with '…and N more', and the reply stays under GitHub's limit", () => {
    const command = parseCommand("/rollback production") as ActionCommand;
    const warnings = Array.from({ length: 5_000 }, (_, i) => `warning ${i}: ${"w".repeat(100)}`);
    const reply = renderReply({
      outcome: "dry-run",
      actor: "alice",
      command,
      plan: plan(command, warnings),
    });
    expect(reply).toContain("- warning 48:");
    expect(reply).not.toContain("warning 49:");
    expect(reply).toContain("- …and 4951 more");
    expect(reply.length).toBeLessThan(MAX_REPLY_CHARS);
    const warningsSaid = parseReplyResult(reply)?.warnings as string[] | undefined;
    expect(warningsSaid).toHaveLength(50);
    expect(warningsSaid?.at(-1)).toBe("…and 4951 more");
  });

  test("a status of thousands of environments lists the first ones and counts the rest", () => {
    const reply = renderStatus(environments(3_000));
    expect(reply).toContain("| env-48 ");
    expect(reply).not.toContain("| env-49 ");
    expect(reply).toContain("…and 2951 more");
    expect(reply.length).toBeLessThan(GITHUB_LIMIT);
    const unknown = renderStatus(environments(3_000), "nope");
    expect(unknown).toContain("…and 2951 more");
    expect(unknown.length).toBeLessThan(GITHUB_LIMIT);
  });

  test("whatever the lines hold, the whole reply stays under the budget and its hidden line parses", () => {
    const long = Array.from({ length: 200 }, (_, i) => `note ${i} ${"`q` ".repeat(800)}`);
    const settings = parseSettings(
      `version: 1\nrollout:\n  order: [${long.map((_, i) => `e${i}`).join(", ")}]\n`,
    );
    const help = renderHelp(settings);
    expect(help.length).toBeLessThan(MAX_REPLY_CHARS);
    expect(parseReplyResult(help)).toMatchObject({ outcome: "help" });

    const result: ReplyResult = { outcome: "failed", actor: "alice", error: long.join(" ") };
    const failed = renderReply(result);
    expect(failed.length).toBeLessThan(MAX_REPLY_CHARS);
    // A cut line never ends inside a code span.
    for (const line of failed.split("\n")) {
      expect((line.match(/`/g)?.length ?? 0) % 2).toBe(0);
    }
    expect(parseReplyResult(failed)).toMatchObject({ outcome: "failed" });
  });
});
