import { costUnknownOf } from "../cost/cost-unknown.js";
import type { CaseResult, PromptRun } from "../engine/types.js";
import type { Settings } from "../formats/settings.js";
import { evaluateGates, THRESHOLD_TOLERANCE } from "./gates.js";
import { hashSeed } from "./random.js";
import {
  fisherExactLess,
  groupSequentialInterval,
  type PairedSummary,
  pairedBootstrapInterval,
  pairedTInterval,
  summarisePaired,
} from "./statistics.js";
import type {
  CostDelta,
  CostSide,
  CriticalCheck,
  Interval,
  PairedCase,
  PromptComparison,
  SequentialBasis,
  Verdict,
} from "./types.js";

/**
 * Base vs head for one prompt: pair cases by id, estimate Δ = mean over paired cases of (head − base)
 * pass rate with an interval, decide the verdict, price both sides, apply the gates.
 * docs/statistics.md is the user-facing account of every rule here.
 */

export type GateSettings = Settings["gates"];

/** Which interval the verdict reads; the other one is still computed as a cross-check. */
export type IntervalMethod = "paired-t" | "paired-bootstrap";

export type { SequentialBasis } from "./types.js";

export interface CompareOptions {
  gates: GateSettings;
  /** From `traffic`, for the monthly projection; null when not configured. */
  requestsPerDay: number | null;
  /** Bootstrap seed; default derived from the prompt name, so reruns give the same interval. */
  seed?: number;
  /** Default "paired-t": it keeps its level from a handful of cases up (docs/statistics.md). */
  interval?: IntervalMethod;
  /** Bootstrap resamples (≥ 2,000; default 2,000); 0 skips the bootstrap cross-check. */
  bootstrapDraws?: number;
  /** Set when the samples came from adaptive repeats (see adaptive.ts). */
  sequential?: SequentialBasis;
}

/** 365.25 / 12 rounded, the month every projection in the report uses. */
export const DAYS_PER_MONTH = 30.4;

export interface Pairing {
  cases: PairedCase[];
  addedCases: string[];
  removedCases: string[];
}

function sideOf(c: CaseResult): PairedCase["head"] {
  if (c.passRate === null) return null;
  return { passRate: c.passRate, score: c.score ?? 0, samples: c.samples.length, errors: c.errors };
}

/**
 * Pairs cases by id. A case on one side only is listed as added/removed and stays out of Δ. For a
 * new prompt (base null) every head case is listed with `base: null` so the report can show them.
 */
export function pairCases(base: PromptRun | null, head: PromptRun): Pairing {
  const toPaired = (h: CaseResult, b: CaseResult | null): PairedCase => {
    const hs = sideOf(h);
    const bs = b === null ? null : sideOf(b);
    return {
      id: h.id,
      tags: h.tags,
      critical: h.critical,
      base: bs,
      head: hs,
      delta: bs !== null && hs !== null ? hs.passRate - bs.passRate : null,
    };
  };
  if (base === null) {
    return { cases: head.cases.map((h) => toPaired(h, null)), addedCases: [], removedCases: [] };
  }
  const baseById = new Map(base.cases.map((c) => [c.id, c]));
  const headIds = new Set(head.cases.map((c) => c.id));
  const cases: PairedCase[] = [];
  const addedCases: string[] = [];
  for (const h of head.cases) {
    const b = baseById.get(h.id);
    if (b === undefined) addedCases.push(h.id);
    else cases.push(toPaired(h, b));
  }
  const removedCases = base.cases.filter((c) => !headIds.has(c.id)).map((c) => c.id);
  return { cases, addedCases, removedCases };
}

/** The per-case differences d_i = h_i − b_i of the cases with results on both sides. */
export function pairedDifferences(cases: readonly PairedCase[]): Float64Array {
  let n = 0;
  for (const c of cases) if (c.delta !== null) n++;
  const d = new Float64Array(n);
  let i = 0;
  for (const c of cases) if (c.delta !== null) d[i++] = c.delta;
  return d;
}

/**
 * The paired cases left out of Δ: a side has no result because every sample on it errored. The
 * report counts them (docs/statistics.md: "the report counts what was dropped").
 */
export function droppedCases(cases: readonly PairedCase[]): string[] {
  return cases.filter((c) => c.delta === null).map((c) => c.id);
}

export interface SampleCounts {
  samples: number;
  errors: number;
}

export function countSamples(run: PromptRun | null): SampleCounts {
  let samples = 0;
  let errors = 0;
  for (const c of run?.cases ?? []) {
    samples += c.samples.length;
    for (const s of c.samples) if (s.kind === "error") errors++;
  }
  return { samples, errors };
}

/** Errored share of a side's samples (0 for a side without samples). */
export function errorShare(counts: SampleCounts): number {
  return counts.samples === 0 ? 0 : counts.errors / counts.samples;
}

/** Mean over cases with results: each case weighs the same, whatever its repeats. */
export function meanPassRate(run: PromptRun | null): number | null {
  if (run === null) return null;
  let n = 0;
  let sum = 0;
  for (const c of run.cases) {
    if (c.passRate === null) continue;
    n++;
    sum += c.passRate;
  }
  return n === 0 ? null : sum / n;
}

/**
 * The verdict an interval supports: worse when all of it lies below 0 and the point drop exceeds
 * `maxRegression`, better symmetrically, otherwise noise.
 */
export function judgeInterval(
  delta: number | null,
  interval: Interval | null,
  maxRegression: number,
): "better" | "worse" | "noise" {
  if (delta === null || interval === null) return "noise";
  // A drop of exactly max-regression is allowed, whatever the last bits of a mean of fractions say.
  if (interval.high < 0 && -delta > maxRegression + THRESHOLD_TOLERANCE) return "worse";
  if (interval.low > 0 && delta > maxRegression + THRESHOLD_TOLERANCE) return "better";
  return "noise";
}

/**
 * A "within noise" verdict whose interval still excludes 0: the change is real but no larger than
 * `max-regression`, so it does not block. The report must not call that noise (issue 10 item 4):
 * "worse, within the 2-pt allowance" says what the numbers say. null when the interval includes 0
 * (or there is none): then, and only then, the change is within noise.
 */
export function provenSmallChange(
  c: Pick<PromptComparison, "verdict" | "interval" | "delta">,
): "worse" | "better" | null {
  if (c.verdict !== "noise" || c.interval === null || c.delta === null) return null;
  if (c.interval.high < 0) return "worse";
  if (c.interval.low > 0) return "better";
  return null;
}

// ---------------------------------------------------------------------------------------------
// Critical cases

function passCounts(c: CaseResult): { passes: number; samples: number } {
  let passes = 0;
  let samples = 0;
  for (const s of c.samples) {
    if (s.kind !== "ok") continue;
    samples++;
    if (s.pass) passes++;
  }
  return { passes, samples };
}

/**
 * Every critical case that failed a head sample, judged by what this change did to it (issue 10):
 * "broken" when head passes significantly less often than base (one-sided Fisher exact test) or
 * there is no base to compare with; otherwise a warning, "already-failing" when base failed it too
 * and "not-proven" when base never did. The level is 1 − confidence shared equally over the critical
 * cases (Bonferroni), so equally good prompts block at most that often whatever their number.
 */
export function checkCriticalCases(
  base: PromptRun | null,
  head: PromptRun,
  confidence: number,
): CriticalCheck[] {
  const critical = head.cases.filter((c) => c.critical);
  const alpha = (1 - confidence) / Math.max(1, critical.length);
  const baseById = new Map((base?.cases ?? []).map((c) => [c.id, c]));
  const checks: CriticalCheck[] = [];
  for (const h of critical) {
    const hc = passCounts(h);
    if (hc.samples > 0 && hc.passes === hc.samples) continue;
    const b = baseById.get(h.id);
    const bc = b === undefined ? null : passCounts(b);
    if (hc.samples === 0) {
      checks.push({ id: h.id, status: "no-result", base: bc, head: hc, p: null, alpha });
      continue;
    }
    if (bc === null || bc.samples === 0) {
      // A new prompt or a case this PR adds: what fails on head is this change's.
      checks.push({ id: h.id, status: "broken", base: bc, head: hc, p: null, alpha });
      continue;
    }
    const p = fisherExactLess(hc.passes, hc.samples, bc.passes, bc.samples);
    const status =
      p <= alpha ? "broken" : bc.passes < bc.samples ? "already-failing" : "not-proven";
    checks.push({ id: h.id, status, base: bc, head: hc, p, alpha });
  }
  return checks;
}

// ---------------------------------------------------------------------------------------------
// Cost

function costOf(run: PromptRun | null): CostSide {
  if (run === null) return { perRequestUsd: null, unknownModels: [] };
  let ok = 0;
  let sum = 0;
  let known = true;
  for (const c of run.cases) {
    for (const s of c.samples) {
      if (s.kind !== "ok") continue;
      ok++;
      if (s.costUsd === null) known = false;
      else sum += s.costUsd;
    }
  }
  // One unpriced sample makes the mean unknown: a partial sum would read as a saving. Only the
  // models that lack a price are listed: for a sample without usage, a price would not help.
  if (!known) {
    const noPrice = costUnknownOf(run).find((u) => u.reason === "no-price");
    return { perRequestUsd: null, unknownModels: noPrice?.models ?? [] };
  }
  return { perRequestUsd: ok === 0 ? null : sum / ok, unknownModels: [] };
}

/** Per-request cost on each side (mean over ok samples), the relative change and a month of traffic. */
export function computeCostDelta(
  base: PromptRun | null,
  head: PromptRun,
  requestsPerDay: number | null,
): CostDelta {
  const b = costOf(base);
  const h = costOf(head);
  const monthly = (perRequest: number | null): number | null =>
    perRequest === null || requestsPerDay === null
      ? null
      : perRequest * requestsPerDay * DAYS_PER_MONTH;
  const relative =
    b.perRequestUsd === null || h.perRequestUsd === null || b.perRequestUsd === 0
      ? null
      : (h.perRequestUsd - b.perRequestUsd) / b.perRequestUsd;
  return {
    base: b,
    head: h,
    relative,
    requestsPerDay,
    monthlyBaseUsd: monthly(b.perRequestUsd),
    monthlyHeadUsd: monthly(h.perRequestUsd),
  };
}

// ---------------------------------------------------------------------------------------------
// The comparison

interface Estimate {
  summary: PairedSummary;
  interval: Interval | null;
  crossCheck: Interval | null;
}

function estimate(
  d: Float64Array,
  confidence: number,
  seed: number,
  options: CompareOptions,
): Estimate {
  const summary = summarisePaired(d);
  if (options.sequential !== undefined) {
    return {
      summary,
      interval: groupSequentialInterval(summary, options.sequential.critical, confidence),
      crossCheck: null,
    };
  }
  const draws = options.bootstrapDraws ?? 2000;
  const t = pairedTInterval(d, confidence);
  const boot = draws > 0 ? pairedBootstrapInterval(d, confidence, { draws, seed }) : null;
  return options.interval === "paired-bootstrap"
    ? { summary, interval: boot ?? t, crossCheck: boot === null ? null : t }
    : { summary, interval: t, crossCheck: boot };
}

export function comparePromptRuns(
  base: PromptRun | null,
  head: PromptRun,
  options: CompareOptions,
): PromptComparison {
  const { gates } = options;
  const pairing = pairCases(base, head);
  const baseCounts = countSamples(base);
  const headCounts = countSamples(head);
  const headPassRate = meanPassRate(head);

  let delta: number | null = null;
  let interval: Interval | null = null;
  let crossCheck: Interval | null = null;
  let pairedCount = 0;
  if (base !== null) {
    const d = pairedDifferences(pairing.cases);
    pairedCount = d.length;
    const est = estimate(d, gates.confidence, options.seed ?? hashSeed(head.prompt), options);
    delta = d.length === 0 ? null : est.summary.mean;
    interval = est.interval;
    crossCheck = est.crossCheck;
  }

  const tooManyErrors =
    errorShare(baseCounts) > gates.maxErrorRate || errorShare(headCounts) > gates.maxErrorRate;
  let verdict: Verdict;
  if (tooManyErrors) verdict = "errors";
  else if (base === null) verdict = headPassRate === null ? "errors" : "noise";
  else if (pairedCount === 0) verdict = "errors";
  else verdict = judgeInterval(delta, interval, gates.maxRegression);

  const criticalChecks = checkCriticalCases(base, head, gates.confidence);
  const criticalFailures = criticalChecks
    .filter((k) => (gates.critical === "strict" ? k.status !== "no-result" : k.status === "broken"))
    .map((k) => k.id);

  const core: Omit<PromptComparison, "gates" | "blocked"> = {
    prompt: head.prompt,
    base,
    head,
    basePassRate: meanPassRate(base),
    headPassRate,
    delta,
    interval,
    ...(crossCheck === null ? {} : { crossCheck }),
    ...(base !== null && options.sequential !== undefined
      ? { sequential: { ...options.sequential } }
      : {}),
    detectable: interval === null ? null : (interval.high - interval.low) / 2,
    maxRegression: gates.maxRegression,
    verdict,
    cases: pairing.cases,
    addedCases: pairing.addedCases,
    removedCases: pairing.removedCases,
    droppedCases: base === null ? [] : droppedCases(pairing.cases),
    criticalFailures,
    criticalChecks,
    errors: {
      base: baseCounts.errors,
      head: headCounts.errors,
      samples: baseCounts.samples + headCounts.samples,
    },
    cost: computeCostDelta(base, head, options.requestsPerDay),
    samplesSpent: baseCounts.samples + headCounts.samples,
  };
  const outcomes = evaluateGates(core, gates);
  return { ...core, gates: outcomes, blocked: outcomes.some((g) => g.status === "fail") };
}
