import type { ActionInputs, RunnerContext } from "../../../action/inputs.js";
import type { Annotation } from "../../../action/log.js";
import { type ActionDeps, type ActionOutcome, runAction } from "../../../action/run.js";
import type { CommitStatus } from "../../../src/io/github/statuses.js";
import { memoryComments } from "./memory-comments.js";

/**
 * The action's flow (`runAction`) in process, with GitHub's side kept in memory.
 *
 *   const inputs = buildActionInputs({ root: repo.root, head: "flood" });
 *   const context = buildRunnerContext({ workspace: repo.root, runnerTemp: temp });
 *   const { outcome, comments, statuses } = await runActionInMemory(inputs, context);
 *
 * Why: ActionInputs and RunnerContext are wide, and a test that spells all of them out hides the
 * one or two it is about among a dozen it is not. Here the defaults are the README's pull request
 * setup; a test passes what it changes, so what it changes is what it tests, and a field added to
 * ActionInputs is added here once, not in every file. (The bundle through action.yml is
 * `composite-action.ts`'s.)
 */

/** A pull request's step as the README sets it up: base `main`, head `pr`, comment on, fail on a block. */
export function buildActionInputs(
  overrides: Partial<ActionInputs> & Pick<ActionInputs, "root">,
): ActionInputs {
  return {
    openaiApiKey: "test-key",
    // Undefined: the endpoint comes from the base's promptgate.yaml, as in the README.
    openaiBaseUrl: undefined,
    // The in-memory deps stand for GitHub, so no token is ever sent.
    githubToken: "unused",
    base: "main",
    head: "pr",
    repeats: undefined,
    concurrency: undefined,
    comment: true,
    failOn: "blocked",
    cacheDir: undefined,
    cacheSecret: undefined,
    pullRequestArtifact: undefined,
    ...overrides,
  };
}

/** The runner of a pull_request workflow; the API URL is a closed port: nothing may call it. */
export function buildRunnerContext(
  overrides: Partial<RunnerContext> & Pick<RunnerContext, "workspace" | "runnerTemp">,
): RunnerContext {
  return {
    repository: { owner: "acme", repo: "bot" },
    apiUrl: "http://127.0.0.1:1",
    serverUrl: "https://github.com",
    sha: undefined,
    eventName: "pull_request",
    pullRequest: undefined,
    runUrl: undefined,
    stepSummary: undefined,
    ...overrides,
  };
}

/** What a run wrote to GitHub and to the runner, in order. */
export interface RecordedAction {
  /** The pull request's conversation; `bodies` holds every write. */
  comments: ReturnType<typeof memoryComments>;
  statuses: CommitStatus[];
  annotations: Annotation[];
  summaries: string[];
  logs: string[];
  warnings: string[];
}

/**
 * Deps that record instead of calling GitHub, beside what they recorded. For a test that
 * expects `runAction` to throw and still reads what was written on the way (the error comment,
 * the summary). Like the action's entry point, there is no comment store with `comment: false`.
 */
export function recordActionDeps(
  inputs: ActionInputs,
  extraDeps: Partial<ActionDeps> = {},
): RecordedAction & { deps: ActionDeps } {
  const recorded: RecordedAction = {
    comments: memoryComments(),
    statuses: [],
    annotations: [],
    summaries: [],
    logs: [],
    warnings: [],
  };
  const deps: ActionDeps = {
    comments: inputs.comment ? recorded.comments : undefined,
    statuses: { post: async (s) => void recorded.statuses.push(s) },
    writeSummary: async (markdown) => void recorded.summaries.push(markdown),
    log: (message) => void recorded.logs.push(message),
    warn: (message) => void recorded.warnings.push(message),
    annotate: (a) => void recorded.annotations.push(a),
    ...extraDeps,
  };
  return { deps, ...recorded };
}

/** Runs the action's flow with recording deps; rejects as `runAction` does. */
export async function runActionInMemory(
  inputs: ActionInputs,
  context: RunnerContext,
  extraDeps: Partial<ActionDeps> = {},
): Promise<RecordedAction & { outcome: ActionOutcome }> {
  const { deps, ...recorded } = recordActionDeps(inputs, extraDeps);
  const outcome = await runAction(inputs, context, deps);
  return { outcome, ...recorded };
}
