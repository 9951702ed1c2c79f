import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { evaluateAssertions, prepareAssertions } from "../../../src/engine/assertions/index.js";
import type { ChatModel, ChatResponse, EmbeddingModel } from "../../../src/engine/types.js";
import { PromptgateError, PromptgateErrors } from "../../../src/errors.js";
import { parseGoldenSet } from "../../../src/formats/golden-set.js";

/**
 * promptfoo parity (issue 16): (output, assertion) → the outcome promptfoo gives, per its docs
 * (promptfoo.dev/docs/configuration/expected-outputs) and its code (src/assertions/*.ts), run
 * through promptgate's golden-set parser and assertion engine. "error" is what promptfoo reports
 * as an error (an invalid assertion) and promptgate as a `validate` error. Where promptgate
 * differs, the row names one of the EXCEPTIONS below, each explained in
 * docs/migrating-from-promptfoo.md; a difference without a name fails this test.
 */

type Outcome = "pass" | "fail" | "error";

/** Every deliberate difference from promptfoo, by name. Each has a section in the migration page. */
const EXCEPTIONS = {
  "equals-without-value":
    'promptfoo compares the output with the text "undefined"; promptgate refuses an equals without a value',
  "template-syntax":
    "Nunjucks filters, expressions and tags in values are refused; promptgate renders {{var}} and {{var.field}} only",
  "missing-var":
    "a {{var}} the case does not give: Nunjucks renders it empty, promptgate refuses the value",
  "file-references":
    "file:// values are refused (no assertion reads files or runs code); the importer inlines data files",
  "empty-list": "an empty contains-any (always fails) or contains-all (always passes) is refused",
  "empty-list-item":
    "an empty string in a contains-any/contains-all list (always found) is refused",
  "invalid-regex": "an invalid regex is a validate error, not a failing assertion",
  "invalid-schema":
    "a JSON Schema that does not compile is a validate error, not a failing assertion",
  "contains-json-strict":
    "contains-json finds strict JSON only (promptfoo's code also accepts {a: 1}, single quotes, trailing commas, comments)",
  "contains-json-arrays":
    "contains-json also finds JSON arrays (promptfoo's code looks for objects only)",
  "levenshtein-threshold-0":
    "levenshtein threshold 0 means an exact match (promptfoo's code reads 0 as unset: 5)",
  "not-levenshtein":
    "not-levenshtein inverts levenshtein (promptfoo's code ignores the not- prefix)",
  "similar-list": "similar takes one string; a list of references is refused",
  "rubric-without-pass":
    "a judge reply without `pass` is decided by its score (≥ 0.5, or the threshold); promptfoo passes it",
  "cost-unknown":
    "an unknown cost fails cost and not-cost with a reason; promptfoo reports an error",
  "limit-as-value":
    "cost and latency also take their limit as `value`; promptfoo reads only `threshold`",
  "latency-cached":
    "a cached sample keeps the latency it was measured with; promptfoo refuses latency on cached results",
} as const;
type ExceptionName = keyof typeof EXCEPTIONS;
/** Differences that no single (output, assertion) row can show. */
const ROWLESS: ExceptionName[] = ["latency-cached"];

interface Row {
  /** The promptfoo test case: its assertions, vars and case threshold. */
  test: { assert: Record<string, unknown>[]; vars?: Record<string, unknown>; threshold?: number };
  output: string;
  promptfoo: Outcome;
  /** Only with an exception: what promptgate gives instead. */
  promptgate?: Outcome;
  exception?: ExceptionName;
  /** The judge's reply for llm-rubric rows. */
  judge?: string;
  costUsd?: number | null;
  latencyMs?: number;
}

const OUT = "We can refund within 30 days of purchase. After that, store credit only.";
const REF = "The refund window is 30 days.";

function row(
  assertion: Record<string, unknown>,
  output: string,
  promptfoo: Outcome,
  more: Partial<Omit<Row, "test" | "output" | "promptfoo">> & {
    vars?: Record<string, unknown>;
  } = {},
): Row {
  const { vars, ...rest } = more;
  return { test: { assert: [assertion], ...(vars ? { vars } : {}) }, output, promptfoo, ...rest };
}

const differs = (exception: ExceptionName, promptgate: Outcome) => ({ exception, promptgate });

const ROWS: Record<string, Row[]> = {
  equals: [
    row({ type: "equals", value: "Paris" }, "Paris", "pass"),
    row({ type: "equals", value: "Paris" }, "Paris.", "fail"),
    row({ type: "equals", value: "Paris" }, "paris", "fail"),
    row({ type: "not-equals", value: "Paris" }, "London", "pass"),
    // An object or list value: the output parsed as JSON, compared deeply.
    row({ type: "equals", value: { a: 1, b: [1, 2] } }, '{"b": [1, 2], "a": 1}', "pass"),
    row({ type: "equals", value: { a: 1 } }, '{"a": "1"}', "fail"),
    row({ type: "equals", value: [1, 2] }, "[1, 2]", "pass"),
    row({ type: "equals", value: [1, 2] }, "[2, 1]", "fail"),
    row({ type: "equals", value: { a: 1 } }, "not json", "fail"),
    row({ type: "not-equals", value: { a: 1 } }, "not json", "pass"),
    // A number or boolean: compared as its text.
    row({ type: "equals", value: 42 }, "42", "pass"),
    row({ type: "equals", value: 3 }, "3.0", "fail"),
    row({ type: "equals", value: true }, "true", "pass"),
    row({ type: "equals", value: null }, "null", "pass"),
    row({ type: "equals", value: "{{city}}" }, "Paris", "pass", { vars: { city: "Paris" } }),
    row({ type: "equals" }, "undefined", "pass", differs("equals-without-value", "error")),
  ],
  contains: [
    row({ type: "contains", value: "refund" }, OUT, "pass"),
    row({ type: "contains", value: "Refund" }, OUT, "fail"),
    row({ type: "not-contains", value: "guarantee" }, OUT, "pass"),
    row({ type: "not-contains", value: "refund" }, OUT, "fail"),
    row({ type: "contains", value: 0 }, "You owe 0 dollars", "pass"),
    row({ type: "contains", value: 30 }, OUT, "pass"),
    row({ type: "contains", value: 31 }, OUT, "fail"),
    row({ type: "contains", value: "" }, OUT, "error"),
    row({ type: "not-contains", value: "" }, OUT, "error"),
    row({ type: "contains", value: true }, "true", "error"),
    row({ type: "contains", value: "{{id}}" }, "Ticket A-17 closed", "pass", {
      vars: { id: "A-17" },
    }),
    row({ type: "contains", value: "{{id}}" }, "Ticket A-18 closed", "fail", {
      vars: { id: "A-17" },
    }),
    row({ type: "contains", value: "{{ order.id }}" }, "Order 991 shipped", "pass", {
      vars: { order: { id: 991 } },
    }),
    // Rendered empty, then refused by promptfoo's own check.
    row({ type: "contains", value: "{{missing}}" }, OUT, "error"),
    row({ type: "contains", value: "{{ id | upper }}" }, "Ticket A-17", "pass", {
      vars: { id: "a-17" },
      ...differs("template-syntax", "error"),
    }),
    row({ type: "contains", value: "file://expected.txt" }, OUT, "pass", {
      ...differs("file-references", "error"),
    }),
  ],
  icontains: [
    row({ type: "icontains", value: "REFUND" }, OUT, "pass"),
    row({ type: "icontains", value: "30 DAYS" }, OUT, "pass"),
    row({ type: "icontains", value: "cash" }, OUT, "fail"),
    row({ type: "not-icontains", value: "GUARANTEE" }, OUT, "pass"),
    row({ type: "not-icontains", value: "Store Credit" }, OUT, "fail"),
    row({ type: "icontains", value: 30 }, OUT, "pass"),
    row({ type: "icontains", value: 0 }, "0 ITEMS", "pass"),
    row({ type: "icontains", value: "" }, OUT, "error"),
    row({ type: "icontains", value: { a: 1 } }, OUT, "error"),
    row({ type: "icontains", value: "{{word}}" }, OUT, "pass", { vars: { word: "STORE" } }),
    // Lower-casing does not fold ß to ss, in either tool.
    row({ type: "icontains", value: "STRASSE" }, "Hauptstraße 1", "fail"),
  ],
  "contains-any": [
    row({ type: "contains-any", value: ["cash", "refund"] }, OUT, "pass"),
    row({ type: "contains-any", value: ["cash", "check"] }, OUT, "fail"),
    row({ type: "contains-any", value: "cash, refund" }, OUT, "pass"),
    row({ type: "contains-any", value: "cash,check" }, OUT, "fail"),
    row({ type: "contains-any", value: '"days of purchase. After", cash' }, OUT, "pass"),
    row({ type: "contains-any", value: "refund,,cash" }, OUT, "pass"),
    row({ type: "not-contains-any", value: ["cash", "check"] }, OUT, "pass"),
    row({ type: "not-contains-any", value: "refund,cash" }, OUT, "fail"),
    row({ type: "contains-any", value: [30, "cash"] }, OUT, "pass"),
    row({ type: "contains-any", value: '"unclosed, cash' }, OUT, "error"),
    row({ type: "contains-any", value: "" }, OUT, "error"),
    row({ type: "contains-any", value: ["{{a}}", "{{b}}"] }, OUT, "pass", {
      vars: { a: "cash", b: "credit" },
    }),
    row({ type: "contains-any", value: [] }, OUT, "fail", differs("empty-list", "error")),
    row({ type: "contains-any", value: ["", "cash"] }, OUT, "pass", {
      ...differs("empty-list-item", "error"),
    }),
    row({ type: "contains-any", value: ["{{nope}}", "cash"] }, OUT, "pass", {
      ...differs("missing-var", "error"),
    }),
  ],
  "contains-all": [
    row({ type: "contains-all", value: ["refund", "30 days"] }, OUT, "pass"),
    row({ type: "contains-all", value: ["refund", "cash"] }, OUT, "fail"),
    row({ type: "contains-all", value: "refund, 30 days" }, OUT, "pass"),
    row({ type: "contains-all", value: ' "store credit" , refund ' }, OUT, "pass"),
    row({ type: "contains-all", value: "Refund, 30 days" }, OUT, "fail"),
    row({ type: "not-contains-all", value: ["refund", "cash"] }, OUT, "pass"),
    row({ type: "not-contains-all", value: ["refund", "store"] }, OUT, "fail"),
    row({ type: "contains-all", value: [30] }, OUT, "pass"),
    row({ type: "contains-all", value: '"a""b", refund' }, 'a"b refund', "pass"),
    row({ type: "contains-all", value: '"a\\"b" x, refund' }, 'a"b refund', "error"),
    row({ type: "contains-all", value: ["{{x}}", "refund"] }, OUT, "pass", {
      vars: { x: "store" },
    }),
    row({ type: "contains-all", value: [] }, OUT, "pass", differs("empty-list", "error")),
  ],
  "starts-with": [
    row({ type: "starts-with", value: "We can" }, OUT, "pass"),
    row({ type: "starts-with", value: "we can" }, OUT, "fail"),
    row({ type: "starts-with", value: " We" }, OUT, "fail"),
    row({ type: "not-starts-with", value: "Sorry" }, OUT, "pass"),
    row({ type: "not-starts-with", value: "We" }, OUT, "fail"),
    row({ type: "starts-with", value: "" }, OUT, "error"),
    row({ type: "starts-with", value: 42 }, "42 apples", "error"),
    row({ type: "starts-with", value: "{{greet}}" }, OUT, "pass", { vars: { greet: "We can" } }),
    row({ type: "starts-with", value: OUT }, OUT, "pass"),
    row({ type: "starts-with", value: `${OUT} More.` }, OUT, "fail"),
  ],
  regex: [
    row({ type: "regex", value: "\\d+ days" }, OUT, "pass"),
    row({ type: "regex", value: "^We" }, OUT, "pass"),
    row({ type: "regex", value: "credit only\\.$" }, OUT, "pass"),
    row({ type: "regex", value: "^Refund" }, OUT, "fail"),
    row({ type: "regex", value: "REFUND" }, OUT, "fail"),
    row({ type: "not-regex", value: "\\$\\d+" }, OUT, "pass"),
    row({ type: "not-regex", value: "refund" }, OUT, "fail"),
    row({ type: "regex", value: "" }, OUT, "error"),
    row({ type: "regex", value: "{{n}} days" }, OUT, "pass", { vars: { n: 30 } }),
    row({ type: "regex", value: "(" }, OUT, "fail", differs("invalid-regex", "error")),
    // promptfoo fails an invalid regex whatever the prefix.
    row({ type: "not-regex", value: "(" }, OUT, "fail", differs("invalid-regex", "error")),
  ],
  "is-json": [
    row({ type: "is-json" }, '{"a": 1}', "pass"),
    row({ type: "is-json" }, "[1, 2]", "pass"),
    row({ type: "is-json" }, '"just a string"', "pass"),
    row({ type: "is-json" }, "not json", "fail"),
    row({ type: "is-json" }, "{a: 1}", "fail"),
    row({ type: "not-is-json" }, "plain", "pass"),
    row({ type: "is-json", value: null }, '{"a": 1}', "pass"),
    row({ type: "is-json", value: "" }, "{}", "pass"),
    row({ type: "is-json", value: { type: "object", required: ["a"] } }, '{"a": 1}', "pass"),
    row({ type: "is-json", value: { type: "object", required: ["a"] } }, '{"b": 1}', "fail"),
    row({ type: "not-is-json", value: { type: "object", required: ["a"] } }, '{"b": 1}', "pass"),
    row({ type: "is-json", value: "type: object\nrequired: [a]\n" }, '{"a": 1}', "pass"),
    row({ type: "is-json", value: "type: object\nrequired: [a]\n" }, '{"b": 1}', "fail"),
    row({ type: "is-json", value: '{"type": "array"}' }, "[1]", "pass"),
    row({ type: "is-json", value: '{"type": "array"}' }, "{}", "fail"),
    row({ type: "is-json", value: { type: "no-such-type" } }, "{}", "fail", {
      ...differs("invalid-schema", "error"),
    }),
  ],
  "contains-json": [
    row({ type: "contains-json" }, 'Here: {"a": 1} done', "pass"),
    row({ type: "contains-json" }, "no json here", "fail"),
    row({ type: "not-contains-json" }, "plain", "pass"),
    row({ type: "not-contains-json" }, 'x {"a": 1}', "fail"),
    row({ type: "contains-json", value: { required: ["a"] } }, 'x {"a": 1}', "pass"),
    row({ type: "contains-json", value: { required: ["a"] } }, 'x {"b": 1}', "fail"),
    row({ type: "contains-json", value: { required: ["a"] } }, '{"b": 1} and {"a": 2}', "pass"),
    row({ type: "contains-json", value: "required: [a]" }, 'x {"a": 1}', "pass"),
    row({ type: "contains-json" }, "{a: 1}", "pass", differs("contains-json-strict", "fail")),
    row({ type: "contains-json" }, "{'a': 1}", "pass", differs("contains-json-strict", "fail")),
    row({ type: "contains-json" }, '{"a": 1,}', "pass", differs("contains-json-strict", "fail")),
    row({ type: "contains-json" }, "[1, 2]", "fail", differs("contains-json-arrays", "pass")),
  ],
  levenshtein: [
    row({ type: "levenshtein", value: "hello" }, "hello", "pass"),
    row({ type: "levenshtein", value: "hello" }, "helo", "pass"),
    row({ type: "levenshtein", value: "hello world" }, "hello", "fail"),
    row({ type: "levenshtein", value: "hello", threshold: 1 }, "hallo", "pass"),
    row({ type: "levenshtein", value: "hello", threshold: 1 }, "hxllx", "fail"),
    row({ type: "levenshtein", value: "abc", threshold: 10 }, "abcdefghij", "pass"),
    row({ type: "levenshtein", value: "" }, "abc", "pass"),
    row({ type: "levenshtein", value: "{{ans}}" }, "Paris", "pass", { vars: { ans: "Paris" } }),
    row({ type: "levenshtein", value: 42 }, "42", "error"),
    row({ type: "levenshtein", value: "hello", threshold: 0 }, "hellp", "pass", {
      ...differs("levenshtein-threshold-0", "fail"),
    }),
    row({ type: "not-levenshtein", value: "hello" }, "hello", "pass", {
      ...differs("not-levenshtein", "fail"),
    }),
    row({ type: "not-levenshtein", value: "hello" }, "something else entirely", "fail", {
      ...differs("not-levenshtein", "pass"),
    }),
  ],
  similar: [
    row({ type: "similar", value: REF }, "cos:0.9", "pass"),
    row({ type: "similar", value: REF }, "cos:0.76", "pass"),
    row({ type: "similar", value: REF }, "cos:0.74", "fail"),
    row({ type: "similar", value: REF, threshold: 0.9 }, "cos:0.85", "fail"),
    row({ type: "similar", value: REF, threshold: 0.5 }, "cos:0.6", "pass"),
    row({ type: "not-similar", value: REF }, "cos:0.5", "pass"),
    row({ type: "not-similar", value: REF }, "cos:0.9", "fail"),
    row({ type: "not-similar", value: REF, threshold: 0.95 }, "cos:0.9", "pass"),
    row({ type: "similar", value: "{{ref}}" }, "cos:0.8", "pass", { vars: { ref: REF } }),
    row({ type: "similar", value: 42 }, "cos:0.9", "error"),
    row({ type: "similar", value: [REF, "other"] }, "cos:0.9", "pass", {
      ...differs("similar-list", "error"),
    }),
  ],
  "llm-rubric": [
    row({ type: "llm-rubric", value: "polite" }, OUT, "pass", {
      judge: '{"pass": true, "score": 1}',
    }),
    row({ type: "llm-rubric", value: "polite" }, OUT, "fail", {
      judge: '{"pass": false, "score": 0}',
    }),
    row({ type: "llm-rubric", value: "polite", threshold: 0.8 }, OUT, "pass", {
      judge: '{"pass": true, "score": 0.9}',
    }),
    row({ type: "llm-rubric", value: "polite", threshold: 0.8 }, OUT, "fail", {
      judge: '{"pass": true, "score": 0.5}',
    }),
    row({ type: "llm-rubric", value: "polite", threshold: 0.5 }, OUT, "fail", {
      judge: '{"pass": false, "score": 0.9}',
    }),
    row({ type: "not-llm-rubric", value: "rude" }, OUT, "pass", {
      judge: '{"pass": false, "score": 0}',
    }),
    row({ type: "not-llm-rubric", value: "polite" }, OUT, "fail", {
      judge: '{"pass": true, "score": 1}',
    }),
    row({ type: "llm-rubric", value: "polite" }, OUT, "pass", { judge: '{"pass": true}' }),
    row({ type: "llm-rubric", value: "polite" }, OUT, "pass", { judge: '{"score": 0.7}' }),
    row({ type: "llm-rubric", value: "about {{topic}}" }, OUT, "pass", {
      vars: { topic: "refunds" },
      judge: '{"pass": true, "score": 1}',
    }),
    row({ type: "llm-rubric", value: 42 }, OUT, "error", { judge: '{"pass": true}' }),
    row({ type: "llm-rubric", value: "polite" }, OUT, "pass", {
      judge: '{"score": 0.3}',
      ...differs("rubric-without-pass", "fail"),
    }),
  ],
  cost: [
    row({ type: "cost", threshold: 0.01 }, OUT, "pass", { costUsd: 0.004 }),
    row({ type: "cost", threshold: 0.001 }, OUT, "fail", { costUsd: 0.004 }),
    row({ type: "cost", threshold: 0.004 }, OUT, "pass", { costUsd: 0.004 }),
    row({ type: "not-cost", threshold: 0.001 }, OUT, "pass", { costUsd: 0.004 }),
    row({ type: "not-cost", threshold: 0.01 }, OUT, "fail", { costUsd: 0.004 }),
    row({ type: "cost", threshold: 0 }, OUT, "pass", { costUsd: 0 }),
    row({ type: "cost", threshold: 0 }, OUT, "fail", { costUsd: 0.0001 }),
    row({ type: "cost", threshold: 0.001, weight: 0 }, OUT, "pass", { costUsd: 0.004 }),
    row({ type: "cost" }, OUT, "error", { costUsd: 0.004 }),
    row({ type: "cost", threshold: 0.01 }, OUT, "error", {
      costUsd: null,
      ...differs("cost-unknown", "fail"),
    }),
    row({ type: "not-cost", threshold: 0.01 }, OUT, "error", {
      costUsd: null,
      ...differs("cost-unknown", "fail"),
    }),
    row({ type: "cost", value: 0.01 }, OUT, "error", {
      costUsd: 0.004,
      ...differs("limit-as-value", "pass"),
    }),
  ],
  latency: [
    row({ type: "latency", threshold: 1000 }, OUT, "pass", { latencyMs: 120 }),
    row({ type: "latency", threshold: 100 }, OUT, "fail", { latencyMs: 120 }),
    row({ type: "latency", threshold: 120 }, OUT, "pass", { latencyMs: 120 }),
    row({ type: "latency", threshold: 50 }, OUT, "fail", { latencyMs: 51 }),
    row({ type: "not-latency", threshold: 100 }, OUT, "pass", { latencyMs: 120 }),
    row({ type: "not-latency", threshold: 1000 }, OUT, "fail", { latencyMs: 120 }),
    row({ type: "latency", threshold: 0 }, OUT, "pass", { latencyMs: 0 }),
    row({ type: "latency", threshold: 100, weight: 0 }, OUT, "pass", { latencyMs: 120 }),
    row({ type: "latency" }, OUT, "error", { latencyMs: 120 }),
    row({ type: "latency", value: 1000 }, OUT, "error", {
      latencyMs: 120,
      ...differs("limit-as-value", "pass"),
    }),
  ],
};

/** Whole test cases: promptfoo's weights and "score requirement" (a case threshold). */
const pass = { type: "contains", value: "refund" };
const fail = { type: "contains", value: "cash" };
const CASES: Row[] = [
  { test: { assert: [pass, fail] }, output: OUT, promptfoo: "fail" },
  { test: { assert: [pass, fail], threshold: 0.5 }, output: OUT, promptfoo: "pass" },
  { test: { assert: [pass, fail], threshold: 0.6 }, output: OUT, promptfoo: "fail" },
  { test: { assert: [fail, fail], threshold: 0 }, output: OUT, promptfoo: "pass" },
  { test: { assert: [pass, { ...fail, weight: 0 }] }, output: OUT, promptfoo: "pass" },
  { test: { assert: [{ ...fail, weight: 0 }] }, output: OUT, promptfoo: "pass" },
  // No weight at all: the score is 0, below any positive threshold.
  { test: { assert: [{ ...pass, weight: 0 }], threshold: 0.5 }, output: OUT, promptfoo: "fail" },
  {
    test: { assert: [{ ...pass, weight: 3 }, fail], threshold: 0.75 },
    output: OUT,
    promptfoo: "pass",
  },
  {
    test: {
      assert: [
        { ...pass, weight: 3 },
        { ...fail, weight: 2 },
      ],
      threshold: 0.75,
    },
    output: OUT,
    promptfoo: "fail",
  },
  {
    test: {
      assert: [
        { type: "contains", value: "{{a}}" },
        { type: "not-contains", value: "{{b}}" },
      ],
      vars: { a: "store", b: "cash" },
    },
    output: OUT,
    promptfoo: "pass",
  },
];

class ScriptedJudge implements ChatModel {
  constructor(private readonly reply: string) {}
  async complete(): Promise<ChatResponse> {
    return {
      output: this.reply,
      usage: { promptTokens: 9, completionTokens: 9 },
      latencyMs: 1,
      cached: false,
    };
  }
}

/** "cos:X" embeds at cosine X from every other text, which embeds as [1, 0]. */
class CosineEmbeddings implements EmbeddingModel {
  async embed(_model: string, inputs: string[]): Promise<number[][]> {
    return inputs.map((t) => {
      const m = /^cos:([\d.]+)$/.exec(t);
      if (!m) return [1, 0];
      const c = Number(m[1]);
      return [c, Math.sqrt(1 - c * c)];
    });
  }
}

async function grade(r: Row): Promise<Outcome> {
  const yaml = stringify({ cases: [{ id: "row", ...r.test }] });
  let asserts: ReturnType<typeof parseGoldenSet>["cases"][number];
  try {
    const set = parseGoldenSet(yaml, "evals/parity.yaml");
    asserts = set.cases[0]!;
    await prepareAssertions(asserts.assert);
  } catch (e) {
    if (e instanceof PromptgateErrors || e instanceof PromptgateError) return "error";
    throw e;
  }
  try {
    const v = await evaluateAssertions(asserts.assert, {
      output: r.output,
      latencyMs: r.latencyMs ?? 100,
      costUsd: r.costUsd === undefined ? 0.001 : r.costUsd,
      judge: { model: new ScriptedJudge(r.judge ?? '{"pass": true}'), modelId: "judge" },
      embeddings: { model: new CosineEmbeddings(), modelId: "emb" },
      threshold: asserts.threshold,
    });
    return v.pass ? "pass" : "fail";
  } catch (e) {
    if (e instanceof PromptgateError) return "error";
    throw e;
  }
}

const label = (r: Row) =>
  `${JSON.stringify(r.test.assert.length === 1 ? r.test.assert[0] : r.test)} on ${JSON.stringify(r.output.slice(0, 30))}`;

describe("promptfoo parity: one assertion", () => {
  for (const [type, rows] of Object.entries(ROWS)) {
    describe(type, () => {
      it("has at least 10 rows", () => expect(rows.length).toBeGreaterThanOrEqual(10));
      it.each(rows.map((r) => [label(r), r] as const))("%s", async (_, r) => {
        expect(await grade(r)).toBe(r.promptgate ?? r.promptfoo);
      });
    });
  }
});

describe("promptfoo parity: whole cases (weights, threshold, vars)", () => {
  it.each(CASES.map((r) => [label(r), r] as const))("%s", async (_, r) => {
    expect(await grade(r)).toBe(r.promptgate ?? r.promptfoo);
  });
});

describe("every difference is a named, documented exception", () => {
  const all = [...Object.values(ROWS).flat(), ...CASES];
  it("a row differs from promptfoo exactly when it names an exception", () => {
    for (const r of all) {
      expect(r.exception !== undefined, label(r)).toBe(
        r.promptgate !== undefined && r.promptgate !== r.promptfoo,
      );
    }
  });
  it("every exception is shown by a row (or says why it cannot be)", () => {
    const used = new Set(all.map((r) => r.exception).filter(Boolean));
    for (const name of Object.keys(EXCEPTIONS) as ExceptionName[]) {
      expect(used.has(name) || ROWLESS.includes(name), name).toBe(true);
    }
  });
  it("every exception is explained in docs/migrating-from-promptfoo.md", () => {
    const doc = readFileSync(
      new URL("../../../docs/migrating-from-promptfoo.md", import.meta.url),
      "utf8",
    );
    for (const name of Object.keys(EXCEPTIONS)) expect(doc, name).toContain(`\`${name}\``);
  });
});
