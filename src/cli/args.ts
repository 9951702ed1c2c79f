import { type ParseArgsConfig, parseArgs } from "node:util";
import { PromptgateError } from "../errors.js";
import { suggestClosest } from "../suggest.js";

type Options = NonNullable<ParseArgsConfig["options"]>;

/** parseArgs, strict, with errors that carry the command's usage as a hint. */
export function parseFlags<O extends Options>(
  argv: string[],
  options: O,
  usage: string,
  positionals = 0,
) {
  try {
    const parsed = parseArgs({
      args: argv,
      options,
      strict: true,
      allowPositionals: positionals > 0,
    });
    if (parsed.positionals.length > positionals) {
      throw new Error(`unexpected argument "${parsed.positionals[positionals]}"`);
    }
    return parsed;
  } catch (e) {
    const message = (e as Error).message;
    // The bot's near-miss rule for flags too: `--promt` is a slip of `--prompt`.
    const unknown = /^Unknown option '-{1,2}([^']+)'/.exec(message)?.[1];
    const near = unknown ? suggestClosest(unknown, Object.keys(options)) : undefined;
    throw new PromptgateError("E_USAGE", near ? `${message}; did you mean --${near}?` : message, {
      hint: `usage: ${usage}`,
    });
  }
}

export function toInt(
  value: string | undefined,
  flag: string,
  min = 1,
  max = 10_000,
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new PromptgateError(
      "E_USAGE",
      `${flag} must be an integer from ${min} to ${max}, got "${value}"`,
    );
  }
  return n;
}

export const COMMON_MODEL_FLAGS = {
  root: { type: "string" },
  "base-url": { type: "string" },
  concurrency: { type: "string" },
  "cache-dir": { type: "string" },
  "no-cache": { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const satisfies Options;

/** A run's limits (see `limits:` in the README): eval and diff take them as flags. */
export const LIMIT_FLAGS = {
  "max-samples": { type: "string" },
  "max-output-tokens": { type: "string" },
  "max-cost": { type: "string" },
} as const satisfies Options;

export const LIMIT_USAGE = "[--max-samples N] [--max-output-tokens N] [--max-cost USD]";

/** The limit flags given, each only when given: the base's promptgate.yaml fills the rest. */
export function readLimitFlags(values: {
  "max-samples"?: string | undefined;
  "max-output-tokens"?: string | undefined;
  "max-cost"?: string | undefined;
}): { maxSamples?: number; maxOutputTokens?: number; maxCost?: number } {
  const out: { maxSamples?: number; maxOutputTokens?: number; maxCost?: number } = {};
  const maxSamples = toInt(values["max-samples"], "--max-samples", 1, Number.MAX_SAFE_INTEGER);
  const maxOutputTokens = toInt(
    values["max-output-tokens"],
    "--max-output-tokens",
    1,
    Number.MAX_SAFE_INTEGER,
  );
  if (maxSamples !== undefined) out.maxSamples = maxSamples;
  if (maxOutputTokens !== undefined) out.maxOutputTokens = maxOutputTokens;
  const cost = values["max-cost"];
  if (cost !== undefined) {
    const n = Number(cost.replace(/^\$/, ""));
    if (!Number.isFinite(n) || n <= 0) {
      throw new PromptgateError("E_USAGE", `--max-cost must be dollars above 0, got "${cost}"`);
    }
    out.maxCost = n;
  }
  return out;
}
