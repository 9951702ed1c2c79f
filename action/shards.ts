import type { Dirent } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { PromptgateError } from "../src/errors.js";
import { loadRepo } from "../src/formats/repo.js";
import { git, gitRevisionSource, requireFolder } from "../src/io/file-sources.js";
import { writeReports } from "../src/io/write-reports.js";
import { mergeReports, parseReportJson, type Report } from "../src/report/index.js";
import type { Scrub } from "../src/scrub.js";
import type { ActionInputs, RunnerContext } from "./inputs.js";
import {
  type ActionDeps,
  type ActionOutcome,
  type CommentProgress,
  ensureCommit,
  publishReport,
} from "./run.js";

/*
 * Actions matrix shards: a shard job writes its report and posts nothing; the merge job (`mode:
 * merge`) puts the shards' cases back together and publishes them as one diff's report.
 */

/**
 * One shard of a matrix: its report files (the JSON states the shard) for the merge job to
 * download, and a line in the job summary. No comment, no status, and the step passes whatever
 * the shard's partial verdict: only the merged cases say what the pull request did.
 */
export async function writeShardReport(
  report: Report,
  context: RunnerContext,
  deps: ActionDeps & { scrub: Scrub },
): Promise<ActionOutcome> {
  const shard = report.shard!;
  const reportDir = join(context.runnerTemp, "promptgate-report");
  await writeReports(reportDir, report, deps.scrub);
  const cases = report.comparisons.reduce(
    (n, c) => n + c.head.cases.length + (c.base?.cases.length ?? 0),
    0,
  );
  const line = `promptgate shard ${shard.index}/${shard.count}: evaluated ${cases} cases (both sides) of ${report.comparisons.length} of ${shard.plan.length} prompts; the merge job (mode: merge) posts the verdict`;
  deps.log(line);
  await deps.writeSummary(`${line}\n`);
  return {
    verdict: report.verdict.overall,
    summary: line,
    reportDir,
    commentUrl: undefined,
    failed: false,
    artifactName: `promptgate-shard-${shard.index}-of-${shard.count}`,
  };
}

/**
 * `mode: merge`, the job after the matrix: the shards' reports (downloaded under `shard-reports`)
 * merged case by case and compared again (report/merge-shards.ts), then published as one diff's
 * report: one comment, the statuses, the summary, and the step fails on a block.
 */
export async function mergeShards(
  inputs: ActionInputs,
  context: RunnerContext,
  deps: ActionDeps & { scrub: Scrub },
  progress: CommentProgress,
): Promise<ActionOutcome> {
  const { root } = inputs;
  const folder = inputs.shardReports ?? join(context.workspace, "promptgate-shards");
  const files = await findShardReports(folder);
  const names = files.map((f) => relative(folder, f) || f);
  const reports = await Promise.all(
    files.map(async (f, i) => parseReportJson(await readFile(f, "utf8"), names[i] ?? f)),
  );
  const merged = mergeReports(reports, names);
  await requireFolder(root, `${root} (the working-directory input)`);
  // The statuses go on this pull request's commits: shards of another head must not land there.
  await ensureCommit(root, inputs.head, deps);
  const head = (await git(root, ["rev-parse", `${inputs.head}^{commit}`])).trim();
  if (merged.head.sha !== head) {
    throw new PromptgateError(
      "E_CONFIG",
      `the shards evaluated head ${merged.head.sha.slice(0, 7)}, but this job's head is ${head.slice(0, 7)}`,
      { hint: "download the artifacts of this workflow run's matrix only" },
    );
  }
  await ensureCommit(root, merged.base.sha, deps);
  await requireBaseGates(root, merged.base.sha, reports);
  deps.log(`merged ${reports.length} shard reports: ${names.join(", ")}`);
  // The pins' gates were read by each shard as a diff reads them; the merge re-marks the ones
  // this run evaluated.
  deps.log(`${merged.verdict.overall}: ${merged.verdict.reason}`);
  return publishReport(merged, inputs, context, deps, progress, { root, comment: undefined });
}

/**
 * The merge judges with the gates the shard reports state. Those are files any job of the run can
 * write, so they must be the base revision's own (how a run is judged is never the pull
 * request's to decide): a report judged otherwise is refused, not merged.
 */
async function requireBaseGates(
  root: string,
  baseSha: string,
  reports: readonly Report[],
): Promise<void> {
  // mergeReports has checked that every shard states the same gates.
  const stated = reports[0]?.shard?.gates;
  if (!stated) return;
  const base = await loadRepo(await gitRevisionSource(root, baseSha));
  // Compared as JSON states them: an absent gate is a key without a value, not `undefined`.
  const asJson = (g: unknown) => JSON.parse(JSON.stringify(g)) as unknown;
  if (!isDeepStrictEqual(asJson(stated), asJson(base.settings.gates))) {
    throw new PromptgateError(
      "E_CONFIG",
      `the shard reports state gates other than the base's promptgate.yaml (${baseSha.slice(0, 7)}): ${JSON.stringify(stated)}`,
      { hint: "merge only the reports this run's matrix wrote with promptgate's action" },
    );
  }
}

/** Every report.json under `folder`, at any depth (download-artifact puts each in its own). */
async function findShardReports(folder: string): Promise<string[]> {
  let entries: Dirent[];
  try {
    entries = await readdir(folder, { recursive: true, withFileTypes: true, encoding: "utf8" });
  } catch (e) {
    throw new PromptgateError("E_NOT_FOUND", `cannot read the shard reports folder ${folder}`, {
      hint: "download the shards' artifacts there first (actions/download-artifact with pattern: promptgate-shard-*, path: promptgate-shards), or point shard-reports at them",
      cause: e,
    });
  }
  const files = entries
    .filter((e) => e.isFile() && e.name === "report.json")
    .map((e) => join(e.parentPath, e.name))
    .sort();
  if (files.length === 0) {
    throw new PromptgateError("E_NOT_FOUND", `no report.json under ${folder}`, {
      hint: "download the shards' artifacts there first (actions/download-artifact with pattern: promptgate-shard-*, path: promptgate-shards)",
    });
  }
  return files;
}
