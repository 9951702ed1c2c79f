import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EvalResult } from "../../src/engine/types.js";
import { parseGoldenSet } from "../../src/formats/golden-set.js";
import { runCliCaptured } from "../support/helpers/run-cli.js";
import {
  gradeRubric,
  type OpenAIStandIn,
  startOpenAIStandIn,
} from "../support/stand-ins/openai/index.js";

/**
 * Issue 10, item 5: promptgate evaluates its own llm-rubric grader with its own CLI, on this
 * repository's root promptgate.yaml and its golden set evals/llm-rubric.yaml (what
 * .github/workflows/judge.yml runs, with a real model when a key is there). Here the model is the
 * LLM stand-in, whose grader is a crude word-overlap rule (responders.ts, gradeRubric): the number
 * measures the plumbing (the Dotprompt file rendered, the reply read, compared with the human
 * verdict), not a model's judgement. It must equal the agreement computed directly from the rule.
 */
const ROOT = resolve(".");

let standIn: OpenAIStandIn;
let dir: string;
beforeAll(async () => {
  standIn = await startOpenAIStandIn({ validate: true });
  dir = await mkdtemp(join(tmpdir(), "promptgate-judge-"));
});
afterAll(async () => {
  await standIn.close();
  await rm(dir, { recursive: true, force: true });
});

describe("promptgate's grader against the human verdicts of evals/llm-rubric.yaml", () => {
  it("measures agreement through the CLI, equal to the stand-in grader's own", async () => {
    const out = join(dir, "judge.json");
    const { code } = await runCliCaptured(
      ["eval", "--prompt", "llm-rubric", "--no-cache", "--out", out],
      { cwd: ROOT, env: { OPENAI_BASE_URL: standIn.baseURL, OPENAI_API_KEY: "test", HOME: dir } },
    );
    const result = JSON.parse(await readFile(out, "utf8")) as EvalResult;
    const run = result.runs[0];
    expect(run?.prompt).toBe("llm-rubric");
    expect(run?.totals.errors).toBe(0);
    const agreed = run?.cases.filter((c) => c.passRate === 1).length ?? -1;

    // The same number without promptgate: the stand-in's rule on each case, against the human.
    const set = parseGoldenSet(
      await readFile(join(ROOT, "evals/llm-rubric.yaml"), "utf8"),
      "evals/llm-rubric.yaml",
    );
    expect(set.cases.length).toBeGreaterThanOrEqual(60);
    const expected = set.cases.filter((c) => {
      const human = c.tags.includes("human-pass");
      expect(human || c.tags.includes("human-fail"), c.id).toBe(true);
      const { pass } = gradeRubric(String(c.vars.rubric), String(c.vars.output));
      return pass === human;
    }).length;
    expect(agreed).toBe(expected);
    // The stand-in's rule is no judge: it agrees on some cases only, and the gate says so.
    expect(agreed).toBeLessThan(set.cases.length);
    expect(code).toBe(agreed / set.cases.length >= 0.9 ? 0 : 1);
    console.log(`llm-rubric agreement against the stand-in: ${agreed}/${set.cases.length}`);
    expect(standIn.violations).toEqual([]);
  });
});
