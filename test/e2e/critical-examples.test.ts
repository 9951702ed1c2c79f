import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { detectChanges } from "../../src/compare/changes.js";
import { runDiff } from "../../src/compare/run-diff.js";
import type { PromptComparison } from "../../src/compare/types.js";
import { gradingModels } from "../../src/engine/run-eval.js";
import { type FileSource, loadRepo } from "../../src/formats/repo.js";
import { worktreeSource } from "../../src/io/file-sources.js";
import { createStandInChatModel } from "../support/helpers/stand-in-chat-model.js";
import { loadRules, type Rule, rulesResponder } from "../support/stand-ins/openai/responders.js";

/**
 * The critical gate on the shipped example (issue 10 item 1), through the engine and the LLM
 * stand-in scripted like the demo: base is examples/ (production serves support-answer@v2, whose
 * six critical cases each fail about one sample in twenty), the pull request adds v4.
 * - v4 a copy of the live v2 (plus a newline): nothing changed, so nothing may block, whichever
 *   critical case happens to fail a sample on either side.
 * - v4 = v2 plus an instruction that makes it confirm outage credits: `credit-outage`, which v2
 *   answers correctly nineteen times in twenty, now fails every time: blocked, "broken by this PR".
 */

const EXAMPLES = resolve("examples");
const V4 = "prompts/support-answer/v4.prompt";

function withFiles(source: FileSource, extra: Record<string, string>): FileSource {
  return {
    label: "head",
    read: async (path) => extra[path] ?? source.read(path),
    list: async (dir) => {
      const listed = await source.list(dir);
      const added = Object.keys(extra).filter(
        (p) => p.startsWith(`${dir}/`) && !listed.includes(p),
      );
      return [...listed, ...added].sort();
    },
  };
}

/** Same words as the stand-in's rules match on v2, plus a marker the breaking rule matches. */
const BREAKING_LINE = "Always confirm outage credits right away.";

async function diffWithV4(
  v4: string,
  seed: number,
  critical: "block" | "strict" = "block",
): Promise<PromptComparison> {
  const base = await loadRepo(worktreeSource(EXAMPLES));
  // Gates are read from base; the example ships `critical: block`.
  expect(base.settings.gates.critical).toBe("block");
  base.settings.gates.critical = critical;
  const head = await loadRepo(withFiles(worktreeSource(EXAMPLES), { [V4]: v4 }));
  const changes = detectChanges({ base, head, changedFiles: [{ status: "added", path: V4 }] });
  const breaking: Rule = {
    when: { system: BREAKING_LINE, user: "want a credit" },
    answers: [{ text: "Sorry about that! A credit has been applied to your account." }],
  };
  const rules = [breaking, ...(await loadRules(resolve(EXAMPLES, "stand-in.yaml")))];
  const chat = createStandInChatModel({ seed, responder: rulesResponder(rules) });
  const result = await runDiff(
    { base, head, changes },
    { chat, ...gradingModels(head.settings), prices: head.settings.prices, concurrency: 16 },
  );
  const c = result.comparisons.find((x) => x.prompt === "support-answer");
  if (!c) throw new Error("support-answer was not compared");
  expect(c.base?.version).toBe("v2");
  expect(c.head.version).toBe("v4");
  return c;
}

const gateOf = (c: PromptComparison) => c.gates.find((g) => g.gate === "critical");

describe("the critical gate on the shipped example", () => {
  it("a PR that copies the live prompt unchanged is not blocked", async () => {
    const { readFile } = await import("node:fs/promises");
    const v2 = await readFile(resolve(EXAMPLES, "prompts/support-answer/v2.prompt"), "utf8");
    let strictBlocked = 0;
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const c = await diffWithV4(`${v2}\n`, seed);
      expect(c.criticalFailures).toEqual([]);
      expect(gateOf(c)?.status).not.toBe("fail");
      expect(c.blocked).toBe(false);
      // The same no-op PR under `strict` (the old rule): blocked whenever a critical case happens
      // to fail one head sample, which is what made the gate block no-op changes.
      if ((await diffWithV4(`${v2}\n`, seed, "strict")).blocked) strictBlocked++;
    }
    expect(strictBlocked).toBeGreaterThan(0);
  }, 60_000);

  it("a PR that breaks a critical case that always passed is blocked, and says so", async () => {
    const { readFile } = await import("node:fs/promises");
    const v2 = await readFile(resolve(EXAMPLES, "prompts/support-answer/v2.prompt"), "utf8");
    const broken = v2.replace(
      "only a billing specialist can grant those.",
      `only a billing specialist can grant those. ${BREAKING_LINE}`,
    );
    expect(broken).not.toBe(v2);
    const c = await diffWithV4(broken, 7);
    expect(c.criticalFailures).toEqual(["credit-outage"]);
    const check = c.criticalChecks?.find((k) => k.id === "credit-outage");
    expect(check?.status).toBe("broken");
    // Topped up to max-repeats (10) on both sides before the exact test.
    expect(check?.head).toEqual({ passes: 0, samples: 10 });
    expect(check?.base?.samples).toBe(10);
    expect(gateOf(c)?.status).toBe("fail");
    expect(gateOf(c)?.message).toMatch(
      /^broken by this PR: credit-outage \(base \d+\/10, head 0\/10/,
    );
    expect(c.blocked).toBe(true);
  }, 60_000);
});
