import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { runAction } from "../../action/run.js";
import {
  buildActionInputs,
  buildRunnerContext,
  recordActionDeps,
} from "../support/helpers/action-harness.js";
import { createGitRepo, type GitRepo } from "../support/helpers/git-repo.js";
import { runCliCaptured } from "../support/helpers/run-cli.js";
import { type OpenAIStandIn, startOpenAIStandIn } from "../support/stand-ins/openai/index.js";

/**
 * Issue 9, attack 6: a pull request's golden set of 5,000 cases × `repeats: 100` with
 * `maxOutputTokens: 100000` would have the organisation's key send a million requests. It is
 * refused before the first request, with the numbers, by `promptgate diff` (exit 2) and by the
 * action (a comment that says so), and the pull request cannot raise its own limits.
 */
let repo: GitRepo;
let llm: OpenAIStandIn;
let temp: string;

const prompt = (text: string, maxOutputTokens: number) =>
  `---\nmodel: gpt-4o-mini\nconfig: { temperature: 0, maxOutputTokens: ${maxOutputTokens} }\ninput:\n  schema: { name: string }\n---\n{{role "system"}}\n${text}\n{{role "user"}}\n{{name}}\n`;

const goldenSet = (cases: number, repeats?: number) =>
  `${repeats === undefined ? "" : `repeats: ${repeats}\n`}cases:\n${Array.from(
    { length: cases },
    (_, i) =>
      `  - id: c${i}\n    vars: { name: N${i} }\n    assert: [{ type: contains, value: N${i} }]\n`,
  ).join("")}`;

const settings = (baseUrl: string, extra = "") =>
  `version: 1\nprovider: { base-url: "${baseUrl}" }\nrepeats: 1\ngates: { max-regression: 1 }\n${extra}`;

beforeAll(async () => {
  llm = await startOpenAIStandIn({ validate: true });
  temp = await mkdtemp(join(tmpdir(), "promptgate-limits-"));
  repo = await createGitRepo();
  await repo.commit("base", {
    ".gitignore": ".promptgate/\n",
    "promptgate.yaml": settings(llm.baseURL, "limits: { max-cost: 1 }\n"),
    "prompts/greet/v1.prompt": prompt("Greet the user by name.", 50),
    "evals/greet.yaml": goldenSet(2),
  });
  // The attack: a huge golden set, repeated 100 times, with a huge output ceiling; and the
  // pull request raises the limits it would be judged by.
  await repo.branch("flood", "main");
  await repo.commit("v2 and a bigger golden set", {
    "promptgate.yaml": settings(
      llm.baseURL,
      "limits: { max-samples: 100000000, max-cost: 1000000 }\n",
    ),
    "prompts/greet/v2.prompt": prompt("Greet the user warmly by name.", 100_000),
    "evals/greet.yaml": goldenSet(5_000, 100),
  });
  // Within the samples, but each request may write 100,000 tokens.
  await repo.branch("long-answers", "main");
  await repo.commit("v2 with a huge output ceiling", {
    "prompts/greet/v2.prompt": prompt("Greet the user warmly by name.", 100_000),
  });
  // Within the samples, dearer than the base's `max-cost: 1` (gpt-4o at 16,000 output tokens).
  await repo.branch("dear", "main");
  await repo.commit("v2 on gpt-4o, long answers, 100 repeats", {
    "prompts/greet/v2.prompt": prompt("Greet the user warmly by name.", 16_000).replace(
      "gpt-4o-mini",
      "gpt-4o",
    ),
    "evals/greet.yaml": goldenSet(2, 100),
  });
});
afterAll(async () => {
  await llm?.close();
  await repo?.remove();
  if (temp) await rm(temp, { recursive: true, force: true });
});
afterEach(async () => {
  expect(llm.violations).toEqual([]);
  await repo.checkout("main");
});

function diff(branch: string, ...flags: string[]) {
  return runCliCaptured(
    [
      "diff",
      "--base",
      "main",
      "--head",
      branch,
      "--no-cache",
      "--out-dir",
      join(repo.root, ".promptgate", branch),
      ...flags,
    ],
    { cwd: repo.root, env: { OPENAI_API_KEY: "test-key" } },
  );
}

describe("promptgate diff over the run's limits", () => {
  it("refuses 5,000 cases × 100 repeats before the first request, with the numbers, exit 2", async () => {
    const before = llm.requests.length;
    const { code, err } = await diff("flood");
    expect(llm.requests.length - before).toBe(0);
    expect(code).toBe(2);
    // Both sides: 5,000 × 100 × 2; the limit is the base's default, not the head's 100,000,000.
    expect(err).toContain(
      "error E_LIMIT: this run plans 1,000,000 samples, over the limit of 20,000 per run",
    );
    expect(err).toContain("greet@v2: 5,000 cases × 100 repeats");
    expect(err).toContain("nothing was sent");
    expect(err).toContain("limits.max-samples");
  });

  it("refuses a prompt's maxOutputTokens over the limit flag", async () => {
    const before = llm.requests.length;
    const { code, err } = await diff("long-answers", "--max-output-tokens", "4096");
    expect(llm.requests.length - before).toBe(0);
    expect(code).toBe(2);
    expect(err).toContain(
      "error E_LIMIT: output tokens per request are limited to 4,096: prompts/greet/v2.prompt asks for 100,000",
    );
  });

  it("refuses a run estimated over the base's max-cost, and shows the estimate of one within it", async () => {
    const before = llm.requests.length;
    const refused = await diff("dear");
    expect(llm.requests.length - before).toBe(0);
    expect(refused.code).toBe(2);
    expect(refused.err).toMatch(
      /error E_LIMIT: this run is estimated at \$\d+\.\d+ \(400 samples\), over the limit of \$1\.00? per run/,
    );

    // The same run with a higher limit from the flag runs, and says what it planned.
    const allowed = await diff("dear", "--max-cost", "100");
    expect(allowed.code).not.toBe(2);
    expect(allowed.err).toMatch(/planned: 400 samples, estimated cost \$\d+\.\d+/);
    expect(llm.requests.length - before).toBe(400);
  });
});

it("the action refuses the flood before the first request and says so in a comment", async () => {
  const inputs = buildActionInputs({ root: repo.root, head: "flood" });
  const context = buildRunnerContext({
    workspace: repo.root,
    runnerTemp: temp,
    runUrl: "https://github.com/acme/bot/actions/runs/1",
  });
  const { deps, comments, summaries } = recordActionDeps(inputs);
  const before = llm.requests.length;
  const failure = await runAction(inputs, context, deps).then(
    () => undefined,
    (e: unknown) => e as Error,
  );

  expect(llm.requests.length - before).toBe(0);
  expect(failure?.message).toContain("error E_LIMIT: this run plans 1,000,000 samples");
  expect(comments.bodies).toHaveLength(1);
  const body = comments.bodies[0] ?? "";
  expect(body).toContain(
    "promptgate could not evaluate this change: this run plans 1,000,000 samples, over the limit of 20,000 per run",
  );
  expect(body).toContain(
    "**How to fix:** use fewer cases or a lower <code>repeats</code> in the golden set, or raise <code>limits.max-samples</code>",
  );
  expect(summaries.join("\n")).toContain("over the limit of 20,000 per run");
  // A report for a run that did not happen is not written.
  await expect(readFile(join(temp, "promptgate-report", "report.json"))).rejects.toThrow();
});
