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
