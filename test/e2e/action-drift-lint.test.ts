import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { runDriftMode } from "../../action/drift.js";
import type { ActionInputs } from "../../action/inputs.js";
import type { Annotation } from "../../action/log.js";
import { PromptgateErrors } from "../../src/errors.js";
import { buildActionInputs, buildRunnerContext } from "../support/helpers/action-harness.js";
import { CASES, driftResponder, FILES, MODEL } from "../support/helpers/drift-fixture.js";
import { type GitHubStandIn, startGitHubStandIn } from "../support/stand-ins/github/index.js";
import { type OpenAIStandIn, startOpenAIStandIn } from "../support/stand-ins/openai/index.js";

/**
 * `mode: drift`'s model-pinning lint in the action's flow (runDriftMode): a pin or a fallback on
 * an alias is annotated on its line of environments.yaml; with `lint.model-aliases: error` the
 * run stops before any request. (action-drift.test.ts runs the mode through action.yml and dist.)
 */
let gh: GitHubStandIn;
let llm: OpenAIStandIn;
let temp: string;

const ENVIRONMENTS = `environments:
  staging:
    prompts:
      support-answer: { version: v1, model: gpt-4o-mini }
  production:
    prompts:
      support-answer:
        version: v1
        model: ${MODEL}
        fallback:
          - { model: claude-3-5-sonnet-latest, base-url: https://backup.example.com/v1 }
`;

async function checkout(name: string, files: Record<string, string>): Promise<string> {
  const root = join(temp, name);
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), text);
  }
  return root;
}

beforeAll(async () => {
  temp = await mkdtemp(join(tmpdir(), "promptgate-action-drift-lint-"));
  [gh, llm] = await Promise.all([
    startGitHubStandIn(),
    startOpenAIStandIn({ validate: true, responder: driftResponder(() => CASES) }),
  ]);
  await gh.createRepo("acme", "drift-lint", FILES);
});
afterAll(async () => {
  await Promise.all([gh?.close(), llm?.close()]);
  if (temp) await rm(temp, { recursive: true, force: true });
});
afterEach(() => {
  expect(llm.violations.splice(0)).toEqual([]);
  expect(gh.violations.splice(0)).toEqual([]);
});

// A scheduled run: no pull request, so no base, head or comment.
const inputs = (root: string, extra: Partial<ActionInputs> = {}) =>
  buildActionInputs({
    openaiBaseUrl: llm.baseURL,
    githubToken: gh.githubToken,
    base: "",
    head: "",
    root,
    repeats: 1,
    comment: false,
    failOn: "never",
    mode: "drift",
    ...extra,
  });
const context = (root: string) =>
  buildRunnerContext({
    repository: { owner: "acme", repo: "drift-lint" },
    apiUrl: gh.url,
    eventName: "schedule",
    workspace: root,
    runnerTemp: temp,
  });

it("annotates the pins it checks on an alias, and their fallbacks, on their lines; then runs", async () => {
  const root = await checkout("warn", { ...FILES, "environments.yaml": ENVIRONMENTS });
  const annotations: Annotation[] = [];
  const sent = llm.requests.length;
  const outcome = await runDriftMode(inputs(root), context(root), {
    log: () => {},
    writeSummary: async () => {},
    scrub: (s) => s,
    annotate: (a) => void annotations.push(a),
  });
  expect(outcome.verdict).toBe("pass");
  expect(llm.requests.length).toBeGreaterThan(sent);
  expect(annotations.map(({ level, file, line, col }) => ({ level, file, line, col }))).toEqual([
    { level: "warning", file: "environments.yaml", line: 4, col: 45 },
    { level: "warning", file: "environments.yaml", line: 11, col: 22 },
  ]);
  expect(annotations[0]?.message).toContain(
    "staging pins support-answer@v1: model `gpt-4o-mini` is an undated alias; pin `gpt-4o-mini-2024-07-18`",
  );
  expect(annotations[1]?.message).toContain(
    "production pins support-answer@v1, fallback 1: model `claude-3-5-sonnet-latest` is an undated alias",
  );

  // `environments:` narrows the lint too: production's own model is dated, its fallback is not.
  const onlyProduction: Annotation[] = [];
  await runDriftMode(inputs(root, { environments: ["production"] }), context(root), {
    log: () => {},
    writeSummary: async () => {},
    scrub: (s) => s,
    annotate: (a) => void onlyProduction.push(a),
  });
  expect(onlyProduction.map((a) => a.line)).toEqual([11]);
});

it("with lint.model-aliases: error, stops before any request with the located errors", async () => {
  const root = await checkout("strict", {
    ...FILES,
    "environments.yaml": ENVIRONMENTS,
    "promptgate.yaml": `${FILES["promptgate.yaml"]}lint: { model-aliases: error }\n`,
  });
  const sent = llm.requests.length;
  const error = await runDriftMode(inputs(root), context(root), {
    log: () => {},
    writeSummary: async () => {},
    scrub: (s) => s,
  }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(PromptgateErrors);
  expect((error as PromptgateErrors).errors.map((e) => [e.code, e.location])).toEqual([
    ["E_LINT", { file: "environments.yaml", line: 4, column: 45 }],
    ["E_LINT", { file: "environments.yaml", line: 11, column: 22 }],
  ]);
  expect(llm.requests.length).toBe(sent);
});
