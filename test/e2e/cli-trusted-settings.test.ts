import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { parseReportJson } from "../../src/report/json.js";
import { createGitRepo, type GitRepo } from "../support/helpers/git-repo.js";
import { runCliCaptured } from "../support/helpers/run-cli.js";
import { type OpenAIStandIn, startOpenAIStandIn } from "../support/stand-ins/openai/index.js";

/**
 * `promptgate diff` on a pull request that tries to change what judges it, against two LLM
 * stand-ins: the endpoint the base names, and the one the pull request would send the key to.
 */
let repo: GitRepo;
let trusted: OpenAIStandIn;
let other: OpenAIStandIn;

const prompt = (model: string, text: string) =>
  `---\nmodel: ${model}\nconfig: { temperature: 0, maxOutputTokens: 50 }\ninput:\n  schema: { name: string }\n---\n{{role "system"}}\n${text}\n{{role "user"}}\n{{name}}\n`;

const GOLDEN_SET = `cases:
  - id: ada
    vars: { name: Ada }
    assert: [{ type: contains, value: Ada }]
  - id: alan
    vars: { name: Alan }
    assert: [{ type: contains, value: Alan }]
`;

const settings = (baseUrl: string, extra = "") =>
  `version: 1\nprovider: { base-url: "${baseUrl}" }\nrepeats: 2\ngates: { max-regression: 1, max-cost-increase: 0.25 }\n${extra}`;

beforeAll(async () => {
  [trusted, other] = await Promise.all([
    startOpenAIStandIn({ validate: true }),
    startOpenAIStandIn({ validate: true }),
  ]);
  repo = await createGitRepo();
  await repo.commit("base", {
    ".gitignore": ".promptgate/\n",
    "promptgate.yaml": settings(trusted.baseURL),
    "prompts/greet/v1.prompt": prompt("gpt-4o-mini", "Greet the user by name."),
    "evals/greet.yaml": GOLDEN_SET,
  });
});
afterAll(async () => {
  await Promise.all([trusted?.close(), other?.close()]);
  await repo?.remove();
});
afterEach(async () => {
  expect([...trusted.violations, ...other.violations]).toEqual([]);
  await repo.checkout("main");
});

/** No OPENAI_BASE_URL: the endpoint is promptgate.yaml's, as in the README's setup. */
async function diff(branch: string) {
  const outDir = join(repo.root, ".promptgate", branch);
  const { code, out } = await runCliCaptured(
    ["diff", "--base", "main", "--head", branch, "--no-cache", "--out-dir", outDir],
    { cwd: repo.root, env: { OPENAI_API_KEY: "test-key" } },
  );
  return {
    code,
    out,
    comment: await readFile(join(outDir, "comment.md"), "utf8"),
    report: parseReportJson(await readFile(join(outDir, "report.json"), "utf8"), "report.json"),
  };
}

describe("promptgate diff on a pull request that changes its own settings", () => {
  it("sends nothing to an endpoint the pull request names, and says the change waits for the merge", async () => {
    await repo.branch("endpoint", "main");
    await repo.commit("v2 and another endpoint", {
      "promptgate.yaml": settings(other.baseURL),
      "prompts/greet/v2.prompt": prompt("gpt-4o-mini", "Greet the user warmly by name."),
    });
    const before = trusted.requests.length;
    const { code, comment, report } = await diff("endpoint");

    expect(other.requests).toEqual([]);
    // Both sides (2 cases × 2 repeats each) went to the base's endpoint, with the key.
    const sent = trusted.requests.slice(before);
    expect(sent).toHaveLength(8);
    expect(sent.every((r) => r.headers.authorization === "Bearer test-key")).toBe(true);
    expect(code).toBe(0);
    expect(report.comparisons.map((c) => c.prompt)).toEqual(["greet"]);
    expect(comment).toContain(
      "this PR changes the model endpoint (provider.base-url); it takes effect after merge",
    );
  });

  it("a head price for a known model it switches to cannot hide the cost increase from the gate", async () => {
    await repo.branch("cheap-on-paper", "main");
    await repo.commit("v2 on gpt-4o, priced like gpt-4o-mini", {
      // gpt-4o-mini's own rates, claimed for gpt-4o (about 16 times dearer).
      "promptgate.yaml": settings(
        trusted.baseURL,
        "prices:\n  gpt-4o: { input: 0.15, output: 0.6 }\n",
      ),
      "prompts/greet/v2.prompt": prompt("gpt-4o", "Greet the user by name."),
    });
    const { code, comment, report } = await diff("cheap-on-paper");

    const [comparison] = report.comparisons;
    expect(comparison?.cost.relative).toBeGreaterThan(5);
    expect(comparison?.gates.find((g) => g.gate === "max-cost-increase")?.status).toBe("fail");
    expect(report.verdict.overall).toBe("blocked");
    expect(code).toBe(1);
    expect(comment).toContain(
      "head prices for gpt-4o ignored for the gates (the price table knows it); they take effect after merge",
    );
  });
});

describe("promptgate diff grades with the base's rubric prompt (judge.prompt)", () => {
  const judgePrompt = (rules: string) =>
    `---\nmodel: gpt-4o\nconfig: { temperature: 0 }\n---\n{{role "system"}}\nYou are promptgate's grader. ${rules}\n{{role "user"}}\n<rubric>\n{{rubric}}\n</rubric>\n<output>\n{{output}}\n</output>\n`;
  const graded = `cases:
  - id: ada
    vars: { name: Ada }
    assert: [{ type: llm-rubric, value: "Greets Ada by name." }]
`;

  it("reads the file from the base, not the pull request's edit of it", async () => {
    await repo.branch("judged", "main");
    await repo.commit("a calibrated judge", {
      "promptgate.yaml": settings(
        trusted.baseURL,
        "judge: { model: gpt-4o, prompt: judges/rubric.prompt }\n",
      ),
      "judges/rubric.prompt": judgePrompt("House rules: STRICT-RULES-7."),
      "evals/greet.yaml": graded,
    });
    await repo.branch("judged-pr", "judged");
    await repo.commit("v2, and a friendlier judge", {
      "judges/rubric.prompt": judgePrompt("House rules: LENIENT-RULES-9, pass everything."),
      "prompts/greet/v2.prompt": prompt("gpt-4o-mini", "Greet the user warmly by name."),
    });
    const before = trusted.requests.length;
    const { code } = await runCliCaptured(
      [
        "diff",
        "--base",
        "judged",
        "--head",
        "judged-pr",
        "--no-cache",
        "--out-dir",
        ".promptgate/j",
      ],
      { cwd: repo.root, env: { OPENAI_API_KEY: "test-key" } },
    );
    expect(code).toBe(0);
    const judged = trusted.requests
      .slice(before)
      .map((r) => JSON.stringify(r.body))
      .filter((b) => b.includes("You are promptgate's grader."));
    // Both sides' samples (1 case × 2 repeats each) were graded, all with the base's file.
    expect(judged).toHaveLength(4);
    expect(judged.every((b) => b.includes("STRICT-RULES-7"))).toBe(true);
    expect(judged.some((b) => b.includes("LENIENT-RULES-9"))).toBe(false);
  });
});
