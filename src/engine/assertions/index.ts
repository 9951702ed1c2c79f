import { distance } from "fastest-levenshtein";
import { describeCostUnknown } from "../../cost/cost-unknown.js";
import { PromptgateError } from "../../errors.js";
import { splitCommaSeparated } from "../../formats/assertion-value.js";
import type { Assertion, AssertionType } from "../../formats/golden-set.js";
import type { PromptVersion } from "../../formats/prompt-file.js";
import { formatUsd } from "../../numbers.js";
import { matchRegex, type RegexMatch } from "../safe-regex.js";
import type { AssertionResult, ChatModel, EmbeddingModel } from "../types.js";
import { excerptAround, quote, truncate } from "./describe.js";
import {
  compileSchema,
  equalJson,
  extractJsonValues,
  parseJson,
  parseSchemaText,
  type SchemaCheck,
} from "./json.js";
import { askJudge } from "./judge.js";
import { measureSimilarity } from "./similar.js";

/**
 * Grading one output against a case's assertions (formats.md §2, promptfoo's semantics).
 *
 * - `not-X` inverts X's pass and gives 1 − score. Exception: an unknown cost fails both `cost`
 *   and `not-cost`, because nothing was measured.
 * - Binary types score 1 or 0. `similar` scores the cosine, `llm-rubric` the judge's score.
 *   `levenshtein` scores 1 or 0 as in promptfoo; its threshold is a distance, not a score.
 * - As promptfoo documents: an assertion with weight 0 passes automatically (it is recorded, as
 *   a metric, and takes no part in the score). The sample passes when every assertion passes;
 *   its score is the mean of the scores weighted by `weight` (all weights 0: 0, as promptfoo).
 *   With a case `threshold`, the sample passes when that score reaches it, whatever failed.
 * - Values arrive as the golden-set parser leaves them (src/formats/assertion-value.ts): vars
 *   rendered, comma-separated lists split, schema text parsed.
 * - A judge or embeddings failure throws AssertionInfraError: the sample is an error, not a fail.
 */
export { AssertionInfraError } from "./infra-error.js";
export { extractJsonValues } from "./json.js";
export { defaultJudgePrompt, parseJudgeReply } from "./judge.js";
export { cosineSimilarity } from "./similar.js";

export interface AssertionContext {
  output: string;
  latencyMs: number;
  /** USD; null when the model's price is unknown or the endpoint reported no usage. */
  costUsd: number | null;
  /** Why costUsd is null, for the message (absent: no price). */
  costUnknown?: "no-price" | "no-usage";
  /** The grader: its model, and its Dotprompt (absent: promptgate's own). */
  judge?: { model: ChatModel; modelId: string; prompt?: PromptVersion };
  embeddings?: { model: EmbeddingModel; modelId: string };
  signal?: AbortSignal;
  /** The case's `threshold` (promptfoo's score requirement), when it sets one. */
  threshold?: number;
}

export interface AssertionsVerdict {
  pass: boolean;
  score: number;
  results: AssertionResult[];
}

export const DEFAULT_LEVENSHTEIN_THRESHOLD = 5;
export const DEFAULT_SIMILAR_THRESHOLD = 0.75;
export const COST_UNKNOWN_REASON = "cost unknown: add the model under prices:";
/** Without usage nothing can be priced: a price under `prices:` would not help. */
export const COST_NO_USAGE_REASON = `cost unknown: ${describeCostUnknown({ reason: "no-usage", models: [] })}`;

/** What an assertion found, before `not-` is applied. `expected` reads after "must" / "must not". */
interface Check {
  pass: boolean;
  score: number;
  expected: string;
  observed: string;
  /** Set when nothing could be measured: the result fails whatever the prefix. */
  unmeasured?: string;
}

export async function evaluateAssertions(
  assertions: Assertion[],
  ctx: AssertionContext,
): Promise<AssertionsVerdict> {
  // Most assertions are synchronous; only await when one is not (judge, embeddings, first schema).
  const pending: Array<AssertionResult | Promise<AssertionResult>> = assertions.map((a) => {
    try {
      return evaluateAssertion(a, ctx);
    } catch (e) {
      // As a rejection, so Promise.all also observes the judge calls already under way.
      return Promise.reject(e);
    }
  });
  const results = pending.some((r) => r instanceof Promise)
    ? await Promise.all(pending)
    : (pending as AssertionResult[]);
  return combineResults(results, ctx.threshold);
}

export function combineResults(results: AssertionResult[], threshold?: number): AssertionsVerdict {
  let pass = true;
  let weights = 0;
  let weighted = 0;
  for (const r of results) {
    if (!r.pass) pass = false;
    if (r.weight > 0) {
      weights += r.weight;
      weighted += r.weight * r.score;
    }
  }
  const score = weights > 0 ? weighted / weights : 0;
  if (threshold !== undefined && !Number.isNaN(threshold)) pass = score >= threshold;
  return { pass, score, results };
}

export function evaluateAssertion(
  a: Assertion,
  ctx: AssertionContext,
): AssertionResult | Promise<AssertionResult> {
  const check = runCheck(a, ctx);
  return check instanceof Promise ? check.then((c) => toResult(a, c)) : toResult(a, check);
}

function toResult(a: Assertion, c: Check): AssertionResult {
  // Written out, not spread from a shared base: V8 gave each spread result its own hidden class
  // (19,990 maps for 20,000 results after a 10k-case run, ~0.7 KB per case for the whole run).
  if (c.unmeasured !== undefined) {
    const reason = c.unmeasured;
    return { type: a.type, negated: a.negated, weight: a.weight, pass: false, score: 0, reason };
  }
  // promptfoo: "If weight is set to 0, the assertion automatically passes".
  const pass = a.weight === 0 || (a.negated ? !c.pass : c.pass);
  const score = clamp01(a.negated ? 1 - c.score : c.score);
  // Left as built: a large run flattens the few reasons it keeps (run-eval.ts, keepInBrief), and
  // a small one holds them only until its report is written.
  const reason = `${a.negated ? "must not" : "must"} ${c.expected}; ${c.observed}`;
  return { type: a.type, negated: a.negated, weight: a.weight, pass, score, reason };
}

function runCheck(a: Assertion, ctx: AssertionContext): Check | Promise<Check> {
  const out = ctx.output;
  switch (a.type) {
    case "equals": {
      if (typeof a.value === "object") return checkEqualsJson(a.value, out);
      const v = textValue(a);
      return binary(out === v, `equal ${quote(v)}`, `got ${quote(out)}`);
    }
    case "contains":
    case "icontains": {
      const v = textValue(a);
      const i = a.type === "contains" ? out.indexOf(v) : out.toLowerCase().indexOf(v.toLowerCase());
      const expected = `contain ${quote(v)}${a.type === "icontains" ? " (any case)" : ""}`;
      return i >= 0
        ? binary(true, expected, `found at char ${i}: ${excerptAround(out, i, v.length)}`)
        : binary(false, expected, `not found in ${quote(out)}`);
    }
    case "contains-any": {
      const vs = stringList(a);
      const hit = vs.find((v) => out.includes(v));
      return binary(
        hit !== undefined,
        `contain any of ${vs.map((v) => quote(v, 30)).join(", ")}`,
        hit !== undefined ? `found ${quote(hit)}` : `none found in ${quote(out)}`,
      );
    }
    case "contains-all": {
      const vs = stringList(a);
      const missing = vs.filter((v) => !out.includes(v));
      return binary(
        missing.length === 0,
        `contain all of ${vs.map((v) => quote(v, 30)).join(", ")}`,
        missing.length === 0
          ? "all found"
          : `missing ${missing.map((v) => quote(v, 30)).join(", ")} in ${quote(out)}`,
      );
    }
    case "starts-with": {
      const v = stringValue(a);
      return binary(out.startsWith(v), `start with ${quote(v)}`, `got ${quote(out)}`);
    }
    case "regex": {
      const re = compiledRegex(a);
      // The pattern comes from the pull request: matching is time-limited (safe-regex.ts).
      const found = matchRegex(re, out);
      const check = (m: RegexMatch | null) =>
        binary(
          m !== null,
          `match /${truncate(re.source, 60)}/`,
          m ? `matched ${excerptAround(out, m.index, m.text.length)}` : `no match in ${quote(out)}`,
        );
      return found instanceof Promise ? found.then(check) : check(found);
    }
    case "is-json":
      return checkIsJson(a, out);
    case "contains-json":
      return checkContainsJson(a, out);
    case "levenshtein": {
      const v = stringValue(a);
      const max = a.threshold ?? DEFAULT_LEVENSHTEIN_THRESHOLD;
      const d = distance(out, v);
      return binary(d <= max, `be within ${max} edits of ${quote(v)}`, `distance ${d}`);
    }
    case "similar":
      return checkSimilar(a, ctx);
    case "llm-rubric":
      return checkRubric(a, ctx);
    case "cost": {
      const max = numericLimit(a);
      const expected = `cost ≤ ${formatUsd(max)}`;
      if (ctx.costUsd === null) {
        const unmeasured =
          ctx.costUnknown === "no-usage" ? COST_NO_USAGE_REASON : COST_UNKNOWN_REASON;
        return { pass: false, score: 0, expected, observed: "", unmeasured };
      }
      return binary(ctx.costUsd <= max, expected, `cost ${formatUsd(ctx.costUsd)}`);
    }
    case "latency": {
      const max = numericLimit(a);
      return binary(
        ctx.latencyMs <= max,
        `take ≤ ${max} ms`,
        `took ${Math.round(ctx.latencyMs)} ms`,
      );
    }
    default:
      return assertNever(a.type);
  }
}

function binary(pass: boolean, expected: string, observed: string): Check {
  return { pass, score: pass ? 1 : 0, expected, observed };
}

// The engine grades thousands of samples with the same assertions: compile once each. Regexes
// are kept by pattern, and only the latest few hundred: one kept per assertion held a compiled
// RegExp per case for the whole run (10,000 of them for a 10,000-case golden set).
const REGEX_CACHE_MAX = 256;
const regexes = new Map<string, RegExp>();
const schemas = new WeakMap<Assertion, Promise<SchemaCheck>>();

function compiledRegex(a: Assertion): RegExp {
  const v = stringValue(a);
  let re = regexes.get(v);
  if (!re) {
    try {
      re = new RegExp(v);
    } catch (e) {
      throw invalid(a, `invalid regex: ${(e as Error).message}`);
    }
    if (regexes.size >= REGEX_CACHE_MAX) {
      const oldest = regexes.keys().next();
      if (!oldest.done) regexes.delete(oldest.value);
    }
    regexes.set(v, re);
  }
  return re;
}

function schemaOf(a: Assertion): Promise<SchemaCheck> | null {
  if (a.value === undefined || a.value === null || a.value === "") return null;
  let p = schemas.get(a);
  if (!p) {
    const schema = typeof a.value === "string" ? parseSchemaText(a.value) : a.value;
    if (typeof schema !== "boolean" && (typeof schema !== "object" || schema === null)) {
      throw invalid(a, "the value must be a JSON Schema");
    }
    p = compileSchema(schema, a.type);
    // A sample that never reaches the schema (output not JSON) must not leave the rejection of a
    // broken schema unhandled; every caller that needs the schema still sees it.
    p.catch(() => {});
    schemas.set(a, p);
  }
  return p;
}

/**
 * Compiles every regex and JSON Schema of a golden set up front, so a broken one stops
 * `promptgate validate` (and a run) before any request is sent. Throws PromptgateError.
 */
export async function prepareAssertions(assertions: Assertion[]): Promise<void> {
  for (const a of assertions) {
    if (a.type === "regex") compiledRegex(a);
    if (a.type === "is-json" || a.type === "contains-json") await schemaOf(a);
  }
}

/** Which model endpoints a set of assertions needs, so a run can refuse to start without them. */
export function assertionNeeds(assertions: Assertion[]): { judge: boolean; embeddings: boolean } {
  return {
    judge: assertions.some((a) => a.type === "llm-rubric"),
    embeddings: assertions.some((a) => a.type === "similar"),
  };
}

function checkIsJson(a: Assertion, out: string): Check | Promise<Check> {
  const schema = schemaOf(a);
  const expected = schema ? "be JSON matching the schema" : "be JSON";
  const parsed = parseJson(out);
  if (!parsed.ok) return binary(false, expected, `not JSON (${parsed.error}): ${quote(out)}`);
  if (!schema) return binary(true, expected, "valid JSON");
  return schema.then((validate) => {
    const problem = validate(parsed.value);
    return problem === null
      ? binary(true, expected, "valid JSON, matches the schema")
      : binary(false, expected, `valid JSON, but ${truncate(problem, 160)}`);
  });
}

/** `equals` with an object, list or null: the output parsed as JSON must be deeply equal. */
function checkEqualsJson(expected: object | null, out: string): Check {
  const want = JSON.stringify(expected);
  const parsed = parseJson(out);
  if (!parsed.ok) return binary(false, `equal the JSON ${quote(want)}`, `not JSON: ${quote(out)}`);
  return binary(
    equalJson(parsed.value, expected),
    `equal the JSON ${quote(want)}`,
    `got ${quote(JSON.stringify(parsed.value))}`,
  );
}

function checkContainsJson(a: Assertion, out: string): Check | Promise<Check> {
  const schema = schemaOf(a);
  const expected = schema ? "contain JSON matching the schema" : "contain JSON";
  const values = extractJsonValues(out);
  if (values.length === 0) return binary(false, expected, `no JSON in ${quote(out)}`);
  if (!schema) return binary(true, expected, `found ${quote(JSON.stringify(values[0]))}`);
  return schema.then((validate) => {
    let firstProblem = "";
    for (const v of values) {
      const problem = validate(v);
      if (problem === null) return binary(true, expected, `found ${quote(JSON.stringify(v))}`);
      firstProblem ||= problem;
    }
    const n = values.length;
    return binary(
      false,
      expected,
      `${n} JSON value${n === 1 ? "" : "s"} found, none matches: ${truncate(firstProblem, 160)}`,
    );
  });
}

async function checkSimilar(a: Assertion, ctx: AssertionContext): Promise<Check> {
  const v = stringValue(a);
  if (!ctx.embeddings) {
    throw new PromptgateError("E_CONFIG", "a `similar` assertion needs an embeddings model", {
      hint: "set embeddings.model in promptgate.yaml (e.g. text-embedding-3-small)",
    });
  }
  const min = a.threshold ?? DEFAULT_SIMILAR_THRESHOLD;
  const sim = await measureSimilarity(ctx.embeddings, v, ctx.output, ctx.signal);
  return {
    pass: sim >= min,
    score: clamp01(sim),
    expected: `be similar (cosine ≥ ${min}) to ${quote(v)}`,
    observed: `cosine ${sim.toFixed(3)}`,
  };
}

async function checkRubric(a: Assertion, ctx: AssertionContext): Promise<Check> {
  const rubric = stringValue(a);
  if (!ctx.judge) {
    throw new PromptgateError("E_CONFIG", "an `llm-rubric` assertion needs a judge model", {
      hint: "set judge.model in promptgate.yaml (e.g. gpt-4o-2024-08-06)",
    });
  }
  const verdict = await askJudge(ctx.judge, rubric, ctx.output, ctx.signal);
  // promptfoo's rule: the judge's pass, and with a threshold also score ≥ threshold. Unlike
  // promptfoo, a judge that omits `pass` does not pass by default: its score decides (≥ 0.5).
  const score = verdict.score ?? (verdict.pass ? 1 : 0);
  const judgePass = verdict.pass ?? score >= (a.threshold ?? 0.5);
  const pass = judgePass && (a.threshold === undefined || score >= a.threshold);
  const because = verdict.reason ? `: ${quote(verdict.reason, 160)}` : "";
  return {
    pass,
    score,
    expected: `satisfy the rubric ${quote(rubric)}${a.threshold === undefined ? "" : ` (score ≥ ${a.threshold})`}`,
    observed: `judge says ${judgePass ? "pass" : "fail"}, score ${score.toFixed(2)}${because}`,
  };
}

function stringValue(a: Assertion): string {
  if (typeof a.value !== "string") throw invalid(a, "the value must be a string");
  return a.value;
}

/** A string, or a number compared as its text (promptfoo's `contains: 0`). */
function textValue(a: Assertion): string {
  return typeof a.value === "number" ? String(a.value) : stringValue(a);
}

function stringList(a: Assertion): string[] {
  // The golden-set parser has split a comma-separated string already; a caller that builds
  // assertions itself gets the same reading.
  const list = typeof a.value === "string" ? splitCommaSeparated(a.value) : a.value;
  if (!Array.isArray(list) || !list.every((v) => typeof v === "string" || typeof v === "number")) {
    throw invalid(a, "the value must be a list of strings");
  }
  return list.map(String);
}

function numericLimit(a: Assertion): number {
  const limit = a.threshold ?? a.value;
  if (typeof limit !== "number" || Number.isNaN(limit)) {
    throw invalid(a, "needs a numeric threshold (or value)");
  }
  return limit;
}

function invalid(a: Assertion, message: string): PromptgateError {
  return new PromptgateError("E_SCHEMA", `${a.negated ? "not-" : ""}${a.type}: ${message}`);
}

function clamp01(x: number): number {
  return Math.min(1, Math.max(0, x));
}

function assertNever(type: never): never {
  throw new PromptgateError(
    "E_SCHEMA",
    `unknown assertion type "${String(type as AssertionType)}"`,
  );
}
