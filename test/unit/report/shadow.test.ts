import { describe, expect, it } from "vitest";
import { type ShadowPair, summariseShadow } from "../../../src/compare/shadow.js";
import type { Sample } from "../../../src/engine/types.js";
import {
  createShadowReport,
  renderShadowHtml,
  renderShadowMarkdown,
  SHADOW_MARKER,
  toShadowJson,
} from "../../../src/report/shadow.js";

const ok = (output: string): Sample => ({
  kind: "ok",
  index: 0,
  output,
  usage: { promptTokens: 10, completionTokens: 10 },
  latencyMs: 120,
  costUsd: 0.001,
  cached: false,
  pass: true,
  score: 0,
  assertions: [],
});

function reportOf(pairs: ShadowPair[]) {
  const side = (version: string) => ({
    prompt: "support-answer",
    version,
    model: "gpt-4o-mini",
    file: `prompts/support-answer/${version}.prompt`,
    contentHash: "0".repeat(64),
  });
  return createShadowReport(
    {
      environment: "production",
      prompt: "support-answer",
      live: side("v1"),
      candidate: side("v2"),
      judgeModel: "gpt-4o",
      inputsFile: "traffic.jsonl",
      pairs,
      summary: summariseShadow(pairs, 0.95, 0.1),
    },
    { generatedAt: "2026-01-01T00:00:00.000Z", confidence: 0.95 },
  );
}

const pairs: ShadowPair[] = Array.from({ length: 12 }, (_, i) => ({
  id: `traffic.jsonl:${i + 1}`,
  vars: { question: `</summary><img src=x onerror=alert(${i})>` },
  live: ok("x".repeat(3000)),
  candidate: ok(`${"y".repeat(3000)} @octocat`),
  judgements: [
    { first: "live", preferred: "candidate", reason: "B <b>is</b> better" },
    { first: "candidate", preferred: "candidate", reason: "A is better" },
  ],
  outcome: "win",
  split: false,
  distance: 1,
}));

describe("the shadow report", () => {
  it("keeps the comment under its limit by showing fewer cases, never cutting the numbers", () => {
    const report = reportOf(pairs);
    const full = renderShadowMarkdown(report);
    expect(full.startsWith(SHADOW_MARKER)).toBe(true);
    expect(full.match(/<details>/g)).toHaveLength(5);
    const cut = renderShadowMarkdown(report, { maxChars: 4000 });
    expect(cut.length).toBeLessThanOrEqual(4000);
    expect(cut).toContain("candidate wins");
    expect(cut.match(/<details>/g)?.length ?? 0).toBeLessThan(5);
  });

  it("escapes inputs, outputs and reasons in HTML", () => {
    const html = renderShadowHtml(reportOf(pairs));
    expect(html).not.toContain("<img");
    expect(html).not.toContain("<b>is</b>");
    expect(html).toContain("&lt;img src=x onerror=alert(0)&gt;");
  });

  it("the JSON is the whole model, with its schema", () => {
    const parsed = JSON.parse(toShadowJson(reportOf(pairs)));
    expect(parsed.schema).toBe("promptgate/shadow-report@1");
    expect(parsed.pairs).toHaveLength(12);
    expect(parsed.summary.wins).toBe(12);
  });
});
