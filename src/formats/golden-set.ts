import { z } from "zod";
import { PromptgateError, PromptgateErrors } from "../errors.js";
import { normalizeAssertionValue, renderValue, varsReadBy } from "./assertion-value.js";
import { parseSequenceInChunks } from "./chunked-yaml.js";
import { flatString, flattenValue } from "./flat-values.js";
import { checkTextLimits, parseYaml, stripBom } from "./located-yaml.js";

/** The assertion types of formats.md, in promptfoo's syntax; each may take a `not-` prefix. */
export const ASSERTION_TYPES = [
  "equals",
  "contains",
  "icontains",
  "contains-any",
  "contains-all",
  "starts-with",
  "regex",
  "is-json",
  "contains-json",
  "levenshtein",
  "similar",
  "llm-rubric",
  "cost",
  "latency",
] as const;
export type AssertionType = (typeof ASSERTION_TYPES)[number];

// The list's own strings, so that a case keeps no copy of the type it read from the file.
const TYPE_NAMED = new Map<string, AssertionType>(ASSERTION_TYPES.map((t) => [t, t]));

const typeSchema = z.string().transform((raw, ctx) => {
  const negated = raw.startsWith("not-");
  const type = TYPE_NAMED.get(negated ? raw.slice(4) : raw);
  if (type === undefined) {
    ctx.addIssue({
      code: "custom",
      message: `unknown assertion type "${raw}"; expected one of ${ASSERTION_TYPES.join(", ")} (each may take "not-")`,
    });
    return z.NEVER;
  }
  return { type, negated };
});

const assertionSchema = z
  .strictObject({
    type: typeSchema,
    value: z.unknown().optional(),
    threshold: z.number().optional(),
    weight: z.number().nonnegative().default(1),
    metric: z.string().optional(),
  })
  .superRefine((a, ctx) => {
    const need = (ok: boolean, what: string) => {
      if (!ok)
        ctx.addIssue({ code: "custom", path: ["value"], message: `${a.type.type} needs ${what}` });
    };
    const v = a.value;
    switch (a.type.type) {
      case "equals":
        // Any YAML value: an object, list or null is compared with the output parsed as JSON.
        need(v !== undefined, "a value");
        break;
      case "contains":
      case "icontains":
        need(typeof v === "string" || typeof v === "number", "a string (or number) value");
        break;
      case "starts-with":
      case "levenshtein":
      case "similar":
      case "llm-rubric":
        need(typeof v === "string", "a string value");
        break;
      case "regex":
        need(typeof v === "string", "a string value (a regular expression)");
        if (typeof v === "string") {
          try {
            new RegExp(v);
          } catch (e) {
            ctx.addIssue({
              code: "custom",
              path: ["value"],
              message: `invalid regex: ${(e as Error).message}`,
            });
          }
        }
        break;
      case "contains-any":
      case "contains-all":
        need(
          typeof v === "string" || Array.isArray(v),
          "a list of strings, or one comma-separated string",
        );
        break;
      case "contains-json":
      case "is-json":
        need(
          v === undefined ||
            v === null ||
            typeof v === "string" ||
            typeof v === "boolean" ||
            (typeof v === "object" && !Array.isArray(v)),
          "a JSON Schema (an object, or YAML/JSON text of one) or nothing",
        );
        break;
      case "cost":
      case "latency":
        need(typeof a.threshold === "number" || typeof v === "number", "a numeric threshold");
        break;
    }
  })
  .transform((a) => ({
    type: a.type.type,
    negated: a.type.negated,
    value: a.value,
    threshold: a.threshold,
    weight: a.weight,
    metric: a.metric,
  }));
export type Assertion = z.output<typeof assertionSchema>;

export interface GoldenCase {
  id: string;
  description?: string | undefined;
  vars: Record<string, unknown>;
  critical: boolean;
  tags: string[];
  /**
   * promptfoo's "score requirement": when set, a sample passes when the weighted score of its
   * assertions reaches it, whichever of them failed (0: always passes).
   */
  threshold?: number | undefined;
  assert: Assertion[];
  /**
   * Vars that only the assertions read (`contains: "{{expected}}"`, as promptfoo suites do)
   * are used, though no prompt template reads them: `validate` must not call them misspelt.
   */
  assertVars?: string[] | undefined;
}

/*
 * What a case keeps for the whole run is built here in one fixed shape (absent fields are
 * undefined, which JSON and the golden-set hash leave out as before), with flat strings, and
 * with the empty defaults and the assertions that recur across cases shared rather than copied:
 * see flat-values.ts for why the parser's own strings cost more than their text.
 */
const NO_TAGS = Object.freeze([]) as unknown as string[];
const NO_VARS = Object.freeze({}) as Record<string, unknown>;

const caseSchema = z
  .strictObject({
    id: z.string().min(1),
    description: z.string().optional(),
    vars: z.record(z.string(), z.unknown()).optional(),
    critical: z.boolean().default(false),
    tags: z.array(z.string()).optional(),
    threshold: z.number().optional(),
    assert: z.array(assertionSchema).min(1, "a case needs at least one assertion"),
  })
  .transform((c, ctx): GoldenCase => {
    const vars = c.vars === undefined ? NO_VARS : flattenValue(c.vars);
    const read = [...new Set(c.assert.flatMap((a) => varsReadBy(a.value)))];
    return {
      id: flatString(c.id),
      description: c.description === undefined ? undefined : flatString(c.description),
      vars,
      critical: c.critical,
      tags: c.tags === undefined || c.tags.length === 0 ? NO_TAGS : c.tags.map(flatString),
      threshold: c.threshold,
      assert: c.assert.map((a, j) => prepareValue(a, j, vars, ctx)),
      assertVars: read.length > 0 ? read : undefined,
    };
  });

/**
 * An assertion's value as the engine grades it: `{{vars}}` rendered with the case's vars and
 * promptfoo's other spellings read (assertion-value.ts). Problems are issues at the value.
 */
function prepareValue(
  a: Assertion,
  index: number,
  vars: Record<string, unknown>,
  ctx: z.RefinementCtx,
): Assertion {
  const rendered = renderValue(a.value, vars);
  const value = rendered.ok ? normalizeAssertionValue(a.type, rendered.value) : rendered;
  if (!value.ok) {
    ctx.addIssue({ code: "custom", path: ["assert", index, "value"], message: value.message });
    return a;
  }
  return shareAssertion({
    type: a.type,
    negated: a.negated,
    value: flattenValue(value.value),
    threshold: a.threshold,
    weight: a.weight,
    metric: a.metric === undefined ? undefined : flatString(a.metric),
  });
}

/*
 * Golden sets repeat assertions case after case (`is-json`, the same regex, the same rubric):
 * one frozen object serves them all, and the engine's caches keyed by assertion compile each
 * once. Bounded, as the values are the files' own text; lists and schemas are left per case.
 */
const SHARED_MAX = 4096;
const SHARED_VALUE_MAX = 256;
const sharedAssertions = new Map<string, Assertion>();

function shareAssertion(a: Assertion): Assertion {
  const v = a.value;
  if (typeof v === "object" && v !== null) return a;
  if (typeof v === "string" && v.length > SHARED_VALUE_MAX) return a;
  // The value last and the metric quoted: no two different assertions meet at one key.
  const key = `${a.type}\0${a.negated ? 1 : 0}\0${a.weight}\0${a.threshold ?? ""}\0${a.metric === undefined ? "" : JSON.stringify(a.metric)}\0${typeof v}\0${String(v)}`;
  const found = sharedAssertions.get(key);
  if (found) return found;
  if (sharedAssertions.size >= SHARED_MAX) sharedAssertions.clear();
  sharedAssertions.set(key, Object.freeze(a));
  return a;
}

/** A golden set around `cases` (the full case schema, or one taking cases already read). */
function goldenSetAround<C extends z.ZodType<GoldenCase, unknown>>(cases: C) {
  return z
    .strictObject({
      description: z.string().optional(),
      repeats: z.union([z.number().int().min(1).max(100), z.literal("auto")]).optional(),
      cases: z.array(cases).min(1, "a golden set needs at least one case"),
    })
    .superRefine((g, ctx) => {
      const seen = new Map<string, number>();
      g.cases.forEach((c, i) => {
        const first = seen.get(c.id);
        if (first !== undefined) {
          ctx.addIssue({
            code: "custom",
            path: ["cases", i, "id"],
            message: `duplicate case id "${c.id}" (first at cases.${first}); ids must be unique and stable`,
          });
        } else seen.set(c.id, i);
      });
    });
}

export const goldenSetSchema = goldenSetAround(caseSchema);
// The fast path's cases are read one by one as they are parsed (parseGoldenSet).
const readCases = goldenSetAround(z.custom<GoldenCase>(() => true));
export type GoldenSet = z.output<typeof goldenSetSchema>;

/**
 * Ten cases a document: each chunk's parser garbage then dies in the young generation. At 50,
 * enough of it outlived a scavenge to be promoted that loading 100,000 cases peaked at ~215 MB
 * RSS; at 1 to 10 it is ~163 MB, and the CPU is lower too (~0.10 against 0.13 ms a case).
 */
const CASES_PER_CHUNK = 10;

/**
 * Parses a golden set in chunks of cases when its shape allows (chunked-yaml.ts: a big set's
 * peak memory halves); anything the fast path does not accept, errors included, goes through the
 * whole-file parse, so errors are located the same way either way.
 */
export function parseGoldenSet(text: string, file: string): GoldenSet {
  try {
    checkTextLimits(text, file);
  } catch (e) {
    throw e instanceof PromptgateError ? new PromptgateErrors([e]) : e;
  }
  const raw = parseSequenceInChunks(stripBom(text), "cases", CASES_PER_CHUNK, (item) => {
    const c = caseSchema.safeParse(item);
    return c.success ? c.data : undefined;
  });
  if (raw !== undefined) {
    const result = readCases.safeParse(raw);
    if (result.success) {
      const set = result.data;
      if (set.description !== undefined) set.description = flatString(set.description);
      return set;
    }
  }
  return parseYaml(text, file, goldenSetSchema).value;
}
