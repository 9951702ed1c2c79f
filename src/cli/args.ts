import { type ParseArgsConfig, parseArgs } from "node:util";
import { PromptgateError } from "../errors.js";

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
    throw new PromptgateError("E_USAGE", (e as Error).message, { hint: `usage: ${usage}` });
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
