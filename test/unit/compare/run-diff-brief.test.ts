import { describe, expect, it } from "vitest";
import { detectChanges } from "../../../src/compare/changes.js";
import { runDiff } from "../../../src/compare/run-diff.js";
import { BRIEF_AFTER_CASES } from "../../../src/engine/run-eval.js";
import type { CaseResult } from "../../../src/engine/types.js";
import { type FileSource, loadRepo } from "../../../src/formats/repo.js";
import {
  createLatentResponder,
  createStandInChatModel,
} from "../../support/helpers/stand-in-chat-model.js";

/**
 * A large diff keeps its samples in brief on both sides, the adaptive design's later draws and the
 * critical top-up's included: past BRIEF_AFTER_CASES in the whole diff (base and head together).
 */
const CASES = Math.ceil((BRIEF_AFTER_CASES + 1) / 2);
const PROMPT = "support-answer";

const promptFile = (version: string) =>
  [
    "---",
    "model: gpt-4o-mini",
    "---",
    '{{role "system"}}',
    `You are the support assistant (version ${version}).`,
    '{{role "user"}}',
    "Ticket #{{ticket}}",
    "",
  ].join("\n");

function goldenSetYaml(): string {
  const lines = ["cases:"];
  for (let i = 0; i < CASES; i++) {
    lines.push(
      `  - id: ticket-${i}`,
      `    vars: { ticket: ${1000 + i} }`,
      ...(i % 100 === 0 ? ["    critical: true"] : []),
      "    assert: [{ type: contains, value: PASS }]",
    );
  }
  return `${lines.join("\n")}\n`;
}

function memorySource(label: string, files: Record<string, string>): FileSource {
  return {
    label,
    read: async (path) => files[path],
    list: async (dir) =>
      Object.keys(files)
        .filter((p) => p.startsWith(`${dir}/`))
        .sort(),
  };
}

/** At most one whole passing and one whole failing sample; the rest brief, errors aside. */
function expectBrief(cases: readonly CaseResult[]): number {
  let drawnLater = 0;
  for (const c of cases) {
    const whole = { pass: 0, fail: 0 };
    for (const s of c.samples) {
      if (s.kind !== "ok") continue;
      if (s.index > 0) drawnLater++;
      if (s.brief) {
        expect(s.output).toBe("");
        expect(s.assertions.every((a) => a.reason === "")).toBe(true);
      } else whole[s.pass ? "pass" : "fail"]++;
    }
    expect(whole.pass).toBeLessThanOrEqual(1);
    expect(whole.fail).toBeLessThanOrEqual(1);
  }
  return drawnLater;
}

describe("a large diff keeps its samples in brief", () => {
  it("adaptive repeats: every draw after the first look too", async () => {
    const files = {
      "promptgate.yaml":
        "version: 1\nrepeats: auto\nmax-repeats: 4\ngates: { critical: block, detect: 0.01 }\n",
      [`prompts/${PROMPT}/v1.prompt`]: promptFile("v1"),
      [`evals/${PROMPT}.yaml`]: goldenSetYaml(),
    };
    const base = await loadRepo(memorySource("base", files));
    const head = await loadRepo(
      memorySource("head", { ...files, [`prompts/${PROMPT}/v2.prompt`]: promptFile("v2") }),
    );
    const changes = detectChanges({
      base,
      head,
      changedFiles: [{ status: "added", path: `prompts/${PROMPT}/v2.prompt` }],
    });
    const chat = createStandInChatModel({
      seed: 7,
      responder: createLatentResponder({ world: 7, shift: { v1: 0, v2: -0.02 } }),
    });
    const result = await runDiff(
      { base, head, changes },
      { chat, prices: head.settings.prices, concurrency: 64 },
    );
    const c = result.comparisons[0]!;
    expect(c.base).not.toBeNull();
    // Later draws happened (more than one sample for some case), and they were briefed too.
    // The design went past its first look: later draws are the adaptive ones, not only top-ups.
    expect(c.sequential?.look).toBeGreaterThan(1);
    const later = expectBrief(c.base!.cases) + expectBrief(c.head.cases);
    expect(later).toBeGreaterThan(0);
    const samples = [c.base!, c.head].reduce((n, r) => n + r.totals.samples, 0);
    expect(c.samplesSpent).toBe(samples);
  }, 120_000);
});
