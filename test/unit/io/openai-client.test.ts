import { getEventListeners } from "node:events";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { LlmError } from "../../../src/engine/llm-error.js";
import {
  cacheKey,
  createMemoryStore,
  withEmbeddingCache,
  withResponseCache,
} from "../../../src/engine/response-cache.js";
import type { ChatRequest } from "../../../src/engine/types.js";
import { createDiskStore } from "../../../src/io/disk-cache.js";
import { createOpenAIModels, type OpenAIModelsOptions } from "../../../src/io/openai-client.js";
import {
  defaultResponder,
  type OpenAIStandIn,
  startOpenAIStandIn,
} from "../../support/stand-ins/openai/index.js";

let s: OpenAIStandIn;
beforeAll(async () => {
  s = await startOpenAIStandIn({
    validate: true,
    models: ["gpt-4o-mini", "text-embedding-3-small"],
  });
});
afterEach(() => {
  s.setFaults([]);
  s.requests.length = 0;
  expect(s.violations).toEqual([]);
});
afterAll(() => s.close());

const models = (over: Partial<OpenAIModelsOptions> = {}) =>
  createOpenAIModels({
    apiKey: "test-key",
    baseURL: s.baseURL,
    timeoutMs: 5_000,
    maxRetries: 2,
    ...over,
  });

const ask = (content: string, sampleIndex = 0): ChatRequest => ({
  model: "gpt-4o-mini",
  messages: [
    { role: "system", content: "You are terse." },
    { role: "user", content },
  ],
  params: { temperature: 0.3, max_tokens: 64 },
  sampleIndex,
});

/** The LlmError a call rejects with (fails the test when it resolves or throws something else). */
async function llmErrorOf(p: Promise<unknown>): Promise<LlmError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(LlmError);
  return e as LlmError;
}

describe("chat", () => {
  it("returns the output, usage, model and latency, sending the parameters", async () => {
    s.setResponder(() => ({
      content: "Paris.",
      usage: { prompt_tokens: 20, completion_tokens: 2, cached_tokens: 16 },
    }));
    try {
      const res = await models().complete(ask("Capital of France?"));
      expect(res).toMatchObject({
        output: "Paris.",
        usage: { promptTokens: 20, completionTokens: 2, cachedTokens: 16 },
        model: "gpt-4o-mini",
        cached: false,
      });
      expect(res.latencyMs).toBeGreaterThan(0);
      expect(s.requests[0]?.body).toMatchObject({
        temperature: 0.3,
        max_tokens: 64,
        model: "gpt-4o-mini",
      });
    } finally {
      s.setResponder(defaultResponder);
    }
  });

  it("leaves cachedTokens out when the server does not report it", async () => {
    const res = await models().complete(ask("hello"));
    expect(res.usage.cachedTokens).toBeUndefined();
    expect(res.usage.promptTokens).toBeGreaterThan(0);
  });
});

describe("retries and errors", () => {
  it("honours retry-after on a 429, then succeeds", async () => {
    s.setFaults([{ kind: "status", status: 429, retryAfterS: 1, times: 1 }]);
    const res = await models().complete(ask("rate limited once"));
    expect(res.output).toContain("rate limited once");
    expect(s.requests).toHaveLength(2);
    // The SDK's own backoff starts near 0.4 s; waiting about a second means the header was read.
    expect(s.requests[1]!.receivedAt - s.requests[0]!.receivedAt).toBeGreaterThanOrEqual(900);
  });

  it("retries a 500 and succeeds", async () => {
    s.setFaults([{ kind: "status", status: 500, times: 1 }]);
    const res = await models().complete(ask("flaky server"));
    expect(res.output).toContain("flaky server");
    expect(s.requests).toHaveLength(2);
  });

  it("reports a persistent 500 as a server error after the retries", async () => {
    s.setFaults([{ kind: "status", status: 500 }]);
    const e = await llmErrorOf(models({ maxRetries: 1 }).complete(ask("down")));
    expect(e).toMatchObject({ kind: "server", status: 500 });
    expect(e.message).toMatch(/server error after 1 retry: 500 The server had an error/);
    expect(s.requests).toHaveLength(2);
  });

  it("reports a persistent 429 as a rate-limit error", async () => {
    s.setFaults([{ kind: "status", status: 429, retryAfterS: 0 }]);
    const e = await llmErrorOf(models({ maxRetries: 1 }).complete(ask("limited")));
    expect(e).toMatchObject({ kind: "rate-limit", status: 429 });
    expect(e.message).toMatch(/Rate limit reached/);
  });

  it("does not sit out a retry-after beyond the cap: fails at once, saying why", async () => {
    s.setFaults([{ kind: "status", status: 429, retryAfterS: 3600 }]);
    const e = await llmErrorOf(models().complete(ask("quota gone")));
    expect(e).toMatchObject({ kind: "rate-limit", status: 429 });
    expect(e.message).toMatch(/asked to wait 3600 s/);
    expect(s.requests).toHaveLength(1);
  });

  it("cuts a hang with the timeout", async () => {
    s.setFaults([{ kind: "hang" }]);
    const e = await llmErrorOf(models({ timeoutMs: 300, maxRetries: 1 }).complete(ask("hang")));
    expect(e.kind).toBe("timeout");
    expect(e.message).toMatch(/timed out after 1 retry/);
    // The SDK retries timeouts too.
    expect(s.requests).toHaveLength(2);
  });

  it("reports malformed JSON, no choices and a broken-off body", async () => {
    s.setFaults([{ kind: "malformed-json" }]);
    const malformed = await llmErrorOf(models().complete(ask("x")));
    expect(malformed.kind).toBe("bad-response");
    expect(malformed.message).toMatch(/not valid JSON/);

    s.setFaults([{ kind: "empty-choices" }]);
    const empty = await llmErrorOf(models().complete(ask("x")));
    expect(empty).toMatchObject({
      kind: "bad-response",
      message: expect.stringMatching(/no choices/),
    });

    s.setFaults([{ kind: "truncated-stream" }]);
    const truncated = await llmErrorOf(models().complete(ask("x")));
    expect(truncated.kind).toBe("connection");
    expect(truncated.message).toMatch(/broke off/);
  });

  it("reports an unknown model as a client error, without retrying", async () => {
    const e = await llmErrorOf(models().complete({ ...ask("x"), model: "gpt-nope" }));
    expect(e).toMatchObject({ kind: "client", status: 404 });
    expect(e.message).toMatch(/gpt-nope/);
    expect(s.requests).toHaveLength(1);
  });

  it("reports a refused connection", async () => {
    const gone = await startOpenAIStandIn();
    const baseURL = gone.baseURL;
    await gone.close();
    const e = await llmErrorOf(models({ baseURL, maxRetries: 0 }).complete(ask("x")));
    expect(e.kind).toBe("connection");
    expect(e.message).toMatch(/ECONNREFUSED/);
  });

  it("leaves no listener on the caller's signal once its requests are done", async () => {
    const controller = new AbortController();
    const client = models();
    for (let i = 0; i < 12; i++) await client.complete(ask(`q${i}`), controller.signal);
    await client.embed("text-embedding-3-small", ["a"], controller.signal);
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
  });

  it("lets the caller's abort through as an abort, not a model error", async () => {
    s.setFaults([{ kind: "hang" }]);
    const controller = new AbortController();
    const pending = models().complete(ask("x"), controller.signal);
    setTimeout(() => controller.abort(), 50);
    const e = await pending.catch((err: unknown) => err);
    expect(e).not.toBeInstanceOf(LlmError);
    expect((e as Error).name).toMatch(/Abort/);
  });
});

describe("embeddings", () => {
  it("returns one vector per input, in input order", async () => {
    const [a, b, c] = await models().embed("text-embedding-3-small", [
      "refund policy",
      "our refund policy",
      "cats",
    ]);
    const dot = (x: number[], y: number[]) => x.reduce((sum, v, i) => sum + v * (y[i] ?? 0), 0);
    expect(a).toHaveLength(256);
    expect(dot(a!, b!)).toBeGreaterThan(dot(a!, c!));
  });
});

describe("response cache", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "pg-cache-"));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const cached = (cacheDir: string) =>
    withResponseCache(models(), createDiskStore(cacheDir), s.baseURL);
  const work = (changed = "") => [
    ask("one"),
    ask("one", 1),
    ask(`two${changed}`),
    { ...ask("three"), params: { temperature: 1 } },
  ];

  it("sends nothing on a second identical run, and only the changed request after an edit", async () => {
    const cacheDir = join(dir, "runs");
    const first = await Promise.all(work().map((r) => cached(cacheDir).complete(r)));
    expect(first.every((r) => !r.cached)).toBe(true);
    expect(s.requests).toHaveLength(4);

    s.requests.length = 0;
    const second = await Promise.all(work().map((r) => cached(cacheDir).complete(r)));
    expect(s.requests).toHaveLength(0);
    expect(second.every((r) => r.cached)).toBe(true);
    expect(second.map((r) => r.output)).toEqual(first.map((r) => r.output));
    expect(second[0]?.usage).toEqual(first[0]?.usage);

    const third = await Promise.all(work(" (edited)").map((r) => cached(cacheDir).complete(r)));
    expect(s.requests).toHaveLength(1);
    expect(s.requests[0]?.body?.messages).toEqual([
      { role: "system", content: "You are terse." },
      { role: "user", content: "two (edited)" },
    ]);
    expect(third.map((r) => r.cached)).toEqual([true, true, false, true]);

    // Layout: dir/<2 hex>/<62 hex>.json, and no temporary files left behind.
    const files = (await readdir(cacheDir, { recursive: true })).filter(
      (f) => f.endsWith(".json") || f.includes("tmp"),
    );
    expect(files).toHaveLength(5);
    for (const f of files) expect(f).toMatch(/^[0-9a-f]{2}[/\\][0-9a-f]{62}\.json$/);
  });

  it("keys on the endpoint, the model, the messages, the parameters and the repeat", () => {
    const base = ask("same");
    const key = cacheKey("http://a/v1", base);
    expect(cacheKey("http://a/v1", { ...base, params: { max_tokens: 64, temperature: 0.3 } })).toBe(
      key,
    );
    for (const other of [
      cacheKey("http://b/v1", base),
      cacheKey("http://a/v1", { ...base, model: "gpt-4o" }),
      cacheKey("http://a/v1", { ...base, sampleIndex: 1 }),
      cacheKey("http://a/v1", { ...base, params: { temperature: 0.4, max_tokens: 64 } }),
      cacheKey("http://a/v1", {
        ...base,
        messages: [...base.messages, { role: "assistant", content: "" }],
      }),
    ]) {
      expect(other).not.toBe(key);
    }
  });

  it("does not store failures", async () => {
    const cacheDir = join(dir, "failures");
    s.setFaults([{ kind: "status", status: 400 }]);
    await llmErrorOf(cached(cacheDir).complete(ask("rejected once")));
    s.setFaults([]);
    const res = await cached(cacheDir).complete(ask("rejected once"));
    expect(res.cached).toBe(false);
    expect(s.requests).toHaveLength(2);
  });

  it("treats a corrupt entry as a miss and repairs it", async () => {
    const cacheDir = join(dir, "corrupt");
    const request = ask("fragile");
    await cached(cacheDir).complete(request);
    const key = cacheKey(s.baseURL, request);
    await writeFile(join(cacheDir, key.slice(0, 2), `${key.slice(2)}.json`), '{"output": "half');
    // The folder's index holds a copy of every entry: a torn write there is a miss too.
    await writeFile(join(cacheDir, "index.jsonl"), `${key}\t{"output": "half\n`);
    const again = await cached(cacheDir).complete(request);
    expect(again.cached).toBe(false);
    expect((await cached(cacheDir).complete(request)).cached).toBe(true);
    expect(s.requests).toHaveLength(2);
  });

  it("caches embeddings per text: a rerun sends nothing, a new text is sent alone", async () => {
    const cacheDir = join(dir, "embeddings");
    const embeddings = () => withEmbeddingCache(models(), createDiskStore(cacheDir), s.baseURL);
    const first = await embeddings().embed("text-embedding-3-small", ["alpha beta", "gamma"]);
    expect(s.requests).toHaveLength(1);
    expect(await embeddings().embed("text-embedding-3-small", ["gamma", "alpha beta"])).toEqual([
      first[1],
      first[0],
    ]);
    expect(s.requests).toHaveLength(1);
    const mixed = await embeddings().embed("text-embedding-3-small", ["gamma", "delta"]);
    expect(s.requests).toHaveLength(2);
    expect(s.requests[1]?.body?.input).toEqual(["delta"]);
    expect(mixed[0]).toEqual(first[1]);
    expect(mixed[1]).toHaveLength(256);
  });

  it("sends identical requests in flight only once", async () => {
    s.setLatency(100);
    try {
      const store = createMemoryStore();
      const chat = withResponseCache(models(), store, s.baseURL);
      const results = await Promise.all([chat.complete(ask("twice")), chat.complete(ask("twice"))]);
      expect(results[0]?.output).toBe(results[1]?.output);
      expect(s.requests).toHaveLength(1);
      expect(store.size()).toBe(1);
    } finally {
      s.setLatency(0);
    }
  });
});
