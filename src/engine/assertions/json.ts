import type { Ajv, ValidateFunction } from "ajv";
import { parse as parseYamlText } from "yaml";
import { PromptgateError } from "../../errors.js";

/**
 * JSON found inside free text: every top-level object or array, left to right, that parses.
 * A candidate starts at `{` or `[` and ends at its balanced closer (brackets inside strings do not
 * count); one that does not parse (`{see below}`) is skipped and the scan goes on inside it.
 */
export function extractJsonValues(text: string, maxValues = 64): unknown[] {
  const found: unknown[] = [];
  // Each start may walk to the end of the text: bound the attempts so that a pathological
  // output ("{{{{…") costs milliseconds, not seconds.
  let attempts = 0;
  for (let i = 0; i < text.length && found.length < maxValues && attempts < 1000; i++) {
    const c = text.charCodeAt(i);
    if (c !== 0x7b /* { */ && c !== 0x5b /* [ */) continue;
    attempts++;
    const end = findBalancedEnd(text, i);
    if (end < 0) continue;
    try {
      found.push(JSON.parse(text.slice(i, end + 1)));
      i = end;
    } catch {
      // Not JSON as a whole; an inner candidate may be.
    }
  }
  return found;
}

function findBalancedEnd(text: string, start: number): number {
  const closers: number[] = [];
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x7b) closers.push(0x7d);
    else if (c === 0x5b) closers.push(0x5d);
    else if (c === 0x7d || c === 0x5d) {
      if (closers.pop() !== c) return -1;
      if (closers.length === 0) return i;
    }
  }
  return -1;
}

export type JsonParse = { ok: true; value: unknown } | { ok: false; error: string };

export function parseJson(text: string): JsonParse {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (e) {
    return { ok: false, error: (e as Error).message };
  }
}

/** A compiled schema: `null` when the value is valid, else the first problem in words. */
export type SchemaCheck = (value: unknown) => string | null;

// ajv costs ~40 ms to import and more to compile its first schema: only pay for it when a
// golden set actually has a schema.
let ajvInstance: Promise<Ajv> | undefined;

function loadAjv(): Promise<Ajv> {
  ajvInstance ??= Promise.all([import("ajv"), import("ajv-formats")]).then(([ajv, formats]) => {
    // strict: false, because schemas pasted from promptfoo or OpenAPI carry keywords such as
    // `example` that ajv's strict mode rejects.
    // CommonJS interop differs between Node and bundles: take the export wherever it landed.
    const mod = ajv as unknown as { Ajv?: typeof Ajv; default?: { Ajv?: typeof Ajv } & typeof Ajv };
    const AjvClass = (mod.Ajv ?? mod.default?.Ajv ?? mod.default) as typeof Ajv;
    const fmt = formats as unknown as {
      default: ((a: Ajv) => void) & { default?: (a: Ajv) => void };
    };
    const addFormats = fmt.default.default ?? fmt.default;
    const instance = new AjvClass({ strict: false, allErrors: false });
    addFormats(instance);
    return instance;
  });
  return ajvInstance;
}

export async function compileSchema(schema: object | boolean, type: string): Promise<SchemaCheck> {
  const ajv = await loadAjv();
  let validate: ValidateFunction;
  try {
    validate = ajv.compile(schema);
  } catch (e) {
    throw new PromptgateError("E_SCHEMA", `${type}: invalid JSON Schema: ${(e as Error).message}`, {
      hint: "fix the schema in the assertion's `value` (JSON Schema draft-07)",
      cause: e,
    });
  }
  return (value) =>
    validate(value) ? null : ajv.errorsText(validate.errors, { dataVar: "json", separator: "; " });
}

/** A schema written as text: promptfoo reads it as YAML (JSON is YAML). Unreadable: undefined. */
export function parseSchemaText(text: string): unknown {
  try {
    return parseYamlText(text);
  } catch {
    return undefined;
  }
}

/**
 * Deep equality of JSON values, as promptfoo's `equals` compares an object value with the parsed
 * output: keys in any order, lists in order, no coercion between types.
 */
export function equalJson(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((x, i) => equalJson(x, b[i]));
  }
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  const rb = b as Record<string, unknown>;
  const ra = a as Record<string, unknown>;
  return ka.every((k) => Object.hasOwn(rb, k) && equalJson(ra[k], rb[k]));
}

/**
 * The JSON values a model's reply may hold, most likely first: the whole reply, then each fenced
 * block, then the values found inside prose. A judge's reply is read this way, since models wrap
 * the JSON they were asked for in fences or sentences.
 */
export function* jsonInReply(reply: string): Generator<unknown> {
  const trimmed = reply.trim();
  try {
    yield JSON.parse(trimmed);
  } catch {
    // Not bare JSON: look inside.
  }
  for (const m of trimmed.matchAll(/```[a-zA-Z]*\s*\n?([\s\S]*?)```/g)) {
    try {
      yield JSON.parse(m[1] ?? "");
    } catch {
      // A fence that holds something else.
    }
  }
  yield* extractJsonValues(trimmed, 8);
}
