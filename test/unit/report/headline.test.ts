import { describe, expect, it } from "vitest";
import { renderDiffText } from "../../../src/cli/commands/diff.js";
import type { PromptComparison } from "../../../src/compare/types.js";
import { buildHeadline, HEADLINE_MAX } from "../../../src/report/headline.js";
import {
  createReport,
  type Report,
  renderComment,
  renderHtml,
  renderSummary,
} from "../../../src/report/index.js";
import { buildReport } from "../../support/fixtures/report/build-report.js";

/** The fixture's report with its first prompt failing 77 critical cases, worded as gates.ts words it. */
function withCriticalFailures(n: number): Report {
  const report = buildReport();
  const ids = Array.from(
    { length: n },
    (_, i) => `refund-policy-edge-case-${String(i).padStart(3, "0")}`,
  );
  // Only this prompt is blocked, and only by its critical cases: its reason leads the headline.
  const comparisons = report.comparisons.map((c, i): PromptComparison => {
    if (i !== 0) return { ...c, blocked: false, gates: c.gates.filter((g) => g.status !== "fail") };
    const rates = ids.map((id) => `${id} (passes 0%, base 100%)`);
    return {
      ...c,
      verdict: "noise",
      delta: c.delta === null ? null : 0,
      blocked: true,
      criticalFailures: ids,
      gates: [
        ...c.gates.filter((g) => g.gate !== "critical" && g.status !== "fail"),
        {
          gate: "critical",
          status: "fail",
          message: `${n} critical cases fail on head: ${rates.join(", ")}`,
        },
      ],
    };
  });
  return createReport({
    generatedAt: report.generatedAt,
    base: report.base,
    head: report.head,
    comparisons,
    settings: report.settings,
    wallMs: report.totals.wallMs,
  });
}

describe("the headline", () => {
  const report = withCriticalFailures(77);

  it("keeps the first failing case and counts the other 76", () => {
    expect(report.verdict.overall).toBe("blocked");
    expect(report.verdict.reason).toMatch(
      /77 critical cases fail on head: refund-policy-edge-case-000 \(passes 0%, base 100%\) and 76 more/,
    );
    expect(report.verdict.reason).not.toContain("refund-policy-edge-case-001");
  });

  it("is at most 200 characters in every renderer", () => {
    const lines = {
      comment: renderComment(report)
        .split("\n")
        .find((l) => l.startsWith("### ")),
      summary: renderSummary(report)
        .split("\n")
        .find((l) => l.startsWith("### ")),
      html: /<p class="reason">([^<]*)<\/p>/.exec(renderHtml(report))?.[1],
      htmlTitle: /<title>([^<]*)<\/title>/.exec(renderHtml(report))?.[1],
      cli: renderDiffText(report).split("\n")[0],
      // The action's `summary` output is the verdict's reason.
      action: report.verdict.reason,
    };
    for (const [where, line] of Object.entries(lines)) {
      expect(line, where).toBeDefined();
      expect(line!.length, `${where}: ${line}`).toBeLessThanOrEqual(HEADLINE_MAX);
    }
  });

  it("leaves the details below: the gate lists every case", () => {
    const md = renderComment(report);
    expect(md).toContain("refund-policy-edge-case-076");
  });
});

describe("buildHeadline", () => {
  it("adds 'and N more' for the other prompts", () => {
    expect(buildHeadline("a v1 → v2 regresses 3.0 pts", 2, "blocked")).toBe(
      "a v1 → v2 regresses 3.0 pts; and 2 more prompts blocked",
    );
    expect(buildHeadline("a v1 → v2 regresses 3.0 pts", 0, "blocked")).toBe(
      "a v1 → v2 regresses 3.0 pts",
    );
  });

  it("cuts a long reason without a list at a word, with an ellipsis", () => {
    const h = buildHeadline(`x ${"word ".repeat(100)}`, 5, "blocked");
    expect(h.length).toBeLessThanOrEqual(HEADLINE_MAX);
    expect(h).toMatch(/word…; and 5 more prompts blocked$/);
  });
});
