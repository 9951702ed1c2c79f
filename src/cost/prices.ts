import { calcPrice } from "@pydantic/genai-prices";
import type { PriceOverride } from "../formats/settings.js";
import type { Usage } from "./usage.js";

/**
 * Prices one request from the usage the API reported.
 *
 * The table is the one bundled with `@pydantic/genai-prices`. That package fetches newer data only
 * when someone calls its `updatePrices()` with a fetching factory (its `calcPrice` merely invokes the
 * callback such a factory registered); promptgate never calls it, so prices are the bundled
 * snapshot, reproducible and offline. test/unit/cost/cost.test.ts checks that pricing touches no `fetch`.
 */
export type Price =
  | { kind: "known"; usd: number; source: "override" | "genai-prices" }
  | { kind: "unknown"; model: string };

const PER_MILLION = 1_000_000;
const SNAPSHOT_SUFFIX = /-\d{4}-\d{2}-\d{2}$/;

export function priceUsage(
  model: string,
  usage: Usage,
  overrides: Record<string, PriceOverride>,
): Price {
  const promptTokens = Math.max(0, usage.promptTokens);
  const completionTokens = Math.max(0, usage.completionTokens);
  // The API reports cached tokens as a part of prompt_tokens, never more than it.
  const cachedTokens = Math.min(Math.max(0, usage.cachedTokens ?? 0), promptTokens);

  const override = findOverride(model, overrides);
  if (override) {
    const usd =
      ((promptTokens - cachedTokens) * override.input +
        cachedTokens * (override.cachedInput ?? override.input) +
        completionTokens * override.output) /
      PER_MILLION;
    return { kind: "known", usd, source: "override" };
  }

  const usd = priceFromTable(model.trim(), {
    input_tokens: promptTokens,
    cache_read_tokens: cachedTokens,
    output_tokens: completionTokens,
  });
  return usd === null ? { kind: "unknown", model } : { kind: "known", usd, source: "genai-prices" };
}

/** Exact id first, then case-insensitively, then without a snapshot date (`gpt-4o-2024-08-06`). */
export function findOverride(
  model: string,
  overrides: Record<string, PriceOverride>,
): PriceOverride | undefined {
  const id = model.trim();
  if (Object.hasOwn(overrides, id)) return overrides[id];
  const lower = id.toLowerCase();
  const base = lower.replace(SNAPSHOT_SUFFIX, "");
  let byBase: PriceOverride | undefined;
  for (const [key, price] of Object.entries(overrides)) {
    const k = key.trim().toLowerCase();
    if (k === lower) return price;
    if (k === base) byBase = price;
  }
  return byBase;
}

/** Whether the bundled table prices `model`: then a `prices:` entry for it is a re-pricing. */
export function isKnownToPriceTable(model: string): boolean {
  return ratesOf(model.trim()) !== "unknown";
}

type TableUsage = { input_tokens: number; cache_read_tokens: number; output_tokens: number };

/**
 * We speak OpenAI's API, so OpenAI's catalogue is asked first (it alone knows ids such as
 * `chatgpt-4o-latest`); then the table's own matching across providers; then a LiteLLM-style
 * `provider/model` id split at its slash.
 */
function priceFromTable(model: string, usage: TableUsage): number | null {
  const rates = ratesOf(model);
  if (rates === "unknown") return null;
  if (rates !== "tiered") {
    return (
      ((usage.input_tokens - usage.cache_read_tokens) * rates.input +
        usage.cache_read_tokens * rates.cacheRead +
        usage.output_tokens * rates.output) /
      PER_MILLION
    );
  }
  return calcFromTable(model, usage);
}

/**
 * The table's model matching costs ~0.3 ms a call, more than the rest of a sample's CPU. Most
 * models have flat per-token rates, so they are looked up once per model id and applied here;
 * tiered or time-dependent prices keep going through calcPrice.
 */
type Rates = { input: number; cacheRead: number; output: number } | "tiered" | "unknown";
const linearRates = new Map<string, Rates>();

function ratesOf(model: string): Rates {
  let rates = linearRates.get(model);
  if (rates === undefined) {
    rates = findLinearRates(model);
    linearRates.set(model, rates);
  }
  return rates;
}

function findLinearRates(model: string): Rates {
  const probe = { input_tokens: 1_000_000, cache_read_tokens: 0, output_tokens: 0 };
  for (const [id, providerId] of attemptsFor(model)) {
    let r: ReturnType<typeof calcPrice>;
    try {
      r = calcPrice(probe, id, providerId ? { providerId } : undefined);
    } catch {
      continue;
    }
    if (!r || !Number.isFinite(r.total_price)) continue;
    const mp = r.model_price;
    const flat = Object.values(mp).every((v) => v === undefined || typeof v === "number");
    const timeDependent = Array.isArray((r.model as { prices?: unknown }).prices);
    if (!flat || timeDependent) return "tiered";
    const input = typeof mp.input_mtok === "number" ? mp.input_mtok : 0;
    const output = typeof mp.output_mtok === "number" ? mp.output_mtok : 0;
    const cacheRead = typeof mp.cache_read_mtok === "number" ? mp.cache_read_mtok : input;
    return { input, cacheRead, output };
  }
  return "unknown";
}

function attemptsFor(model: string): Array<[string, string | undefined]> {
  const attempts: Array<[string, string | undefined]> = [
    [model, "openai"],
    [model, undefined],
  ];
  const slash = model.indexOf("/");
  if (slash > 0) {
    const rest = model.slice(slash + 1);
    attempts.push([rest, model.slice(0, slash).toLowerCase()], [rest, undefined]);
  }
  return attempts;
}

function calcFromTable(model: string, usage: TableUsage): number | null {
  for (const [id, providerId] of attemptsFor(model)) {
    try {
      const r = calcPrice(usage, id, providerId ? { providerId } : undefined);
      if (r && Number.isFinite(r.total_price)) return r.total_price;
    } catch {
      // A price entry the library cannot apply to this usage is as good as no entry.
    }
  }
  return null;
}
