import { join } from "node:path";
import type { FileChange } from "../src/compare/change-types.js";
import { preparePullRequestDiff, runPreparedDiff } from "../src/compare/pr-diff.js";
import { passedGate } from "../src/compare/run-diff.js";
import { describeWork } from "../src/compare/run-limits.js";
import type { PromptComparison } from "../src/compare/types.js";
import { checkModelAliases } from "../src/cost/model-aliases.js";
import { describeError, PromptgateError, PromptgateErrors } from "../src/errors.js";
import type { Repo } from "../src/formats/repo.js";
import type { Settings } from "../src/formats/settings.js";
import { describeSuiteCount } from "../src/formats/suites.js";
import { git, requireFolder } from "../src/io/file-sources.js";
import { openDiffSources } from "../src/io/git-changes.js";
import { statusOf as statusOfError } from "../src/io/github/errors.js";
import { findLastChangeInRange as findLastChange } from "../src/io/github/last-change.js";
import { createEngineModels, type EngineModels } from "../src/io/model-stack.js";
import type { ProxySettings } from "../src/io/proxy.js";
import { writeReports } from "../src/io/write-reports.js";
import { formatPercent } from "../src/numbers.js";
import {
  COMMENT_MARKER,
  createReport,
  type OverallVerdict,
  type Report,
  type ReportEnvironmentChange,
  renderComment,
  renderPendingComment,
  renderSummary,
} from "../src/report/index.js";
import { gateContext, modelGateContext } from "../src/rollout/eval-gates.js";
import { createScrubber, type Scrub } from "../src/scrub.js";
import { ActionFailure, renderFailure } from "./failure.js";
import type { CommentStore, GateReader, StatusWriter, StoredComment } from "./github.js";
import type { ActionInputs, FailOn, RunnerContext } from "./inputs.js";
import { type Annotation, annotationsOfWarnings, createProgressLines, toRepoPath } from "./log.js";
import { mergeShards, writeShardReport } from "./shards.js";

/** What the action does to the world, passed in so the flow reads apart from its transports. */
export interface ActionDeps {
  /** Absent outside a pull request or with `comment: false`. */
  comments: CommentStore | undefined;
  statuses: StatusWriter;
  /** Reads the gates of pinned versions this run did not evaluate; absent: they stay unknown. */
  gates?: GateReader;
  writeSummary(markdown: string): Promise<void>;
  log(message: string): void;
  warn(message: string): void;
  /**
   * Takes the run's secrets (the key, the cache secret, the endpoint's password) out of every
   * text on its way out: comments, statuses, the summary, the report files, the log. Default:
   * the scrubber of no named secret (URL userinfo and queries, bearer tokens, `sk-` keys).
   */
  scrub?: Scrub;
  /** A workflow annotation (`::error file=…,line=…::`); absent, gate failures go to `warn`. */
  annotate?(annotation: Annotation): void;
  /** Folds what `body` logs into one group of the Actions log. */
  group?<T>(name: string, body: () => Promise<T>): Promise<T>;
}

export interface ActionOutcome {
  verdict: OverallVerdict;
  summary: string;
  reportDir: string;
  commentUrl: string | undefined;
  /** Whether `fail-on` makes the step fail. */
  failed: boolean;
  /** The upload's artifact name: one per shard of a matrix, `promptgate-report` otherwise. */
  artifactName?: string;
}

/** How far a run got on the pull request, for reporting an error it ends with. */
export interface CommentProgress {
  /** The comment this run wrote (the pending one, then the report). */
  comment: StoredComment | undefined;
  /** Whether the report went to the comment (or could not, with a warning). */
  reported: boolean;
}

/**
 * A pull request's evaluation, start to finish: the pending comment, base vs head, the same
 * comment edited into the report, the job summary, the report files, one status per prompt.
 *
 * An error ends it as an ActionFailure, once the error is shown in the comment (in place of
 * "⏳ evaluating…" or an earlier run's verdict) and in the job summary: a pull request must never
 * be left saying it is being evaluated, or showing a verdict for a run that failed.
 */
export async function runAction(
  inputs: ActionInputs,
  context: RunnerContext,
  deps: ActionDeps,
): Promise<ActionOutcome> {
  const progress: CommentProgress = { comment: undefined, reported: false };
  // A shard of a matrix posts nothing: the merge job posts the one comment and the statuses.
  const safe = scrubbing(inputs.shard ? { ...deps, comments: undefined } : deps);
  try {
    if (inputs.mode === "merge") return await mergeShards(inputs, context, safe, progress);
    return await evaluate(inputs, context, safe, progress);
  } catch (e) {
    throw await reportFailure(e, context, safe, progress);
  }
}

/**
 * Every writer of `deps` behind the one scrubber, so no path out of the run (the report, the
 * error shown in place of it, a warning) can forget it.
 */
function scrubbing(deps: ActionDeps): ActionDeps & { scrub: Scrub } {
  const scrub = deps.scrub ?? createScrubber();
  const store = deps.comments;
  return {
    ...deps,
    scrub,
    comments: store && {
      find: (marker) => store.find(marker),
      create: (body) => store.create(scrub(body)),
      update: (id, body) => store.update(id, scrub(body)),
    },
    statuses: {
      post: (status) => deps.statuses.post({ ...status, description: scrub(status.description) }),
    },
    writeSummary: (markdown) => deps.writeSummary(scrub(markdown)),
    log: (message) => deps.log(scrub(message)),
    warn: (message) => deps.warn(scrub(message)),
  };
}

async function evaluate(
  inputs: ActionInputs,
  context: RunnerContext,
  deps: ActionDeps & { scrub: Scrub },
  progress: CommentProgress,
): Promise<ActionOutcome> {
  const { root } = inputs;
  const folder = `${root} (the working-directory input)`;
  await requireFolder(root, folder);
  await ensureCommit(root, inputs.base, deps);
  // A fork's head is not in the base repository's branches: GitHub keeps it as refs/pull/N/head.
  const pr = context.pullRequest;
  await ensureCommit(root, inputs.head, deps, pr ? `refs/pull/${pr.number}/head` : undefined);
  const { sources, baseSha, headSha } = await openDiffSources(root, inputs.base, inputs.head);
  const prepared = await preparePullRequestDiff({
    sources,
    folder,
    inputs: {
      baseUrl: inputs.openaiBaseUrl,
      concurrency: inputs.concurrency,
      maxSamples: inputs.maxSamples,
      maxOutputTokens: inputs.maxOutputTokens,
      maxCost: inputs.maxCost,
    },
    ...(inputs.repeats === undefined ? {} : { repeats: inputs.repeats }),
    ...(inputs.suite === undefined ? {} : { suite: inputs.suite }),
    ...(inputs.shard ? { shard: inputs.shard } : {}),
    createEngine: (settings) => modelDeps(inputs, settings, context.proxy),
  });
  await lintModelAliases(prepared, sources.changedFiles, inputs, context, deps);
  const planned = prepared.pairs.length;
  if (prepared.suite) deps.log(describeSuiteCount(prepared.suite));
  if (planned > 0) deps.log(`planned: ${describeWork(prepared.work)}`);
  const comments = deps.comments;
  let comment: StoredComment | undefined;
  if (comments && planned > 0) {
    const pending = renderPendingComment(planned, prepared.samples, {
      runUrl: context.runUrl,
      adaptive: prepared.adaptive,
    });
    comment = await tolerate(deps, "post the pending comment", () =>
      upsertComment(comments, pending),
    );
    progress.comment = comment;
  }

  // A long eval must not leave the log silent: progress lines, folded in a group.
  const group = deps.group ?? ((_name, body) => body());
  const diff = await group(`promptgate: evaluating ${planned} prompts`, () =>
    runPreparedDiff(prepared, { onProgress: createProgressLines(deps.log) }),
  );
  const environmentChanges = await readPinGates(
    diff.environmentChanges,
    deps,
    headSha,
    prepared.head.settings.paths.prompts,
    prepared.settings.rollout.gateCreator,
  );
  const report = createReport({
    generatedAt: new Date().toISOString(),
    repository: `${context.repository.owner}/${context.repository.repo}`,
    serverUrl: context.serverUrl,
    runUrl: context.runUrl,
    base: { ref: inputs.base, sha: baseSha },
    head: { ref: inputs.head, sha: headSha },
    ...diff,
    environmentChanges,
  });
  deps.log(`${report.verdict.overall}: ${report.verdict.reason}`);
  if (inputs.shard) return writeShardReport(report, context, deps);
  return publishReport(report, inputs, context, deps, progress, { root, comment });
}

/**
 * A report on the pull request: the comment (edited from the pending one when there is one), the
 * job summary, the report files, one status per prompt, the annotations and the step's outcome.
 * A diff's own report, or the merge of a matrix's shards.
 */
export async function publishReport(
  report: Report,
  inputs: ActionInputs,
  context: RunnerContext,
  deps: ActionDeps & { scrub: Scrub },
  progress: CommentProgress,
  at: { root: string; comment: StoredComment | undefined },
): Promise<ActionOutcome> {
  const { root } = at;
  const baseSha = report.base.sha;
  const headSha = report.head.sha;
  const diff = { comparisons: report.comparisons, changes: report.changes };
  const comments = deps.comments;
  let comment = at.comment;

  if (comments) {
    // With nothing evaluated, only an earlier run's comment is corrected; no new comment is added.
    const body = renderComment(report, linkOptions(inputs));
    comment = await tolerate(deps, "update the comment", async () => {
      if (comment) return comments.update(comment.id, body);
      // An edit of environments.yaml alone is still worth a comment: the pins and their gates.
      if (report.comparisons.length > 0 || report.environmentChanges.length > 0) {
        return upsertComment(comments, body);
      }
      const existing = await comments.find(COMMENT_MARKER);
      return existing ? comments.update(existing.id, body) : undefined;
    });
    progress.comment = comment;
  }
  progress.reported = true;
  if (comment?.url) deps.log(`the pull request comment: ${comment.url}`);

  await deps.writeSummary(renderSummary(report, linkOptions(inputs)));
  const reportDir = join(context.runnerTemp, "promptgate-report");
  await writeReports(reportDir, report, deps.scrub);

  const statusSha = context.pullRequest?.headSha || headSha;
  for (const [i, c] of diff.comparisons.entries()) {
    // A model swap judges the version on another model, not the version: its status stays on
    // the pull request under a context of its own, so it never becomes the version's gate.
    const swap = diff.changes[i]?.kind === "model-swap";
    // The head commit shows the gate on the pull request; `/promote` reads it on the commit that
    // last changed the version's file (a merge keeps that commit), another one when the pull
    // request has several commits. A squash loses both: the bot then asks the pull request.
    const changed = swap ? undefined : await findLastChange(root, baseSha, headSha, c.head.file);
    const shas = new Set([statusSha, ...(changed ? [changed] : [])]);
    const gate = gateContext(c.prompt, c.head.version);
    for (const sha of shas) {
      await tolerate(deps, `post the status of ${c.prompt}@${c.head.version}`, () =>
        deps.statuses.post({
          sha,
          state: passedGate(c) ? "success" : "failure",
          context: swap ? modelGateContext(c.prompt, c.head.version, c.head.model) : gate,
          description: describeStatus(c),
          ...(context.runUrl ? { targetUrl: context.runUrl } : {}),
        }),
      );
    }
  }

  const failed = failsStep(report.verdict.overall, inputs.failOn);
  annotateGates(diff.comparisons, inputs, context, deps, failed);
  if (!failed && report.verdict.overall !== "pass") {
    // The step passes by the workflow's choice; the block must still be seen in the run's list.
    deps.warn(
      `promptgate ${report.verdict.overall}: ${report.verdict.reason} (fail-on: ${inputs.failOn}, so the step passes)`,
    );
  }

  return {
    verdict: report.verdict.overall,
    summary: report.verdict.reason,
    reportDir,
    commentUrl: comment?.url,
    failed,
  };
}

/**
 * The model-alias lint of the files this pull request changes (a prompt's latest version, a pin),
 * by the base's `lint.model-aliases`: warnings as annotations on their `model:` lines; with
 * `error`, the run stops there and the located errors are annotated by the action's boundary.
 */
async function lintModelAliases(
  prepared: { head: Repo; settings: Settings },
  changedFiles: readonly FileChange[],
  inputs: ActionInputs,
  context: RunnerContext,
  deps: ActionDeps,
): Promise<void> {
  const changed = new Set(changedFiles.filter((f) => f.status !== "deleted").map((f) => f.path));
  const lint = await checkModelAliases(prepared.head, prepared.settings.lint.modelAliases, changed);
  if (lint.errors.length > 0) throw new PromptgateErrors(lint.errors);
  const paths = { workspace: context.workspace, root: inputs.root };
  for (const a of annotationsOfWarnings(lint.warnings, paths)) {
    if (deps.annotate) deps.annotate(a);
    else deps.warn(`${a.file ?? ""}:${a.line ?? ""}: ${a.message}`);
  }
}

/**
 * Each failed gate as an annotation on the prompt's file, so it shows on the pull request's diff
 * beside the version that failed: an error when the step fails, a warning when it does not.
 */
function annotateGates(
  comparisons: readonly PromptComparison[],
  inputs: ActionInputs,
  context: RunnerContext,
  deps: ActionDeps,
  failed: boolean,
): void {
  for (const c of comparisons) {
    for (const g of c.gates) {
      if (g.status !== "fail") continue;
      const title = `promptgate: ${c.prompt}@${c.head.version} blocked by ${g.gate}`;
      if (!deps.annotate) {
        deps.warn(`${title}: ${g.message}`);
        continue;
      }
      deps.annotate({
        level: failed ? "error" : "warning",
        title,
        message: g.message,
        file: toRepoPath(context.workspace, inputs.root, c.head.file),
        line: 1,
        col: 1,
      });
    }
  }
}

export function failsStep(verdict: OverallVerdict, failOn: FailOn): boolean {
  switch (failOn) {
    case "never":
      return false;
    case "blocked":
      return verdict !== "pass";
    case "errors":
      return verdict === "errors";
  }
}

async function upsertComment(comments: CommentStore, body: string): Promise<StoredComment> {
  const existing = await comments.find(COMMENT_MARKER);
  return existing ? comments.update(existing.id, body) : comments.create(body);
}

/**
 * A pull request from a fork gets a read-only GITHUB_TOKEN: GitHub answers 403. The verdict still
 * reaches the job summary, the report files and the exit code, so a refused write is a warning.
 */
async function tolerate<T>(
  deps: ActionDeps,
  what: string,
  write: () => Promise<T>,
): Promise<T | undefined> {
  try {
    return await write();
  } catch (e) {
    if (statusOfError(e) !== 403) throw e;
    deps.warn(
      `could not ${what}: GitHub refused (403). Give the job \`permissions: pull-requests: write, statuses: write\`; pull requests from forks get a read-only token.`,
    );
    return undefined;
  }
}

/**
 * Shows the error that ended the run in the comment and the job summary, as far as GitHub lets it
 * (a fork's read-only token gets 403: a warning). Nothing here may hide the error itself.
 */
async function reportFailure(
  error: unknown,
  context: RunnerContext,
  deps: ActionDeps & { scrub: Scrub },
  progress: CommentProgress,
): Promise<ActionFailure> {
  const runUrl = context.runUrl;
  // Once the report is in the comment, it stays: it is right, the error came after it.
  let commentUrl = progress.reported ? progress.comment?.url : undefined;
  const comments = deps.comments;
  if (comments && !progress.reported) {
    const body = renderFailure(error, { marker: true, runUrl, scrub: deps.scrub });
    try {
      const written = await tolerate(
        deps,
        "show the error in the pull request comment",
        async () => {
          // The pending comment or an earlier run's; with neither, the failed check says it all,
          // except for a run refused over its limits: the author has to change the pull request.
          const target = progress.comment ?? (await comments.find(COMMENT_MARKER));
          if (target) return comments.update(target.id, body);
          return isOverLimits(error) ? comments.create(body) : undefined;
        },
      );
      commentUrl = written?.url;
    } catch (e) {
      deps.warn(`could not show the error in the pull request comment: ${describeError(e)}`);
    }
  }
  try {
    await deps.writeSummary(renderFailure(error, { marker: false, runUrl, scrub: deps.scrub }));
  } catch (e) {
    deps.warn(`could not write the job summary: ${describeError(e)}`);
  }
  return new ActionFailure(error, commentUrl);
}

/** A run refused by `limits:` (not a file over a size limit, which is located). */
function isOverLimits(error: unknown): boolean {
  return error instanceof PromptgateError && error.code === "E_LIMIT" && !error.location;
}

/** The case links of the comment and the summary, when report.html is published somewhere. */
function linkOptions(inputs: ActionInputs): { reportHtmlUrl?: string } {
  return inputs.reportHtmlUrl ? { reportHtmlUrl: inputs.reportHtmlUrl } : {};
}

/** `\${{ … }}` is escaped: it is the workflow expression to write, not a placeholder. */
const MISSING_KEY_HINT =
  `the openai-api-key input is empty: pass \`openai-api-key: \${{ secrets.OPENAI_API_KEY }}\` to the action, or \`openai-base-url\` for a local server; ` +
  "a pull request from a fork gets no secrets: push its branch to this repository to evaluate it";

/**
 * The model endpoint's dependencies, built before anything is posted on the pull request, so a
 * run without a key fails first; the hint speaks of the action's inputs, not of shell variables.
 */
export function modelDeps(
  inputs: ActionInputs,
  settings: Settings,
  proxy: ProxySettings | undefined,
): EngineModels {
  return createEngineModels(
    inputs.root,
    settings,
    {
      cacheDir: inputs.cacheDir,
      noCache: inputs.cacheDir === undefined,
      missingKeyHint: MISSING_KEY_HINT,
    },
    {
      OPENAI_API_KEY: inputs.openaiApiKey,
      OPENAI_BASE_URL: inputs.openaiBaseUrl,
      PROMPTGATE_CACHE_SECRET: inputs.cacheSecret,
      // The runner's proxy, unlike the job's OPENAI_* variables, applies to the action too.
      HTTP_PROXY: proxy?.httpProxy,
      HTTPS_PROXY: proxy?.httpsProxy,
      NO_PROXY: proxy?.noProxy,
    },
  );
}

function describeStatus(c: PromptComparison): string {
  const rates = c.base
    ? `pass rate ${formatPercent(c.basePassRate)} → ${formatPercent(c.headPassRate)}`
    : `pass rate ${formatPercent(c.headPassRate)}`;
  const failed = c.gates.filter((g) => g.status === "fail").map((g) => g.gate);
  return failed.length > 0 ? `blocked by ${failed.join(", ")}; ${rates}` : `passed; ${rates}`;
}

/**
 * A pin of a version this run did not evaluate (one already on the base branch) shows the gate
 * the bot will check before promoting it: its status on the commit that added it. Fail closed:
 * only a success passes; a failure to read leaves it unknown, with a warning.
 */
async function readPinGates(
  changes: ReportEnvironmentChange[],
  deps: ActionDeps,
  headSha: string,
  promptsDir: string,
  trustedCreator: string,
): Promise<ReportEnvironmentChange[]> {
  const unknown = changes.flatMap((c) =>
    c.kind === "pin" && c.needsGate && c.after && c.gatePassed === null
      ? [{ prompt: c.prompt, version: c.after.version }]
      : [],
  );
  const reader = deps.gates;
  if (!reader || unknown.length === 0) return changes;
  let states: Record<string, string>;
  try {
    states = await reader.read(headSha, promptsDir, unknown, trustedCreator);
  } catch (e) {
    // Showing the gate is a courtesy to the reviewer; the bot checks it again before promoting.
    deps.warn(`could not read the gates of the newly pinned versions: ${(e as Error).message}`);
    return changes;
  }
  return changes.map((c) => {
    if (c.kind !== "pin" || c.gatePassed !== null || !c.after) return c;
    const state = states[`${c.prompt}@${c.after.version}`];
    return state === undefined ? c : { ...c, gatePassed: state === "success" };
  });
}

/**
 * actions/checkout fetches one commit by default; the base then is not there. Fetching it (with
 * its history, for the merge-base) saves the user a `fetch-depth: 0` they may have forgotten.
 * A pull request's head from a fork is on no branch of this repository: `pullRef`
 * (refs/pull/N/head) is fetched first. Only git objects are fetched; nothing is checked out.
 */
export async function ensureCommit(
  root: string,
  ref: string,
  deps: ActionDeps,
  pullRef?: string,
): Promise<void> {
  const present = () =>
    git(root, ["cat-file", "-e", `${ref}^{commit}`]).then(
      () => true,
      () => false,
    );
  if (await present()) return;
  deps.log(`fetching ${ref} from origin (use actions/checkout with fetch-depth: 0 to skip this)`);
  const shallow = (await git(root, ["rev-parse", "--is-shallow-repository"])).trim() === "true";
  const fetch = (what: string) =>
    git(root, ["fetch", "--no-tags", ...(shallow ? ["--unshallow"] : []), "origin", what]);
  if (pullRef) {
    // The pull request may have moved on since; then its sha itself is asked for below.
    await fetch(pullRef).catch(() => undefined);
    if (await present()) return;
  }
  await fetch(ref);
}
