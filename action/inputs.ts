import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseShard, type Shard } from "../src/compare/shards.js";
import { PromptgateError } from "../src/errors.js";
import { type ProxySettings, readProxySettings } from "../src/io/proxy.js";

export type FailOn = "blocked" | "errors" | "never";

/**
 * `diff`: a pull request's prompts, base vs head (one shard of them with `shard`); `merge`: a
 * matrix's shards, merged; `drift`: what each environment serves vs its record.
 */
export type ActionMode = "diff" | "merge" | "drift";

/** Everything the action reads from its step: the inputs and the runner's context, parsed once. */
export interface ActionInputs {
  openaiApiKey: string | undefined;
  openaiBaseUrl: string | undefined;
  githubToken: string;
  /** Empty only outside a pull request, where it must be given. */
  base: string;
  head: string;
  /** Absolute: the repository root (or a subfolder of it) holding promptgate.yaml. */
  root: string;
  repeats: number | undefined;
  concurrency: number | undefined;
  comment: boolean;
  failOn: FailOn;
  cacheDir: string | undefined;
  /** The key of the cache's integrity tags; undefined: derived from the API key. */
  cacheSecret: string | undefined;
  /** Where report.html is published, if it is: the comment's case links point at its anchors. */
  reportHtmlUrl?: string | undefined;
  /**
   * The fork recipe's second stage: the folder where the first stage's artifact was downloaded
   * (its `number` and `head-sha` files name the pull request). Read by `resolveWorkflowRunPull`.
   */
  pullRequestArtifact: string | undefined;
  /** A run's limits, each when given; the base's promptgate.yaml fills the rest. */
  maxSamples?: number | undefined;
  maxOutputTokens?: number | undefined;
  maxCost?: number | undefined;
  /** The suite to run (`suite:`), as the base's promptgate.yaml defines it; undefined: every case. */
  suite?: string | undefined;
  /** Absent: diff. */
  mode?: ActionMode;
  /** `mode: drift`: only these environments (default all). */
  environments?: string[] | undefined;
  /** `mode: drift`: the branch holding the records (default promptgate-records). */
  recordsBranch?: string | undefined;
  /** One shard of a matrix: evaluate its cases, write the shard's report, post nothing. */
  shard?: Shard | undefined;
  /** `mode: merge`: the folder (absolute) holding the shards' report.json files, at any depth. */
  shardReports?: string;
}

export interface PullRequestRef {
  number: number;
  headSha: string;
  baseSha: string;
}

export interface RunnerContext {
  repository: { owner: string; repo: string };
  apiUrl: string;
  serverUrl: string;
  sha: string | undefined;
  eventName: string | undefined;
  pullRequest: PullRequestRef | undefined;
  /** A `workflow_run` event's run: the first stage of the fork recipe, as GitHub describes it. */
  workflowRun?: WorkflowRunRef | undefined;
  workspace: string;
  runnerTemp: string;
  runUrl: string | undefined;
  stepSummary: string | undefined;
  /** HTTP(S)_PROXY/NO_PROXY of the runner (self-hosted runners behind a proxy). */
  proxy?: ProxySettings;
}

/**
 * What a `workflow_run` event says of the run that triggered it. GitHub writes it, so it is
 * trusted; for a pull request from a fork `pullRequests` is empty (GitHub lists only the base
 * repository's own branches), which is why the recipe's first stage uploads the number.
 */
export interface WorkflowRunRef {
  /** The triggering run's event: the recipe's first stage runs on `pull_request`. */
  event: string;
  conclusion: string | undefined;
  headSha: string;
  /** The pull requests GitHub associates with the run (same-repository branches only). */
  pullRequests: number[];
}

type Env = Record<string, string | undefined>;

/**
 * The env names action.yml sets. A composite action gets no INPUT_* variables from the runner
 * (actions/runner#665), so action.yml passes each input under these names explicitly.
 */
export const INPUT_ENV = {
  openaiApiKey: "INPUT_OPENAI_API_KEY",
  openaiBaseUrl: "INPUT_OPENAI_BASE_URL",
  githubToken: "INPUT_GITHUB_TOKEN",
  base: "INPUT_BASE",
  head: "INPUT_HEAD",
  workingDirectory: "INPUT_WORKING_DIRECTORY",
  repeats: "INPUT_REPEATS",
  concurrency: "INPUT_CONCURRENCY",
  comment: "INPUT_COMMENT",
  failOn: "INPUT_FAIL_ON",
  cacheDir: "INPUT_CACHE_DIR",
  cacheSecret: "INPUT_CACHE_SECRET",
  pullRequestArtifact: "INPUT_PULL_REQUEST_ARTIFACT",
  maxSamples: "INPUT_MAX_SAMPLES",
  maxOutputTokens: "INPUT_MAX_OUTPUT_TOKENS",
  maxCost: "INPUT_MAX_COST",
  reportHtmlUrl: "INPUT_REPORT_HTML_URL",
  suite: "INPUT_SUITE",
  mode: "INPUT_MODE",
  environments: "INPUT_ENVIRONMENTS",
  recordsBranch: "INPUT_RECORDS_BRANCH",
  shard: "INPUT_SHARD",
  shardReports: "INPUT_SHARD_REPORTS",
} as const;

const FAIL_ON: readonly FailOn[] = ["blocked", "errors", "never"];
const MODES: readonly ActionMode[] = ["diff", "merge", "drift"];

/** An input as action.yml passes it; empty is not given. */
export function readInput(env: Env, key: keyof typeof INPUT_ENV): string | undefined {
  const value = env[INPUT_ENV[key]]?.trim();
  return value ? value : undefined;
}

export function getInputs(env: Env, context: RunnerContext): ActionInputs {
  const read = (key: keyof typeof INPUT_ENV) => readInput(env, key);
  const failOn = (read("failOn") ?? "blocked").toLowerCase();
  if (!FAIL_ON.includes(failOn as FailOn)) {
    throw inputError("fail-on", `must be one of ${FAIL_ON.join(", ")}, got "${failOn}"`);
  }
  const mode = (read("mode") ?? "diff").toLowerCase();
  if (!MODES.includes(mode as ActionMode)) {
    throw inputError("mode", `must be one of ${MODES.join(", ")}, got "${mode}"`);
  }
  const head = read("head");
  // Under pull_request_target the workflow runs from the base branch and actions/checkout checks
  // the base out: HEAD is the base, and a run would pass having evaluated nothing.
  if (context.eventName === "pull_request_target" && head === undefined) {
    throw new PromptgateError(
      "E_CONFIG",
      "under pull_request_target the checkout is the base branch: without a `head` input the run would compare the base with itself and evaluate nothing",
      {
        // `\${{ … }}` is the workflow expression to write, not a placeholder.
        hint: `for pull requests from forks, follow the README's fork recipe (\`pull_request\` then \`workflow_run\`, in “Permissions and security”); under pull_request_target pass \`head: \${{ github.event.pull_request.head.sha }}\` explicitly and never check out or run the pull request's code`,
      },
    );
  }
  const pullRequestArtifact = readArtifactInput(env, context);
  if (pullRequestArtifact && context.eventName !== "workflow_run") {
    throw inputError(
      "pull-request-artifact",
      `is read only in the fork recipe's workflow_run stage (this is a ${context.eventName ?? "unknown"} event)`,
    );
  }
  const base = read("base") ?? context.pullRequest?.baseSha ?? "";
  // A drift check compares no revisions: it runs on schedule, with no pull request and no base.
  if (!base && mode !== "drift") {
    throw inputError(
      "base",
      `is required outside a pull request (this is a ${context.eventName ?? "unknown"} event)`,
    );
  }
  const githubToken = read("githubToken");
  if (!githubToken) throw inputError("github-token", "is empty");
  const shardText = read("shard");
  const shard = shardText === undefined ? undefined : parseShard(shardText, "input shard");
  if (shard && mode === "merge") {
    throw inputError("shard", "is for the matrix's jobs; the merge job takes mode: merge alone");
  }
  if (shard && mode === "drift") {
    throw inputError("shard", "splits a pull request's diff; a drift check runs whole");
  }
  const workingDirectory = read("workingDirectory") ?? ".";
  const cacheDir = read("cacheDir");
  return {
    openaiApiKey: read("openaiApiKey"),
    openaiBaseUrl: read("openaiBaseUrl"),
    githubToken,
    base,
    // In the fork recipe's second stage the checkout is the base: the head is the pull request's.
    head:
      head ?? (context.workflowRun && context.pullRequest ? context.pullRequest.headSha : "HEAD"),
    root: resolve(context.workspace, workingDirectory),
    repeats: readInt(read("repeats"), "repeats", 1, 100),
    concurrency: readInt(read("concurrency"), "concurrency", 1, 1000),
    comment: readBool(read("comment"), "comment", true),
    failOn: failOn as FailOn,
    maxSamples: readInt(read("maxSamples"), "max-samples", 1, Number.MAX_SAFE_INTEGER),
    maxOutputTokens: readInt(
      read("maxOutputTokens"),
      "max-output-tokens",
      1,
      Number.MAX_SAFE_INTEGER,
    ),
    maxCost: readDollars(read("maxCost"), "max-cost"),
    suite: read("suite"),
    // By default in the runner's temp folder (keep it with actions/cache), outside the checkout:
    // a pull request's files are never read as cached answers. `off` turns the cache off.
    cacheDir:
      cacheDir === "off"
        ? undefined
        : cacheDir
          ? resolve(context.workspace, cacheDir)
          : join(context.runnerTemp, "promptgate-cache"),
    cacheSecret: read("cacheSecret"),
    reportHtmlUrl: read("reportHtmlUrl"),
    pullRequestArtifact,
    mode: mode as ActionMode,
    environments: read("environments")
      ?.split(/[\s,]+/)
      .filter(Boolean),
    recordsBranch: read("recordsBranch"),
    shard,
    shardReports: resolve(context.workspace, read("shardReports") ?? "promptgate-shards"),
  };
}

/** The runner's environment and the event it saved at GITHUB_EVENT_PATH. */
export function readRunnerContext(env: Env): RunnerContext {
  const [owner, repo] = (env.GITHUB_REPOSITORY ?? "").split("/");
  if (!owner || !repo) {
    throw new PromptgateError("E_CONFIG", "GITHUB_REPOSITORY is not set to owner/name", {
      hint: "run promptgate's action as a step of a GitHub Actions workflow",
    });
  }
  const event = env.GITHUB_EVENT_PATH ? readEvent(env.GITHUB_EVENT_PATH) : {};
  const pr = event.pull_request;
  const run = event.workflow_run;
  const serverUrl = (env.GITHUB_SERVER_URL ?? "https://github.com").replace(/\/+$/, "");
  const workspace = env.GITHUB_WORKSPACE ?? process.cwd();
  return {
    repository: { owner, repo },
    apiUrl: env.GITHUB_API_URL ?? "https://api.github.com",
    serverUrl,
    proxy: readProxySettings(env),
    sha: env.GITHUB_SHA,
    eventName: env.GITHUB_EVENT_NAME,
    pullRequest:
      pr && typeof pr.number === "number"
        ? { number: pr.number, headSha: pr.head?.sha ?? "", baseSha: pr.base?.sha ?? "" }
        : undefined,
    workflowRun:
      run && typeof run.head_sha === "string"
        ? {
            event: String(run.event ?? ""),
            conclusion: typeof run.conclusion === "string" ? run.conclusion : undefined,
            headSha: run.head_sha,
            pullRequests: (run.pull_requests ?? []).flatMap((p) =>
              typeof p?.number === "number" ? [p.number] : [],
            ),
          }
        : undefined,
    workspace,
    runnerTemp: env.RUNNER_TEMP ?? join(workspace, ".promptgate"),
    runUrl: env.GITHUB_RUN_ID
      ? `${serverUrl}/${owner}/${repo}/actions/runs/${env.GITHUB_RUN_ID}`
      : undefined,
    stepSummary: env.GITHUB_STEP_SUMMARY,
  };
}

interface EventPayload {
  pull_request?: { number?: number; head?: { sha?: string }; base?: { sha?: string } };
  workflow_run?: {
    event?: string;
    conclusion?: string | null;
    head_sha?: string;
    pull_requests?: { number?: number }[];
  };
}

function readEvent(path: string): EventPayload {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as EventPayload;
  } catch (e) {
    throw new PromptgateError("E_CONFIG", `cannot read the event at GITHUB_EVENT_PATH (${path})`, {
      cause: e,
    });
  }
}

function inputError(name: string, message: string): PromptgateError {
  return new PromptgateError("E_USAGE", `input ${name} ${message}`, {
    hint: "see the inputs table in promptgate's README",
  });
}

/** The `pull-request-artifact` folder, absolute. */
export function readArtifactInput(env: Env, context: RunnerContext): string | undefined {
  const value = readInput(env, "pullRequestArtifact");
  return value === undefined ? undefined : resolve(context.workspace, value);
}

function readInt(value: string | undefined, name: string, min: number, max: number) {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw inputError(name, `must be a whole number from ${min} to ${max}, got "${value}"`);
  }
  return n;
}

function readDollars(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value.replace(/^\$/, ""));
  if (!Number.isFinite(n) || n <= 0)
    throw inputError(name, `must be dollars above 0, got "${value}"`);
  return n;
}

function readBool(value: string | undefined, name: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  // The YAML 1.2 core schema's booleans, as @actions/core's getBooleanInput accepts them.
  if (/^(true|True|TRUE)$/.test(value)) return true;
  if (/^(false|False|FALSE)$/.test(value)) return false;
  throw inputError(name, `must be true or false, got "${value}"`);
}
