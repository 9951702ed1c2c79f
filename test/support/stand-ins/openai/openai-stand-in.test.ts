import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import OpenAI from "openai";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  GRADER_MARKER,
  loadRules,
  type OpenAIStandIn,
  rulesResponder,
  startOpenAIStandIn,
} from "./index.js";

const SPEC =
  process.env.OPENAI_SPEC ??
  fileURLToPath(new URL("../../../../../shared/specs/openai.openapi.json", import.meta.url));
const hasSpec = existsSync(SPEC);

const sdk = (s: OpenAIStandIn, maxRetries = 0) =>
  new OpenAI({ apiKey: "test-key", baseURL: s.baseURL, maxRetries, timeout: 5_000 });

const cosine = (a: number[], b: number[]) => a.reduce((sum, x, i) => sum + x * (b[i] ?? 0), 0);

describe("spec validation", () => {
  let s: OpenAIStandIn;
  beforeAll(async () => {
    s = await startOpenAIStandIn({ validate: true, specPath: SPEC });
  });
  afterAll(() => s.close());

  it.skipIf(!hasSpec)(
    "chat, stream, embeddings and models traffic matches OpenAI's OpenAPI description",
    async () => {
      const client = sdk(s);
      const chat = await client.chat.completions.create({
        model: "gpt-4o-mini",
        messages: [
          { role: "system", content: "Be brief." },
          { role: "user", content: "What is the capital of France?" },
        ],
        temperature: 0.7,
        max_tokens: 50,
        seed: 7,
        stop: ["\n\n"],
      });
      expect(chat.object).toBe("chat.completion");
      expect(chat.choices[0]?.message.content).toContain("What is the capital of France?");
      expect(chat.usage?.total_tokens).toBe(
        (chat.usage?.prompt_tokens ?? 0) + (chat.usage?.completion_tokens ?? 0),
      );

      const stream = await client.chat.completions.create({
        model: "gpt-4o-mini",
        messages: [{ role: "user", content: "Stream this please" }],
        stream: true,
        stream_options: { include_usage: true },
      });
      let streamed = "";
      let streamedUsage: OpenAI.CompletionUsage | null | undefined;
      for await (const chunk of stream) {
        streamed += chunk.choices[0]?.delta.content ?? "";
        if (chunk.usage) streamedUsage = chunk.usage;
      }
      expect(streamed).toContain("Stream this please");
      expect(streamedUsage?.completion_tokens).toBeGreaterThan(0);

      // The SDK asks for base64 by default and decodes it; float is what the spec describes.
      const [b64, float] = await Promise.all([
        client.embeddings.create({
          model: "text-embedding-3-small",
          input: ["refund policy", "shipping times"],
        }),
        client.embeddings.create({
          model: "text-embedding-3-small",
          input: "refund policy",
          encoding_format: "float",
        }),
      ]);
      expect(b64.data).toHaveLength(2);
      expect(Array.from(b64.data[0]!.embedding)[0]).toBeCloseTo(float.data[0]!.embedding[0]!, 6);
      expect(float.data[0]!.embedding).toHaveLength(256);

      const models = await client.models.list();
      expect(models.data.map((m) => m.id)).toContain("gpt-4o-mini");

      expect(s.violations).toEqual([]);
    },
  );

  it.skipIf(!hasSpec)("records a request the spec rejects", async () => {
    const before = s.violations.length;
    const res = await fetch(`${s.baseURL}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer x" },
      body: JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "robot", content: "hi" }] }),
    });
    expect(res.status).toBe(200);
    const found = s.violations.splice(before);
    expect(found.join("\n")).toMatch(
      /request to POST \/v1\/chat\/completions does not match CreateChatCompletionRequest/,
    );
  });

  it.skipIf(!hasSpec)("answers injected errors in OpenAI's error shape", async () => {
    s.setFaults([{ kind: "status", status: 503, times: 1 }]);
    const res = await fetch(`${s.baseURL}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }] }),
    });
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: { type: string } }).error.type).toBe("server_error");
    expect(s.violations).toEqual([]);
  });
});

describe("seeded noise", () => {
  const rules = rulesResponder([
    {
      when: { user: "weather" },
      answers: [{ text: "sunny", weight: 2 }, { text: "rainy" }, { text: "windy" }],
    },
    { when: {}, answers: [{ text: "yes about {{user}}" }, { text: "no about {{user}}" }] },
  ]);
  const questions = ["weather today?", "weather tomorrow?", "is it open?"];

  /** Every question 12 times, sent 8 at a time in a shuffled order; returns the sorted answers. */
  async function run(seed: number, shuffleSeed: number): Promise<string[]> {
    const s = await startOpenAIStandIn({ seed, responder: rules });
    try {
      const client = sdk(s);
      const order = questions.flatMap((q) => Array.from({ length: 12 }, () => q));
      let x = shuffleSeed;
      for (let i = order.length - 1; i > 0; i--) {
        x = (x * 1103515245 + 12345) % 2 ** 31;
        const j = x % (i + 1);
        [order[i], order[j]] = [order[j]!, order[i]!];
      }
      const answers: string[] = [];
      for (let i = 0; i < order.length; i += 8) {
        const batch = order.slice(i, i + 8).map(async (q) => {
          // Stagger the sends so identical requests in one batch race each other for their n.
          await new Promise((r) => setTimeout(r, (q.length * 7 + i) % 5));
          const c = await client.chat.completions.create({
            model: "gpt-4o-mini",
            messages: [{ role: "user", content: q }],
          });
          return `${q} => ${c.choices[0]?.message.content}`;
        });
        answers.push(...(await Promise.all(batch)));
      }
      return answers.sort();
    } finally {
      await s.close();
    }
  }

  it("gives the same multiset of answers whatever the arrival order", async () => {
    const first = await run(42, 1);
    const second = await run(42, 99);
    expect(second).toEqual(first);
    // It is noise, not a constant: several answers per question.
    expect(new Set(first.filter((a) => a.startsWith("weather today?"))).size).toBeGreaterThan(1);
    expect(first).toContain("is it open? => yes about is it open?");
    // And the seed matters.
    expect(await run(7, 1)).not.toEqual(first);
  });
});

describe("faults", () => {
  let s: OpenAIStandIn;
  beforeAll(async () => {
    s = await startOpenAIStandIn();
  });
  afterEach(() => s.setFaults([]));
  afterAll(() => s.close());

  const post = (body: unknown, signal?: AbortSignal) =>
    fetch(`${s.baseURL}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
      signal,
    });
  const hello = { model: "gpt-4o-mini", messages: [{ role: "user", content: "hello" }] };

  it("status faults carry retry-after and stop after `times`", async () => {
    s.setFaults([{ kind: "status", status: 429, retryAfterS: 3, times: 2 }]);
    const statuses = [];
    for (let i = 0; i < 3; i++) {
      const res = await post(hello);
      statuses.push([res.status, res.headers.get("retry-after")]);
      await res.arrayBuffer();
    }
    expect(statuses).toEqual([
      [429, "3"],
      [429, "3"],
      [200, null],
    ]);
  });

  it("applies a fault only to the requests it matches", async () => {
    s.setFaults([{ kind: "status", status: 500, match: (r) => r.body?.model === "flaky" }]);
    expect((await post({ ...hello, model: "flaky" })).status).toBe(500);
    expect((await post(hello)).status).toBe(200);
  });

  it("malformed JSON, empty choices, a hang and a truncated body", async () => {
    s.setFaults([{ kind: "malformed-json", times: 1 }]);
    const malformed = await post(hello);
    expect(malformed.status).toBe(200);
    await expect(malformed.json()).rejects.toThrow(SyntaxError);

    s.setFaults([{ kind: "empty-choices", times: 1 }]);
    expect(((await (await post(hello)).json()) as { choices: unknown[] }).choices).toEqual([]);

    s.setFaults([{ kind: "hang", times: 1 }]);
    await expect(post(hello, AbortSignal.timeout(200))).rejects.toThrow(/abort|timeout/i);

    s.setFaults([{ kind: "truncated-stream", times: 1 }]);
    const truncated = await post(hello);
    await expect(truncated.text()).rejects.toThrow(/terminated/);
  });

  it("a truncated stream breaks the SDK's iteration", async () => {
    s.setFaults([{ kind: "truncated-stream", times: 1 }]);
    const stream = await sdk(s).chat.completions.create({
      ...hello,
      messages: [{ role: "user", content: "hi" }],
      stream: true,
    });
    const read = async () => {
      for await (const _ of stream) {
        // drain
      }
    };
    await expect(read()).rejects.toThrow();
  });

  it("latency delays answers", async () => {
    s.setLatency(150);
    const t0 = performance.now();
    await (await post(hello)).json();
    s.setLatency(0);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(140);
  });
});

describe("responders", () => {
  it("grades llm-rubric requests by the rubric's words, and rules can override the grader", async () => {
    const s = await startOpenAIStandIn();
    try {
      const client = sdk(s);
      const grade = async (output: string) => {
        const c = await client.chat.completions.create({
          model: "judge",
          messages: [
            { role: "system", content: `${GRADER_MARKER} Answer with JSON.` },
            {
              role: "user",
              content: `<rubric>Mentions the refund window and apologises</rubric>\n<output>${output}</output>`,
            },
          ],
        });
        return JSON.parse(c.choices[0]?.message.content ?? "") as {
          pass: boolean;
          score: number;
          reason: string;
        };
      };
      // Rubric words of 5+ letters: mentions, refund, window, apologises.
      expect(await grade("We apologises: the refund window is 30 days")).toMatchObject({
        pass: true,
        score: 0.75,
      });
      expect(await grade("Please contact support.")).toMatchObject({ pass: false, score: 0 });

      s.setResponder(
        rulesResponder([
          {
            when: { system: "grader" },
            answers: [{ text: '{"pass": false, "score": 0, "reason": "strict"}' }],
          },
        ]),
      );
      expect(await grade("We apologises: the refund window is 30 days")).toMatchObject({
        pass: false,
        reason: "strict",
      });
    } finally {
      await s.close();
    }
  });

  it("embeds similar texts close together and unrelated texts apart", async () => {
    const s = await startOpenAIStandIn();
    try {
      const res = await sdk(s).embeddings.create({
        model: "text-embedding-3-small",
        input: [
          "Refunds are issued within 30 days",
          "refunds are issued within thirty days",
          "The cat sat on the mat",
        ],
        encoding_format: "float",
      });
      const [a, b, c] = res.data.map((d) => d.embedding);
      expect(cosine(a!, a!)).toBeCloseTo(1, 6);
      expect(cosine(a!, b!)).toBeGreaterThan(0.7);
      expect(cosine(a!, c!)).toBeLessThan(0.3);
    } finally {
      await s.close();
    }
  });

  it("loads rules from YAML and rejects a malformed rules file", async () => {
    const dir = await mkdtemp(join(tmpdir(), "pg-rules-"));
    try {
      const good = join(dir, "rules.yaml");
      await writeFile(
        good,
        'rules:\n  - when: { user: "refund" }\n    answers:\n      - text: "Refunds take {{user}}"\n',
      );
      const s = await startOpenAIStandIn({ responder: rulesResponder(await loadRules(good)) });
      try {
        const c = await sdk(s).chat.completions.create({
          model: "m",
          messages: [{ role: "user", content: "REFUND?" }],
        });
        expect(c.choices[0]?.message.content).toBe("Refunds take REFUND?");
      } finally {
        await s.close();
      }
      const bad = join(dir, "bad.yaml");
      await writeFile(bad, "rules:\n  - when: { usr: refund }\n    answers: []\n");
      await expect(loadRules(bad)).rejects.toThrow(/bad\.yaml/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("enforces the API key and the model list when given", async () => {
    const s = await startOpenAIStandIn({ apiKey: "sk-right", models: ["gpt-4o-mini"] });
    try {
      const wrongKey = new OpenAI({ apiKey: "sk-wrong", baseURL: s.baseURL, maxRetries: 0 });
      await expect(wrongKey.models.list()).rejects.toMatchObject({
        status: 401,
        code: "invalid_api_key",
      });
      const client = new OpenAI({ apiKey: "sk-right", baseURL: s.baseURL, maxRetries: 0 });
      expect((await client.models.list()).data.map((m) => m.id)).toEqual(["gpt-4o-mini"]);
      await expect(
        client.chat.completions.create({
          model: "gpt-nope",
          messages: [{ role: "user", content: "x" }],
        }),
      ).rejects.toMatchObject({ status: 404, code: "model_not_found" });
    } finally {
      await s.close();
    }
  });
});
