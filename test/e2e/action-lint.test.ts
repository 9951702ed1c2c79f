import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { PromptgateErrors } from "../../src/errors.js";
import {
  buildActionInputs,
  buildRunnerContext,
  runActionInMemory,
} from "../support/helpers/action-harness.js";
import { createGitRepo, type GitRepo } from "../support/helpers/git-repo.js";
import { type OpenAIStandIn, startOpenAIStandIn } from "../support/stand-ins/openai/index.js";

/**
 * The model-alias lint in the action's flow (runAction): each annotation names its file and line
 * as GitHub matches them against the pull request's diff, and only the files the pull request
 * changes. (action.test.ts checks the same through action.yml and dist in the runner stand-in.)
 */
let repo: GitRepo;
let llm: OpenAIStandIn;
let temp: string;

const prompt = (model: string, text: string) =>
  `---\nmodel: ${model}\ninput:\n  schema: { name: string }\n---\n{{role "system"}}\n${text}\n{{role "user"}}\n{{name}}\n`;
const settings = (baseUrl: string, extra = "") =>
  `version: 1\nprovider: { base-url: "${baseUrl}" }\nrepeats: 1\ngates: { max-regression: 1 }\n${extra}`;
const GOLDEN_SET = `cases:\n  - id: ada\n    vars: { name: Ada }\n    assert: [{ type: contains, value: Ada }]\n`;

beforeAll(async () => {
  llm = await startOpenAIStandIn({ validate: true });
  temp = await mkdtemp(join(tmpdir(), "promptgate-action-lint-"));
  repo = await createGitRepo();
  await repo.commit("base", {
    "promptgate.yaml": settings(llm.baseURL),
    "prompts/greet/v1.prompt": prompt("gpt-4o-mini-2024-07-18", "Greet the user by name."),
    "evals/greet.yaml": GOLDEN_SET,
    // Already merged on an alias: not this pull request's to fix, so not annotated on it.
    "prompts/other/v1.prompt": prompt("gpt-4o", "Say hello."),
  });
  await repo.branch("pr", "main");
  await repo.commit("greet v2 on an alias", {
    "prompts/greet/v2.prompt": prompt("gpt-4o-mini", "Greet the user warmly by name."),
  });
  await repo.branch("strict", "main");
  await repo.commit("aliases are errors", {
    "promptgate.yaml": settings(llm.baseURL, "lint: { model-aliases: error }\n"),
  });
  await repo.branch("strict-pr", "strict");
  await repo.commit("greet v2 on an alias", {
    "prompts/greet/v2.prompt": prompt("gpt-4o-mini", "Greet the user warmly by name."),
  });
  await repo.checkout("main");
});
afterAll(async () => {
  await llm?.close();
  await repo?.remove();
  if (temp) await rm(temp, { recursive: true, force: true });
});

const inputs = (base: string, head: string) =>
  buildActionInputs({ base, head, root: repo.root, failOn: "never" });
const context = () => buildRunnerContext({ workspace: repo.root, runnerTemp: temp });

it("annotates the alias the pull request introduces on its model: line, on the right file", async () => {
  const { outcome, annotations } = await runActionInMemory(inputs("main", "pr"), context());
  expect(outcome.verdict).not.toBe("errors");
  expect(annotations.filter((a) => a.title === "promptgate E_LINT")).toEqual([
    {
      level: "warning",
      title: "promptgate E_LINT",
      message: expect.stringContaining(
        "greet@v2: model `gpt-4o-mini` is an undated alias; pin `gpt-4o-mini-2024-07-18`: an alias changes under you",
      ),
      file: "prompts/greet/v2.prompt",
      line: 2,
      col: 8,
    },
  ]);
});

it("with the base's lint.model-aliases: error, stops before any request with the located error", async () => {
  const sent = llm.requests.length;
  const error = await runActionInMemory(inputs("strict", "strict-pr"), context()).catch(
    (e: unknown) => e,
  );
  const cause = (error as { error?: unknown }).error ?? error;
  expect(cause).toBeInstanceOf(PromptgateErrors);
  expect((cause as PromptgateErrors).errors.map((e) => [e.code, e.location])).toEqual([
    ["E_LINT", { file: "prompts/greet/v2.prompt", line: 2, column: 8 }],
  ]);
  expect(llm.requests.length).toBe(sent);
});
