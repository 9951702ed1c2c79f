import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { parseReportJson } from "../../src/report/json.js";
import {
  buildActionInputs,
  buildRunnerContext,
  runActionInMemory,
} from "../support/helpers/action-harness.js";
import { createGitRepo, type GitRepo } from "../support/helpers/git-repo.js";
import { runCliCaptured } from "../support/helpers/run-cli.js";
import { type OpenAIStandIn, startOpenAIStandIn } from "../support/stand-ins/openai/index.js";

/**
 * Tiered suites (`suites:` in promptgate.yaml) through `eval`, `diff` and the action's flow, against
 * the LLM stand-in: which names reach the model says which cases ran.
 */
let repo: GitRepo;
let llm: OpenAIStandIn;
let temp: string;

const prompt = (text: string) =>
  `---\nmodel: gpt-4o-mini-2024-07-18\ninput:\n  schema: { name: string }\n---\n{{role "system"}}\n${text}\n{{role "user"}}\n{{name}}\n`;

const caseOf = (id: string, extra = "") =>
  `  - id: ${id}\n    vars: { name: ${id} }\n${extra}    assert: [{ type: contains, value: x }]\n`;

// 6 cases: smoke holds Smoky, Crit (critical) and Both; extended holds Adv, Both and the untagged.
const GOLDEN_SET = `cases:\n${[
  caseOf("Smoky", "    tags: [smoke]\n"),
  caseOf("Crit", "    critical: true\n"),
  caseOf("Adv", "    tags: [adversarial]\n"),
  caseOf("Plain"),
  caseOf("Both", "    tags: [smoke, adversarial]\n"),
  caseOf("Other", "    tags: [slow]\n"),
].join("")}`;

const settings = (baseUrl: string, suites: string) =>
  `version: 1\nprovider: { base-url: "${baseUrl}" }\nrepeats: 1\ngates: { max-regression: 1, critical: off }\n${suites}`;
const SUITES = `suites:
  smoke: { tags: [critical, smoke] }
  full: {}
  extended: { tags: [adversarial], include-untagged: true }
`;

beforeAll(async () => {
  llm = await startOpenAIStandIn({ validate: true });
  temp = await mkdtemp(join(tmpdir(), "promptgate-suites-"));
  repo = await createGitRepo();
  await repo.commit("base", {
    ".gitignore": ".promptgate/\n",
    "promptgate.yaml": settings(llm.baseURL, SUITES),
    "prompts/greet/v1.prompt": prompt("Greet the user by name."),
    "evals/greet.yaml": GOLDEN_SET,
  });
  await repo.branch("pr");
  // The pull request also redefines smoke to hold every case: the base's definition judges it.
  await repo.commit("v2", {
    "promptgate.yaml": settings(llm.baseURL, "suites:\n  smoke: {}\n"),
    "prompts/greet/v2.prompt": prompt("Greet the user warmly by name."),
  });
  await repo.checkout("main");
});
afterAll(async () => {
  await llm?.close();
  await repo?.remove();
  if (temp) await rm(temp, { recursive: true, force: true });
});
afterEach(() => {
  expect(llm.violations).toEqual([]);
});

/** The names the model was asked about since `from`, sorted: which cases ran. */
function namesSent(from: number): string[] {
  return llm.requests
    .slice(from)
    .map((r) => {
      const messages = (r.body?.messages ?? []) as { role: string; content: string }[];
      return messages.find((m) => m.role === "user")?.content ?? "";
    })
    .sort();
}

function cli(argv: string[]) {
  return runCliCaptured(argv, { cwd: repo.root, env: { OPENAI_API_KEY: "test-key" } });
}

describe("promptgate eval --suite", () => {
  it("runs exactly the suite's cases and says how many of the golden set's it holds", async () => {
    const from = llm.requests.length;
    const { code, out, err } = await cli(["eval", "--suite", "smoke", "--no-cache", "--json"]);
    expect(namesSent(from)).toEqual(["Both", "Crit", "Smoky"]);
    expect(err).toContain("suite smoke: 3 of 6 cases");
    expect(JSON.parse(out).suite).toEqual({ name: "smoke", cases: 3, of: 6 });
    expect(code).toBe(0);
  });

  it("leaves out a golden set the suite holds no case of, and says so", async () => {
    await repo.branch("extra", "main");
    try {
      await repo.commit("a prompt without smoke cases", {
        "prompts/bye/v1.prompt": prompt("Say goodbye by name."),
        "evals/bye.yaml": `cases:\n${caseOf("Later", "    tags: [slow]\n")}`,
      });
      const from = llm.requests.length;
      const { code, err } = await cli(["eval", "--suite", "smoke", "--no-cache"]);
      expect(namesSent(from)).toEqual(["Both", "Crit", "Smoky"]);
      expect(err).toContain("suite smoke: 3 of 7 cases");
      expect(err).toContain("suite smoke holds no case of evals/bye.yaml: bye is not evaluated");
      expect(code).toBe(0);
    } finally {
      await repo.checkout("main");
    }
  });

  it("include-untagged adds the untagged cases", async () => {
    const from = llm.requests.length;
    await cli(["eval", "--suite", "extended", "--no-cache", "--json"]);
    expect(namesSent(from)).toEqual(["Adv", "Both", "Plain"]);
  });

  it("an unknown suite is a usage error (exit 2) naming the suites there are", async () => {
    const from = llm.requests.length;
    const { code, err } = await cli(["eval", "--suite", "smok", "--no-cache"]);
    expect(code).toBe(2);
    expect(err).toContain('unknown suite "smok"; did you mean "smoke"?');
    expect(err).toContain("suites: smoke, full, extended");
    expect(llm.requests.length).toBe(from);
  });
});

describe("promptgate diff --suite", () => {
  it("runs the base's suite on both sides and the report says which suite ran", async () => {
    const from = llm.requests.length;
    const outDir = join(temp, "diff-smoke");
    const { code, err } = await cli([
      ...["diff", "--base", "main", "--head", "pr", "--suite", "smoke"],
      ...["--no-cache", "--out-dir", outDir],
    ]);
    // Both sides, the base's smoke (3 cases), not the pull request's (all 6).
    expect(namesSent(from)).toEqual(["Both", "Both", "Crit", "Crit", "Smoky", "Smoky"]);
    expect(err).toContain("suite smoke: 3 of 6 cases");
    const report = parseReportJson(await readFile(join(outDir, "report.json"), "utf8"), "r");
    expect(report.settings.suite).toEqual({ name: "smoke", cases: 3, of: 6 });
    expect(await readFile(join(outDir, "comment.md"), "utf8")).toContain(
      "suite smoke: 3 of 6 cases",
    );
    expect(await readFile(join(outDir, "summary.md"), "utf8")).toContain(
      "suite smoke: 3 of 6 cases",
    );
    expect(code).toBe(0);
  });

  it("an unknown suite is a usage error (exit 2)", async () => {
    const { code, err } = await cli(["diff", "--base", "main", "--head", "pr", "--suite", "nope"]);
    expect(code).toBe(2);
    expect(err).toContain('unknown suite "nope"');
  });
});

describe("the action's suite input", () => {
  const inputs = (suite: string) => buildActionInputs({ root: repo.root, suite });
  const context = () => buildRunnerContext({ workspace: repo.root, runnerTemp: temp });

  it("runs the suite's cases, and the comment and the summary say so", async () => {
    const from = llm.requests.length;
    const { outcome, comments, summaries } = await runActionInMemory(inputs("extended"), context());
    const summary = summaries.at(-1) ?? "";
    expect(namesSent(from)).toEqual(["Adv", "Adv", "Both", "Both", "Plain", "Plain"]);
    expect(comments.bodies.at(-1)).toContain("suite extended: 3 of 6 cases");
    expect(summary).toContain("suite extended: 3 of 6 cases");
    const report = parseReportJson(
      await readFile(join(outcome.reportDir, "report.json"), "utf8"),
      "r",
    );
    expect(report.settings.suite).toEqual({ name: "extended", cases: 3, of: 6 });
  });

  it("an unknown suite fails the run before anything is sent", async () => {
    const from = llm.requests.length;
    await expect(runActionInMemory(inputs("nightly"), context())).rejects.toThrow(
      /unknown suite "nightly"/,
    );
    expect(llm.requests.length).toBe(from);
  });
});
