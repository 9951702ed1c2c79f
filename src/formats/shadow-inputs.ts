import { PromptgateError, PromptgateErrors } from "../errors.js";
import { stripBom } from "./located-yaml.js";

/**
 * Recorded inputs for `promptgate shadow`: the vars of real requests, one JSON object per line
 * (JSON Lines), exactly the object an application passes to `resolve(...).render(vars)`. Blank
 * lines are skipped; anything else that is not a JSON object is an error at its line.
 */
export interface ShadowInput {
  /** `<file>:<line>`: where the input came from, the id the report names it by. */
  id: string;
  line: number;
  vars: Record<string, unknown>;
}

/** More errors than this in one file say "wrong file", not "fix these lines". */
const MAX_REPORTED_ERRORS = 20;

export function parseShadowInputs(text: string, file: string): ShadowInput[] {
  const inputs: ShadowInput[] = [];
  const errors: PromptgateError[] = [];
  const lines = stripBom(text).split("\n");
  for (const [i, raw] of lines.entries()) {
    const line = i + 1;
    const trimmed = raw.trim();
    if (trimmed === "") continue;
    let value: unknown;
    try {
      value = JSON.parse(trimmed);
    } catch (e) {
      errors.push(lineError(file, line, `not JSON: ${(e as Error).message}`));
      if (errors.length >= MAX_REPORTED_ERRORS) break;
      continue;
    }
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      const kind = value === null ? "null" : Array.isArray(value) ? "an array" : typeof value;
      errors.push(lineError(file, line, `a line must be one JSON object of vars, got ${kind}`));
      if (errors.length >= MAX_REPORTED_ERRORS) break;
      continue;
    }
    inputs.push({ id: `${file}:${line}`, line, vars: value as Record<string, unknown> });
  }
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new PromptgateErrors(errors);
  if (inputs.length === 0) {
    throw new PromptgateError("E_SCHEMA", "no inputs: the file is empty or every line is blank", {
      location: { file },
      hint: 'write one JSON object of a request\'s vars per line, like {"question": "Can I get a refund?"}',
    });
  }
  return inputs;
}

function lineError(file: string, line: number, message: string): PromptgateError {
  return new PromptgateError("E_SCHEMA", message, {
    location: { file, line },
    hint: 'each line is one JSON object of a request\'s vars, like {"question": "Can I get a refund?"}',
  });
}

/**
 * `n` inputs drawn without replacement by a seeded partial Fisher–Yates shuffle, kept in file
 * order, so the same file and seed choose the same inputs (and a rerun hits the cache).
 */
export function sampleShadowInputs(
  inputs: readonly ShadowInput[],
  n: number,
  nextInt: (bound: number) => number,
): ShadowInput[] {
  if (n >= inputs.length) return [...inputs];
  const order = inputs.map((_, i) => i);
  for (let i = 0; i < n; i++) {
    const j = i + nextInt(order.length - i);
    [order[i], order[j]] = [order[j] as number, order[i] as number];
  }
  return order
    .slice(0, n)
    .sort((a, b) => a - b)
    .map((i) => inputs[i] as ShadowInput);
}
