import { join } from "node:path";
import { detectChanges } from "../src/compare/changes.js";
import {
  type DiffInput,
  markPinGates,
  passedGate,
  planTargets,
  runDiff,
} from "../src/compare/run-diff.js";
import type { PromptComparison } from "../src/compare/types.js";
import { PromptgateErrors } from "../src/errors.js";
import { formatPercent } from "../src/format.js";
import { loadRepo } from "../src/formats/repo.js";
import { git, gitRevisionSource } from "../src/io/file-sources.js";
import { listChangedFiles } from "../src/io/git-changes.js";
import { createModelStack } from "../src/io/model-stack.js";
import { writeReports } from "../src/io/write-reports.js";
import {
  COMMENT_MARKER,
  createReport,
  describeSettings,
  type OverallVerdict,
  type ReportEnvironmentChange,
  renderComment,
  renderPendingComment,
  renderSummary,
} from "../src/report/index.js";
import { gateContext } from "../src/rollout/plan.js";
import type { CommentStore, GateReader, StatusWriter, StoredComment } from "./github.js";
import type { ActionInputs, FailOn, RunnerContext } from "./inputs.js";

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
}

export interface ActionOutcome {
  verdict: OverallVerdict;
  summary: string;
  reportDir: string;
  commentUrl: string | undefined;
  /** Whether `fail-on` makes the step fail. */
  failed: boolean;
}

/**
 * A pull request's evaluation, start to finish: the pending comment, base vs head, the same
 * comment edited into the report, the job summary, the report files, one status per prompt.
 */
export async function runAction(
  inputs: ActionInputs,
  context: RunnerContext,
  deps: ActionDeps,
): Promise<ActionOutcome> {
  const { root } = inputs;
  await ensureCommit(root, inputs.base, deps);
  const [baseSha, headSha] = await Promise.all([
    revParse(root, inputs.base),
    revParse(root, inputs.head),
  ]);
  const [baseSource, headSource, changedFiles] = await Promise.all([
    gitRevisionSource(root, baseSha),
    gitRevisionSource(root, headSha),
    listChangedFiles(root, baseSha, headSha),
  ]);
  const [base, head] = await Promise.all([loadRepo(baseSource), loadRepo(headSource)]);
  const changes = detectChanges({ base, head, changedFiles });
  // A live version edited, or a pinned one deleted, must not merge: no eval can make it right.
  if (changes.errors.length > 0) throw new PromptgateErrors(changes.errors);

  const diffInput: DiffInput = { base, head, changes, repeats: inputs.repeats };
  const planned = planTargets(diffInput);
  const comments = deps.comments;
  let comment: StoredComment | undefined;
  if (comments && planned.length > 0) {
    const samples = planned.reduce(
      (n, p) => n + p.head.goldenSet.set.cases.length * p.head.repeats * (p.base === null ? 1 : 2),
      0,
    );
    const pending = renderPendingComment(planned.length, samples, { runUrl: context.runUrl });
    comment = await tolerate(deps, "post the pending comment", () =>
      upsertComment(comments, pending),
    );
  }

  const started = performance.now();
  const result =
    planned.length === 0
      ? undefined
      : await runDiff(diffInput, {
          ...modelDeps(inputs, head.settings),
          onProgress: () => {},
        });
  const environmentChanges = await readPinGates(
    markPinGates(changes, result?.comparisons ?? []),
    deps,
    headSha,
    head.settings.paths.prompts,
  );
  const report = createReport({
    generatedAt: new Date().toISOString(),
    repository: `${context.repository.owner}/${context.repository.repo}`,
    serverUrl: context.serverUrl,
    runUrl: context.runUrl,
    base: { ref: inputs.base, sha: baseSha },
    head: { ref: inputs.head, sha: headSha },
    comparisons: result?.comparisons ?? [],
    changes: result?.changes ?? [],
    environmentChanges,
    notices: changes.notices,
    settings: describeSettings(base.settings, head.settings, result),
    wallMs: performance.now() - started,
  });
  deps.log(`${report.verdict.overall}: ${report.verdict.reason}`);

  if (comments) {
    // With nothing evaluated, only an earlier run's comment is corrected; no new comment is added.
    const body = renderComment(report);
    comment = await tolerate(deps, "update the comment", async () => {
      if (comment) return comments.update(comment.id, body);
      // An edit of environments.yaml alone is still worth a comment: the pins and their gates.
      if (report.comparisons.length > 0 || report.environmentChanges.length > 0) {
        return upsertComment(comments, body);
      }
      const existing = await comments.find(COMMENT_MARKER);
      return existing ? comments.update(existing.id, body) : undefined;
    });
  }

  await deps.writeSummary(renderSummary(report));
  const reportDir = join(context.runnerTemp, "promptgate-report");
  await writeReports(reportDir, report);

  const statusSha = context.pullRequest?.headSha || headSha;
  for (const c of report.comparisons) {
    // The head commit shows the gate on the pull request; `/promote` reads it on the commit that
    // added the version's file, which is another one when the pull request has several commits.
    const introduced = await findIntroducingCommit(root, baseSha, headSha, c.head.file);
    const shas = new Set([statusSha, ...(introduced ? [introduced] : [])]);
    for (const sha of shas) {
      await tolerate(deps, `post the status of ${c.prompt}@${c.head.version}`, () =>
        deps.statuses.post({
          sha,
          state: passedGate(c) ? "success" : "failure",
          context: gateContext(c.prompt, c.head.version),
          description: describeStatus(c),
          ...(context.runUrl ? { targetUrl: context.runUrl } : {}),
        }),
      );
    }
  }

  return {
    verdict: report.verdict.overall,
    summary: report.verdict.reason,
    reportDir,
    commentUrl: comment?.url,
    failed: failsStep(report.verdict.overall, inputs.failOn),
  };
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
    const status = (e as { status?: unknown } | null)?.status;
    if (status !== 403) throw e;
    deps.warn(
      `could not ${what}: GitHub refused (403). Give the job \`permissions: pull-requests: write, statuses: write\`; pull requests from forks get a read-only token.`,
    );
    return undefined;
  }
}

function modelDeps(inputs: ActionInputs, settings: DiffInput["head"]["settings"]) {
  const env: Record<string, string | undefined> = {
    OPENAI_API_KEY: inputs.openaiApiKey,
    OPENAI_BASE_URL: inputs.openaiBaseUrl,
  };
  const stack = createModelStack(
    inputs.root,
    settings,
    { cacheDir: inputs.cacheDir, noCache: inputs.cacheDir === undefined },
    env,
  );
  return {
    chat: stack.chat,
    embeddings: stack.embeddings,
    judgeModel: settings.judge?.model,
    embeddingModel: settings.embeddings?.model ?? "text-embedding-3-small",
    prices: settings.prices,
    concurrency: inputs.concurrency ?? settings.provider.concurrency,
  };
}

function describeStatus(c: PromptComparison): string {
  const rates = c.base
    ? `pass rate ${formatPercent(c.basePassRate)} → ${formatPercent(c.headPassRate)}`
    : `pass rate ${formatPercent(c.headPassRate)}`;
  const failed = c.gates.filter((g) => g.status === "fail").map((g) => g.gate);
  return failed.length > 0 ? `blocked by ${failed.join(", ")}; ${rates}` : `passed; ${rates}`;
}

/** Whether a newly pinned version passed its gate, when this run evaluated it (null otherwise). */
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
    states = await reader.read(headSha, promptsDir, unknown);
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
 */
async function ensureCommit(root: string, ref: string, deps: ActionDeps): Promise<void> {
  const present = await git(root, ["cat-file", "-e", `${ref}^{commit}`]).then(
    () => true,
    () => false,
  );
  if (present) return;
  deps.log(`fetching ${ref} from origin (use actions/checkout with fetch-depth: 0 to skip this)`);
  const shallow = (await git(root, ["rev-parse", "--is-shallow-repository"])).trim() === "true";
  await git(root, ["fetch", "--no-tags", ...(shallow ? ["--unshallow"] : []), "origin", ref]);
}

/** The oldest commit of the change that added `file` (a path relative to `root`). */
async function findIntroducingCommit(
  root: string,
  baseSha: string,
  headSha: string,
  file: string,
): Promise<string | undefined> {
  const out = await git(root, [
    "--literal-pathspecs",
    "log",
    "--format=%H",
    "--diff-filter=A",
    `${baseSha}..${headSha}`,
    "--",
    file,
  ]);
  return out.trim().split("\n").filter(Boolean).at(-1);
}

async function revParse(root: string, ref: string): Promise<string> {
  return (await git(root, ["rev-parse", "--verify", `${ref}^{commit}`])).trim();
}
