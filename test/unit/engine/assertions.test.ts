import { describe, expect, it } from "vitest";
import {
  type AssertionContext,
  AssertionInfraError,
  assertionNeeds,
  COST_UNKNOWN_REASON,
  cosineSimilarity,
  evaluateAssertions,
  extractJsonValues,
  parseJudgeReply,
  prepareAssertions,
} from "../../../src/engine/assertions/index.js";
import type {
  ChatModel,
  ChatRequest,
  ChatResponse,
  EmbeddingModel,
} from "../../../src/engine/types.js";
import { PromptgateError } from "../../../src/errors.js";
import type { Assertion, AssertionType } from "../../../src/formats/golden-set.js";
import { parseGoldenSet } from "../../../src/formats/golden-set.js";

/** An assertion as the golden-set parser produces it, from promptfoo's `type` spelling. */
function A(
  type: string,
  rest: { value?: unknown; threshold?: number; weight?: number } = {},
): Assertion {
  const negated = type.startsWith("not-");
  return {
    type: (negated ? type.slice(4) : type) as AssertionType,
    negated,
    value: rest.value,
    threshold: rest.threshold,
    weight: rest.weight ?? 1,
    metric: undefined,
  };
}

const ctx = (output: string, more: Partial<AssertionContext> = {}): AssertionContext => ({
  output,
  latencyMs: 120,
  costUsd: 0.0004,
  ...more,
});

async function one(a: Assertion, c: AssertionContext) {
  const v = await evaluateAssertions([a], c);
  expect(v.results).toHaveLength(1);
  return v.results[0]!;
}

/** Pass/fail of the plain and the `not-` form: they must always disagree. */
async function both(type: string, rest: Parameters<typeof A>[1], c: AssertionContext) {
  const plain = await one(A(type, rest), c);
  const negated = await one(A(`not-${type}`, rest), c);
  expect(negated.pass).toBe(!plain.pass);
  expect(negated.score).toBeCloseTo(1 - plain.score, 12);
  expect(negated.negated).toBe(true);
  return { plain, negated };
}

const OUT = "We can refund within 30 days of purchase. After that, store credit only.";

describe("text assertions", () => {
  it("equals is exact", async () => {
    expect((await both("equals", { value: OUT }, ctx(OUT))).plain).toMatchObject({
      pass: true,
      score: 1,
      type: "equals",
      negated: false,
    });
    const { plain } = await both("equals", { value: `${OUT} ` }, ctx(OUT));
    expect(plain.pass).toBe(false);
    expect(plain.reason).toMatch(/^must equal ".*"; got "We can refund/);
  });

  it("contains and not-contains, with where the phrase was found", async () => {
    const hit = await both("contains", { value: "30 days" }, ctx(OUT));
    expect(hit.plain.pass).toBe(true);
    expect(hit.negated.reason).toBe(
      'must not contain "30 days"; found at char 21: "We can refund within 30 days of purchase. After that,…"',
    );
    const miss = await both("contains", { value: "guarantee" }, ctx(OUT));
    expect(miss.plain.pass).toBe(false);
    expect(miss.plain.reason).toContain('must contain "guarantee"; not found in "We can refund');
    expect((await one(A("contains", { value: "30 DAYS" }), ctx(OUT))).pass).toBe(false);
  });

  it("icontains ignores case", async () => {
    expect((await both("icontains", { value: "30 DAYS" }, ctx(OUT))).plain.pass).toBe(true);
    expect((await both("icontains", { value: "REFUNDS" }, ctx(OUT))).plain.pass).toBe(false);
  });

  it("contains-any and contains-all", async () => {
    expect(
      (await both("contains-any", { value: ["voucher", "store credit"] }, ctx(OUT))).plain.pass,
    ).toBe(true);
    expect((await both("contains-any", { value: ["voucher", "cash"] }, ctx(OUT))).plain.pass).toBe(
      false,
    );
    expect(
      (await both("contains-all", { value: ["refund", "30 days"] }, ctx(OUT))).plain.pass,
    ).toBe(true);
    const { plain } = await both(
      "contains-all",
      { value: ["refund", "cash", "voucher"] },
      ctx(OUT),
    );
    expect(plain.pass).toBe(false);
    expect(plain.reason).toContain('missing "cash", "voucher"');
  });

  it("starts-with", async () => {
    expect((await both("starts-with", { value: "We can" }, ctx(OUT))).plain.pass).toBe(true);
    expect((await both("starts-with", { value: "can" }, ctx(OUT))).plain.pass).toBe(false);
  });

  it("regex", async () => {
    const { plain } = await both("regex", { value: "\\b\\d+ days\\b" }, ctx(OUT));
    expect(plain.pass).toBe(true);
    expect(plain.reason).toContain("30 days");
    expect((await both("regex", { value: "^After" }, ctx(OUT))).plain.pass).toBe(false);
    // The same assertion object, many outputs: compiled once, still stateless between calls.
    const a = A("regex", { value: "refund" });
    for (let i = 0; i < 3; i++) expect((await one(a, ctx(OUT))).pass).toBe(true);
  });

  it("writes each result's fields in one order (the result file and report keep it)", async () => {
    const fields = ["type", "negated", "weight", "pass", "score", "reason"];
    expect(Object.keys(await one(A("icontains", { value: "x" }), ctx("x")))).toEqual(fields);
    const cost = await one(A("cost", { threshold: 1 }), ctx("x", { costUsd: null }));
    expect(Object.keys(cost)).toEqual(fields);
  });

  it("regex: compiled patterns are kept by pattern and bounded, and grade the same after", async () => {
    // More distinct patterns than the cache keeps: the first is compiled again, not mixed up.
    const out = "order 123 shipped";
    const patterns = Array.from({ length: 600 }, (_, i) => `order ${i}\\b`);
    const first = await evaluateAssertions(
      patterns.map((value) => A("regex", { value })),
      ctx(out),
    );
    expect(first.results.map((r, i) => (r.pass ? i : -1)).filter((i) => i >= 0)).toEqual([123]);
    for (const [i, pass] of [
      [123, true],
      [12, false],
      [1, false],
      [599, false],
    ] as const) {
      expect((await one(A("regex", { value: patterns[i] }), ctx(out))).pass).toBe(pass);
    }
    // Two assertions with one pattern, one a `not-`: the shared RegExp serves both.
    expect((await one(A("not-regex", { value: patterns[123] }), ctx(out))).pass).toBe(false);
  });

  it("levenshtein: distance within the threshold (default 5)", async () => {
    const target = "Hello world";
    expect((await both("levenshtein", { value: target }, ctx("Hello world"))).plain.pass).toBe(
      true,
    );
    expect((await both("levenshtein", { value: target }, ctx("Jello wor"))).plain.pass).toBe(true); // 3
    const five = await one(A("levenshtein", { value: target }), ctx("Hxllx wxrxx")); // 5
    expect(five).toMatchObject({ pass: true, score: 1 });
    const six = await both("levenshtein", { value: target }, ctx("Hxllx wxrxx!")); // 6
    expect(six.plain).toMatchObject({ pass: false, score: 0 });
    expect(six.plain.reason).toContain("distance 6");
    expect(
      (await one(A("levenshtein", { value: target, threshold: 1 }), ctx("Jello wor"))).pass,
    ).toBe(false);
  });

  it("keeps reasons short whatever the output's length", async () => {
    const long = "x".repeat(10_000);
    const r = await one(A("contains", { value: "needle" }), ctx(long));
    expect(r.reason.length).toBeLessThan(160);
    expect(r.reason).toContain("…");
  });
});

describe("JSON assertions", () => {
  const schema = {
    type: "object",
    required: ["refund", "days"],
    properties: { refund: { type: "boolean" }, days: { type: "integer" } },
  };

  it("is-json parses the whole output", async () => {
    expect((await both("is-json", {}, ctx('  {"refund": true, "days": 30}\n'))).plain.pass).toBe(
      true,
    );
    const bad = await both("is-json", {}, ctx('```json\n{"refund": true}\n```'));
    expect(bad.plain.pass).toBe(false);
    expect(bad.plain.reason).toMatch(/^must be JSON; not JSON \(/);
  });

  it("is-json with a JSON Schema", async () => {
    expect(
      (await both("is-json", { value: schema }, ctx('{"refund": true, "days": 30}'))).plain.pass,
    ).toBe(true);
    const { plain } = await both(
      "is-json",
      { value: schema },
      ctx('{"refund": "yes", "days": 30}'),
    );
    expect(plain.pass).toBe(false);
    expect(plain.reason).toContain("json/refund must be boolean");
    const formats = A("is-json", { value: { type: "string", format: "email" } });
    expect((await one(formats, ctx('"ops@acme.test"'))).pass).toBe(true);
    expect((await one(formats, ctx('"not an address"'))).pass).toBe(false);
  });

  it("contains-json finds JSON inside prose and code fences", async () => {
    const prose = 'Sure! Here it is: {"refund": false, "days": 0} — anything else?';
    expect((await both("contains-json", {}, ctx(prose))).plain.pass).toBe(true);
    const fenced = 'Result:\n```json\n[{"refund": true, "days": 14}]\n```';
    expect((await both("contains-json", {}, ctx(fenced))).plain.pass).toBe(true);
    const none = await both("contains-json", {}, ctx("No JSON {here} at all"));
    expect(none.plain.pass).toBe(false);
    expect(none.plain.reason).toContain("no JSON in");
  });

  it("contains-json with a schema passes when any found value matches", async () => {
    const two = 'First {"refund": "maybe"} then {"refund": true, "days": 30}.';
    expect((await both("contains-json", { value: schema }, ctx(two))).plain.pass).toBe(true);
    const { plain } = await both("contains-json", { value: schema }, ctx('Only {"refund": 1}'));
    expect(plain.pass).toBe(false);
    expect(plain.reason).toContain("1 JSON value found, none matches");
  });

  it("extracts JSON values, ignoring brackets inside strings", () => {
    expect(extractJsonValues('a {"s": "}{]"} b [1, [2]] c {x} {"n": null}')).toEqual([
      { s: "}{]" },
      [1, [2]],
      { n: null },
    ]);
    expect(extractJsonValues('note {see {"a": 1}}')).toEqual([{ a: 1 }]);
    expect(extractJsonValues("{".repeat(5000))).toEqual([]);
  });

  it("an invalid schema is a located-style schema error, found before a run", async () => {
    const bad = [A("is-json", { value: { type: "no-such-type" } })];
    await expect(prepareAssertions(bad)).rejects.toMatchObject({ code: "E_SCHEMA" });
    await expect(prepareAssertions([A("is-json", { value: schema })])).resolves.toBeUndefined();
  });
});

describe("cost and latency", () => {
  it("cost compares the sample's USD with the threshold (or value)", async () => {
    expect(
      (await both("cost", { threshold: 0.001 }, ctx(OUT, { costUsd: 0.0004 }))).plain.pass,
    ).toBe(true);
    const over = await both("cost", { value: 0.0001 }, ctx(OUT, { costUsd: 0.0004 }));
    expect(over.plain.pass).toBe(false);
    expect(over.plain.reason).toBe("must cost ≤ $0.00010; cost $0.00040");
  });

  it("an unknown cost fails, plain or negated, and says what to do", async () => {
    for (const type of ["cost", "not-cost"]) {
      const r = await one(A(type, { threshold: 1 }), ctx(OUT, { costUsd: null }));
      expect(r).toMatchObject({ pass: false, score: 0, reason: COST_UNKNOWN_REASON });
    }
    expect(COST_UNKNOWN_REASON).toBe("cost unknown: add the model under prices:");
  });

  it("an unknown cost for want of usage says so, not to add a price", async () => {
    const r = await one(
      A("cost", { threshold: 1 }),
      ctx(OUT, { costUsd: null, costUnknown: "no-usage" }),
    );
    expect(r).toMatchObject({
      pass: false,
      reason: "cost unknown: the endpoint reported no token usage, so cost cannot be computed",
    });
  });

  it("latency compares milliseconds", async () => {
    expect(
      (await both("latency", { threshold: 500 }, ctx(OUT, { latencyMs: 500 }))).plain.pass,
    ).toBe(true);
    const slow = await both("latency", { value: 500 }, ctx(OUT, { latencyMs: 812.4 }));
    expect(slow.plain.pass).toBe(false);
    expect(slow.plain.reason).toBe("must take ≤ 500 ms; took 812 ms");
  });
});

/** A judge at the edge: replies with scripted text and records what it was asked. */
class ScriptedJudge implements ChatModel {
  requests: ChatRequest[] = [];
  constructor(private readonly reply: string | ((r: ChatRequest) => string) | Error) {}
  async complete(request: ChatRequest): Promise<ChatResponse> {
    this.requests.push(request);
    if (this.reply instanceof Error) throw this.reply;
    const output = typeof this.reply === "function" ? this.reply(request) : this.reply;
    return {
      output,
      usage: { promptTokens: 50, completionTokens: 20 },
      latencyMs: 5,
      cached: false,
    };
  }
}

describe("llm-rubric", () => {
  const rubric = "Explains the policy politely and promises nothing";
  const withJudge = (judge: ChatModel) =>
    ctx(OUT, { judge: { model: judge, modelId: "gpt-4o-2024-08-06" } });

  it("sends one request in promptgate's grader format", async () => {
    const judge = new ScriptedJudge(
      '{"pass": true, "score": 0.9, "reason": "Polite, no promises."}',
    );
    const r = await one(A("llm-rubric", { value: rubric }), withJudge(judge));
    expect(r).toMatchObject({ pass: true, score: 0.9 });
    expect(r.reason).toContain("Polite, no promises.");
    expect(judge.requests).toHaveLength(1);
    const req = judge.requests[0]!;
    expect(req).toMatchObject({
      model: "gpt-4o-2024-08-06",
      sampleIndex: 0,
      params: { temperature: 0 },
    });
    expect(req.messages[0]!.role).toBe("system");
    expect(req.messages[0]!.content).toContain("You are promptgate's grader.");
    expect(req.messages[1]!.role).toBe("user");
    expect(req.messages[1]!.content).toContain(`<rubric>\n${rubric}\n</rubric>`);
    expect(req.messages[1]!.content).toContain(`<output>\n${OUT}\n</output>`);
  });

  it("not-llm-rubric inverts the judge", async () => {
    const judge = new ScriptedJudge(
      '{"pass": false, "score": 0.2, "reason": "Promises a refund."}',
    );
    const { plain, negated } = await both("llm-rubric", { value: rubric }, withJudge(judge));
    expect(plain).toMatchObject({ pass: false, score: 0.2 });
    expect(negated).toMatchObject({ pass: true });
    expect(negated.score).toBeCloseTo(0.8, 12);
  });

  it("a threshold decides pass from the judge's score", async () => {
    const judge = new ScriptedJudge('{"pass": true, "score": 0.6, "reason": "ok"}');
    expect(
      (await one(A("llm-rubric", { value: rubric, threshold: 0.7 }), withJudge(judge))).pass,
    ).toBe(false);
    expect(
      (await one(A("llm-rubric", { value: rubric, threshold: 0.5 }), withJudge(judge))).pass,
    ).toBe(true);
  });

  it("reads JSON in a code fence or in prose; a missing pass is decided by the score", async () => {
    const fenced = new ScriptedJudge(
      'Here you go:\n```json\n{"pass": false, "score": 0, "reason": "rude"}\n```',
    );
    expect(await one(A("llm-rubric", { value: rubric }), withJudge(fenced))).toMatchObject({
      pass: false,
      score: 0,
    });
    expect(parseJudgeReply('My verdict is {"score": 0.75, "reason": "mostly"} overall.')).toEqual({
      pass: undefined,
      score: 0.75,
      reason: "mostly",
    });
    const scoreOnly = new ScriptedJudge('{"score": 0.3}');
    expect(await one(A("llm-rubric", { value: rubric }), withJudge(scoreOnly))).toMatchObject({
      pass: false,
      score: 0.3,
    });
    const passOnly = new ScriptedJudge('{"pass": true}');
    expect(await one(A("llm-rubric", { value: rubric }), withJudge(passOnly))).toMatchObject({
      pass: true,
      score: 1,
    });
  });

  it("judge garbage or a judge failure is an AssertionInfraError, not a fail", async () => {
    for (const reply of [
      "I think it is fine.",
      '{"pass": "sure"}',
      '{"pass": true, "score": 7}',
      "",
    ]) {
      const err = await evaluateAssertions(
        [A("contains", { value: "refund" }), A("llm-rubric", { value: rubric })],
        withJudge(new ScriptedJudge(reply)),
      ).catch((e: unknown) => e);
      expect(err, reply).toBeInstanceOf(AssertionInfraError);
    }
    const down = new ScriptedJudge(new Error("503 upstream"));
    const err = await evaluateAssertions(
      [A("llm-rubric", { value: rubric })],
      withJudge(down),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AssertionInfraError);
    expect((err as Error).message).toContain("503 upstream");
  });

  it("without a judge model it is a configuration error", async () => {
    await expect(
      evaluateAssertions([A("llm-rubric", { value: rubric })], ctx(OUT)),
    ).rejects.toMatchObject({
      code: "E_CONFIG",
    });
  });
});

/** Embeddings at the edge: fixed vectors per text, counting what it was asked. */
class TableEmbeddings implements EmbeddingModel {
  calls: Array<{ model: string; inputs: string[] }> = [];
  constructor(private readonly table: Record<string, number[]>) {}
  async embed(model: string, inputs: string[]): Promise<number[][]> {
    this.calls.push({ model, inputs });
    return inputs.map((t) => {
      const v = this.table[t];
      if (!v) throw new Error(`no vector for ${t}`);
      return v;
    });
  }
}

describe("similar", () => {
  const expected = "Refunds within 30 days";
  // cos(expected, close) = 0.8; cos(expected, far) = 0
  const emb = new TableEmbeddings({
    [expected]: [1, 0, 0],
    close: [0.8, 0.6, 0],
    far: [0, 0, 1],
  });
  const withEmb = (output: string, model: EmbeddingModel = emb) =>
    ctx(output, { embeddings: { model, modelId: "text-embedding-3-small" } });

  it("passes at cosine ≥ 0.75 by default and scores the cosine", async () => {
    const { plain, negated } = await both("similar", { value: expected }, withEmb("close"));
    expect(plain.pass).toBe(true);
    expect(plain.score).toBeCloseTo(0.8, 12);
    expect(negated.score).toBeCloseTo(0.2, 12);
    expect(plain.reason).toContain("cosine 0.800");
    expect((await both("similar", { value: expected }, withEmb("far"))).plain).toMatchObject({
      pass: false,
      score: 0,
    });
  });

  it("a threshold decides pass from the cosine", async () => {
    expect(
      (await one(A("similar", { value: expected, threshold: 0.85 }), withEmb("close"))).pass,
    ).toBe(false);
    expect(
      (await one(A("similar", { value: expected, threshold: 0.5 }), withEmb("close"))).pass,
    ).toBe(true);
  });

  it("embeds the expected text once for many samples", async () => {
    const counting = new TableEmbeddings({ [expected]: [1, 0, 0], close: [0.8, 0.6, 0] });
    const a = A("similar", { value: expected });
    await Promise.all(
      Array.from({ length: 5 }, () => evaluateAssertions([a], withEmb("close", counting))),
    );
    const asked = counting.calls.flatMap((c) => c.inputs);
    expect(asked.filter((t) => t === expected)).toHaveLength(1);
    expect(asked.filter((t) => t === "close")).toHaveLength(5);
    expect(counting.calls.every((c) => c.model === "text-embedding-3-small")).toBe(true);
  });

  it("an embeddings failure is an AssertionInfraError", async () => {
    const err = await evaluateAssertions(
      [A("similar", { value: expected })],
      withEmb("unknown text"),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AssertionInfraError);
    await expect(
      evaluateAssertions([A("similar", { value: expected })], ctx("close")),
    ).rejects.toBeInstanceOf(PromptgateError);
  });

  it("cosine of zero vectors is 0", () => {
    expect(cosineSimilarity([0, 0], [1, 0])).toBe(0);
    expect(cosineSimilarity([1, 2], [2, 4])).toBeCloseTo(1, 12);
  });
});

describe("combining assertions", () => {
  it("the sample passes only when every assertion passes; score is the weighted mean", async () => {
    const v = await evaluateAssertions(
      [A("contains", { value: "refund", weight: 3 }), A("contains", { value: "cash", weight: 1 })],
      ctx(OUT),
    );
    expect(v.pass).toBe(false);
    expect(v.score).toBeCloseTo(0.75, 12);
    expect(v.results.map((r) => [r.pass, r.weight])).toEqual([
      [true, 3],
      [false, 1],
    ]);
  });

  it("weight 0 passes automatically and is left out of the mean (promptfoo)", async () => {
    const v = await evaluateAssertions(
      [A("contains", { value: "refund" }), A("contains", { value: "cash", weight: 0 })],
      ctx(OUT),
    );
    expect(v).toMatchObject({ pass: true, score: 1 });
    // The result keeps what was measured, for the report: the score says it was not found.
    expect(v.results[1]).toMatchObject({ pass: true, score: 0, weight: 0 });
    // No weight at all: nothing to average, so promptfoo's score 0.
    const zero = await evaluateAssertions([A("contains", { value: "cash", weight: 0 })], ctx(OUT));
    expect(zero).toMatchObject({ pass: true, score: 0 });
  });

  it("a case threshold decides from the weighted score, whatever failed (promptfoo)", async () => {
    const asserts = [
      A("contains", { value: "refund", weight: 3 }),
      A("contains", { value: "cash", weight: 1 }),
    ];
    expect(await evaluateAssertions(asserts, ctx(OUT, { threshold: 0.75 }))).toMatchObject({
      pass: true,
      score: 0.75,
    });
    expect(await evaluateAssertions(asserts, ctx(OUT, { threshold: 0.8 }))).toMatchObject({
      pass: false,
    });
    expect(
      await evaluateAssertions([A("contains", { value: "cash" })], ctx(OUT, { threshold: 0 })),
    ).toMatchObject({ pass: true, score: 0 });
  });

  it("mixes scored and binary assertions", async () => {
    const judge = new ScriptedJudge('{"pass": true, "score": 0.5, "reason": "meh"}');
    const v = await evaluateAssertions(
      [A("llm-rubric", { value: "polite", weight: 2 }), A("icontains", { value: "30 DAYS" })],
      ctx(OUT, { judge: { model: judge, modelId: "judge-model" } }),
    );
    expect(v.pass).toBe(true);
    expect(v.score).toBeCloseTo((2 * 0.5 + 1) / 3, 12);
  });

  it("grades assertions exactly as the golden-set parser produces them", async () => {
    const set = parseGoldenSet(
      [
        "cases:",
        "  - id: refund-after-30-days",
        "    assert:",
        '      - { type: icontains, value: "30 days" }',
        '      - { type: not-contains, value: "guarantee", weight: 2 }',
        "      - { type: not-regex, value: '\\$\\d+' }",
        "      - { type: latency, threshold: 1000 }",
        "      - { type: cost, value: 0.01 }",
        "      - { type: contains-json, value: { type: object, required: [days] } }",
      ].join("\n"),
      "evals/support-answer.yaml",
    );
    const asserts = set.cases[0]!.assert;
    expect(assertionNeeds(asserts)).toEqual({ judge: false, embeddings: false });
    await prepareAssertions(asserts);
    const good = await evaluateAssertions(asserts, ctx(`${OUT} {"days": 30}`));
    expect(good.results.map((r) => `${r.negated ? "not-" : ""}${r.type}:${r.pass}`)).toEqual([
      "icontains:true",
      "not-contains:true",
      "not-regex:true",
      "latency:true",
      "cost:true",
      "contains-json:true",
    ]);
    expect(good).toMatchObject({ pass: true, score: 1 });
    const bad = await evaluateAssertions(asserts, ctx("We guarantee a $50 refund."));
    expect(bad.pass).toBe(false);
    expect(bad.results.filter((r) => !r.pass).map((r) => r.type)).toEqual([
      "icontains",
      "contains",
      "regex",
      "contains-json",
    ]);
    // weights 1, 2, 1, 1, 1, 1; passing: latency and cost
    expect(bad.score).toBeCloseTo(2 / 7, 12);
  });
});

describe("a broken schema", () => {
  it("fails each sample that needs it, even when the output is not JSON", async () => {
    const a = A("is-json", { value: { type: "no-such-type" } });
    await expect(evaluateAssertions([a], ctx("not json"))).resolves.toMatchObject({ pass: false });
    await expect(evaluateAssertions([a], ctx("{}"))).rejects.toMatchObject({ code: "E_SCHEMA" });
  });
});
