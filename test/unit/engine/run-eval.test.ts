import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { costUnknownOf, reportsUsage } from "../../../src/cost/cost-unknown.js";
import { withResponseCache } from "../../../src/engine/response-cache.js";
import {
  BRIEF_AFTER_CASES,
  briefSamples,
  createSampler,
  type EvalTarget,
  isLargeRun,
  runEval,
  runTarget,
  runTargets,
  type Sampler,
} from "../../../src/engine/run-eval.js";
import type { ChatModel, Sample, SampleErr, SampleOk } from "../../../src/engine/types.js";
import { PromptgateErrors } from "../../../src/errors.js";
import { goldenSetSchema, parseGoldenSet } from "../../../src/formats/golden-set.js";
import { locator, parseYaml } from "../../../src/formats/located-yaml.js";
import { parsePromptFile } from "../../../src/formats/prompt-file.js";
import { createDiskStore } from "../../../src/io/disk-cache.js";
import { createOpenAIModels } from "../../../src/io/openai-client.js";
import { type OpenAIStandIn, startOpenAIStandIn } from "../../support/stand-ins/openai/index.js";

/**
 * The engine end to end: golden sets rendered by dotprompt, sent through the official openai SDK
 * to the stand-in over loopback, scored by the assertions, priced, cached on disk.
 */
let standIn: OpenAIStandIn;
let cacheRoot: string;

beforeAll(async () => {
  standIn = await startOpenAIStandIn({ seed: 3, validate: true });
  cacheRoot = await mkdtemp(join(tmpdir(), "promptgate-engine-"));
});
afterAll(async () => {
  await standIn.close();
  await rm(cacheRoot, { recursive: true, force: true });
});
afterEach(() => {
  standIn.setFaults([]);
  standIn.requests.length = 0;
  expect(standIn.violations).toEqual([]);
});

const promptSource = (system: string) =>
  `---\nmodel: gpt-4o-mini-2024-07-18\nconfig: { temperature: 0.2, maxOutputTokens: 50 }\n---\n{{role "system"}}\n${system}\n{{role "user"}}\n{{question}}\n`;

function target(system: string, cases: number, repeats = 1, name = "helper"): EvalTarget {
  const lines = ["cases:"];
  for (let i = 0; i < cases; i++) {
    lines.push(
      `  - id: c${i}`,
      `    vars: { question: "question ${i}" }`,
      "    assert: [{ type: icontains, value: question }]",
    );
  }
  return {
    version: parsePromptFile(promptSource(system), `prompts/${name}/v1.prompt`, name, "v1"),
    goldenSet: {
      prompt: name,
      file: `evals/${name}.yaml`,
      set: parseGoldenSet(lines.join("\n"), `evals/${name}.yaml`),
    },
    repeats,
  };
}

/** One case on a golden set loaded as loadRepo loads it (with its locations). */
function targetWith(asserts: string[], name = "graded"): EvalTarget {
  const file = `evals/${name}.yaml`;
  const text = [
    "cases:",
    "  - id: c0",
    '    vars: { question: "question 0" }',
    "    assert:",
    ...asserts.map((a) => `      - ${a}`),
    "",
  ].join("\n");
  const parsed = parseYaml(text, file, goldenSetSchema);
  return {
    version: parsePromptFile(promptSource("Be brief."), `prompts/${name}/v1.prompt`, name, "v1"),
    goldenSet: { prompt: name, file, set: parsed.value, locator: locator(parsed, file) },
    repeats: 1,
  };
}

function models(timeoutMs = 5_000, maxRetries = 2): ChatModel {
  return createOpenAIModels({ baseURL: standIn.baseURL, apiKey: "test", timeoutMs, maxRetries });
}

const errorsOf = (r: Awaited<ReturnType<typeof runEval>>) =>
  r.runs.flatMap((run) =>
    run.cases.flatMap((c) => c.samples.filter((s): s is SampleErr => s.kind === "error")),
  );

describe("engine through the SDK and the stand-in", () => {
  it("scores, prices and records every sample of every case", async () => {
    const result = await runEval(
      [target("Be brief.", 4, 3)],
      { chat: models(), prices: {}, concurrency: 4 },
      "test",
    );
    const run = result.runs[0]!;
    expect(run.cases).toHaveLength(4);
    expect(run.cases.every((c) => c.samples.length === 3 && c.passRate === 1)).toBe(true);
    expect(run.totals.samples).toBe(12);
    expect(run.totals.costUsd).toBeGreaterThan(0);
    expect(run.contentHash).toMatch(/^[0-9a-f]{64}$/);
    expect(run.params).toEqual({ temperature: 0.2, max_tokens: 50 });
    expect(standIn.requests.filter((r) => r.path === "/v1/chat/completions")).toHaveLength(12);
  });

  it("honours retry-after on a 429 and then succeeds", async () => {
    standIn.setFaults([{ kind: "status", status: 429, retryAfterS: 1, times: 1 }]);
    const result = await runEval(
      [target("Be brief.", 1)],
      { chat: models(), prices: {}, concurrency: 1 },
      "t",
    );
    expect(errorsOf(result)).toEqual([]);
    const [first, second] = standIn.requests;
    expect(second!.receivedAt - first!.receivedAt).toBeGreaterThanOrEqual(900);
  });

  it("retries a 500 and succeeds", async () => {
    standIn.setFaults([{ kind: "status", status: 500, times: 2 }]);
    const result = await runEval(
      [target("Be brief.", 1)],
      { chat: models(), prices: {}, concurrency: 1 },
      "t",
    );
    expect(errorsOf(result)).toEqual([]);
    expect(standIn.requests).toHaveLength(3);
  });

  it("reports persistent failures as errors with their cause, never as passes or failures", async () => {
    const cases = 4;
    standIn.setFaults([
      {
        kind: "status",
        status: 429,
        retryAfterS: 0,
        match: (r) => JSON.stringify(r.body).includes("question 0"),
      },
      { kind: "status", status: 500, match: (r) => JSON.stringify(r.body).includes("question 1") },
      { kind: "hang", match: (r) => JSON.stringify(r.body).includes("question 2") },
      { kind: "malformed-json", match: (r) => JSON.stringify(r.body).includes("question 3") },
    ]);
    const result = await runEval(
      [target("Be brief.", cases)],
      { chat: models(300, 1), prices: {}, concurrency: 4 },
      "t",
    );
    const byCase = new Map(result.runs[0]!.cases.map((c) => [c.id, c]));
    const kindOf = (id: string) => (byCase.get(id)!.samples[0] as SampleErr).error;
    expect(kindOf("c0")).toMatchObject({ kind: "rate-limit", status: 429 });
    expect(kindOf("c1")).toMatchObject({ kind: "server", status: 500 });
    expect(kindOf("c2").kind).toBe("timeout");
    expect(kindOf("c3").kind).toBe("bad-response");
    for (const c of byCase.values()) {
      expect(c.passRate).toBeNull();
      expect(c.errors).toBe(1);
    }
    expect(result.runs[0]!.totals).toMatchObject({ errors: 4, passRate: null });
    expect(result.requests.errors).toBe(4);
  });

  it("refuses to start on a golden set's missing model or broken schema, naming file and line", async () => {
    const t = targetWith([
      "{ type: icontains, value: question }",
      '{ type: llm-rubric, value: "Answers the question" }',
      "{ type: contains-json, value: { type: object, required: name } }",
      "{ type: not-llm-rubric, value: Rude }",
    ]);
    const err = await runEval([t, t], { chat: models(), prices: {}, concurrency: 1 }, "t").catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(PromptgateErrors);
    expect((err as PromptgateErrors).errors.map((e) => e.message)).toEqual([
      "evals/graded.yaml:6:9: llm-rubric needs a judge model, and none is set (and 1 more in this file)",
      "evals/graded.yaml:7:39: contains-json: invalid JSON Schema: schema is invalid: data/required must be array",
    ]);
    expect(standIn.requests).toHaveLength(0);
  });

  it("a judge or embeddings request that fails keeps its kind: rate limit, timeout, server", async () => {
    const isGrader = (r: { body?: unknown }) =>
      JSON.stringify(r.body).includes("You are promptgate's grader.");
    const rubric = targetWith(['{ type: llm-rubric, value: "Answers the question" }']);
    const deps = { chat: models(300, 1), judgeModel: "gpt-4o", prices: {}, concurrency: 1 };
    const errorOf = async (t: EvalTarget, d: Parameters<typeof runEval>[1]) => {
      const errors = errorsOf(await runEval([t], d, "t"));
      expect(errors).toHaveLength(1);
      return errors[0]!.error;
    };

    standIn.setFaults([{ kind: "status", status: 429, retryAfterS: 0, match: isGrader }]);
    expect(await errorOf(rubric, deps)).toMatchObject({
      kind: "rate-limit",
      status: 429,
      message: expect.stringMatching(/^llm-rubric: the judge \(gpt-4o\) failed: /),
    });
    standIn.setFaults([{ kind: "hang", match: isGrader }]);
    expect((await errorOf(rubric, deps)).kind).toBe("timeout");

    const openai = createOpenAIModels({
      baseURL: standIn.baseURL,
      apiKey: "test",
      timeoutMs: 300,
      // No retries: the expected text's and the output's embeddings are requested together, and
      // a retry of the one still in flight must not reach the stand-in during the next test.
      maxRetries: 0,
    });
    const similar = targetWith(['{ type: similar, value: "question 0" }']);
    standIn.setFaults([{ kind: "status", status: 503, match: (r) => r.path === "/v1/embeddings" }]);
    expect(
      await errorOf(similar, {
        chat: openai,
        embeddings: openai,
        embeddingModel: "text-embedding-3-small",
        prices: {},
        concurrency: 1,
      }),
    ).toMatchObject({ kind: "server", status: 503 });

    // A reply that came back but cannot be read is still a bad response.
    standIn.setFaults([{ kind: "malformed-json", match: isGrader }]);
    expect((await errorOf(rubric, deps)).kind).toBe("bad-response");
  });

  it("sends nothing on a second run of the same eval, and only a changed prompt's samples after an edit", async () => {
    const store = createDiskStore(join(cacheRoot, "cache"));
    const chat = withResponseCache(models(), store, standIn.baseURL);
    const deps = { chat, prices: {}, concurrency: 8 };
    const a = () => target("Answer like a pirate.", 5, 2, "a");
    const b = (system: string) => target(system, 5, 2, "b");

    await runEval([a(), b("Answer plainly.")], deps, "t");
    expect(standIn.requests).toHaveLength(20);

    standIn.requests.length = 0;
    const again = await runEval([a(), b("Answer plainly.")], deps, "t");
    expect(standIn.requests).toHaveLength(0);
    expect(again.requests).toMatchObject({ sent: 0, cacheHits: 20 });

    const edited = await runEval([a(), b("Answer plainly and politely.")], deps, "t");
    expect(standIn.requests).toHaveLength(10);
    const systems = new Set(
      standIn.requests.map((r) => JSON.stringify((r.body?.messages as unknown[] | undefined)?.[0])),
    );
    expect([...systems]).toEqual([
      JSON.stringify({ role: "system", content: "Answer plainly and politely." }),
    ]);
    expect(edited.requests).toMatchObject({ sent: 10, cacheHits: 10 });
  });
});

describe("a run holds a window of cases, not the whole golden set", () => {
  it("asks the pool for at most a pool's worth of samples at a time, counts every sample from the start, keeps case order", async () => {
    const sampler = createSampler({ chat: models(), prices: {}, concurrency: 4 });
    let asked = 0;
    let maxAsked = 0;
    const totals: number[] = [];
    // Counts what runTarget has asked of the pool and not yet had back, queued work included:
    // the samples a pool holds back are what used to pile up (every case's, up front).
    const track = (p: Promise<Sample>) => {
      maxAsked = Math.max(maxAsked, ++asked);
      return p.finally(() => {
        asked--;
        totals.push(sampler.progress.total);
      });
    };
    const counting: Sampler = {
      ...sampler,
      sample: (t, c, i) => track(sampler.sample(t, c, i)),
      sampleExpected: (t, c, i) => track(sampler.sampleExpected(t, c, i)),
    };
    const run = await runTarget(counting, target("Be brief.", 40, 2));
    expect(maxAsked).toBeLessThanOrEqual(4);
    expect(new Set(totals)).toEqual(new Set([80]));
    expect(run.cases.map((c) => c.id)).toEqual(Array.from({ length: 40 }, (_, i) => `c${i}`));
    expect(run.totals.samples).toBe(80);
  });
});

describe("a run of many golden sets holds one window of cases, shared by all of them", () => {
  it("asks the pool for a pool's worth of samples over all targets, keeps each target's case order", async () => {
    const sampler = createSampler({ chat: models(), prices: {}, concurrency: 4 });
    let asked = 0;
    let maxAsked = 0;
    const track = (p: Promise<Sample>) => {
      maxAsked = Math.max(maxAsked, ++asked);
      return p.finally(() => asked--);
    };
    const counting: Sampler = {
      ...sampler,
      sample: (t, c, i) => track(sampler.sample(t, c, i)),
      sampleExpected: (t, c, i) => track(sampler.sampleExpected(t, c, i)),
    };
    const targets = Array.from({ length: 5 }, (_, k) => target("Be brief.", 7, 2, `p${k}`));
    const runs = await runTargets(counting, targets);
    // One window per target would ask for 5 × 4 at once.
    expect(maxAsked).toBeLessThanOrEqual(4);
    expect(runs.map((r) => r.prompt)).toEqual(["p0", "p1", "p2", "p3", "p4"]);
    for (const r of runs) {
      expect(r.cases.map((c) => c.id)).toEqual(Array.from({ length: 7 }, (_, i) => `c${i}`));
      expect(r.totals.samples).toBe(14);
    }
    expect(sampler.progress).toMatchObject({ done: 70, total: 70 });
    // Targets run side by side (a diff's base and head, every prompt at once) share it too.
    maxAsked = 0;
    const each = await Promise.all(targets.map((t) => runTarget(counting, t)));
    expect(maxAsked).toBeLessThanOrEqual(4);
    expect(each.map((r) => r.totals.samples)).toEqual([14, 14, 14, 14, 14]);
  });

  it("keeps the pool full when a case has more repeats than the window is wide", async () => {
    const sampler = createSampler({ chat: models(), prices: {}, concurrency: 2 });
    let asked = 0;
    let maxAsked = 0;
    const counting: Sampler = {
      ...sampler,
      sampleExpected: (t, c, i) => {
        maxAsked = Math.max(maxAsked, ++asked);
        return sampler.sampleExpected(t, c, i).finally(() => asked--);
      },
    };
    const [run] = await runTargets(counting, [target("Be brief.", 3, 3)]);
    expect(maxAsked).toBe(3);
    expect(run!.totals.samples).toBe(9);
  });
});

describe("the model that answered", () => {
  it("is recorded on a sample when the server answers as another model, and that one is priced", async () => {
    const answeringAs = (model: string): ChatModel => ({
      complete: async () => ({
        output: "question answered",
        usage: { promptTokens: 1000, completionTokens: 1000 },
        latencyMs: 1,
        cached: false,
        model,
      }),
    });
    const t = target("Be brief.", 1);
    const asked = t.version.model;
    const alias = await runEval(
      [t],
      { chat: answeringAs("my-litellm-alias"), prices: {}, concurrency: 1 },
      "x",
    );
    const aliased = alias.runs[0]!.cases[0]!.samples[0]!;
    expect(aliased).toMatchObject({ kind: "ok", model: "my-litellm-alias", costUsd: null });

    const same = await runEval([t], { chat: answeringAs(asked), prices: {}, concurrency: 1 }, "x");
    const plain = same.runs[0]!.cases[0]!.samples[0]!;
    expect(plain.kind === "ok" && "model" in plain).toBe(false);
    expect(plain.kind === "ok" && plain.costUsd).toBeGreaterThan(0);
  });

  it("prices nothing when the server reports no usage, even for a priced model: unknown, never $0", async () => {
    const noUsage: ChatModel = {
      complete: async () => ({
        output: "question answered",
        usage: { promptTokens: 0, completionTokens: 0 },
        latencyMs: 1,
        cached: false,
      }),
    };
    expect(reportsUsage({ promptTokens: 0, completionTokens: 0 })).toBe(false);
    expect(reportsUsage({ promptTokens: 0, completionTokens: 3 })).toBe(true);
    const r = await runEval(
      [target("Be brief.", 1)],
      { chat: noUsage, prices: {}, concurrency: 1 },
      "x",
    );
    const run = r.runs[0]!;
    expect(run.cases[0]!.samples[0]).toMatchObject({ kind: "ok", costUsd: null });
    expect(run.totals.costUsd).toBeNull();
    // The reason is kept, so no hint asks for a price the model already has.
    expect(costUnknownOf(run)).toEqual([{ reason: "no-usage", models: [] }]);
  });
});

describe("a large run keeps its samples in brief", () => {
  const ok = (index: number, pass: boolean): SampleOk => ({
    kind: "ok",
    index,
    output: `answer ${index}`,
    usage: { promptTokens: 3, completionTokens: 4 },
    latencyMs: 5,
    costUsd: 0.001,
    cached: false,
    pass,
    score: pass ? 1 : 0.5,
    assertions: [
      { type: "icontains", negated: false, pass: true, score: 1, weight: 1, reason: "found" },
      { type: "regex", negated: false, pass, score: pass ? 1 : 0, weight: 1, reason: "no match" },
    ],
  });

  it("keeps the first passing and failing samples' outputs and failed reasons, and errors whole", () => {
    const error: SampleErr = {
      kind: "error",
      index: 2,
      error: { kind: "server", message: "500" },
      latencyMs: 1,
    };
    const kept = briefSamples([ok(0, true), ok(1, false), error, ok(3, false), ok(4, true)]);
    expect(kept.map((s) => (s.kind === "ok" ? [s.output, s.brief ?? false] : "error"))).toEqual([
      ["answer 0", false],
      ["answer 1", false],
      "error",
      ["", true],
      ["", true],
    ]);
    const reasons = kept.map((s) => (s.kind === "ok" ? s.assertions.map((a) => a.reason) : []));
    expect(reasons).toEqual([["", ""], ["", "no match"], [], ["", ""], ["", ""]]);
    expect(kept[2]).toBe(error);
    // Everything the statistics read stays.
    expect(kept.map((s) => (s.kind === "ok" ? [s.pass, s.score, s.costUsd] : null))).toEqual([
      [true, 1, 0.001],
      [false, 0.5, 0.001],
      null,
      [false, 0.5, 0.001],
      [true, 1, 0.001],
    ]);
  });

  it("briefs again to the same samples, and appending samples then briefing is briefing all (adaptive draws)", () => {
    const first = [ok(0, true), ok(1, true), ok(2, false)];
    const more = [ok(3, false), ok(4, true)];
    const once = briefSamples(first);
    expect(briefSamples(once)).toEqual(once);
    expect(briefSamples([...once, ...more])).toEqual(briefSamples([...first, ...more]));
    // The result file reads as before: the same keys in the same order.
    expect(JSON.stringify(once[1])).toBe(
      JSON.stringify({
        ...ok(1, true),
        output: "",
        assertions: ok(1, true).assertions.map((a) => ({ ...a, reason: "" })),
        brief: true,
      }),
    );
  });

  it(`counts the cases of the whole run: ${BRIEF_AFTER_CASES} in several golden sets are large`, async () => {
    const fast: ChatModel = {
      complete: async (r) => ({
        output: `question answered ${r.messages.length}`,
        usage: { promptTokens: 10, completionTokens: 3 },
        latencyMs: 1,
        cached: false,
      }),
    };
    const per = Math.ceil((BRIEF_AFTER_CASES + 1) / 3);
    const targets = [0, 1, 2].map((k) => target("Be brief.", per, 2, `p${k}`));
    expect(isLargeRun(targets)).toBe(true);
    expect(isLargeRun(targets.slice(0, 1))).toBe(false);
    const big = await runEval(targets, { chat: fast, prices: {}, concurrency: 50 }, "test");
    for (const run of big.runs) {
      expect(run.totals.samples).toBe(2 * per);
      expect(run.totals.promptTokens).toBe(20 * per);
      const c = run.cases[0]!;
      expect(c.samples.map((s) => s.kind === "ok" && (s.brief ?? false))).toEqual([false, true]);
    }
    // What repeats from case to case is kept once, and still written out in every place.
    const [a, b] = [big.runs[0]!.cases[0]!, big.runs[2]!.cases[5]!].map(
      (c) => c.samples[1] as SampleOk,
    ) as [SampleOk, SampleOk];
    expect(a.assertions).toBe(b.assertions);
    expect(a.usage).toBe(b.usage);
    expect(JSON.parse(JSON.stringify(big.runs[1]!.cases[1]!.samples[1]))).toMatchObject({
      usage: { promptTokens: 10, completionTokens: 3 },
      assertions: [
        { type: "icontains", negated: false, pass: true, score: 1, weight: 1, reason: "" },
      ],
      brief: true,
    });
  });

  it(`past ${BRIEF_AFTER_CASES} cases, through the engine; below, every sample whole`, async () => {
    const chat = models();
    const big = await runEval(
      [target("Be brief.", BRIEF_AFTER_CASES + 1, 2)],
      { chat, prices: {}, concurrency: 50 },
      "test",
    );
    const run = big.runs[0]!;
    expect(run.totals.samples).toBe(2 * (BRIEF_AFTER_CASES + 1));
    expect(run.totals.passRate).toBe(1);
    const shapes = new Set(
      run.cases.map((c) =>
        c.samples
          .map((s) =>
            s.kind === "ok" ? `${s.output === "" ? "-" : "o"}${s.brief ? "b" : ""}` : "e",
          )
          .join(","),
      ),
    );
    expect([...shapes]).toEqual(["o,-b"]);
    const small = await runEval(
      [target("Be brief.", 3, 2)],
      { chat, prices: {}, concurrency: 4 },
      "test",
    );
    for (const c of small.runs[0]!.cases)
      for (const s of c.samples) {
        expect(s.kind === "ok" && s.output !== "" && !s.brief).toBe(true);
        if (s.kind === "ok") expect(s.assertions.every((a) => a.reason !== "")).toBe(true);
      }
  }, 60_000);
});
