import type { ChangeKind, PromptChange, ReportEnvironmentChange } from "../compare/change-types.js";
import { provenSmallChange } from "../compare/compare-runs.js";
import type { ShardInfo } from "../compare/shards.js";
import type { PromptComparison } from "../compare/types.js";
import type { SuiteCount } from "../formats/suites.js";
import {
  formatInterval,
  formatPercent,
  formatPoints,
  formatPointsChange,
  formatPointsSize,
  formatSignedPercent,
} from "../numbers.js";
import { buildHeadline } from "./headline.js";

// Produced by the comparison, shown by the report: readers of the report model find them here too.
export type {
  ChangeKind,
  PromptChange,
  ReportEnvironmentChange,
} from "../compare/change-types.js";

/**
 * The one data structure every report output is rendered from: the PR comment, the job summary,
 * the HTML file and the JSON file (whose schema is documented in docs/report-schema.md). Plain
 * serialisable data only, so that JSON round-trips it exactly and shards can be merged.
 */
export const REPORT_SCHEMA = "promptgate/report@1" as const;

export type OverallVerdict = "pass" | "blocked" | "errors";

export interface Revision {
  /** Branch, tag or "worktree". */
  ref: string;
  sha: string;
}

const CHANGE_LABELS: Record<ChangeKind, string> = {
  "new-version": "new version",
  "edited-draft": "draft edited",
  "golden-set": "golden set edited",
  "new-prompt": "new prompt",
  "model-swap": "model swap",
  deleted: "deleted",
  renamed: "renamed",
};

export function describeChangeKind(kind: ChangeKind): string {
  return CHANGE_LABELS[kind];
}

/** Something the reviewer should know that was not evaluated (from change detection). */
export interface ReportNotice {
  /** Open set on purpose: newer producers may add kinds that older readers only display. */
  kind: string;
  message: string;
  prompt?: string;
  file?: string;
}

export interface ReportSettings {
  repeats: number | "auto";
  maxRepeats?: number;
  /** Every model that answered, both sides. */
  models: string[];
  judge?: string;
  confidence: number;
  maxRegression: number;
  baseline?: string;
  /** The suite that ran (`--suite`/`suite:`): its name, its cases, and the golden sets' cases. */
  suite?: SuiteCount;
}

export interface ReportTotals {
  samples: number;
  cacheHits: number;
  /**
   * Samples whose request was sent by this run (answered or errored), the rest came from the
   * cache: how much of the run a warm cache (the default branch's, for the base side) saved.
   */
  newRequests: number;
  /** Wall time of the evaluation; after a merge, the sum over shards. */
  wallMs: number;
  errors: number;
  /** What the evaluation itself cost; null when any sample's price is unknown. */
  costUsd: number | null;
  /** 1 for a single run; the number of merged shards otherwise. */
  shards: number;
}

export interface Report {
  schema: typeof REPORT_SCHEMA;
  /** ISO 8601. */
  generatedAt: string;
  /** "owner/name". */
  repository?: string;
  /** For commit links, e.g. a GitHub Enterprise host; https://github.com when absent. */
  serverUrl?: string;
  base: Revision;
  head: Revision;
  runUrl?: string;
  comparisons: PromptComparison[];
  changes: PromptChange[];
  environmentChanges: ReportEnvironmentChange[];
  notices: ReportNotice[];
  settings: ReportSettings;
  totals: ReportTotals;
  verdict: { overall: OverallVerdict; reason: string };
  /**
   * Set only on one shard's report (`shard: i/n`): which shard, the gates it ran with and the
   * whole run's plan. Its comparisons cover this shard's cases only: merge the shards before
   * reading a verdict off them.
   */
  shard?: ShardInfo;
}

/** What `createReport` is given: the report's own fields less what it works out (totals, verdict). */
export type ReportInput = Pick<
  Report,
  "generatedAt" | "repository" | "serverUrl" | "base" | "head" | "runUrl" | "comparisons"
> &
  Partial<Pick<Report, "changes" | "environmentChanges" | "notices" | "shard">> & {
    settings: Omit<ReportSettings, "models"> & { models?: string[] };
    wallMs: number;
  };

export { describeSettings } from "../compare/run-settings.js";

/** Builds a report: totals and the overall verdict are derived, never passed in, so they agree. */
export function createReport(input: ReportInput): Report {
  const report: Report = {
    schema: REPORT_SCHEMA,
    generatedAt: input.generatedAt,
    base: input.base,
    head: input.head,
    comparisons: input.comparisons,
    changes: input.changes ?? [],
    environmentChanges: input.environmentChanges ?? [],
    notices: input.notices ?? [],
    settings: {
      ...input.settings,
      models: input.settings.models ?? listModels(input.comparisons),
    },
    totals: { ...sumRuns(input.comparisons), wallMs: input.wallMs, shards: 1 },
    verdict: decideVerdict(input.comparisons),
  };
  if (input.repository !== undefined) report.repository = input.repository;
  if (input.serverUrl !== undefined) report.serverUrl = input.serverUrl;
  if (input.runUrl !== undefined) report.runUrl = input.runUrl;
  if (input.shard !== undefined) report.shard = input.shard;
  return report;
}

export function listModels(comparisons: readonly PromptComparison[]): string[] {
  const models = new Set<string>();
  for (const c of comparisons) {
    if (c.base) models.add(c.base.model);
    models.add(c.head.model);
  }
  return [...models].sort();
}

function sumRuns(
  comparisons: readonly PromptComparison[],
): Omit<ReportTotals, "wallMs" | "shards"> {
  let samples = 0;
  let cacheHits = 0;
  let newRequests = 0;
  let errors = 0;
  let costUsd: number | null = 0;
  for (const c of comparisons) {
    for (const run of c.base ? [c.base, c.head] : [c.head]) {
      samples += run.totals.samples;
      cacheHits += run.totals.cacheHits;
      errors += run.totals.errors;
      // What this run spent: an answer read from the cache was paid for by an earlier run.
      for (const k of run.cases) {
        for (const s of k.samples) {
          // A prompt that could not be rendered never reached the endpoint.
          if (s.kind === "ok" ? !s.cached : s.error.kind !== "render") newRequests++;
          if (s.kind !== "ok" || s.cached || costUsd === null) continue;
          costUsd = s.costUsd === null ? null : costUsd + s.costUsd;
        }
      }
    }
  }
  return { samples, cacheHits, newRequests, errors, costUsd };
}

// ---------------------------------------------------------------------------------------------
// The overall verdict and its one-line reason (the headline, bounded by buildHeadline).

export function decideVerdict(comparisons: readonly PromptComparison[]): Report["verdict"] {
  if (comparisons.length === 0) return { overall: "pass", reason: "no changed prompt to evaluate" };
  const blocked = comparisons.filter(isBlocked);
  if (blocked.length > 0) {
    // Lead with the regression a reviewer most needs to see: a significant drop, the largest first.
    const lead = [...blocked].sort(compareSeverity)[0]!;
    return {
      overall: "blocked",
      reason: buildHeadline(describeBlock(lead), blocked.length - 1, "blocked"),
    };
  }
  const errored = comparisons.filter((c) => c.verdict === "errors" || c.blocked);
  if (errored.length > 0) {
    const lead = errored[0]!;
    const e = countErrors(lead);
    const why = `${lead.prompt}: ${e.errored} of ${e.total} samples errored${e.label ? ` (${e.label})` : ""}; no verdict`;
    return { overall: "errors", reason: buildHeadline(why, errored.length - 1, "with errors") };
  }
  const better = comparisons
    .filter((c) => c.verdict === "better")
    .sort((a, b) => (b.delta ?? 0) - (a.delta ?? 0));
  const lead = better[0] ?? comparisons[0]!;
  return {
    overall: "pass",
    reason: buildHeadline(describeMove(lead), comparisons.length - 1, "pass"),
  };
}

/**
 * Blocked by a gate about quality or cost. A prompt held back only by its error rate has no
 * verdict at all: it reads "⚠️ errors", not "❌ blocked", and is never a pass either.
 */
export function isBlocked(c: PromptComparison): boolean {
  if (!c.blocked) return false;
  const failed = c.gates.filter((g) => g.status === "fail");
  return failed.length === 0 || failed.some((g) => g.gate !== "errors");
}

function compareSeverity(a: PromptComparison, b: PromptComparison): number {
  const rank = (c: PromptComparison) =>
    c.verdict === "worse" ? 0 : c.verdict === "errors" ? 2 : 1;
  return rank(a) - rank(b) || (a.delta ?? 0) - (b.delta ?? 0);
}

function describeBlock(c: PromptComparison): string {
  if (c.verdict === "worse" && c.delta !== null) return describeMove(c);
  const failed = c.gates.find((g) => g.status === "fail");
  const why = failed ? failed.message : "a gate failed";
  return `${versionLabel(c)}: ${why}${costSuffix(c)}`;
}

/** "support-answer v4 → v5 regresses 6.7 pts (95% CI −11.0 to −2.4); cost +12%" */
function describeMove(c: PromptComparison): string {
  const name = versionLabel(c);
  if (c.base === null) {
    const rate = c.headPassRate === null ? "no result" : `passes ${formatPercent(c.headPassRate)}`;
    return `${name} is new, ${rate}${costSuffix(c)}`;
  }
  if (c.delta === null) return `${name}: no paired cases to compare${costSuffix(c)}`;
  const ci = c.interval ? ` (${formatInterval(c.interval)})` : "";
  const size = formatPointsSize(Math.abs(c.delta));
  switch (c.verdict) {
    case "worse":
      return `${name} regresses ${size}${ci}${costSuffix(c)}`;
    case "better":
      return `${name} improves ${size}${ci}${costSuffix(c)}`;
    default: {
      const small = provenSmallChange(c);
      if (small === "worse") {
        const allowance = formatPoints(c.maxRegression ?? 0).replace(/\.0$/, "");
        return `${name} worse by ${size}, within the ${allowance}-pt allowance${ci}${costSuffix(c)}`;
      }
      if (small === "better") return `${name} slightly better, +${size}${ci}${costSuffix(c)}`;
      return `${name} within noise (Δ ${formatPointsChange(c.delta)}${ci})${costSuffix(c)}`;
    }
  }
}

function costSuffix(c: PromptComparison): string {
  if (c.base === null) return "";
  if (c.cost.base.perRequestUsd === null || c.cost.head.perRequestUsd === null)
    return "; cost unknown";
  if (c.cost.relative === null || Math.abs(c.cost.relative) < 0.005) return "";
  return `; cost ${formatSignedPercent(c.cost.relative)}`;
}

export function versionLabel(c: PromptComparison): string {
  if (c.base === null) return `${c.prompt} ${c.head.version}`;
  if (c.base.version === c.head.version) return `${c.prompt} ${c.head.version}`;
  return `${c.prompt} ${c.base.version} → ${c.head.version}`;
}

// ---------------------------------------------------------------------------------------------
// Errors: counted from the samples themselves, with their causes, so none is ever hidden.

const ERROR_LABELS: Record<string, string> = {
  "rate-limit": "429 after retries",
  server: "5xx after retries",
  timeout: "timeout",
  connection: "connection failed",
  "bad-response": "malformed response",
  client: "request rejected (4xx)",
  render: "prompt could not be rendered",
};

export interface ErrorCount {
  errored: number;
  total: number;
  byKind: { kind: string; count: number }[];
  /** "429 after retries" or "8 × 429 after retries, 4 × timeout". */
  label: string;
}

export function countErrors(c: PromptComparison): ErrorCount {
  const byKind = new Map<string, number>();
  let errored = 0;
  let total = 0;
  for (const run of c.base ? [c.base, c.head] : [c.head]) {
    for (const kase of run.cases) {
      for (const s of kase.samples) {
        total++;
        if (s.kind === "error") {
          errored++;
          byKind.set(s.error.kind, (byKind.get(s.error.kind) ?? 0) + 1);
        }
      }
    }
  }
  const kinds = [...byKind.entries()]
    .map(([kind, count]) => ({ kind, count }))
    .sort((a, b) => b.count - a.count || a.kind.localeCompare(b.kind));
  const label =
    kinds.length === 1
      ? errorLabel(kinds[0]!.kind)
      : kinds.map((k) => `${k.count} × ${errorLabel(k.kind)}`).join(", ");
  return { errored, total, byKind: kinds, label };
}

export function errorLabel(kind: string): string {
  return ERROR_LABELS[kind] ?? kind;
}
