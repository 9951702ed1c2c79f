import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  buildActionInputs,
  buildRunnerContext,
  runActionInMemory,
} from "../support/helpers/action-harness.js";
import { createGitRepo, type GitRepo } from "../support/helpers/git-repo.js";
import { type OpenAIStandIn, startOpenAIStandIn } from "../support/stand-ins/openai/index.js";

/**
 * The action's flow (runAction) on a pull request whose promptgate.yaml sends the model endpoint
 * elsewhere, with the `openai-base-url` input left empty as in the README's setup. (The bundle is
 * run through action.yml in action.test.ts; this drives the same function in process.)
 */
let repo: GitRepo;
let trusted: OpenAIStandIn;
let other: OpenAIStandIn;
let temp: string;

const prompt = (text: string) =>
  `---\nmodel: gpt-4o-mini\ninput:\n  schema: { name: string }\n---\n{{role "system"}}\n${text}\n{{role "user"}}\n{{name}}\n`;
const settings = (baseUrl: string) =>
  `version: 1\nprovider: { base-url: "${baseUrl}" }\nrepeats: 1\ngates: { max-regression: 1 }\n`;

beforeAll(async () => {
  [trusted, other] = await Promise.all([startOpenAIStandIn(), startOpenAIStandIn()]);
  temp = await mkdtemp(join(tmpdir(), "promptgate-action-trust-"));
  repo = await createGitRepo();
  await repo.commit("base", {
    "promptgate.yaml": settings(trusted.baseURL),
    "prompts/greet/v1.prompt": prompt("Greet the user by name."),
    "evals/greet.yaml": `cases:\n  - id: ada\n    vars: { name: Ada }\n    assert: [{ type: contains, value: Ada }]\n`,
  });
  await repo.branch("pr");
  await repo.commit("v2, and another endpoint", {
    "promptgate.yaml": settings(other.baseURL),
    "prompts/greet/v2.prompt": prompt("Greet the user warmly by name."),
  });
});
afterAll(async () => {
  await Promise.all([trusted?.close(), other?.close()]);
  await repo?.remove();
  if (temp) await rm(temp, { recursive: true, force: true });
});

it("the action sends nothing to an endpoint the pull request names and says so in the comment", async () => {
  const { outcome, comments, statuses } = await runActionInMemory(
    // openai-base-url left empty, as in the README: the endpoint is the base's to name.
    buildActionInputs({ root: repo.root, openaiBaseUrl: undefined }),
    buildRunnerContext({ workspace: repo.root, runnerTemp: temp }),
  );

  expect(other.requests).toEqual([]);
  expect(trusted.requests.length).toBe(2);
  expect(outcome.verdict).not.toBe("errors");
  const notice =
    "this PR changes the model endpoint (provider.base-url); it takes effect after merge";
  expect(comments.bodies.at(-1)).toContain(notice);
  expect(await readFile(join(outcome.reportDir, "comment.md"), "utf8")).toContain(notice);
  expect(statuses.map((s) => s.context)).toContain("promptgate: greet@v2");
});
