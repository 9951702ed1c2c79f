import { describe, expect, it } from "vitest";
import type { PromptComparison } from "../../../src/compare/types.js";
import type { Sample } from "../../../src/engine/types.js";
import {
  COMMENT_MARKER,
  createReport,
  type Report,
  renderComment,
  renderPendingComment,
  renderSummary,
} from "../../../src/report/index.js";
import { buildReport } from "../../support/fixtures/report/build-report.js";

/** The rows of the first markdown table (header, delimiter, body). */
function tableLines(md: string): string[] {
  const lines = md.split("\n");
  const start = lines.findIndex((l) => l.startsWith("| Prompt |"));
  const out: string[] = [];
  for (let i = start; i < lines.length && lines[i]!.startsWith("|"); i++) out.push(lines[i]!);
  return out;
}

/** The report with some prompts' intervals from an adaptive (group-sequential) run. */
function adaptive(report: Report, prompts: string[], look = 2, looks = 5): Report {
  const comparisons = report.comparisons.map((c): PromptComparison => {
    if (!prompts.includes(c.prompt) || c.interval === null) return c;
    const { crossCheck: _none, ...rest } = c;
    return {
      ...rest,
      interval: { ...c.interval, method: "group-sequential" },
      sequential: { look, looks, critical: 2.3 },
    };
  });
  return { ...report, comparisons };
}

/** Every occurrence of `needle` in `text`. */
function count(text: string, needle: string): number {
  return text.split(needle).length - 1;
}

/** Cell separators: pipes that are not escaped (an escaped one would be `\|`; we use entities). */
function countPipes(line: string): number {
  return [...line].filter((ch) => ch === "|").length;
}

describe("renderComment", () => {
  const report = buildReport();
  const comment = renderComment(report);

  it("matches the snapshot", async () => {
    await expect(comment).toMatchFileSnapshot("./__snapshots__/report-comment.md.snap");
  });

  it("writes a traffic share that was unset as unset, like the change list, not as a bare %", () => {
    const md = renderComment({
      ...report,
      environmentChanges: [{ kind: "traffic", env: "canary", before: null, after: 10 }],
    });
    expect(md).toContain("| canary | (traffic) | unset → 10% |");
    expect(md).not.toContain("—%");
  });

  it("starts with the marker, then the verdict and why in one line", () => {
    const [marker, headline] = comment.split("\n");
    expect(marker).toBe(COMMENT_MARKER);
    expect(headline).toMatch(
      /^### ❌ blocked: support-answer v4 → v5 regresses \d+\.\d pts \(95% CI −\d+\.\d to −\d+\.\d\); cost \+12%$/,
    );
  });

  it("has one table row per changed prompt, worst first, with versions, CI and verdicts", () => {
    const rows = tableLines(comment);
    expect(rows).toHaveLength(2 + 4);
    expect(rows[0]).toContain("Δ pts (CI)");
    const body = rows.slice(2);
    expect(body[0]).toMatch(/^\| \*\*support-answer\*\* \| v4 → v5 \|/);
    expect(body[0]).toContain("🔴 worse · ⛔ blocked");
    expect(body[0]).toContain("❗ 1: <code>refund-policy-eu</code>");
    expect(body[1]).toContain("🟢 better");
    expect(body[1]).toContain("gpt-4o-2024-08-06 → gpt-4o-mini-2024-07-18");
    // A within-noise verdict says how large a drop this run could have seen.
    expect(body[2]).toMatch(/⚪ within noise \(detectable drop ≥ \d+\.\d pts\)/);
    expect(body[3]).toContain("new → v1");
    expect(body[3]).toContain("🆕 new prompt");
    for (const row of rows) expect(countPipes(row)).toBe(10);
  });

  it("prices per 1k requests with the change, and projects a month from traffic", () => {
    const row = tableLines(comment)[2]!;
    expect(row).toMatch(/&#36;0\.13 → &#36;0\.15 \(\+12%\)/);
    expect(row).toMatch(/\/mo at 50,000\/day/);
  });

  it("says unknown, never $0, for a model without a price, and how to add it", () => {
    const triage = tableLines(comment).find((l) => l.includes("triage-ticket"))!;
    expect(triage).toContain("unknown †");
    expect(triage).not.toMatch(/(\$|&#36;)0(\.0+)?(?!\.\d*[1-9])/);
    expect(comment).toContain(
      "no price for <code>acme-ft-triage-2026-10</code>. Add it under <code>prices:</code>",
    );
    expect(comment).toContain("eval cost: unknown");
    expect(comment).not.toMatch(/(\$|&#36;)0\.00\b/);
  });

  describe("says why a cost is unknown, and asks for a price only when one is missing", () => {
    /** The new triage-ticket prompt alone, its head samples rewritten by `edit`. */
    function triageWith(edit: (s: Sample) => Sample): string {
      const only = buildReport({ only: ["triage-ticket"] });
      const comparisons = only.comparisons.map((c): PromptComparison => {
        const cases = c.head.cases.map((k) => ({ ...k, samples: k.samples.map(edit) }));
        // What compare/ gives such a run: a price is missing for no model.
        const head = { perRequestUsd: null, unknownModels: [] };
        return { ...c, head: { ...c.head, cases }, cost: { ...c.cost, head } };
      });
      return renderComment({ ...only, comparisons });
    }

    it("no-price: names the model to add under prices:", () => {
      const md = renderComment(buildReport({ only: ["triage-ticket"] }));
      expect(md).toContain(
        "- † Cost unknown: no price for <code>acme-ft-triage-2026-10</code>. Add it under <code>prices:</code> in <code>promptgate.yaml</code> (USD per 1M input and output tokens).",
      );
    });

    it("no-usage: the endpoint reported no token usage, and a price would not help", () => {
      const md = triageWith((s) =>
        s.kind === "ok" ? { ...s, usage: { promptTokens: 0, completionTokens: 0 } } : s,
      );
      expect(tableLines(md).find((l) => l.includes("triage-ticket"))).toContain("unknown †");
      expect(md).toContain(
        "- † Cost unknown: the endpoint reported no token usage, so cost cannot be computed.",
      );
      expect(md).not.toContain("no price for");
      expect(md).not.toContain("<code>prices:</code>");
    });

    it("no-samples: every sample errored, and a price would not help", () => {
      const md = triageWith((s) => ({
        kind: "error",
        index: s.index,
        latencyMs: 0,
        error: { kind: "server", message: "503 after retries", status: 503 },
      }));
      expect(tableLines(md).find((l) => l.includes("triage-ticket"))).toContain("unknown †");
      expect(md).toContain("- † Cost unknown: no successful sample to price.");
      expect(md).not.toContain("no price for");
      expect(md).not.toContain("<code>prices:</code>");
    });
  });

  it("never hides errors", () => {
    expect(comment).toContain("**classify-intent**: 12 of 240 samples errored (429 after retries)");
    // Nothing was left out of Δ here, so nothing is said about it.
    expect(comment).not.toContain("left out of Δ");
  });

  it("says once, under the table, what Δ is and the interval's method", () => {
    const legend =
      "<sub>Δ: head − base pass rate in points, over the cases with a result on both sides; 95% CI: paired t.</sub>";
    const rows = tableLines(comment);
    expect(comment).toContain(`${rows.at(-1)}\n\n${legend}\n\n**Gates**`);
    expect(count(comment, "paired t")).toBe(1);
    const summary = renderSummary(report);
    expect(summary).toContain(`${rows.at(-1)}\n\n${legend}`);
    expect(count(summary, "paired t")).toBe(1);
  });

  it("lists regressions before improvements, each case in details with a word diff", () => {
    const regressions = comment.indexOf("#### 🔴 Regressions");
    const improvements = comment.indexOf("#### 🟢 Improvements");
    expect(regressions).toBeGreaterThan(0);
    expect(improvements).toBeGreaterThan(regressions);
    const refund = comment.slice(comment.indexOf("<code>refund-window</code>"));
    const block = refund.slice(0, refund.indexOf("</details>"));
    expect(block).toContain("100.0% (3/3) → 33.3% (1/3) · tags: billing, refunds");
    expect(block).toContain(
      "- <code>contains</code>: expected the output to contain &quot;30 days&quot;",
    );
    expect(block).toContain("<del>You can request a full refund within 30 days");
    expect(block).toContain("<ins>are handled case by case;");
    expect(comment.indexOf("<code>gdpr-export</code>")).toBeGreaterThan(improvements);
  });

  it("puts the prompt diff in a collapsed block, and a mermaid chart", () => {
    expect(comment).toMatch(
      /<details>\n<summary><code>support-answer<\/code> v4 → v5 \(new version\)<\/summary>\n\n```diff\n/,
    );
    expect(comment).toContain("-Answer using the policy below. Quote exact time limits.");
    expect(comment).toContain("```mermaid\nxychart-beta");
    expect(comment).toMatch(/bar \[\d+\.\d, 100\.0, \d+\.\d\]/);
  });

  it("links each case it names to its anchor in report.html, only when that page's URL is known", () => {
    expect(comment).not.toContain("this case in the full report");
    const linked = renderComment(report, {
      reportUrl: "https://github.com/o/r/actions/runs/1/artifacts/2",
      reportHtmlUrl: "https://o.github.io/r/pr-7/report.html",
    });
    const refund = linked.slice(linked.indexOf("<code>refund-window</code>"));
    const block = refund.slice(0, refund.indexOf("</details>"));
    expect(block).toContain(
      "[this case in the full report](https://o.github.io/r/pr-7/report.html#case-support-answer-refund-window)",
    );
    const cases = linked.match(/<summary>(🔴|🟢|❗|❌) /gu) ?? [];
    expect(cases.length).toBeGreaterThan(0);
    expect(count(linked, "this case in the full report")).toBe(cases.length);
  });

  it("ends with the footer: models, repeats, samples, new and cached requests, wall time, shas, run link", () => {
    const footer = comment.slice(comment.lastIndexOf("\n---\n"));
    expect(footer).toContain("models: <code>acme-ft-triage-2026-10</code>");
    expect(footer).toContain("repeats: 3");
    expect(footer).toContain("468 samples · 394 new requests, 74 from cache, 12 errors");
    expect(footer).toContain("wall time: 2m 14s");
    expect(footer).toContain(
      "[4f2c9a1](https://github.com/acme/support-bot/commit/4f2c9a1d0b7e6f5a4c3b2a1908f7e6d5c4b3a291)",
    );
    expect(footer).toContain("[run](https://github.com/acme/support-bot/actions/runs/1234567890)");
  });

  it("shows environment changes and whether the newly pinned version passed its gate", () => {
    expect(comment).toContain(
      "| staging | support-answer | v4 → v5 (gpt-4o-mini-2024-07-18) | ❌ not passed |",
    );
  });
});

describe("the interval's method", () => {
  const report = buildReport();

  it("names the look an adaptive run stopped at", () => {
    const all = adaptive(
      report,
      report.comparisons.map((c) => c.prompt),
    );
    const md = renderComment(all);
    expect(md).toContain(
      "<sub>Δ: head − base pass rate in points, over the cases with a result on both sides; 95% CI: group-sequential at look 2 of 5.</sub>",
    );
    expect(md).not.toContain("paired t");
    expect(renderSummary(all)).toContain("95% CI: group-sequential at look 2 of 5.</sub>");
  });

  it("says why an adaptive run stopped, what it could detect and how many samples it took", () => {
    const one = adaptive(report, [report.comparisons[0]?.prompt ?? ""]);
    const comparisons = one.comparisons.map((c, i) =>
      i === 0 && c.sequential
        ? { ...c, sequential: { ...c.sequential, reason: "futility", detect: 0.1 } }
        : c,
    );
    const md = renderComment({ ...one, comparisons });
    const spent = comparisons[0]?.samplesSpent ?? 0;
    expect(md).toContain(
      `group-sequential at look 2 of 5, stopped: a drop of the planned size became unlikely (futility), could detect ≥ 10 pts, ${spent.toLocaleString("en")} samples`,
    );
  });

  it("names the prompts when methods differ, still in one line", () => {
    const md = renderComment(adaptive(report, ["support-answer"], 3, 8));
    expect(md).toContain(
      "95% CI: group-sequential at look 3 of 8 for support-answer; paired t for summarize-thread, classify-intent.</sub>",
    );
    expect(count(md, "95% CI:")).toBe(1);
  });

  it("says nothing about an interval when no prompt has one", () => {
    const md = renderComment(buildReport({ only: ["triage-ticket"] }));
    expect(md).toContain("| Prompt |");
    expect(md).not.toContain("CI:");
  });
});

describe("cases left out of Δ", () => {
  it("are counted where errors are reported, in the comment and the summary", () => {
    const report = buildReport({ allErroredOnHead: 3 });
    const c = report.comparisons.find((k) => k.prompt === "classify-intent")!;
    expect(c.droppedCases).toHaveLength(3);
    const line =
      /- ⚠️ \*\*classify-intent\*\*: 21 of 240 samples errored \(429 after retries\); 3 cases left out of Δ: no result on one side\n/;
    expect(renderComment(report)).toMatch(line);
    expect(renderSummary(report)).toMatch(line);
  });

  it("one case reads in the singular", () => {
    const md = renderComment(buildReport({ allErroredOnHead: 1 }));
    expect(md).toContain("; 1 case left out of Δ: no result on one side");
  });

  it("are counted from the cases for a report written before the field existed", () => {
    const report = buildReport({ allErroredOnHead: 2 });
    const comparisons = report.comparisons.map((c) => {
      const { droppedCases: _old, ...rest } = c;
      return rest;
    });
    const md = renderComment({ ...report, comparisons });
    expect(md).toContain("; 2 cases left out of Δ: no result on one side");
  });
});

describe("headlines for the other verdicts", () => {
  it("⚠️ errors when a prompt has too many errors and nothing is blocked", () => {
    const report = buildReport({ only: ["classify-intent"], manyErrors: true });
    expect(report.verdict.overall).toBe("errors");
    const headline = renderComment(report).split("\n")[1];
    expect(headline).toMatch(
      /^### ⚠️ errors: classify-intent: \d+ of 240 samples errored \(429 after retries\); no verdict$/,
    );
  });

  it("✅ pass leads with the best improvement", () => {
    const report = buildReport({ only: ["summarize-thread", "classify-intent"] });
    expect(report.verdict.overall).toBe("pass");
    expect(renderComment(report).split("\n")[1]).toMatch(
      /^### ✅ pass: summarize-thread v2 → v3 improves \d+\.\d pts \(95% CI \+\d+\.\d to \+\d+\.\d\); cost −94%; and 1 more prompt pass$/,
    );
  });

  it("✅ pass without changed prompts", () => {
    const report = createReport({
      generatedAt: "2026-11-20T10:00:00.000Z",
      base: { ref: "main", sha: "a".repeat(40) },
      head: { ref: "dev", sha: "b".repeat(40) },
      comparisons: [],
      settings: { repeats: 3, confidence: 0.95, maxRegression: 0.02 },
      wallMs: 10,
    });
    const md = renderComment(report);
    expect(md.split("\n")[1]).toBe("### ✅ pass: no changed prompt to evaluate");
    expect(md).not.toContain("| Prompt |");
  });
});

describe("the 65,536-character limit", () => {
  const huge = buildReport({ extraRegressions: 400, outputChars: 2500, promptDiffLines: 3000 });

  it("keeps a huge report within the limit, with headline, table and footer", () => {
    const full = renderSummary(huge);
    expect(full.length).toBeGreaterThan(200_000); // the uncut content really is too big
    const md = renderComment(huge);
    expect(md.length).toBeLessThanOrEqual(65_536);
    expect(
      md.startsWith(`${COMMENT_MARKER}\n### ❌ blocked: support-answer v4 → v5 regresses`),
    ).toBe(true);
    expect(tableLines(md)).toHaveLength(6);
    expect(md).toContain("**Errors**");
    expect(md).toMatch(
      /\n---\n<sub>models: .*\[run\]\(https:\/\/github\.com\/acme\/support-bot\/actions\/runs\/1234567890\)/,
    );
  });

  it("says what was left out and where the rest is", () => {
    const md = renderComment(huge);
    expect(md).toMatch(
      /> ✂️ \*\*Shortened to fit GitHub's 65,536-character comment limit\*\*: left out 3 prompt diffs, the chart\. /,
    );
    expect(md).toContain(
      "Everything is in the job summary of [this run](https://github.com/acme/support-bot/actions/runs/1234567890) and the <code>promptgate-report</code> artifact (full HTML and JSON report).",
    );
    // What breaks stays: every regression shown (up to the per-prompt cap) and the improvements;
    // the chart and the long prompt diffs went first, the earliest prompt diff is kept.
    expect(md).toContain("#### 🔴 Regressions");
    expect(md).toContain("<code>password-reset</code>");
    expect(md).toMatch(
      /…and \d+ more worse or failing cases of \*\*support-answer\*\* in the full report\./,
    );
    expect(md).toContain("#### 🟢 Improvements");
    expect(md).toContain("<code>support-answer</code> v4 → v5 (new version)");
    expect(md).not.toContain("```mermaid");
  });

  it("cuts the chart, prompt diffs and improvements before any regression", () => {
    const md = renderComment(buildReport({ extraRegressions: 200, outputChars: 1500 }), {
      maxChars: 20_000,
    });
    expect(md.length).toBeLessThanOrEqual(20_000);
    expect(md).toContain("#### 🔴 Regressions");
    expect(md).toContain("<code>password-reset</code>");
    expect(md).not.toContain("#### 🟢 Improvements");
    expect(md).not.toContain("#### 📝 Prompt changes");
    expect(md).not.toContain("```mermaid");
    expect(md).toMatch(
      /left out \d+ regression case diffs, \d+ improvement case diffs, 4 prompt diffs, the chart\./,
    );
  });

  describe("cuts details in order: the chart, prompt diffs, improvements, regressions", () => {
    const report = buildReport();
    const full = renderComment(report);
    const chart = full.slice(
      full.indexOf("```mermaid"),
      full.indexOf("```\n", full.indexOf("```mermaid")) + 3,
    );
    // The layout keeps this much room for the "shortened" notice.
    const RESERVE = 600;
    const present = (md: string) => ({
      chart: md.includes("```mermaid"),
      promptDiffs: count(md, "<summary><code>"),
      improvements: count(md, "<summary>🟢"),
      regressions: count(md, "<summary>🔴") + count(md, "<summary>❗") + count(md, "<summary>❌"),
    });
    const all = present(full);

    it("the chart goes first", () => {
      expect(full).not.toContain("Shortened");
      const md = renderComment(report, { maxChars: full.length + RESERVE - 1 });
      expect(present(md)).toEqual({ ...all, chart: false });
      expect(md).toMatch(/left out the chart\./);
    });

    it("then prompt diffs, before any case diff", () => {
      const md = renderComment(report, { maxChars: full.length + RESERVE - chart.length - 3 });
      const p = present(md);
      expect(p.chart).toBe(false);
      expect(p.promptDiffs).toBeLessThan(all.promptDiffs);
      expect(p.improvements).toBe(all.improvements);
      expect(p.regressions).toBe(all.regressions);
      expect(md).toMatch(/left out \d prompt diffs?, the chart\./);
    });

    it("at every size, a part is cut only when every less important part is gone", () => {
      const stages = new Set<string>();
      for (let limit = 4_000; limit < full.length + RESERVE + 250; limit += 250) {
        const md = renderComment(report, { maxChars: limit });
        expect(md.length).toBeLessThanOrEqual(limit);
        const p = present(md);
        stages.add(
          p.regressions < all.regressions
            ? "regressions cut"
            : p.improvements < all.improvements
              ? "improvements cut"
              : p.promptDiffs < all.promptDiffs
                ? "prompt diffs cut"
                : p.chart
                  ? "nothing cut"
                  : "chart cut",
        );
        if (p.regressions < all.regressions) {
          expect({ limit, ...p }).toMatchObject({ improvements: 0, promptDiffs: 0, chart: false });
        }
        if (p.improvements < all.improvements) {
          expect({ limit, ...p }).toMatchObject({ promptDiffs: 0, chart: false });
        }
        if (p.promptDiffs < all.promptDiffs)
          expect({ limit, ...p }).toMatchObject({ chart: false });
      }
      // The sweep went through every stage.
      expect([...stages].sort()).toEqual([
        "chart cut",
        "improvements cut",
        "nothing cut",
        "prompt diffs cut",
        "regressions cut",
      ]);
    });
  });

  it("still fits when even the table does not: rows cut, worst kept", () => {
    const md = renderComment(huge, { maxChars: 2_500 });
    expect(md.length).toBeLessThanOrEqual(2_500);
    expect(md.split("\n")[0]).toBe(COMMENT_MARKER);
    expect(md).toContain("### ❌ blocked:");
    expect(md).toContain("**support-answer**");
    expect(md).toMatch(/left out \d+ prompt rows?/);
    expect(md).toContain("<sub>models:");
  });

  it("gives the job summary the whole content when it fits in 1 MiB", () => {
    const md = renderSummary(buildReport());
    expect(md.startsWith("## promptgate report\n\n### ❌ blocked:")).toBe(true);
    expect(md).not.toContain(COMMENT_MARKER);
    expect(md).not.toContain("Shortened");
    expect(md).toContain("<code>gdpr-export</code>");
  });

  it("cuts the job summary by UTF-8 bytes, not characters", () => {
    const md = renderSummary(huge, { maxChars: 100_000 });
    expect(new TextEncoder().encode(md).length).toBeLessThanOrEqual(100_000);
    expect(md).toContain("Shortened to fit the 1 MiB job-summary limit");
  });
});

describe("escaping untrusted text", () => {
  const md = renderComment(buildReport({ hostile: true }));
  const hostile = md.slice(md.indexOf("inject&#124;pipe"));

  it("keeps table rows intact when a case id has a pipe", () => {
    const rows = tableLines(md);
    expect(rows.find((r) => r.includes("support-answer"))).toContain(
      "<code>inject&#124;pipe&#96;tick&#96;</code>",
    );
    for (const row of rows) expect(countPipes(row)).toBe(10);
  });

  it("never lets an output open or close HTML", () => {
    expect(md).not.toContain("<script");
    expect(md).not.toContain("<img");
    expect(md).not.toContain("<b>xss</b>");
    expect(md).toContain("&lt;script&gt;alert(&#39;owned&#39;)&lt;/script&gt;");
    expect(md).toContain("&lt;/details&gt;&lt;/pre&gt;");
    // Our own blocks stay balanced: every details and pre we open, we close.
    const count = (s: string) => md.split(s).length - 1;
    expect(count("<details>")).toBe(count("</details>"));
    expect(count("<pre>")).toBe(count("</pre>"));
  });

  it("escapes code spans, emphasis, math and mentions outside <pre>", () => {
    const line = hostile.split("\n").find((l) => l.startsWith("- <code>not-contains</code>"))!;
    expect(line).toBe(
      "- <code>not-contains</code>: expected the output not to contain &quot;&lt;/details&gt; &#124; &#96;x&#96; @\u200boctocat&quot;",
    );
  });

  it("keeps code fences balanced", () => {
    const fences = md.split("\n").filter((l) => /^`{3,}/.test(l));
    expect(fences.length % 2).toBe(0);
  });
});

describe("renderPendingComment", () => {
  it("uses the same marker and says what is being evaluated", () => {
    expect(renderPendingComment(3, 240)).toBe(
      `${COMMENT_MARKER}\n### ⏳ evaluating 3 prompts, 240 samples…`,
    );
    expect(renderPendingComment(1, 1, { runUrl: "https://github.com/a/b/actions/runs/1" })).toBe(
      `${COMMENT_MARKER}\n### ⏳ evaluating 1 prompt, 1 sample…\n\n<sub>[follow the run](https://github.com/a/b/actions/runs/1)</sub>`,
    );
  });

  it("says 'up to' when repeats are adaptive: the count is the max-repeats budget", () => {
    expect(renderPendingComment(3, 240, { adaptive: true })).toBe(
      `${COMMENT_MARKER}\n### ⏳ evaluating 3 prompts, up to 240 samples…`,
    );
    expect(renderPendingComment(3, 240, { adaptive: false })).toBe(renderPendingComment(3, 240));
    expect(renderPendingComment(3, 240)).not.toContain("up to");
  });

  it("drops a run link that is not http(s)", () => {
    expect(renderPendingComment(1, 3, { runUrl: "javascript:alert(1)" })).not.toContain("follow");
  });
});
