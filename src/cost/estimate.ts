import type { PriceOverride } from "../formats/settings.js";
import { priceUsage } from "./prices.js";

/** Mean days in a month (365 / 12, rounded as finance teams do). */
export const DAYS_PER_MONTH = 30.4;

/**
 * Completion tokens assumed per request when the prompt sets no `maxOutputTokens`. A typical short
 * answer; with `maxOutputTokens` the estimate uses that ceiling instead, so it errs high.
 */
export const DEFAULT_COMPLETION_TOKENS = 256;

export function assumeCompletionTokens(maxOutputTokens: number | undefined): number {
  return maxOutputTokens ?? DEFAULT_COMPLETION_TOKENS;
}

/**
 * The output tokens expected per request when nothing was measured: a typical short answer, or
 * the ceiling when that is lower. Most answers stop well short of `maxOutputTokens`, so pricing
 * every request at it (the upper bound) once put a prompt at 4× what its runs cost.
 */
export function expectCompletionTokens(maxOutputTokens: number | undefined): number {
  return Math.min(maxOutputTokens ?? DEFAULT_COMPLETION_TOKENS, DEFAULT_COMPLETION_TOKENS);
}

/** What a run measured per request (mean over answered samples): the comment's cost basis. */
export interface MeasuredTokens {
  promptTokens: number;
  completionTokens: number;
}

/** The mean tokens per answered sample of a run's totals; undefined when nothing was answered. */
export function measureTokens(totals: {
  samples: number;
  errors: number;
  promptTokens: number;
  completionTokens: number;
}): MeasuredTokens | undefined {
  const ok = totals.samples - totals.errors;
  if (ok <= 0) return undefined;
  return { promptTokens: totals.promptTokens / ok, completionTokens: totals.completionTokens / ok };
}

/** Monthly cost of a traffic level; unknown stays unknown. */
export function projectMonthly(
  perRequestUsd: number | null,
  requestsPerDay: number,
): number | null {
  return perRequestUsd === null ? null : perRequestUsd * requestsPerDay * DAYS_PER_MONTH;
}

export interface CostEstimateInput {
  model: string;
  /** Prompt tokens of each case's rendered request (one entry per case). */
  promptTokens: number[];
  /** Completion tokens assumed per request (see assumeCompletionTokens). */
  completionTokens: number;
  repeats: number;
  /** Production traffic for the monthly projection; omitted when promptgate.yaml has none. */
  requestsPerDay?: number;
  overrides: Record<string, PriceOverride>;
}

export interface CostEstimate {
  model: string;
  /** Requests one eval run sends: cases × repeats. */
  requests: number;
  meanPromptTokens: number;
  completionTokens: number;
  /** Mean over the cases; null when the model's price is unknown. */
  perRequestUsd: number | null;
  /** One eval run; null when unknown. */
  runUsd: number | null;
  /** A month of `requestsPerDay`; null when unknown or when no traffic is given. */
  monthlyUsd: number | null;
  source: "override" | "genai-prices" | null;
}

export function estimateCost(input: CostEstimateInput): CostEstimate {
  const cases = input.promptTokens.length;
  const requests = cases * input.repeats;
  let sumUsd = 0;
  let sumTokens = 0;
  let source: CostEstimate["source"] = null;
  let known = true;
  for (const promptTokens of input.promptTokens) {
    // Every case counts towards the mean prompt tokens, priced or not: an unpriced model still
    // shows how long its requests are.
    sumTokens += promptTokens;
    // One unknown price makes the whole cost unknown, so pricing the remaining cases is wasted.
    if (!known) continue;
    // Priced per case, not from a mean, because some tables have tiers by prompt length.
    const price = priceUsage(
      input.model,
      { promptTokens, completionTokens: input.completionTokens },
      input.overrides,
    );
    if (price.kind === "unknown") {
      known = false;
      continue;
    }
    sumUsd += price.usd;
    source = price.source;
  }
  if (cases === 0) {
    // No case to price: ask the table about the model alone, so "unknown" still shows.
    const probe = priceUsage(
      input.model,
      { promptTokens: 0, completionTokens: 0 },
      input.overrides,
    );
    known = probe.kind === "known";
    source = probe.kind === "known" ? probe.source : null;
  }
  const perRequestUsd = known ? (cases === 0 ? 0 : sumUsd / cases) : null;
  return {
    model: input.model,
    requests,
    meanPromptTokens: cases === 0 ? 0 : sumTokens / cases,
    completionTokens: input.completionTokens,
    perRequestUsd,
    runUsd: known ? sumUsd * input.repeats : null,
    monthlyUsd:
      input.requestsPerDay === undefined
        ? null
        : projectMonthly(perRequestUsd, input.requestsPerDay),
    source: known ? source : null,
  };
}
