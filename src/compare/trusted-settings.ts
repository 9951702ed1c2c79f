import { isDeepStrictEqual } from "node:util";
import { findOverride, isKnownToPriceTable } from "../cost/prices.js";
import type { PriceOverride, Settings } from "../formats/settings.js";
import type { Notice } from "./change-types.js";

/**
 * The trust boundary of a pull request's run, in one place.
 *
 * What a pull request may change is what it is asking to ship: its prompt versions, its golden-set
 * cases, its pins. Everything that decides where secrets go, what is trusted, what a run may spend
 * and how it is judged comes from the base revision's promptgate.yaml or the workflow's (the
 * CLI's) inputs. Without a promptgate.yaml at base (a new repository) that is the defaults.
 *
 * Every key of `Settings` must be given a side in SETTING_SIDES: the type below fails to compile
 * when a new setting is added without one, so no setting reaches a run from the pull request by
 * default.
 */
export type SettingSide =
  /** The base revision's value; a head change is shown as a notice and takes effect after merge. */
  | "base"
  /** The workflow's input (or the CLI's flag/environment) when given, else the base's value. */
  | "input-or-base"
  /** The base's prices, plus head prices for models neither the base nor the price table knows. */
  | "base-and-new-from-head"
  /**
   * The base's value once the base sets one: the pull request may set it where the base has none
   * (nothing to loosen) or remove it (runs that need it then fail), never swap it for another.
   */
  | "base-once-set"
  /** The pull request's own: part of what it asks to ship. */
  | "head";

/** What the workflow or the CLI says, which wins over the base for the "input-or-base" keys. */
export interface TrustedInputs {
  /** The endpoint, already resolved by the edge: an input/flag, then OPENAI_BASE_URL. */
  baseUrl?: string;
  concurrency?: number;
  maxSamples?: number;
  maxOutputTokens?: number;
  maxCost?: number;
}

interface SideRule {
  side: Exclude<SettingSide, "input-or-base">;
  /** The key as written in promptgate.yaml. */
  key: string;
  /** What it is, in a reviewer's words, for the notice. */
  what: string;
}
interface InputRule {
  side: "input-or-base";
  key: string;
  what: string;
  input: keyof TrustedInputs;
}
export type SettingRule = SideRule | InputRule;

/** A rule for every key of T, or for each of its keys in turn: never a key left out. */
type SideTable<T> = {
  readonly [K in keyof T]-?: SettingRule | SideTable<NonNullable<T[K]>>;
};

export const SETTING_SIDES = {
  version: { side: "base", key: "version", what: "the settings format version" },
  // Each revision is read with its own layout: moving the folders is part of the change.
  paths: { side: "head", key: "paths", what: "where prompts, golden sets and environments live" },
  provider: {
    baseUrl: {
      side: "input-or-base",
      input: "baseUrl",
      key: "provider.base-url",
      what: "the model endpoint",
    },
    concurrency: {
      side: "input-or-base",
      input: "concurrency",
      key: "provider.concurrency",
      what: "the number of requests in flight",
    },
    timeoutMs: { side: "base", key: "provider.timeout-s", what: "the request timeout" },
    retries: { side: "base", key: "provider.retries", what: "the retries per request" },
  },
  // How llm-rubric and similar cases are graded: a pull request that swapped the judge for a
  // lenient one would choose its own verdict. A first judge ships with the golden set that needs it.
  // Its rubric prompt goes with it: the file is read from the revision the judge is taken from.
  judge: { side: "base-once-set", key: "judge", what: "the judge model and its rubric prompt" },
  embeddings: { side: "base-once-set", key: "embeddings.model", what: "the embeddings model" },
  repeats: { side: "base", key: "repeats", what: "the samples per case" },
  maxRepeats: { side: "base", key: "max-repeats", what: "the most samples per case" },
  baseline: { side: "base", key: "baseline", what: "the environment a new version must beat" },
  gates: {
    minPassRate: { side: "base", key: "gates.min-pass-rate", what: "a gate" },
    maxRegression: { side: "base", key: "gates.max-regression", what: "a gate" },
    confidence: { side: "base", key: "gates.confidence", what: "a gate" },
    critical: { side: "base", key: "gates.critical", what: "a gate" },
    goldenSetEdits: { side: "base", key: "gates.golden-set-edits", what: "a gate" },
    maxCostIncrease: { side: "base", key: "gates.max-cost-increase", what: "a gate" },
    maxErrorRate: { side: "base", key: "gates.max-error-rate", what: "a gate" },
    detect: { side: "base", key: "gates.detect", what: "the smallest drop the sampling plans for" },
  },
  limits: {
    maxSamples: {
      side: "input-or-base",
      input: "maxSamples",
      key: "limits.max-samples",
      what: "the most samples a run may draw",
    },
    maxOutputTokens: {
      side: "input-or-base",
      input: "maxOutputTokens",
      key: "limits.max-output-tokens",
      what: "the most output tokens a request may ask for",
    },
    maxCost: {
      side: "input-or-base",
      input: "maxCost",
      key: "limits.max-cost",
      what: "the most a run may cost",
    },
  },
  // Read only for the monthly projection shown beside the cost; no gate reads it.
  trafficPerDay: { side: "head", key: "traffic", what: "the traffic per prompt" },
  // The workflow's input names the suite; which cases it holds decides how the PR is judged.
  suites: { side: "base", key: "suites", what: "the suites and the cases each holds" },
  lint: {
    modelAliases: { side: "base", key: "lint.model-aliases", what: "the model-alias lint" },
  },
  prices: { side: "base-and-new-from-head", key: "prices", what: "the model prices" },
  rollout: { side: "base", key: "rollout", what: "the rollout order and who may run commands" },
  // A signal commits to the default branch with no person in the loop: who may is the base's.
  autoRollback: {
    side: "base",
    key: "auto-rollback",
    what: "which monitoring signals may roll back an environment",
  },
} as const satisfies SideTable<Settings>;

/** Every rule of the table, in its order: for the README's table and its test. */
export function listSettingRules(): SettingRule[] {
  const rules: SettingRule[] = [];
  const walk = (node: object) => {
    for (const value of Object.values(node)) {
      if (isRule(value)) rules.push(value);
      else walk(value as object);
    }
  };
  walk(SETTING_SIDES);
  return rules;
}

export interface TrustedSettings {
  /** The settings the run uses. */
  settings: Settings;
  /** One per setting the pull request changes that this run does not use. */
  notices: Notice[];
}

/**
 * The settings a pull request's run uses, from the base revision's and the head's
 * promptgate.yaml and the workflow's inputs, each key from the side SETTING_SIDES gives it.
 */
export function resolveTrustedSettings(input: {
  base: Settings;
  head: Settings;
  inputs?: TrustedInputs;
}): TrustedSettings {
  const notices: Notice[] = [];
  const inputs = input.inputs ?? {};
  const resolveNode = (node: object, base: unknown, head: unknown): unknown => {
    if (isRule(node)) return resolveRule(node, base, head, inputs, notices);
    const out: Record<string, unknown> = {};
    for (const [k, child] of Object.entries(node)) {
      out[k] = resolveNode(child as object, fieldOf(base, k), fieldOf(head, k));
    }
    return out;
  };
  const settings = resolveNode(SETTING_SIDES, input.base, input.head) as Settings;
  return { settings, notices };
}

function resolveRule(
  rule: SettingRule,
  base: unknown,
  head: unknown,
  inputs: TrustedInputs,
  notices: Notice[],
): unknown {
  switch (rule.side) {
    case "head":
      return head;
    case "base-and-new-from-head":
      return mergePrices(
        base as Record<string, PriceOverride>,
        head as Record<string, PriceOverride>,
        notices,
      );
    case "base-once-set":
      if (base === undefined || head === undefined) return head;
      if (!isDeepStrictEqual(base, head)) {
        notices.push({
          kind: "setting-from-base",
          message: `this PR changes ${rule.what} (${rule.key}); it takes effect after merge`,
          file: "promptgate.yaml",
        });
      }
      return base;
    case "base":
    case "input-or-base": {
      if (!isDeepStrictEqual(base, head)) {
        notices.push({
          kind: "setting-from-base",
          message: `this PR changes ${rule.what} (${rule.key}); it takes effect after merge`,
          file: "promptgate.yaml",
        });
      }
      const given = rule.side === "input-or-base" ? inputs[rule.input] : undefined;
      return given ?? base;
    }
  }
}

/**
 * A pull request may add a price for a model nothing prices yet (a fine-tune, a local model); it
 * may not re-price one the base or the table knows, or it could hide a cost increase from
 * `max-cost-increase`. Names are matched the way prices are looked up (case, snapshot date).
 */
function mergePrices(
  base: Record<string, PriceOverride>,
  head: Record<string, PriceOverride>,
  notices: Notice[],
): Record<string, PriceOverride> {
  const merged = { ...base };
  for (const [model, price] of Object.entries(head)) {
    const fromBase = findOverride(model, base);
    if (fromBase === undefined && !isKnownModel(model)) {
      merged[model] = price;
      continue;
    }
    if (isDeepStrictEqual(fromBase, price)) continue;
    notices.push({
      kind: "price-ignored",
      message: `head prices for ${model} ignored for the gates (${fromBase ? "the base's promptgate.yaml prices it" : "the price table knows it"}); they take effect after merge`,
      file: "promptgate.yaml",
    });
  }
  return merged;
}

/** An entry is looked up case-insensitively and without a snapshot date: so is "known". */
function isKnownModel(model: string): boolean {
  const lower = model.trim().toLowerCase();
  return [model, lower, lower.replace(/-\d{4}-\d{2}-\d{2}$/, "")].some(isKnownToPriceTable);
}

function isRule(node: unknown): node is SettingRule {
  return (
    typeof node === "object" && node !== null && typeof (node as SettingRule).side === "string"
  );
}

function fieldOf(value: unknown, key: string): unknown {
  return typeof value === "object" && value !== null
    ? (value as Record<string, unknown>)[key]
    : undefined;
}
