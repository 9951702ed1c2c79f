import { afterEach, describe, expect, it } from "vitest";
import {
  assumeCompletionTokens,
  DAYS_PER_MONTH,
  DEFAULT_COMPLETION_TOKENS,
  estimateCost,
  projectMonthly,
} from "../../../src/cost/estimate.js";
import { priceUsage } from "../../../src/cost/prices.js";
import { countChatTokens, countTextTokens, encodingForModel } from "../../../src/cost/tokens.js";
import type { ChatMessage } from "../../../src/formats/prompt-file.js";
import { parseSettings } from "../../../src/formats/settings.js";
import { formatUsd } from "../../../src/numbers.js";

// OpenAI's published prices, USD per 1M tokens (input, cached input, output).
const GPT_4O_MINI = { input: 0.15, cached: 0.075, output: 0.6 };
const GPT_4O = { input: 2.5, cached: 1.25, output: 10 };

const perMillion = (tokens: number, rate: number) => (tokens * rate) / 1_000_000;

describe("priceUsage", () => {
  it("prices a known model from the bundled table", () => {
    const p = priceUsage("gpt-4o-mini", { promptTokens: 1000, completionTokens: 500 }, {});
    expect(p.kind).toBe("known");
    if (p.kind !== "known") return;
    expect(p.source).toBe("genai-prices");
    expect(p.usd).toBeCloseTo(
      perMillion(1000, GPT_4O_MINI.input) + perMillion(500, GPT_4O_MINI.output),
      12,
    );
  });

  it("resolves snapshot ids to their model", () => {
    const usage = { promptTokens: 12_345, completionTokens: 678 };
    const mini = priceUsage("gpt-4o-mini-2024-07-18", usage, {});
    expect(mini).toEqual({
      kind: "known",
      source: "genai-prices",
      usd: expect.closeTo(
        perMillion(12_345, GPT_4O_MINI.input) + perMillion(678, GPT_4O_MINI.output),
        12,
      ),
    });
    const big = priceUsage("gpt-4o-2024-08-06", usage, {});
    expect(big.kind === "known" && big.usd).toBeCloseTo(
      perMillion(12_345, GPT_4O.input) + perMillion(678, GPT_4O.output),
      12,
    );
  });

  it("prices cached input tokens at the cached rate", () => {
    const p = priceUsage(
      "gpt-4o-2024-08-06",
      { promptTokens: 10_000, completionTokens: 100, cachedTokens: 4000 },
      {},
    );
    expect(p.kind === "known" && p.usd).toBeCloseTo(
      perMillion(6000, GPT_4O.input) +
        perMillion(4000, GPT_4O.cached) +
        perMillion(100, GPT_4O.output),
      12,
    );
  });

  it("lets prices: overrides win, with their cached rate, and match snapshot ids", () => {
    const overrides = {
      "my-finetune": { input: 0.3, output: 1.2, cachedInput: undefined },
      "gpt-4o-mini": { input: 1, output: 2, cachedInput: 0.5 },
    };
    expect(
      priceUsage("my-finetune", { promptTokens: 2000, completionTokens: 1000 }, overrides),
    ).toEqual({
      kind: "known",
      source: "override",
      usd: expect.closeTo(perMillion(2000, 0.3) + perMillion(1000, 1.2), 12),
    });
    const snap = priceUsage(
      "gpt-4o-mini-2024-07-18",
      { promptTokens: 2000, completionTokens: 1000, cachedTokens: 1000 },
      overrides,
    );
    expect(snap).toEqual({
      kind: "known",
      source: "override",
      usd: expect.closeTo(perMillion(1000, 1) + perMillion(1000, 0.5) + perMillion(1000, 2), 12),
    });
  });

  it("reads overrides as parsed from promptgate.yaml", () => {
    const settings = parseSettings(
      "version: 1\nprices:\n  acme-llm: { input: 3, output: 6, cached-input: 1 }\n",
      "promptgate.yaml",
    );
    const p = priceUsage(
      "acme-llm",
      { promptTokens: 1_000_000, completionTokens: 1_000_000, cachedTokens: 500_000 },
      settings.prices,
    );
    expect(p).toEqual({ kind: "known", source: "override", usd: expect.closeTo(1.5 + 0.5 + 6, 9) });
  });

  it("calls an unknown model unknown, never $0", () => {
    const usage = { promptTokens: 100, completionTokens: 100 };
    expect(priceUsage("my-finetune", usage, {})).toEqual({ kind: "unknown", model: "my-finetune" });
    expect(priceUsage("acme-llm-7b", usage, {}).kind).toBe("unknown");
  });

  it("prices an OpenAI fine-tune at fine-tune rates, not its base model's", () => {
    // OpenAI: fine-tuned gpt-4o-mini runs at $0.30 / $1.20 per 1M tokens (base: $0.15 / $0.60).
    const p = priceUsage(
      "ft:gpt-4o-mini-2024-07-18:acme::x1",
      { promptTokens: 1000, completionTokens: 1000 },
      {},
    );
    expect(p.kind === "known" && p.usd).toBeCloseTo(
      perMillion(1000, 0.3) + perMillion(1000, 1.2),
      12,
    );
  });

  describe("never fetches price updates", () => {
    const realFetch = globalThis.fetch;
    afterEach(() => {
      globalThis.fetch = realFetch;
    });
    it("prices with fetch replaced by a trap", () => {
      const calls: unknown[] = [];
      globalThis.fetch = ((...args: unknown[]) => {
        calls.push(args);
        return Promise.reject(new Error("no network in pricing"));
      }) as typeof fetch;
      for (const m of ["gpt-4o-mini", "gpt-4.1", "unknown-model", "openai/gpt-4o"]) {
        priceUsage(m, { promptTokens: 10, completionTokens: 10 }, {});
      }
      expect(calls).toEqual([]);
    });
  });
});

describe("token counts", () => {
  const chat: ChatMessage[] = [
    {
      role: "system",
      content: "You answer billing questions for Acme. Quote the policy; never promise refunds.",
    },
    { role: "user", content: "Can I get a refund after 30 days?" },
  ];

  it("picks the encoding per model family", () => {
    expect(encodingForModel("gpt-4o-mini-2024-07-18")).toBe("o200k_base");
    expect(encodingForModel("gpt-4.1-nano")).toBe("o200k_base");
    expect(encodingForModel("o3-mini")).toBe("o200k_base");
    expect(encodingForModel("gpt-5")).toBe("o200k_base");
    expect(encodingForModel("gpt-4")).toBe("cl100k_base");
    expect(encodingForModel("gpt-4-turbo-2024-04-09")).toBe("cl100k_base");
    expect(encodingForModel("gpt-3.5-turbo")).toBe("cl100k_base");
    expect(encodingForModel("ft:gpt-3.5-turbo-0125:acme::x")).toBe("cl100k_base");
    expect(encodingForModel("openai/gpt-4-0613")).toBe("cl100k_base");
    expect(encodingForModel("llama-3.1-8b-instruct")).toBe("o200k_base"); // documented fallback
  });

  // Counts checked with gpt-tokenizer's own encodeChat (OpenAI's chat format) for these strings.
  it("counts a chat as OpenAI does: content, role and 3 tokens a message, 3 to prime the reply", async () => {
    // content 16 + 10, roles 1 + 1, 3 per message, 3 for the reply primer
    expect(await countChatTokens(chat, "gpt-4o-mini")).toBe(37);
    expect(await countChatTokens([], "gpt-4o-mini")).toBe(3);
  });

  it("uses the model's encoding", async () => {
    const ru: ChatMessage[] = [{ role: "system", content: "Привет, как дела? Где мой возврат?" }];
    expect(await countChatTokens(ru, "gpt-4o")).toBe(18); // o200k_base: 11 + 1 + 3 + 3
    expect(await countChatTokens(ru, "gpt-4")).toBe(23); // cl100k_base: 16 + 1 + 3 + 3
    expect(await countTextTokens("退款政策是什么？", "gpt-4o")).toBe(4);
    expect(await countTextTokens("退款政策是什么？", "gpt-3.5-turbo")).toBe(10);
  });

  it("strips a leading BOM", async () => {
    const withBom = chat.map((m, i) => (i === 0 ? { ...m, content: `\uFEFF${m.content}` } : m));
    expect(await countChatTokens(withBom, "gpt-4o-mini")).toBe(37);
    expect(await countTextTokens("\uFEFF退款政策是什么？", "gpt-4o")).toBe(4);
  });

  it("counts special-token text as plain text instead of throwing", async () => {
    expect(await countTextTokens("<|endoftext|>", "gpt-4o")).toBe(7);
  });
});

describe("estimates and projections", () => {
  it("projects a month of traffic at 30.4 days", () => {
    expect(DAYS_PER_MONTH).toBe(30.4);
    expect(projectMonthly(0.001, 1000)).toBeCloseTo(30.4, 10);
    expect(projectMonthly(null, 1000)).toBeNull();
  });

  it("estimates one request, one run and one month", () => {
    const e = estimateCost({
      model: "gpt-4o-mini-2024-07-18",
      promptTokens: [1000, 3000],
      completionTokens: 200,
      repeats: 3,
      requestsPerDay: 50_000,
      overrides: {},
    });
    const case1 = perMillion(1000, GPT_4O_MINI.input) + perMillion(200, GPT_4O_MINI.output);
    const case2 = perMillion(3000, GPT_4O_MINI.input) + perMillion(200, GPT_4O_MINI.output);
    expect(e.requests).toBe(6);
    expect(e.meanPromptTokens).toBe(2000);
    expect(e.source).toBe("genai-prices");
    expect(e.perRequestUsd).toBeCloseTo((case1 + case2) / 2, 12);
    expect(e.runUsd).toBeCloseTo((case1 + case2) * 3, 12);
    expect(e.monthlyUsd).toBeCloseTo(((case1 + case2) / 2) * 50_000 * 30.4, 8);
  });

  it("keeps unknown unknown through every figure", () => {
    const e = estimateCost({
      model: "acme-llm",
      promptTokens: [10, 20],
      completionTokens: 5,
      repeats: 2,
      requestsPerDay: 100,
      overrides: {},
    });
    expect(e).toMatchObject({ perRequestUsd: null, runUsd: null, monthlyUsd: null, source: null });
    expect(formatUsd(e.runUsd)).toBe("unknown");
    const none = estimateCost({
      model: "acme-llm",
      promptTokens: [],
      completionTokens: 5,
      repeats: 1,
      overrides: {},
    });
    expect(none.perRequestUsd).toBeNull();
  });

  it("counts every case's prompt tokens for an unpriced model, as for a priced one", async () => {
    // One template rendered for three cases, tokenised as `promptgate cost` does (acme-llm falls
    // back to o200k_base, the encoding of gpt-4o-mini).
    const system =
      "You answer billing questions for Acme. Quote the policy; never promise refunds.";
    const questions = [
      "Can I get a refund after 30 days?",
      "My card was charged twice for the same order last week; which charge gets reversed?",
      "Where is the policy on annual plans?",
    ];
    const counts = (model: string) =>
      Promise.all(
        questions.map((q) =>
          countChatTokens(
            [
              { role: "system", content: system },
              { role: "user", content: q },
            ],
            model,
          ),
        ),
      );
    const estimate = async (model: string) =>
      estimateCost({
        model,
        promptTokens: await counts(model),
        completionTokens: 256,
        repeats: 1,
        overrides: {},
      });
    const priced = await estimate("gpt-4o-mini");
    const unpriced = await estimate("acme-llm");
    const tokens = await counts("gpt-4o-mini");
    expect(new Set(tokens).size).toBe(3);
    expect(priced.meanPromptTokens).toBeCloseTo(tokens.reduce((a, b) => a + b, 0) / 3, 10);
    expect(unpriced.meanPromptTokens).toBe(priced.meanPromptTokens);
    expect(priced.perRequestUsd).not.toBeNull();
    expect(unpriced).toMatchObject({ perRequestUsd: null, runUsd: null, source: null });
    expect(formatUsd(unpriced.perRequestUsd)).toBe("unknown");
  });

  it("has no monthly figure without traffic, and assumes a documented completion length", () => {
    const e = estimateCost({
      model: "gpt-4o-mini",
      promptTokens: [100],
      completionTokens: assumeCompletionTokens(undefined),
      repeats: 1,
      overrides: {},
    });
    expect(e.completionTokens).toBe(DEFAULT_COMPLETION_TOKENS);
    expect(e.monthlyUsd).toBeNull();
    expect(assumeCompletionTokens(400)).toBe(400);
  });
});
