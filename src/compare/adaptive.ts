import type { CaseResult } from "../engine/types.js";
import { AUTO_INITIAL_REPEATS } from "../formats/settings.js";
import type { GateSettings, SequentialBasis } from "./compare-runs.js";
import { judgeInterval } from "./compare-runs.js";
import {
  groupSequentialBoundaries,
  groupSequentialInterval,
  summarisePaired,
} from "./statistics.js";
import type { Interval } from "./types.js";

/**
 * Adaptive repeats (`repeats: auto`) as a group-sequential design, driven step by step by the engine:
 *
 *   let step = nextAdaptiveStep({ plan, base: [], head: [] });
 *   while (step.kind === "sample") { run step.requests; step = nextAdaptiveStep({ plan, base, head }); }
 *   comparePromptRuns(base, head, { ..., sequential: step.sequential ?? undefined });
 *
 * Every case first gets `initialRepeats` samples per side. Then each look k = 1..K tests Δ against a
 * Lan–DeMets O'Brien–Fleming-like boundary c_k (information fraction k/K, K = maxRepeats −
 * initialRepeats + 1); between looks, every case whose outcomes are split on some side gets one more
 * sample on both sides. The run stops as soon as the verdict is decided (better/worse), the repeated
 * confidence interval fits inside ±max-regression, nothing is left to sample, or the budget is spent.
 * The boundaries keep the chance of a false "worse" or "better" over all looks at 1 − confidence;
 * test/statistics-simulation.test.ts checks it. Pure: state in, step out.
 */

export interface AdaptivePlan {
  initialRepeats: number;
  maxRepeats: number;
  /** Planned looks K. */
  looks: number;
  /** 1 − confidence: the two-sided false-alarm rate over all looks. */
  alpha: number;
  confidence: number;
  maxRegression: number;
  maxErrorRate: number;
  /** c_1..c_K on the z scale, for looks at information fractions k/K. */
  boundaries: number[];
  /** null for a prompt new in head: nothing to compare, so no adaptivity. */
  baseCases: string[] | null;
  headCases: string[];
}

export interface PlanAdaptiveInput {
  baseCases: readonly string[] | null;
  headCases: readonly string[];
  maxRepeats: number;
  gates: GateSettings;
  /** Samples per case and side before the first look; default 3 (capped at maxRepeats), the fixed default. */
  initialRepeats?: number;
}

const boundaryCache = new Map<string, number[]>();

/** Boundaries for looks at k/K (k = 1..last), the last one spending all of α. Memoised. */
function boundariesUpTo(looks: number, last: number, alpha: number): number[] {
  const key = `${looks}:${last}:${alpha}`;
  let b = boundaryCache.get(key);
  if (b === undefined) {
    const fractions = Array.from({ length: last }, (_, i) => (i + 1) / looks);
    b = groupSequentialBoundaries(fractions, alpha);
    boundaryCache.set(key, b);
  }
  return b;
}

export function planAdaptive(input: PlanAdaptiveInput): AdaptivePlan {
  const maxRepeats = Math.max(1, Math.floor(input.maxRepeats));
  const initialRepeats = Math.min(
    maxRepeats,
    Math.max(1, Math.floor(input.initialRepeats ?? AUTO_INITIAL_REPEATS)),
  );
  const looks = maxRepeats - initialRepeats + 1;
  const alpha = 1 - input.gates.confidence;
  return {
    initialRepeats,
    maxRepeats,
    looks,
    alpha,
    confidence: input.gates.confidence,
    maxRegression: input.gates.maxRegression,
    maxErrorRate: input.gates.maxErrorRate,
    boundaries: boundariesUpTo(looks, looks, alpha),
    baseCases: input.baseCases === null ? null : [...input.baseCases],
    headCases: [...input.headCases],
  };
}

export interface AdaptiveState {
  plan: AdaptivePlan;
  /** The samples so far (errored ones included), by case; missing cases have none yet. */
  base: readonly CaseResult[] | null;
  head: readonly CaseResult[];
}

export interface SampleRequest {
  caseId: string;
  side: "base" | "head";
  count: number;
}

export type AdaptiveStopReason =
  /** The verdict is decided: the interval excludes 0 and the change exceeds max-regression. */
  | "decided"
  /** The repeated interval fits inside ±max-regression: no change the gates care about. */
  | "within-margin"
  /** No paired case has split outcomes: more samples would not move the estimate's variance. */
  | "settled"
  /** max-repeats reached. */
  | "budget"
  /** Too many samples errored to go on. */
  | "errors"
  /** Fewer than two cases with results on both sides, or a new prompt: nothing to test. */
  | "nothing-to-compare";

export type AdaptiveStep =
  /** `look`: the analysis these samples lead to (0 = the initial fill). */
  | { kind: "sample"; look: number; requests: SampleRequest[] }
  | {
      kind: "stop";
      reason: AdaptiveStopReason;
      look: number;
      /** Pass to comparePromptRuns; null when no look was tested. */
      sequential: SequentialBasis | null;
      /** The look's estimate, for progress output. */
      delta: number | null;
      interval: Interval | null;
    };

interface Tally {
  attempted: number;
  ok: number;
  passes: number;
}

function tally(c: CaseResult): Tally {
  let attempted = 0;
  let ok = 0;
  let passes = 0;
  for (const s of c.samples) {
    attempted++;
    if (s.kind !== "ok") continue;
    ok++;
    if (s.pass) passes++;
  }
  return { attempted, ok, passes };
}

const isSplit = (t: Tally): boolean => t.passes > 0 && t.passes < t.ok;

/** Errored share of the samples in a side's tallies (0 without samples). */
function errorShare(tallies: Iterable<Tally>): number {
  let attempted = 0;
  let ok = 0;
  for (const t of tallies) {
    attempted += t.attempted;
    ok += t.ok;
  }
  return attempted === 0 ? 0 : (attempted - ok) / attempted;
}

const NO_SAMPLES: Tally = { attempted: 0, ok: 0, passes: 0 };

export function nextAdaptiveStep(state: AdaptiveState): AdaptiveStep {
  const { plan } = state;
  // One pass over the samples; everything below reads these tallies.
  const baseById = new Map((state.base ?? []).map((c) => [c.id, tally(c)]));
  const headById = new Map(state.head.map((c) => [c.id, tally(c)]));

  // Fill every case up to the initial repeats first (look 0).
  const fill: SampleRequest[] = [];
  const want = (ids: readonly string[], byId: Map<string, Tally>, side: "base" | "head") => {
    for (const caseId of ids) {
      const missing = plan.initialRepeats - (byId.get(caseId)?.attempted ?? 0);
      if (missing > 0) fill.push({ caseId, side, count: missing });
    }
  };
  if (plan.baseCases !== null) want(plan.baseCases, baseById, "base");
  want(plan.headCases, headById, "head");
  if (fill.length > 0) return { kind: "sample", look: 0, requests: fill };

  const stop = (
    reason: AdaptiveStopReason,
    look: number,
    sequential: SequentialBasis | null,
    delta: number | null = null,
    interval: Interval | null = null,
  ): AdaptiveStep => ({ kind: "stop", reason, look, sequential, delta, interval });

  if (plan.baseCases === null) return stop("nothing-to-compare", 0, null);

  // The look: rounds so far, read off the samples (every round adds one to each case in play).
  const baseSet = new Set(plan.baseCases);
  const tallies = plan.headCases
    .filter((id) => baseSet.has(id))
    .map((id) => ({ id, b: baseById.get(id) ?? NO_SAMPLES, h: headById.get(id) ?? NO_SAMPLES }));
  let attemptedMax = 0;
  for (const t of tallies) attemptedMax = Math.max(attemptedMax, t.b.attempted, t.h.attempted);
  const look = Math.min(plan.looks, Math.max(1, attemptedMax - plan.initialRepeats + 1));

  if (
    errorShare(baseById.values()) > plan.maxErrorRate ||
    errorShare(headById.values()) > plan.maxErrorRate
  ) {
    return stop("errors", look, null);
  }

  const rated = tallies.filter((t) => t.b.ok > 0 && t.h.ok > 0);
  if (rated.length < 2) return stop("nothing-to-compare", look, null);
  const d = new Float64Array(rated.length);
  rated.forEach((t, i) => {
    d[i] = t.h.passes / t.h.ok - t.b.passes / t.b.ok;
  });
  const summary = summarisePaired(d);

  const inPlay = rated.filter(
    (t) =>
      (isSplit(t.b) || isSplit(t.h)) &&
      t.b.attempted < plan.maxRepeats &&
      t.h.attempted < plan.maxRepeats,
  );
  const final = look >= plan.looks || inPlay.length === 0;
  // An analysis declared final spends what is left of α (Lan–DeMets), whatever its look.
  const boundaries = final ? boundariesUpTo(plan.looks, look, plan.alpha) : plan.boundaries;
  const critical = boundaries[look - 1] as number;
  const sequential: SequentialBasis = { look, looks: plan.looks, critical };
  const interval = groupSequentialInterval(summary, critical, plan.confidence);
  const verdict = judgeInterval(summary.mean, interval, plan.maxRegression);

  if (verdict !== "noise") return stop("decided", look, sequential, summary.mean, interval);
  if (
    interval !== null &&
    interval.low > -plan.maxRegression &&
    interval.high < plan.maxRegression
  ) {
    return stop("within-margin", look, sequential, summary.mean, interval);
  }
  if (look >= plan.looks) return stop("budget", look, sequential, summary.mean, interval);
  if (inPlay.length === 0) return stop("settled", look, sequential, summary.mean, interval);

  const requests: SampleRequest[] = [];
  for (const t of inPlay) {
    requests.push({ caseId: t.id, side: "base", count: 1 });
    requests.push({ caseId: t.id, side: "head", count: 1 });
  }
  return { kind: "sample", look: look + 1, requests };
}

/**
 * The critical gate's top-up (issue 10): three samples a side rarely prove that one case got worse
 * (3/3 → 0/3 gives the exact test p = 0.05 at best), so every critical case that failed a sample on
 * either side gets samples on both sides up to `target` (max-repeats), in one bounded extra round,
 * and the gate tests it once, on all its samples. Why this keeps the level: the test on `target`
 * samples a side would reject at most α of the time if every critical case always got them; topping
 * up only some changes which cases are tested, never makes a rejection likelier. The choice treats
 * base and head alike, so it cannot favour a side. Cases passing every sample on both sides are left
 * alone: they cannot block.
 */
export function planCriticalTopUp(
  base: readonly CaseResult[],
  head: readonly CaseResult[],
  target: number,
): SampleRequest[] {
  const baseById = new Map(base.map((c) => [c.id, c]));
  const requests: SampleRequest[] = [];
  for (const h of head) {
    if (!h.critical) continue;
    const b = baseById.get(h.id);
    if (b === undefined) continue;
    const bt = tally(b);
    const ht = tally(h);
    if (bt.passes === bt.ok && ht.passes === ht.ok) continue;
    if (bt.attempted < target)
      requests.push({ caseId: h.id, side: "base", count: target - bt.attempted });
    if (ht.attempted < target)
      requests.push({ caseId: h.id, side: "head", count: target - ht.attempted });
  }
  return requests;
}
