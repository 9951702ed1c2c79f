import pLimit from "p-limit";
import { reportsUsage } from "../cost/cost-unknown.js";
import { priceUsage } from "../cost/prices.js";
import { askPairwiseJudge, type PairwiseChoice } from "../engine/pairwise-judge.js";
import { createSampler, type EngineDeps, type EvalTarget } from "../engine/run-eval.js";
import type { Sample, SampleOk } from "../engine/types.js";
import type { GoldenCase } from "../formats/golden-set.js";
import type { PromptVersion } from "../formats/prompt-file.js";
import type { ShadowInput } from "../formats/shadow-inputs.js";
import { pairedTInterval } from "./statistics.js";
import type { Interval } from "./types.js";

/**
 * Shadow evaluation: the live pin of an environment and a candidate version answer the same
 * recorded inputs, and a pairwise judge says which answer is better, asked twice with the
 * answers' positions swapped. LLM judges favour a position (often the first); a pair counts as a
 * win or a loss only when both orders agree, so a judge that always says "A" yields only ties.
 */

export interface ShadowSide {
  prompt: string;
  version: string;
  model: string;
  file: string;
  contentHash: string;
}

/** From the candidate's side: it won, tied or lost against the live version on one input. */
export type ShadowOutcome = "win" | "tie" | "loss" | "error";

/** Which version the judge preferred in one of the two orders. */
export type ShadowPreference = "live" | "candidate" | "tie";

export interface ShadowJudgement {
  /** Which version was shown as answer A. */
  first: "live" | "candidate";
  preferred: ShadowPreference;
  reason: string;
}

export interface ShadowPair {
  id: string;
  vars: Record<string, unknown>;
  live: Sample;
  candidate: Sample;
  /** Both orders, live first then candidate first; empty when an answer errored. */
  judgements: ShadowJudgement[];
  outcome: ShadowOutcome;
  /** The two orders preferred different versions: counted as a tie, a sign of position bias. */
  split: boolean;
  /** Why the pair has no outcome (an answer or the judge failed). */
  error?: string;
  /** 0 (same words) to 1 (no word in common): how far apart the two answers are. */
  distance: number;
}

export type ShadowVerdict = "better" | "worse" | "noise" | "errors";

export interface ShadowSideTotals {
  /** Mean USD per request; null when a price or usage is unknown. */
  costPerRequestUsd: number | null;
  meanLatencyMs: number | null;
  p95LatencyMs: number | null;
  errors: number;
}

export interface ShadowSummary {
  inputs: number;
  /** Pairs with an outcome other than error. */
  judged: number;
  wins: number;
  ties: number;
  losses: number;
  errors: number;
  /** Ties that came from the two orders disagreeing. */
  splits: number;
  /** (wins − losses) / judged: +1 all wins, −1 all losses; null when nothing was judged. */
  netWinRate: number | null;
  /** wins / (wins + losses): the share of decided pairs the candidate won. */
  winRate: number | null;
  /** Of netWinRate, a paired t interval over the per-input scores +1 / 0 / −1. */
  interval: Interval | null;
  verdict: ShadowVerdict;
  live: ShadowSideTotals;
  candidate: ShadowSideTotals;
  /** candidate / live − 1 of the cost per request; null when either is unknown or live is 0. */
  costRelative: number | null;
  /** candidate − live mean latency, over the inputs both answered. */
  latencyDeltaMs: number | null;
  requests: { sent: number; cacheHits: number };
  /** What this run spent on requests sent (not cached), answers and judge calls; null when a price is unknown. */
  runCostUsd: number | null;
}

export interface ShadowResult {
  environment: string;
  prompt: string;
  live: ShadowSide;
  candidate: ShadowSide;
  judgeModel: string;
  inputsFile: string;
  pairs: ShadowPair[];
  summary: ShadowSummary;
}

export interface ShadowTarget {
  version: PromptVersion;
  /** The pinned model, when the pin names one; else the prompt file's. */
  model?: string;
}

export interface ShadowRunInput {
  environment: string;
  live: ShadowTarget;
  candidate: ShadowTarget;
  inputs: readonly ShadowInput[];
  inputsFile: string;
  judgeModel: string;
  /** The interval's level (gates.confidence). */
  confidence: number;
  /** Above this share of errored pairs there is no verdict (gates.max-error-rate). */
  maxErrorRate: number;
  deps: EngineDeps;
}

export interface ShadowProgress {
  done: number;
  total: number;
  errors: number;
  cacheHits: number;
}

export async function runShadow(
  run: ShadowRunInput,
  onProgress?: (p: ShadowProgress) => void,
): Promise<ShadowResult> {
  const { deps } = run;
  // The engine's sampler renders, sends, prices and classifies errors exactly as an eval does;
  // each recorded input is a case without assertions, so nothing is graded but the pair.
  const sampler = createSampler({ ...deps, onProgress: undefined });
  const judgeLimit = pLimit(deps.concurrency);
  const progress: ShadowProgress = {
    done: 0,
    total: run.inputs.length * 4,
    errors: 0,
    cacheHits: 0,
  };
  let judgeCost: number | null = 0;
  // Requests that reached the endpoint: not those the cache answered, a prompt that did not
  // render, or the judge calls of a pair whose answer failed.
  let sent = 0;
  const tick = (failed: boolean, cached: boolean, count = 1, reached = true) => {
    if (reached && !cached) sent += count;
    progress.done += count;
    if (failed) progress.errors += count;
    else if (cached) progress.cacheHits += count;
    onProgress?.(progress);
  };
  const [live, candidate] = planShadowTargets(run) as [EvalTarget, EvalTarget];
  const judge = { model: deps.chat, modelId: run.judgeModel };

  const judgeOnce = async (
    input: string,
    first: "live" | "candidate",
    a: string,
    b: string,
  ): Promise<ShadowJudgement> => {
    try {
      const v = await judgeLimit(() => askPairwiseJudge(judge, input, a, b, deps.signal));
      tick(false, v.cached);
      if (judgeCost !== null && !v.cached) {
        const price = reportsUsage(v.usage)
          ? priceUsage(v.model ?? run.judgeModel, v.usage, deps.prices)
          : undefined;
        judgeCost = price?.kind === "known" ? judgeCost + price.usd : null;
      }
      return { first, preferred: preferenceOf(v.winner, first), reason: v.reason };
    } catch (e) {
      tick(true, false);
      throw e;
    }
  };

  const pairs = await Promise.all(
    run.inputs.map(async (input): Promise<ShadowPair> => {
      const c = caseOf(input);
      const [l, k] = await Promise.all([
        sampler.sample(live, c, 0).then(countSample),
        sampler.sample(candidate, c, 0).then(countSample),
      ]);
      const base = { id: input.id, vars: input.vars, live: l, candidate: k };
      if (l.kind === "error" || k.kind === "error") {
        tick(true, false, 2, false); // the two judge calls never sent
        const which = l.kind === "error" ? l : (k as Extract<Sample, { kind: "error" }>);
        const side = l.kind === "error" ? "live" : "candidate";
        return {
          ...base,
          judgements: [],
          outcome: "error",
          split: false,
          error: `the ${side} answer failed (${which.error.kind}): ${which.error.message}`,
          distance: 0,
        };
      }
      if (l.output === k.output) {
        // Nothing to prefer, and nothing a judge could add but its position bias.
        tick(false, false, 2, false);
        return { ...base, judgements: [], outcome: "tie", split: false, distance: 0 };
      }
      const text = JSON.stringify(input.vars, null, 2);
      const distance = wordDistance(l.output, k.output);
      try {
        const judgements = await Promise.all([
          judgeOnce(text, "live", l.output, k.output),
          judgeOnce(text, "candidate", k.output, l.output),
        ]);
        const [x, y] = judgements.map((j) => j.preferred);
        const agreed = x === y;
        const outcome: ShadowOutcome =
          agreed && x === "candidate" ? "win" : agreed && x === "live" ? "loss" : "tie";
        return { ...base, judgements, outcome, split: !agreed, distance };
      } catch (e) {
        return {
          ...base,
          judgements: [],
          outcome: "error",
          split: false,
          error: (e as Error).message,
          distance,
        };
      }
    }),
  );

  function countSample(s: Sample): Sample {
    tick(
      s.kind === "error",
      s.kind === "ok" && s.cached,
      1,
      s.kind === "ok" || s.error.kind !== "render",
    );
    return s;
  }

  const summary = summariseShadow(pairs, run.confidence, run.maxErrorRate);
  // What this run spent: answers the cache gave cost nothing today.
  const generationCost = sumCost(
    pairs.flatMap((p) => [p.live, p.candidate]).filter((x) => x.kind === "ok" && !x.cached),
  );
  summary.requests = {
    sent,
    cacheHits: progress.cacheHits,
  };
  summary.runCostUsd =
    generationCost === null || judgeCost === null ? null : generationCost + judgeCost;
  return {
    environment: run.environment,
    prompt: run.live.version.prompt,
    live: sideOf(run.live),
    candidate: sideOf(run.candidate),
    judgeModel: run.judgeModel,
    inputsFile: run.inputsFile,
    pairs,
    summary,
  };
}

/** A recorded input as the engine's case: no assertions, since only the pair is graded. */
function caseOf(input: ShadowInput): GoldenCase {
  return { id: input.id, vars: input.vars, assert: [], tags: [], critical: false };
}

/**
 * The live and the candidate target, each over the recorded inputs as cases of one repeat: what
 * the engine samples, and what the run limits (`limits:`, `--max-*`) count and price before
 * anything is sent.
 */
export function planShadowTargets(
  run: Pick<ShadowRunInput, "live" | "candidate" | "inputs" | "inputsFile">,
): EvalTarget[] {
  const goldenSet = {
    prompt: run.live.version.prompt,
    file: run.inputsFile,
    set: { cases: run.inputs.map(caseOf) },
  };
  return [run.live, run.candidate].map((t) => ({
    version: t.version,
    goldenSet,
    ...(t.model ? { model: t.model } : {}),
    repeats: 1,
  }));
}

/** A choice in the judge's positions, as a preference between the versions. */
export function preferenceOf(
  winner: PairwiseChoice,
  first: "live" | "candidate",
): ShadowPreference {
  if (winner === "tie") return "tie";
  const second = first === "live" ? "candidate" : "live";
  return winner === "A" ? first : second;
}

function sideOf(t: ShadowTarget): ShadowSide {
  return {
    prompt: t.version.prompt,
    version: t.version.version,
    model: t.model ?? t.version.model,
    file: t.version.file,
    contentHash: t.version.contentHash,
  };
}

/**
 * Counts and the interval. Each judged input scores +1 (win), 0 (tie) or −1 (loss); their mean
 * is the net win rate (wins − losses) / n, and its interval is the paired t interval the diff's
 * verdict uses, with the same exact sign-test rule when every input scored alike
 * (docs/statistics.md). A tie is excluded only when the whole interval lies on one side of 0.
 */
export function summariseShadow(
  pairs: readonly ShadowPair[],
  confidence: number,
  maxErrorRate: number,
): ShadowSummary {
  let wins = 0;
  let ties = 0;
  let losses = 0;
  let errors = 0;
  let splits = 0;
  const scores: number[] = [];
  for (const p of pairs) {
    if (p.outcome === "win") wins++;
    else if (p.outcome === "loss") losses++;
    else if (p.outcome === "tie") ties++;
    else errors++;
    if (p.split) splits++;
    if (p.outcome !== "error") scores.push(p.outcome === "win" ? 1 : p.outcome === "loss" ? -1 : 0);
  }
  const judged = scores.length;
  const t = pairedTInterval(scores, confidence);
  // The net win rate cannot leave −1..+1; a t interval over few inputs can.
  const interval = t && { ...t, low: Math.max(-1, t.low), high: Math.min(1, t.high) };
  const tooManyErrors = pairs.length > 0 && errors / pairs.length > maxErrorRate;
  const verdict: ShadowVerdict =
    judged === 0 || tooManyErrors
      ? "errors"
      : interval && interval.low > 0
        ? "better"
        : interval && interval.high < 0
          ? "worse"
          : "noise";
  const both = pairs.filter(
    (p): p is ShadowPair & { live: SampleOk; candidate: SampleOk } =>
      p.live.kind === "ok" && p.candidate.kind === "ok",
  );
  const live = sideTotals(
    both.map((p) => p.live),
    pairs.filter((p) => p.live.kind === "error").length,
  );
  const candidate = sideTotals(
    both.map((p) => p.candidate),
    pairs.filter((p) => p.candidate.kind === "error").length,
  );
  const costRelative =
    live.costPerRequestUsd !== null &&
    candidate.costPerRequestUsd !== null &&
    live.costPerRequestUsd > 0
      ? candidate.costPerRequestUsd / live.costPerRequestUsd - 1
      : null;
  const latencyDeltaMs =
    live.meanLatencyMs !== null && candidate.meanLatencyMs !== null
      ? candidate.meanLatencyMs - live.meanLatencyMs
      : null;
  return {
    inputs: pairs.length,
    judged,
    wins,
    ties,
    losses,
    errors,
    splits,
    netWinRate: judged === 0 ? null : (wins - losses) / judged,
    winRate: wins + losses === 0 ? null : wins / (wins + losses),
    interval,
    verdict,
    live,
    candidate,
    costRelative,
    latencyDeltaMs,
    requests: { sent: 0, cacheHits: 0 },
    runCostUsd: null,
  };
}

function sideTotals(samples: readonly SampleOk[], errors: number): ShadowSideTotals {
  const latencies = samples.map((s) => s.latencyMs).sort((a, b) => a - b);
  const mean =
    latencies.length === 0 ? null : latencies.reduce((a, b) => a + b, 0) / latencies.length;
  const cost = sumCost(samples);
  return {
    costPerRequestUsd: cost === null || samples.length === 0 ? null : cost / samples.length,
    meanLatencyMs: mean,
    // Nearest rank: no interpolation between two real requests' latencies.
    p95LatencyMs:
      latencies.length === 0 ? null : (latencies[Math.ceil(0.95 * latencies.length) - 1] as number),
    errors,
  };
}

function sumCost(samples: readonly Sample[]): number | null {
  let sum = 0;
  for (const s of samples) {
    if (s.kind !== "ok") continue;
    if (s.costUsd === null) return null;
    sum += s.costUsd;
  }
  return sum;
}

/** 1 − Jaccard similarity of the two answers' word sets. */
export function wordDistance(a: string, b: string): number {
  const words = (t: string) => new Set(t.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []);
  const x = words(a);
  const y = words(b);
  if (x.size === 0 && y.size === 0) return 0;
  let common = 0;
  for (const w of x) if (y.has(w)) common++;
  return 1 - common / (x.size + y.size - common);
}

const OUTCOME_RANK: Record<ShadowOutcome, number> = { loss: 0, win: 1, tie: 2, error: 3 };

/**
 * The inputs where the versions disagree most, for a reader to look at: losses first (what would
 * get worse for users), then wins, then ties the two orders split on; within each, the answers
 * furthest apart first. Plain ties and errors are not disagreements.
 */
export function listDisagreements(pairs: readonly ShadowPair[], max: number): ShadowPair[] {
  return pairs
    .filter((p) => p.outcome === "win" || p.outcome === "loss" || p.split)
    .sort(
      (a, b) =>
        OUTCOME_RANK[a.outcome] - OUTCOME_RANK[b.outcome] ||
        b.distance - a.distance ||
        a.id.localeCompare(b.id, "en", { numeric: true }),
    )
    .slice(0, max);
}
