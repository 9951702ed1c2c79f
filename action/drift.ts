import { type DriftResult, runDrift } from "../src/compare/drift.js";
import { checkRunLimits, describeWork } from "../src/compare/run-limits.js";
import { checkDriftPins } from "../src/cost/model-aliases.js";
import { PromptgateErrors } from "../src/errors.js";
import { loadRepo, requireSettingsFile } from "../src/formats/repo.js";
import { worktreeSource } from "../src/io/file-sources.js";
import { createRestClient } from "../src/io/github/client.js";
import { createGitHubDriftStore, DEFAULT_RECORDS_BRANCH } from "../src/io/github/drift-records.js";
import { createMarkedIssueTracker } from "../src/io/github/issues.js";
import { formatUsd, plural } from "../src/numbers.js";
import {
  DRIFT_ISSUE_LABEL,
  type DriftContext,
  type DriftIssueAction,
  renderDriftLines,
  syncDriftIssues,
} from "../src/report/drift-issue.js";
import type { OverallVerdict } from "../src/report/index.js";
import type { Scrub } from "../src/scrub.js";
import type { ActionInputs, RunnerContext } from "./inputs.js";
import { type Annotation, annotationsOfWarnings } from "./log.js";
import { modelDeps } from "./run.js";

/**
 * `mode: drift` (on `schedule` or `workflow_dispatch`): the checkout is the default branch, whose
 * promptgate.yaml and environments.yaml are the trusted ones; each environment's pins are run and
 * compared with their records on the records branch; one issue per environment and prompt is
 * opened, updated or closed. `promptgate drift --repository` runs the same two core calls.
 */
export interface DriftModeDeps {
  log(message: string): void;
  writeSummary(markdown: string): Promise<void>;
  scrub: Scrub;
  /** The pins' model-alias warnings, on their lines of environments.yaml (else logged). */
  annotate?(annotation: Annotation): void;
}

export interface DriftModeOutcome {
  verdict: OverallVerdict;
  summary: string;
}

export async function runDriftMode(
  inputs: ActionInputs,
  context: RunnerContext,
  deps: DriftModeDeps,
): Promise<DriftModeOutcome> {
  await requireSettingsFile(worktreeSource(inputs.root), inputs.root);
  const repo = await loadRepo(worktreeSource(inputs.root));
  // Before any request: with `lint.model-aliases: error` the boundary annotates the errors and fails.
  const lint = await checkDriftPins(repo, inputs.environments);
  if (lint.errors.length > 0) throw new PromptgateErrors(lint.errors);
  const paths = { workspace: context.workspace, root: inputs.root };
  for (const a of annotationsOfWarnings(lint.warnings, paths)) {
    if (deps.annotate) deps.annotate(a);
    else deps.log(`warning: ${a.file ?? ""}:${a.line ?? ""}: ${a.message}`);
  }
  // Never the response cache: a drift check exists to ask the model again.
  const models = modelDeps({ ...inputs, cacheDir: undefined }, repo.settings, context.proxy);
  const github = createRestClient(inputs.githubToken, context.apiUrl, {
    userAgent: "promptgate-action",
    ...(context.proxy ? { proxy: context.proxy } : {}),
  });
  const limits = {
    ...repo.settings.limits,
    ...(inputs.maxSamples === undefined ? {} : { maxSamples: inputs.maxSamples }),
    ...(inputs.maxOutputTokens === undefined ? {} : { maxOutputTokens: inputs.maxOutputTokens }),
    ...(inputs.maxCost === undefined ? {} : { maxCost: inputs.maxCost }),
  };
  const result = await runDrift({
    repo,
    settings: repo.settings,
    ...(inputs.environments ? { environments: inputs.environments } : {}),
    ...(inputs.suite ? { suite: inputs.suite } : {}),
    ...(inputs.repeats === undefined ? {} : { repeats: inputs.repeats }),
    engine: {
      ...models,
      ...(inputs.concurrency === undefined ? {} : { concurrency: inputs.concurrency }),
    },
    store: createGitHubDriftStore(
      github,
      context.repository,
      deps.scrub,
      inputs.recordsBranch ?? DEFAULT_RECORDS_BRANCH,
    ),
    now: () => new Date(),
    ...(context.runUrl ? { runUrl: context.runUrl } : {}),
    checkTargets: async (targets) => {
      const work = await checkRunLimits(targets, limits, repo.settings.prices);
      deps.log(`planned: ${describeWork(work)}`);
    },
  });
  const driftContext: DriftContext = {
    checkedAt: new Date().toISOString(),
    costUsd: result.costUsd,
    requests: result.requests,
    ...(context.runUrl ? { runUrl: context.runUrl } : {}),
  };
  const actions = await syncDriftIssues(
    result,
    createMarkedIssueTracker(github, context.repository, DRIFT_ISSUE_LABEL),
    driftContext,
  );
  const lines = renderDriftLines(result);
  for (const line of lines) deps.log(deps.scrub(line));
  await deps.writeSummary(deps.scrub(renderDriftSummary(result, actions)));
  return outcomeOf(result, actions);
}

function outcomeOf(result: DriftResult, actions: DriftIssueAction[]): DriftModeOutcome {
  const issueOf = (env: string, prompt: string) => {
    const a = actions.find((x) => x.key.environment === env && x.key.prompt === prompt);
    return a && a.kind !== "none" ? ` (#${a.issue.number})` : "";
  };
  const drops = result.outcomes.filter((o) => o.status === "drop");
  if (drops.length > 0) {
    return {
      verdict: "blocked",
      summary: `quality dropped: ${drops.map((o) => `${o.environment}/${o.prompt}${issueOf(o.environment, o.prompt)}`).join(", ")}`,
    };
  }
  const errored = result.outcomes.filter((o) => o.status === "errors");
  if (errored.length > 0) {
    return {
      verdict: "errors",
      summary: `too many samples errored to compare: ${errored.map((o) => `${o.environment}/${o.prompt}`).join(", ")}`,
    };
  }
  const recorded = result.outcomes.filter(
    (o) => o.status === "baseline" || o.status === "re-baselined",
  ).length;
  return {
    verdict: "pass",
    summary: `no drop in ${plural(result.outcomes.length, "pin")}${recorded ? `; ${recorded} recorded as new baselines` : ""}`,
  };
}

function renderDriftSummary(result: DriftResult, actions: DriftIssueAction[]): string {
  const issues = actions.flatMap((a) =>
    a.kind === "none"
      ? []
      : [`- ${a.key.environment}/${a.key.prompt}: issue #${a.issue.number} ${a.kind}`],
  );
  const { sent, cacheHits, errors } = result.requests;
  return [
    "## promptgate drift",
    "",
    "```",
    ...renderDriftLines(result),
    "```",
    "",
    ...issues,
    ...(issues.length ? [""] : []),
    `${plural(sent, "request")} sent, ${cacheHits} from cache, ${errors} errors; cost ${formatUsd(result.costUsd)}`,
    "",
  ].join("\n");
}
