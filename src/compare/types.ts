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
  /** Critical cases failing on head (pass rate < 1). */
  criticalFailures: string[];
  errors: { base: number; head: number; samples: number };
  cost: CostDelta;
  gates: GateOutcome[];
  blocked: boolean;
  /** Samples spent (both sides), for adaptive repeats reporting. */
  samplesSpent: number;
}
