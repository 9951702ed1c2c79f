import { execFileSync } from "node:child_process";
import { describe, expect, test } from "vitest";
import type { Environments } from "../../../src/formats/environments.js";
import { formatCommitMessage, parseTrailers } from "../../../src/rollout/commit-message.js";
import type { ChangePlan } from "../../../src/rollout/plan.js";

const next: Environments = {
  environments: { production: { prompts: { "support-answer": { version: "v4" } } } },
  freezes: {},
};

const plan: ChangePlan = {
  kind: "change",
  action: "rollback",
  env: "production",
  next,
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
  rollsBack: "0123456789abcdef0123456789abcdef01234567",
  skipped: [
    {
      value: "support-answer@v6",
      sha: "fedcba9876543210fedcba9876543210fedcba98",
      why: "rolled back in 1111111",
    },
  ],
  warnings: [],
  bypassedFreeze: true,
};

const meta = {
  action: "rollback" as const,
  env: "production",
  actor: "alice",
  commentId: 1234567890,
  commentUrl: "https://github.com/acme/app/issues/7#issuecomment-1234567890",
  reason: "v5 promises refunds:\n  see #7",
};

/** What git itself reads as the trailers of a message. */
function gitTrailers(message: string): Record<string, string> {
  const out = execFileSync("git", ["interpret-trailers", "--parse"], {
    input: message,
    encoding: "utf8",
  });
  const trailers: Record<string, string> = {};
  for (const line of out.split("\n").filter(Boolean)) {
    const i = line.indexOf(": ");
    trailers[line.slice(0, i)] = line.slice(i + 2);
  }
  return trailers;
}

describe("commit message", () => {
  test("the whole message", () => {
    expect(formatCommitMessage(plan, meta)).toBe(
      [
        "promptgate(production): rollback support-answer v5 → v4",
        "",
        "Requested by @alice in https://github.com/acme/app/issues/7#issuecomment-1234567890",
        "Reason: v5 promises refunds: see #7",
        "Freeze of production bypassed: a rollback is never blocked.",
        "Skipped support-answer@v6 (fedcba9): rolled back in 1111111",
        "",
        "Promptgate-Action: rollback",
        "Promptgate-Env: production",
        "Promptgate-Actor: alice",
        "Promptgate-Comment-Id: 1234567890",
        "Promptgate-Comment-Url: https://github.com/acme/app/issues/7#issuecomment-1234567890",
        "Promptgate-Reason: v5 promises refunds: see #7",
        "Promptgate-Rolls-Back: 0123456789abcdef0123456789abcdef01234567",
        "",
      ].join("\n"),
    );
  });

  test("trailers round trip, and git reads the same ones", () => {
    const message = formatCommitMessage(plan, meta);
    const expected = {
      "Promptgate-Action": "rollback",
      "Promptgate-Env": "production",
      "Promptgate-Actor": "alice",
      "Promptgate-Comment-Id": "1234567890",
      "Promptgate-Comment-Url": "https://github.com/acme/app/issues/7#issuecomment-1234567890",
      "Promptgate-Reason": "v5 promises refunds: see #7",
      "Promptgate-Rolls-Back": "0123456789abcdef0123456789abcdef01234567",
    };
    expect(parseTrailers(message)).toEqual(expected);
    expect(gitTrailers(message)).toEqual(expected);
  });

  test("optional trailers are left out", () => {
    const { rollsBack: _, bypassedFreeze: __, ...rest } = plan;
    const message = formatCommitMessage(
      { ...rest, skipped: [], action: "freeze", summary: "promptgate(production): freeze" },
      { action: "freeze", env: "production", actor: "bob" },
    );
    expect(parseTrailers(message)).toEqual({
      "Promptgate-Action": "freeze",
      "Promptgate-Env": "production",
      "Promptgate-Actor": "bob",
    });
    expect(gitTrailers(message)).toEqual(parseTrailers(message));
  });

  test("forced gates are recorded in the body", () => {
    const message = formatCommitMessage(
      { ...plan, action: "promote", forcedGates: ["support-answer@v5 (failure)"] },
      { ...meta, action: "promote" },
    );
    expect(message).toContain("Eval gate overridden with --force: support-answer@v5 (failure)");
  });
});

describe("parseTrailers", () => {
  test.each([
    ["no body", "subject only", {}],
    ["prose last paragraph", "subject\n\nJust some text: with a colon\nand more", {}],
    [
      "co-authors",
      "subject\n\nbody\n\nCo-authored-by: A <a@x>\nSigned-off-by: B <b@x>",
      {
        "Co-authored-by": "A <a@x>",
        "Signed-off-by": "B <b@x>",
      },
    ],
    ["continuation", "subject\n\nKey: one\n  two\nOther: x", { Key: "one two", Other: "x" }],
    ["repeated key keeps the first", "s\n\nKey: a\nKey: b", { Key: "a" }],
    ["CRLF", "s\r\n\r\nKey: a\r\n", { Key: "a" }],
  ])("%s", (_, message, expected) => {
    expect(parseTrailers(message)).toEqual(expected);
  });
});
