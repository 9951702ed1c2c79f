import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { parseReportJson } from "../../src/report/json.js";
import { createGitRepo, type GitRepo } from "../support/helpers/git-repo.js";
import { runCliCaptured } from "../support/helpers/run-cli.js";
import { type OpenAIStandIn, startOpenAIStandIn } from "../support/stand-ins/openai/index.js";

/**
 * Issue 9, item 5: a pull request that loosens its own golden set is told so at the top of the
 * comment, and with `gates.golden-set-edits: block` at base the verdict is blocked by that gate,
 * whatever the pull request's promptgate.yaml says.
 */
let repo: GitRepo;
let llm: OpenAIStandIn;

const prompt = (text: string) =>
  `---\nmodel: gpt-4o-mini\nconfig: { temperature: 0, maxOutputTokens: 50 }\ninput:\n  schema: { name: string }\n---\n{{role "system"}}\n${text}\n{{role "user"}}\n{{name}}\n`;
const settings = (baseUrl: string, edits: string) =>
  `version: 1\nprovider: { base-url: "${baseUrl}" }\nrepeats: 1\ngates: { max-regression: 1, golden-set-edits: ${edits} }\n`;

beforeAll(async () => {
  llm = await startOpenAIStandIn({ validate: true });
  repo = await createGitRepo();
  await repo.commit("base", {
    ".gitignore": ".promptgate/\n",
    "promptgate.yaml": settings(llm.baseURL, "block"),
    "prompts/greet/v1.prompt": prompt("Greet the user by name."),
    "evals/greet.yaml": `cases:
  - id: ada
    vars: { name: Ada }
    assert: [{ type: contains, value: Ada }, { type: not-contains, value: sorry }]
  - id: alan
    vars: { name: Alan }
    assert: [{ type: contains, value: Alan }]
`,
  });
  await repo.branch("loosen", "main");
  await repo.commit("v2, and a lighter golden set", {
    "promptgate.yaml": settings(llm.baseURL, "warn"),
    "prompts/greet/v2.prompt": prompt("Greet the user warmly by name."),
    "evals/greet.yaml": `cases:
  - id: ada
    vars: { name: Ada }
    assert: [{ type: contains, value: Ada }]
`,
  });
});
afterAll(async () => {
  await llm?.close();
  await repo?.remove();
});

it("promptgate diff blocks a pull request that removes cases and assertions, and says so first", async () => {
  const outDir = join(repo.root, ".promptgate", "loosen");
  const { code } = await runCliCaptured(
    ["diff", "--base", "main", "--head", "loosen", "--no-cache", "--out-dir", outDir],
    { cwd: repo.root, env: { OPENAI_API_KEY: "test-key" } },
  );
  const comment = await readFile(join(outDir, "comment.md"), "utf8");
  const report = parseReportJson(await readFile(join(outDir, "report.json"), "utf8"), "r.json");

  expect(code).toBe(1);
  expect(report.verdict.overall).toBe("blocked");
  const gate = report.comparisons[0]?.gates.find((g) => g.gate === "golden-set-edits");
  expect(gate).toMatchObject({ status: "fail" });
  expect(gate?.message).toContain("1 case removed: alan, assertions removed from ada");
  // The edit is the first thing after the headline, before the table.
  const lines = comment.split("\n");
  expect(lines[3]).toMatch(
    /^> ⚠️ \*\*Golden set edited:\*\* evals\/greet\.yaml changed in this pull request \(1 case removed: alan, assertions removed from ada\)/,
  );
  expect(comment.indexOf("Golden set edited")).toBeLessThan(comment.indexOf("| "));
  // The head's `golden-set-edits: warn` is not used.
  expect(comment).toContain("(gates.golden-set-edits); it takes effect after merge");
});
