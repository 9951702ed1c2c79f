import type { Usage } from "./usage.js";

/**
 * Whether a response reported token usage. A server that reports none has not told us the cost:
 * unknown, never $0, and no price would help (costUnknownOf tells the two apart).
 */
export function reportsUsage(usage: Usage): boolean {
  return usage.promptTokens + usage.completionTokens > 0;
}

/**
 * Why a cost is unknown, so the hint names what would help: a price under `prices:` only helps
 * "no-price". One entry per reason present, in this order; no entry when the cost is known.
 */
export type CostUnknownReason = "no-price" | "no-usage" | "no-samples";

export interface CostUnknown {
  reason: CostUnknownReason;
  /** For "no-price": the ids to add under `prices:`. Empty for the other reasons. */
  models: string[];
}

/**
 * What pricing reads of a run: the model asked for and each sample's outcome (the engine's
 * `PromptRun` is one). Named here so that cost/ stays below the engine that produces runs.
 */
export interface PricedRun {
  model: string;
  cases: readonly { samples: readonly PricedSample[] }[];
}

type PricedSample =
  | { kind: "error" }
  | { kind: "ok"; costUsd: number | null; usage: Usage; model?: string };

const REASON_ORDER: readonly CostUnknownReason[] = ["no-price", "no-usage", "no-samples"];

/**
 * Why a run's cost is unknown (the same rule as its totals: one unpriced ok sample, or no ok sample
 * at all); empty when it is known or there is no run.
 */
export function costUnknownOf(run: PricedRun | null): CostUnknown[] {
  if (run === null) return [];
  let ok = 0;
  let noUsage = false;
  const noPrice = new Set<string>();
  for (const c of run.cases) {
    for (const s of c.samples) {
      if (s.kind !== "ok") continue;
      ok++;
      if (s.costUsd !== null) continue;
      // Without usage nothing was priced: a price would not help.
      if (!reportsUsage(s.usage)) noUsage = true;
      // The id that was looked up: what the server answered as, else what was asked for.
      else noPrice.add(s.model ?? run.model);
    }
  }
  if (ok === 0) return [{ reason: "no-samples", models: [] }];
  const out: CostUnknown[] = [];
  if (noPrice.size > 0) out.push({ reason: "no-price", models: [...noPrice] });
  if (noUsage) out.push({ reason: "no-usage", models: [] });
  return out;
}

/** The reasons of several runs or sides together (a report's footnote), one entry per reason. */
export function mergeCostUnknown(lists: Iterable<readonly CostUnknown[]>): CostUnknown[] {
  const byReason = new Map<CostUnknownReason, Set<string>>();
  for (const list of lists) {
    for (const u of list) {
      const models = byReason.get(u.reason) ?? new Set<string>();
      for (const m of u.models) models.add(m);
      byReason.set(u.reason, models);
    }
  }
  return REASON_ORDER.flatMap((reason) => {
    const models = byReason.get(reason);
    return models === undefined ? [] : [{ reason, models: [...models] }];
  });
}

/** Why a comparison's cost is unknown on either side (a new prompt's missing base is no reason). */
export function comparisonCostUnknown(c: {
  base: PricedRun | null;
  head: PricedRun;
}): CostUnknown[] {
  return mergeCostUnknown([costUnknownOf(c.base), costUnknownOf(c.head)]);
}

/**
 * The hint for one reason, the single wording of the CLI, the comment and the HTML report. `code`
 * formats an identifier (a model id, `prices:`) for the medium; the rest is plain text.
 */
export function describeCostUnknown(
  u: CostUnknown,
  code: (identifier: string) => string = (s) => s,
): string {
  switch (u.reason) {
    case "no-price":
      return `no price for ${u.models.map(code).join(", ")}. Add ${u.models.length === 1 ? "it" : "them"} under ${code("prices:")} in ${code("promptgate.yaml")} (USD per 1M input and output tokens)`;
    case "no-usage":
      return "the endpoint reported no token usage, so cost cannot be computed";
    case "no-samples":
      return "no successful sample to price";
  }
}
