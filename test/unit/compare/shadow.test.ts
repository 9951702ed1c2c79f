import { describe, expect, it } from "vitest";
import {
  listDisagreements,
  preferenceOf,
  runShadow,
  type ShadowOutcome,
  type ShadowPair,
  summariseShadow,
  wordDistance,
} from "../../../src/compare/shadow.js";
import type { Sample } from "../../../src/engine/types.js";
import { parsePromptFile } from "../../../src/formats/prompt-file.js";
import { parseShadowInputs } from "../../../src/formats/shadow-inputs.js";
import { createStandInChatModel } from "../../support/helpers/stand-in-chat-model.js";

const ok = (output: string, latencyMs: number, costUsd: number | null): Sample => ({
  kind: "ok",
  index: 0,
  output,
  usage: { promptTokens: 10, completionTokens: 10 },
  latencyMs,
  costUsd,
  cached: false,
  pass: true,
  score: 0,
  assertions: [],
});

const pair = (id: string, outcome: ShadowOutcome, extra: Partial<ShadowPair> = {}): ShadowPair => ({
  id,
  vars: {},
  live: ok("old answer", 100, 0.001),
  candidate: ok("new answer", 150, 0.002),
  judgements: [],
  outcome,
  split: false,
  distance: 0.5,
  ...extra,
});

describe("shadow statistics", () => {
  it("maps the judge's positions to versions", () => {
    expect(preferenceOf("A", "live")).toBe("live");
    expect(preferenceOf("B", "live")).toBe("candidate");
    expect(preferenceOf("A", "candidate")).toBe("candidate");
    expect(preferenceOf("B", "candidate")).toBe("live");
    expect(preferenceOf("tie", "candidate")).toBe("tie");
  });

  it("a clear majority of wins excludes a tie; an even split does not", () => {
    const better = summariseShadow(
      [
        ...Array.from({ length: 9 }, (_, i) => pair(`w${i}`, "win")),
        pair("t", "tie"),
        pair("l", "loss"),
      ],
      0.95,
      0.1,
    );
    expect(better).toMatchObject({ wins: 9, ties: 1, losses: 1, verdict: "better" });
    expect(better.netWinRate).toBeCloseTo(8 / 11);
    expect(better.winRate).toBeCloseTo(0.9);
    expect(better.interval?.low).toBeGreaterThan(0);

    const even = summariseShadow(
      [pair("a", "win"), pair("b", "loss"), pair("c", "win"), pair("d", "loss"), pair("e", "tie")],
      0.95,
      0.1,
    );
    expect(even.verdict).toBe("noise");
    expect(even.interval?.low).toBeLessThan(0);
    expect(even.interval?.high).toBeGreaterThan(0);
  });

  it("reports cost and latency deltas, and no verdict over the error rate", () => {
    const s = summariseShadow([pair("a", "win"), pair("b", "error")], 0.95, 0.1);
    expect(s.verdict).toBe("errors");
    expect(s.costRelative).toBeCloseTo(1);
    expect(s.latencyDeltaMs).toBe(50);
    expect(s.live.costPerRequestUsd).toBeCloseTo(0.001);
  });

  it("lists losses first, then wins, then split ties, furthest apart first", () => {
    const listed = listDisagreements(
      [
        pair("tie", "tie"),
        pair("split", "tie", { split: true }),
        pair("win-near", "win", { distance: 0.1 }),
        pair("win-far", "win", { distance: 0.9 }),
        pair("loss", "loss"),
      ],
      10,
    );
    expect(listed.map((p) => p.id)).toEqual(["loss", "win-far", "win-near", "split"]);
  });

  it("measures how far apart two answers are by their words", () => {
    expect(wordDistance("a b", "B A")).toBe(0);
    expect(wordDistance("a b", "c d")).toBe(1);
  });
});

describe("runShadow", () => {
  const version = (v: string) =>
    parsePromptFile(
      `---\nmodel: gpt-4o-mini\n---\n{{role "system"}}\nversion ${v}\n{{role "user"}}\n{{q}}\n`,
      `prompts/p/${v}.prompt`,
      "p",
      v,
    );

  it("identical answers are a tie without asking the judge", async () => {
    let judged = 0;
    const chat = createStandInChatModel({
      responder: (req) => {
        if (JSON.stringify(req.messages).includes("pairwise judge")) judged++;
        return { content: "the same answer" };
      },
    });
    const result = await runShadow({
      environment: "production",
      live: { version: version("v1") },
      candidate: { version: version("v2") },
      inputs: parseShadowInputs('{"q": "a"}\n{"q": "b"}\n', "t.jsonl"),
      inputsFile: "t.jsonl",
      judgeModel: "gpt-4o",
      confidence: 0.95,
      maxErrorRate: 0.1,
      deps: { chat, prices: {}, concurrency: 2 },
    });
    expect(judged).toBe(0);
    expect(chat.requests).toBe(4);
    expect(result.summary).toMatchObject({ ties: 2, splits: 0, verdict: "noise" });
    expect(result.summary.requests).toEqual({ sent: 4, cacheHits: 0 });
  });
});
