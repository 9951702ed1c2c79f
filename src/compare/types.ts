import type { PromptRun } from "../engine/types.js";

/**
 * The outcome of comparing one prompt's base run with its head run. Produced by compare/, read by
 * report/ (comment, summary, HTML, JSON) and by the gate that sets the check's status.
 */
export type Verdict = "better" | "worse" | "noise" | "errors";

export type GateName =
  | "min-pass-rate"
  | "max-regression"
  | "critical"
  | "max-cost-increase"
  | "golden-set-edits"
  | "errors";

export interface GateOutcome {
  gate: GateName;
  /** "warn" gates (critical: warn) never block. */
  status: "pass" | "fail" | "warn" | "skipped";
  message: string;
}

export interface Interval {
  low: number;
  high: number;
  /** e.g. 0.95 */
  level: number;
  method: "paired-bootstrap" | "paired-t" | "group-sequential";
}

/** Where an adaptive (group-sequential) run stopped: the verdict uses that look's boundary. */
export interface SequentialBasis {
  /** 1-based look at which the run stopped. */
  look: number;
  /** Planned looks. */
  looks: number;
  /** Two-sided boundary on the z scale at that look. */
  critical: number;
  /** Why the sampling stopped (compare/adaptive.ts AdaptiveStopReason); absent in older reports. */
  reason?: string;
  /** The drop the design was planned to find (`gates.detect`), as a rate. */
  detect?: number;
}

/** One case present on both sides, with its per-side pass rates over the repeats. */
export interface PairedCase {
  id: string;
  tags: string[];
  critical: boolean;
  base: { passRate: number; score: number; samples: number; errors: number } | null;
  head: { passRate: number; score: number; samples: number; errors: number } | null;
  /** head − base pass rate; null when a side has no result (all samples errored). */
  delta: number | null;
}

/**
 * A critical case that failed on head, judged against base by the per-case exact test:
 * - "broken": this change made it worse (head's pass count significantly below base's, or the case
 *   has no base to compare with: new prompt or new case);
 * - "already-failing": base failed it too, and head is not significantly worse: a warning;
 * - "not-proven": base passed every sample, head failed some, but too few to tell from chance: a
 *   warning;
 * - "no-result": every head sample errored.
 */
export interface CriticalCheck {
  id: string;
  status: "broken" | "already-failing" | "not-proven" | "no-result";
  base: { passes: number; samples: number } | null;
  head: { passes: number; samples: number };
  /** One-sided Fisher exact p-value for "head passes less often than base"; null without a base. */
  p: number | null;
  /** The per-case level the p-value was compared with (1 − confidence over the critical cases). */
  alpha: number;
}

export interface CostSide {
  /** USD per request (one sample), null when unknown. */
  perRequestUsd: number | null;
  /** Model ids without a known price, for the "add it under prices:" hint. */
  unknownModels: string[];
}

export interface CostDelta {
  base: CostSide;
  head: CostSide;
  /** (head − base) / base; null when either is unknown or base is 0. */
  relative: number | null;
  /** Requests per day from `traffic`, when configured. */
  requestsPerDay: number | null;
  monthlyBaseUsd: number | null;
  monthlyHeadUsd: number | null;
}

export interface PromptComparison {
  prompt: string;
  /** null for a prompt new in head. */
  base: PromptRun | null;
  head: PromptRun;
  basePassRate: number | null;
  headPassRate: number | null;
  /** Mean over paired cases of (head − base) pass rate, in [−1, 1]; null without paired cases. */
  delta: number | null;
  interval: Interval | null;
  /**
   * The other method's interval, computed alongside as a check (the paired bootstrap beside the
   * paired t the verdict reads); absent for adaptive runs and when the bootstrap is switched off.
   */
  crossCheck?: Interval;
  /**
   * Set for adaptive runs (interval method "group-sequential"): the look the run stopped at, of the
   * planned looks, and that look's boundary. Absent for fixed repeats.
   */
  sequential?: SequentialBasis;
  /**
   * The `max-regression` the verdict was judged against, so the report can name the allowance a
   * proven small drop stayed within. Absent in reports written before it was added.
   */
  maxRegression?: number;
  /** Half-width of the interval: the smallest drop this run could have told from noise. */
  detectable: number | null;
  verdict: Verdict;
  cases: PairedCase[];
  addedCases: string[];
  removedCases: string[];
  /**
   * Cases on both sides but left out of Δ because a side has no result (all its samples errored),
   * in `cases` order; empty for a new prompt, which has no Δ. Always set by comparePromptRuns;
   * absent in reports written before it was added (then: the `cases` with `delta: null`).
   */
  droppedCases?: string[];
  /**
   * The critical cases the `critical` gate counts against this change: under the default
   * (`block`, evidence) those broken by this PR, under `strict` every one failing a head sample.
   */
  criticalFailures: string[];
  /**
   * Every critical case that failed a head sample, with the evidence it was judged on (pass counts
   * on both sides and the exact test's p-value). Absent in reports written before it was added.
   */
  criticalChecks?: CriticalCheck[];
  errors: { base: number; head: number; samples: number };
  cost: CostDelta;
  gates: GateOutcome[];
  blocked: boolean;
  /** Samples spent (both sides), for adaptive repeats reporting. */
  samplesSpent: number;
}
