import type { CaseResult } from "../engine/types.js";
import type { GateSettings, SequentialBasis } from "./compare-runs.js";
import { judgeInterval } from "./compare-runs.js";
import {
  groupSequentialBoundaries,
  groupSequentialInterval,
  linearSpent,
  normalUpperQuantile,
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
 * Every case first gets `initialRepeats` samples per side. Then each look k tests Δ against a
 * Lan–DeMets boundary c_k with linear (Pocock-type) α-spending at the observed information fraction,
 * and against a non-binding futility boundary planned for a drop of `detect`; between looks, every
 * paired case gets one more sample on both sides. The run stops as soon as the verdict is decided
 * (better/worse), a drop of `detect` has become unlikely (futility), the repeated confidence interval
 * fits inside ±max-regression, nothing is left to sample, or the budget is spent.
 * The boundaries keep the chance of a false "worse" or "better" over all looks at 1 − confidence;
 * test/unit/compare/statistics-simulation.test.ts checks it. Pure: state in, step out.
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
  /** The smallest drop the design is planned to find (`gates.detect`), as a rate. */
  detect: number;
  /** 1 − the planned power against a drop of `detect`: the futility boundary spends it. */
  beta: number;
  /**
   * The information (1/se² of Δ) at which a fixed test would find a drop of `detect` with power
   * 1 − β at two-sided level α, times the group-sequential inflation: the looks' information
   * fractions are measured against it, and the design stops when it is reached.
   */
  maxInformation: number;
  /** null for a prompt new in head: nothing to compare, so no adaptivity. */
  baseCases: string[] | null;
  headCases: string[];
}

export interface PlanAdaptiveInput {
  baseCases: readonly string[] | null;
  headCases: readonly string[];
  maxRepeats: number;
  gates: GateSettings;
  /** Samples per case and side before the first look; default SEQUENTIAL_FIRST_LOOK (capped at maxRepeats). */
  initialRepeats?: number;
}

/**
 * Samples per case and side at the first look of `repeats: auto`: one, so that an equally good
 * change can stop for futility at a third of the cost of three fixed repeats (issue 10's scenario:
 * about a third of equal-quality PRs stop there). A single sample a side still gives each case a
 * difference in {−1, 0, 1}, so Δ and its se are defined.
 */
export const SEQUENTIAL_FIRST_LOOK = 1;

/**
 * How much more information than a fixed test of the same power the sequential design plans for.
 * Linear α-spending and a front-loaded futility boundary cost about 20 % (Jennison & Turnbull
 * 2000, table 7.6, Pocock-type designs with 5–10 looks: R ≈ 1.2); in issue 10's scenario the
 * simulated power against a drop of exactly `detect` is 96 % at 95 % planned.
 */
const INFORMATION_INFLATION = 1.2;

/**
 * β spent on futility by information fraction t: β·√t. Front-loaded, so an equally good change is
 * let go at the first looks, where stopping saves most; still non-binding and a union bound over
 * the looks, so a real drop of `detect` is stopped for futility at most β of the time.
 */
function futilitySpent(t: number, beta: number): number {
  return beta * Math.sqrt(Math.min(1, Math.max(0, t)));
}

const boundaryCache = new Map<string, number[]>();

/** Boundaries for looks at k/K (k = 1..last), the last one spending all of α. Memoised. */
function boundariesUpTo(looks: number, last: number, alpha: number): number[] {
  const key = `${looks}:${last}:${alpha}`;
  let b = boundaryCache.get(key);
  if (b === undefined) {
    const fractions = Array.from({ length: last }, (_, i) => (i + 1) / looks);
    b = groupSequentialBoundaries(fractions, alpha, linearSpent);
    boundaryCache.set(key, b);
  }
  return b;
}

export function planAdaptive(input: PlanAdaptiveInput): AdaptivePlan {
  const maxRepeats = Math.max(1, Math.floor(input.maxRepeats));
  const initialRepeats = Math.min(
    maxRepeats,
    Math.max(1, Math.floor(input.initialRepeats ?? SEQUENTIAL_FIRST_LOOK)),
  );
  const looks = maxRepeats - initialRepeats + 1;
  const alpha = 1 - input.gates.confidence;
  const detect = input.gates.detect;
  const beta = 1 - input.gates.confidence;
  const zSum = normalUpperQuantile(alpha / 2) + normalUpperQuantile(beta);
  const maxInformation = INFORMATION_INFLATION * (zSum / detect) ** 2;
  return {
    initialRepeats,
    maxRepeats,
    looks,
    alpha,
    confidence: input.gates.confidence,
    maxRegression: input.gates.maxRegression,
    maxErrorRate: input.gates.maxErrorRate,
    detect,
    beta,
    maxInformation,
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
  /** A drop of `gates.detect` has become unlikely (the non-binding futility boundary). */
  | "futility"
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

interface PairTally {
  id: string;
  b: Tally;
  h: Tally;
  /** The samples themselves, to re-read an earlier look. */
  bs: readonly CaseResult["samples"][number][];
  hs: readonly CaseResult["samples"][number][];
}

/** Δ's summary over the first `upTo` samples of each case on each side (Infinity: all). */
function summariseAt(rated: readonly PairTally[], upTo: number) {
  const d: number[] = [];
  for (const t of rated) {
    const rate = (samples: PairTally["bs"]) => {
      let ok = 0;
      let passes = 0;
      for (let i = 0; i < samples.length && i < upTo; i++) {
        const x = samples[i];
        if (x?.kind !== "ok") continue;
        ok++;
        if (x.pass) passes++;
      }
      return ok === 0 ? null : passes / ok;
    };
    const b = rate(t.bs);
    const h = rate(t.hs);
    if (b !== null && h !== null) d.push(h - b);
  }
  return summarisePaired(d);
}

/** The efficacy boundary at the last of `fractions` (memoised: simulations ask the same often). */
function boundaryAt(fractions: readonly number[], alpha: number, final: boolean): number {
  const key = `${alpha}:${final}:${fractions.map((f) => f.toFixed(4)).join(",")}`;
  let c = boundaryAtCache.get(key);
  if (c === undefined) {
    const rounded = fractions.map((f) => Number(f.toFixed(4)));
    for (let i = 1; i < rounded.length; i++) {
      if ((rounded[i] as number) <= (rounded[i - 1] as number)) {
        rounded[i] = (rounded[i - 1] as number) + 1e-4;
      }
    }
    const last = rounded.length - 1;
    // Not final: append t = 1 so the look spends α(t) and not all that is left.
    const bounds = groupSequentialBoundaries(
      final || (rounded[last] as number) >= 1 ? rounded : [...rounded, 1],
      alpha,
      linearSpent,
    );
    c = bounds[last] as number;
    if (boundaryAtCache.size > 10_000) boundaryAtCache.clear();
    boundaryAtCache.set(key, c);
  }
  return c;
}
const boundaryAtCache = new Map<string, number>();

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
  ): AdaptiveStep => ({
    kind: "stop",
    reason,
    look,
    sequential: sequential === null ? null : { ...sequential, reason, detect: plan.detect },
    delta,
    interval,
  });

  if (plan.baseCases === null) return stop("nothing-to-compare", 0, null);

  // The look: rounds so far, read off the samples (every round adds one to each case in play).
  const baseSet = new Set(plan.baseCases);
  const baseSamples = new Map((state.base ?? []).map((c) => [c.id, c.samples]));
  const headSamples = new Map(state.head.map((c) => [c.id, c.samples]));
  const tallies: PairTally[] = plan.headCases
    .filter((id) => baseSet.has(id))
    .map((id) => ({
      id,
      b: baseById.get(id) ?? NO_SAMPLES,
      h: headById.get(id) ?? NO_SAMPLES,
      bs: baseSamples.get(id) ?? [],
      hs: headSamples.get(id) ?? [],
    }));
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
  const summary = summariseAt(rated, Number.POSITIVE_INFINITY);

  // Every paired case gets the next round: choosing cases by their outcomes (say, only the split
  // ones) freezes cases whose first samples happened to agree, which pulls Δ towards 0 and, in
  // issue 10's scenario, cost power (87 % against 100 %) for no saving. Nothing is split at all:
  // more samples could not move the estimate's variance, so the look is final.
  const inPlay = rated.filter(
    (t) => t.b.attempted < plan.maxRepeats && t.h.attempted < plan.maxRepeats,
  );
  const settled =
    rated.every((t) => t.b.ok >= 2 && t.h.ok >= 2) &&
    !rated.some((t) => isSplit(t.b) || isSplit(t.h));
  // Information so far, as a fraction of what the design plans for `detect`: each earlier look's
  // from its own samples (every round added one sample to the cases then in play, so look j saw the
  // first initialRepeats + j − 1 of each case's samples).
  const fractions: number[] = [];
  for (let j = 1; j <= look; j++) {
    const at = j === look ? summary : summariseAt(rated, plan.initialRepeats + j - 1);
    const info = at.se > 0 ? 1 / (at.se * at.se) : Number.POSITIVE_INFINITY;
    const prev = fractions[j - 2] ?? 0;
    // Information can only grow; a noisy se estimate must not make the fractions step back.
    fractions.push(Math.min(1, Math.max(prev + 1e-6, info / plan.maxInformation)));
  }
  const t = fractions[look - 1] as number;
  const final = look >= plan.looks || inPlay.length === 0 || settled || t >= 1;
  // An analysis declared final spends what is left of α (Lan–DeMets), whatever its look; an earlier
  // one spends α(t) at its observed information fraction.
  const critical = boundaryAt(fractions, plan.alpha, final);
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
  if (look >= plan.looks || t >= 1) return stop("budget", look, sequential, summary.mean, interval);
  if (inPlay.length === 0 || settled) {
    return stop("settled", look, sequential, summary.mean, interval);
  }
  // Futility (non-binding: the efficacy boundaries ignore it, so stopping here never raises the
  // false-alarm rate): were the change a drop of `detect`, z = Δ/se would be about −detect/se; stop
  // when z lies above where such a drop would put it with probability β-spent-so-far, i.e. when a
  // drop of `detect` has become unlikely. β(t) = β·√t, spent per look (a union bound: the chance
  // that futility stops a real drop of `detect` stays ≤ β over all looks).
  if (summary.se > 0) {
    const spentBefore = look === 1 ? 0 : futilitySpent(fractions[look - 2] as number, plan.beta);
    const spend = futilitySpent(t, plan.beta) - spentBefore;
    if (spend > 0) {
      const z = summary.mean / summary.se;
      const bound = -plan.detect / summary.se + normalUpperQuantile(spend);
      if (z > bound) return stop("futility", look, sequential, summary.mean, interval);
    }
  }

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
