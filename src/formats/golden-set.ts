import { z } from "zod";
import { PromptgateError, PromptgateErrors } from "../errors.js";
import { normalizeAssertionValue, renderValue, varsReadBy } from "./assertion-value.js";
import { parseSequenceInChunks } from "./chunked-yaml.js";
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

const typeSchema = z.string().transform((raw, ctx) => {
  const negated = raw.startsWith("not-");
  const base = negated ? raw.slice(4) : raw;
  if (!(ASSERTION_TYPES as readonly string[]).includes(base)) {
    ctx.addIssue({
      code: "custom",
      message: `unknown assertion type "${raw}"; expected one of ${ASSERTION_TYPES.join(", ")} (each may take "not-")`,
    });
    return z.NEVER;
  }
  return { type: base as AssertionType, negated };
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

const caseSchema = z
  .strictObject({
    id: z.string().min(1),
    description: z.string().optional(),
    vars: z.record(z.string(), z.unknown()).default({}),
    critical: z.boolean().default(false),
    tags: z.array(z.string()).default([]),
    /**
     * promptfoo's "score requirement": when set, a sample passes when the weighted score of its
     * assertions reaches it, whichever of them failed (0: always passes).
     */
    threshold: z.number().optional(),
    assert: z.array(assertionSchema).min(1, "a case needs at least one assertion"),
  })
  .transform((c, ctx) => {
    const out: typeof c & { assertVars?: string[] } = {
      ...c,
      assert: c.assert.map((a, j) => prepareValue(a, j, c.vars, ctx)),
    };
    // Vars that only the assertions read (`contains: "{{expected}}"`, as promptfoo suites do)
    // are used, though no prompt template reads them: `validate` must not call them misspelt.
    const read = [...new Set(c.assert.flatMap((a) => varsReadBy(a.value)))];
    if (read.length > 0) out.assertVars = read;
    return out;
  });
export type GoldenCase = z.output<typeof caseSchema>;

/**
 * An assertion's value as the engine grades it: `{{vars}}` rendered with the case's vars and
 * promptfoo's other spellings read (assertion-value.ts). Problems are issues at the value.
 */
function prepareValue(
  a: z.output<typeof assertionSchema>,
  index: number,
  vars: Record<string, unknown>,
  ctx: z.RefinementCtx,
): z.output<typeof assertionSchema> {
  const rendered = renderValue(a.value, vars);
  const value = rendered.ok ? normalizeAssertionValue(a.type, rendered.value) : rendered;
  if (!value.ok) {
    ctx.addIssue({ code: "custom", path: ["assert", index, "value"], message: value.message });
    return a;
  }
  return { ...a, value: value.value };
}

export const goldenSetSchema = z
  .strictObject({
    description: z.string().optional(),
    repeats: z.union([z.number().int().min(1).max(100), z.literal("auto")]).optional(),
    cases: z.array(caseSchema).min(1, "a golden set needs at least one case"),
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
export type GoldenSet = z.output<typeof goldenSetSchema>;

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
  const raw = parseSequenceInChunks(stripBom(text), "cases");
  if (raw !== undefined) {
    const result = goldenSetSchema.safeParse(raw);
    if (result.success) return result.data;
  }
  return parseYaml(text, file, goldenSetSchema).value;
}
