import type {
  AdaptivePlan,
  AdaptiveStep,
  AdaptiveStopReason,
} from "../../../src/compare/adaptive.js";
import { nextAdaptiveStep, planCriticalTopUp } from "../../../src/compare/adaptive.js";
import { comparePromptRuns } from "../../../src/compare/compare-runs.js";
import { createRandom, type Random } from "../../../src/compare/random.js";
import type { SequentialBasis } from "../../../src/compare/types.js";
import { summariseCase, summariseRun } from "../../../src/engine/run-eval.js";
import type { CaseResult, PromptRun, Sample, Totals } from "../../../src/engine/types.js";
import type { Settings } from "../../../src/formats/settings.js";

/**
 * Simulated prompt runs for the statistics tests and the benchmark. Each case has a latent pass
 * probability; a side's samples are independent Bernoulli draws from it (base and head are different
 * prompt texts, so a real model's samples on them are independent too). Pass probabilities differ
 * across cases (a Beta spread), as hard and easy cases do in a real golden set.
 */

/** Gamma(shape, 1) variate (Marsaglia & Tsang 2000), for Beta draws. */
function drawGamma(rng: Random, shape: number): number {
  if (shape < 1) return drawGamma(rng, shape + 1) * rng.nextFloat() ** (1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = drawNormal(rng);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = rng.nextFloat();
    if (u < 1 - 0.0331 * x ** 4) return d * v;
    if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

function drawNormal(rng: Random): number {
  // Box–Muller; 1 − u keeps the log finite.
  const u = 1 - rng.nextFloat();
  const v = rng.nextFloat();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

export function drawBeta(rng: Random, a: number, b: number): number {
  const x = drawGamma(rng, a);
  const y = drawGamma(rng, b);
  return x / (x + y);
}

export interface Spread {
  /** Beta(a, b) parameters of the per-case pass probability. */
  a: number;
  b: number;
}

/** A typical golden set: most cases pass most of the time, a tail of hard ones (mean ≈ 0.75). */
export const TYPICAL_SPREAD: Spread = { a: 3, b: 1 };

export function drawPassProbabilities(rng: Random, cases: number, spread: Spread): Float64Array {
  const p = new Float64Array(cases);
  for (let i = 0; i < cases; i++) p[i] = drawBeta(rng, spread.a, spread.b);
  return p;
}

/**
 * Moves every case's pass probability by the same amount, clamped to [0, 1], with the amount chosen
 * so that the mean change over these cases is exactly `change` (e.g. −0.10 for "10 points worse").
 */
export function shiftPassProbabilities(p: Float64Array, change: number): Float64Array {
  const n = p.length;
  const apply = (s: number): Float64Array => {
    const q = new Float64Array(n);
    for (let i = 0; i < n; i++) q[i] = Math.min(1, Math.max(0, (p[i] as number) + s));
    return q;
  };
  if (change === 0) return apply(0);
  const meanChange = (s: number): number => {
    const q = apply(s);
    let sum = 0;
    for (let i = 0; i < n; i++) sum += (q[i] as number) - (p[i] as number);
    return sum / n;
  };
  let [lo, hi] = change > 0 ? [0, 1] : [-1, 0];
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (meanChange(mid) < change) lo = mid;
    else hi = mid;
  }
  return apply((lo + hi) / 2);
}

export interface SampleOptions {
  /** Probability that a sample errors (missing data), default 0. */
  errorRate?: number;
  /** USD per ok sample; null = unknown price. Default 0.001. */
  costUsd?: number | null;
}

/** `count` samples of one case, numbered from `startIndex`. */
export function simulateSamples(
  rng: Random,
  passProbability: number,
  count: number,
  startIndex: number,
  options: SampleOptions = {},
): Sample[] {
  const samples: Sample[] = [];
  const errorRate = options.errorRate ?? 0;
  const costUsd = options.costUsd === undefined ? 0.001 : options.costUsd;
  for (let k = 0; k < count; k++) {
    const index = startIndex + k;
    if (errorRate > 0 && rng.nextFloat() < errorRate) {
      samples.push({
        kind: "error",
        index,
        error: { kind: "rate-limit", message: "429 after retries", status: 429 },
        latencyMs: 0,
      });
      continue;
    }
    const pass = rng.nextFloat() < passProbability;
    samples.push(okSample(index, pass, costUsd));
  }
  return samples;
}

/** A successful simulated sample: passes score 1, fails 0. */
function okSample(index: number, pass: boolean, costUsd: number | null): Sample {
  return {
    kind: "ok",
    index,
    output: pass ? "good answer" : "bad answer",
    usage: { promptTokens: 100, completionTokens: 20 },
    latencyMs: 100,
    costUsd,
    cached: false,
    pass,
    score: pass ? 1 : 0,
    assertions: [],
  };
}

/** A case result from its samples, with the engine's rule: errored samples are missing data. */
export function summariseSimulatedCase(
  id: string,
  samples: Sample[],
  extra: { critical?: boolean; tags?: string[] } = {},
): CaseResult {
  return summariseCase(
    { id, tags: extra.tags ?? [], critical: extra.critical ?? false, vars: {} },
    samples,
  );
}

/** The engine's own totals for a set of case results. */
export function totalSimulatedRun(cases: CaseResult[]): Totals {
  return summariseRun(cases);
}

export interface RunShape {
  prompt?: string;
  version?: string;
  model?: string;
  repeats: number;
  /** Case ids; default "case-0", "case-1", … one per pass probability. */
  ids?: string[];
}

export function buildSimulatedRun(cases: CaseResult[], shape: RunShape): PromptRun {
  return {
    prompt: shape.prompt ?? "simulated",
    version: shape.version ?? "v1",
    file: `prompts/${shape.prompt ?? "simulated"}/${shape.version ?? "v1"}.prompt`,
    contentHash: "0".repeat(64),
    model: shape.model ?? "gpt-4o-mini",
    params: {},
    goldenSetFile: "evals/simulated.yaml",
    repeats: shape.repeats,
    cases,
    totals: totalSimulatedRun(cases),
  };
}

/** A run with `shape.repeats` samples of every case. */
export function simulatePromptRun(
  rng: Random,
  passProbabilities: Float64Array,
  shape: RunShape,
  options: SampleOptions = {},
): PromptRun {
  const cases: CaseResult[] = [];
  for (let i = 0; i < passProbabilities.length; i++) {
    const id = shape.ids?.[i] ?? `case-${i}`;
    const samples = simulateSamples(rng, passProbabilities[i] as number, shape.repeats, 0, options);
    cases.push(summariseSimulatedCase(id, samples));
  }
  return buildSimulatedRun(cases, shape);
}

/** A comparison's two runs: base from `base`, head from `head` pass probabilities. */
export function simulatePair(
  rng: Random,
  base: Float64Array,
  head: Float64Array,
  repeats: number,
  options: SampleOptions = {},
): { base: PromptRun; head: PromptRun } {
  return {
    base: simulatePromptRun(rng, base, { repeats, version: "v1" }, options),
    head: simulatePromptRun(rng, head, { repeats, version: "v2" }, options),
  };
}

export interface AdaptiveSimulation {
  base: PromptRun;
  head: PromptRun;
  stop: Extract<AdaptiveStep, { kind: "stop" }>;
  samples: number;
}

/**
 * Drives the adaptive step API the way the engine does, answering each request with fresh samples
 * from the latent pass probabilities. Returns the final runs and the stop step.
 */
export function simulateAdaptive(
  rng: Random,
  base: Float64Array,
  head: Float64Array,
  plan: AdaptivePlan,
  options: SampleOptions = {},
): AdaptiveSimulation {
  const ids = Array.from({ length: head.length }, (_, i) => `case-${i}`);
  const probability = { base, head };
  const samples = { base: new Map<string, Sample[]>(), head: new Map<string, Sample[]>() };
  const index = new Map(ids.map((id, i) => [id, i]));
  const results = (side: "base" | "head"): CaseResult[] =>
    ids
      .filter((id) => samples[side].has(id))
      .map((id) => summariseSimulatedCase(id, samples[side].get(id) ?? []));
  let step = nextAdaptiveStep({ plan, base: [], head: [] });
  while (step.kind === "sample") {
    for (const r of step.requests) {
      const list = samples[r.side].get(r.caseId) ?? [];
      const p = probability[r.side][index.get(r.caseId) ?? 0] as number;
      list.push(...simulateSamples(rng, p, r.count, list.length, options));
      samples[r.side].set(r.caseId, list);
    }
    step = nextAdaptiveStep({ plan, base: results("base"), head: results("head") });
  }
  const baseCases = results("base");
  const headCases = results("head");
  let count = 0;
  for (const c of [...baseCases, ...headCases]) count += c.samples.length;
  return {
    base: buildSimulatedRun(baseCases, { repeats: plan.initialRepeats, version: "v1" }),
    head: buildSimulatedRun(headCases, { repeats: plan.initialRepeats, version: "v2" }),
    stop: step,
    samples: count,
  };
}

/**
 * Samples from a pattern, for hand-made cases: "P" pass, "F" fail, "E" error. "PPF" is 2 of 3.
 */
export function patternSamples(pattern: string, costUsd: number | null = 0.001): Sample[] {
  return [...pattern].map((ch, index): Sample => {
    if (ch === "E") {
      return {
        kind: "error",
        index,
        error: { kind: "timeout", message: "timed out" },
        latencyMs: 0,
      };
    }
    const pass = ch === "P";
    return okSample(index, pass, costUsd);
  });
}

export interface PatternCase {
  id: string;
  pattern: string;
  critical?: boolean;
  tags?: string[];
}

/** A run from hand-written cases: `[{ id: "refund", pattern: "PPF" }, …]` or `{ refund: "PPF" }`. */
export function runFromPatterns(
  cases: PatternCase[] | Record<string, string>,
  options: { costUsd?: number | null; model?: string; prompt?: string; version?: string } = {},
): PromptRun {
  const list: PatternCase[] = Array.isArray(cases)
    ? cases
    : Object.entries(cases).map(([id, pattern]) => ({ id, pattern }));
  const results = list.map((c) =>
    summariseSimulatedCase(
      c.id,
      patternSamples(c.pattern, options.costUsd === undefined ? 0.001 : options.costUsd),
      { critical: c.critical ?? false, tags: c.tags ?? [] },
    ),
  );
  return buildSimulatedRun(results, {
    repeats: Math.max(1, ...list.map((c) => c.pattern.length)),
    ...(options.model === undefined ? {} : { model: options.model }),
    ...(options.prompt === undefined ? {} : { prompt: options.prompt }),
    ...(options.version === undefined ? {} : { version: options.version }),
  });
}

/**
 * Issue 10's scenario: a golden set of `cases` cases that all pass with probability `base` on base
 * and `head` on head (no case-to-case spread), the first `critical` of them critical. One PR is one
 * comparison, fixed `repeats` or adaptive (`plan`), with the critical gate's top-up round.
 */
export interface Issue10Scenario {
  cases: number;
  base: number;
  head: number;
  critical?: number;
}

export interface Issue10Outcome {
  verdict: "better" | "worse" | "noise" | "errors";
  blocked: boolean;
  /** Requests (samples on both sides), the critical top-up included. */
  requests: number;
  stop: AdaptiveStopReason | null;
}

/** Runs the critical top-up the engine runs (compare/run-diff.ts) on simulated samples. */
function topUpSimulated(
  rng: Random,
  runs: { base: PromptRun; head: PromptRun },
  p: { base: number; head: number },
  target: number,
): { base: PromptRun; head: PromptRun } {
  const requests = planCriticalTopUp(runs.base.cases, runs.head.cases, target);
  if (requests.length === 0) return runs;
  const more = (side: "base" | "head"): PromptRun => {
    const run = runs[side];
    const cases = run.cases.map((c) => {
      const r = requests.find((x) => x.caseId === c.id && x.side === side);
      if (!r) return c;
      const extra = simulateSamples(rng, p[side], r.count, c.samples.length);
      return summariseSimulatedCase(c.id, [...c.samples, ...extra], { critical: c.critical });
    });
    return buildSimulatedRun(cases, { repeats: run.repeats, version: run.version });
  };
  return { base: more("base"), head: more("head") };
}

const withCritical = (run: PromptRun, critical: number): PromptRun =>
  buildSimulatedRun(
    run.cases.map((c, i) =>
      i < critical ? summariseSimulatedCase(c.id, c.samples, { critical: true }) : c,
    ),
    { repeats: run.repeats, version: run.version },
  );

export function simulateIssue10Pr(
  rng: Random,
  scenario: Issue10Scenario,
  design: { repeats: number } | { plan: AdaptivePlan },
  gates: Settings["gates"],
  maxRepeats: number,
): Issue10Outcome {
  const pb = new Float64Array(scenario.cases).fill(scenario.base);
  const ph = new Float64Array(scenario.cases).fill(scenario.head);
  let runs: { base: PromptRun; head: PromptRun };
  let sequential: SequentialBasis | undefined;
  let stop: AdaptiveStopReason | null = null;
  if ("repeats" in design) {
    runs = simulatePair(rng, pb, ph, design.repeats);
  } else {
    const sim = simulateAdaptive(rng, pb, ph, design.plan);
    runs = { base: sim.base, head: sim.head };
    sequential = sim.stop.sequential ?? undefined;
    stop = sim.stop.reason;
  }
  const critical = scenario.critical ?? 0;
  if (critical > 0) {
    runs = { base: withCritical(runs.base, critical), head: withCritical(runs.head, critical) };
    if (gates.critical === "block" || gates.critical === "warn") {
      runs = topUpSimulated(rng, runs, { base: scenario.base, head: scenario.head }, maxRepeats);
    }
  }
  const c = comparePromptRuns(runs.base, runs.head, {
    gates,
    requestsPerDay: null,
    bootstrapDraws: 0,
    ...(sequential === undefined ? {} : { sequential }),
  });
  return { verdict: c.verdict, blocked: c.blocked, requests: c.samplesSpent, stop };
}

/** Rates over `prs` seeded pull requests of issue 10's scenario: for the test and the bench alike. */
export function measureIssue10Design(options: {
  seed: number;
  prs: number;
  head: number;
  design: { repeats: number } | { plan: AdaptivePlan };
  gates: Settings["gates"];
  critical?: number;
}): { worse: number; blocked: number; requests: number } {
  const rng = createRandom(options.seed);
  let worse = 0;
  let blocked = 0;
  let requests = 0;
  for (let k = 0; k < options.prs; k++) {
    const o = simulateIssue10Pr(
      rng,
      { cases: 60, base: 0.85, head: options.head, critical: options.critical ?? 0 },
      options.design,
      options.gates,
      10,
    );
    if (o.verdict === "worse") worse++;
    if (o.blocked) blocked++;
    requests += o.requests;
  }
  const n = options.prs;
  return { worse: worse / n, blocked: blocked / n, requests: requests / n };
}
