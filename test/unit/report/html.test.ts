import { describe, expect, it } from "vitest";
import { caseAnchor } from "../../../src/report/html.js";
import { renderHtml } from "../../../src/report/index.js";
import { buildReport } from "../../support/fixtures/report/build-report.js";

describe("renderHtml", () => {
  const html = renderHtml(buildReport());

  it("matches the snapshot", async () => {
    // Few filler cases: the snapshot stays small enough to review.
    const small = renderHtml(buildReport({ fillerCases: 2 }));
    await expect(small).toMatchFileSnapshot("./__snapshots__/report.html.snap");
  });

  it("is one self-contained file that fetches nothing", () => {
    expect(html.startsWith("<!doctype html>")).toBe(true);
    expect(html).toContain(
      `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline';`,
    );
    expect(html).not.toMatch(/<(link|img|iframe|object|embed)\b/i);
    expect(html).not.toMatch(/\bsrc=/i);
    expect(html).not.toMatch(/@import|url\(/i);
    // The only link is the run, for a reader to click; nothing loads by itself.
    const hrefs = [...html.matchAll(/href="([^"]*)"/g)].map((m) => m[1]);
    expect(hrefs).toEqual(["https://github.com/acme/support-bot/actions/runs/1234567890"]);
  });

  it("gives every case an anchor, case-<prompt>-<id>, unique in the page", () => {
    const report = buildReport();
    const ids = [...html.matchAll(/<tbody class="case [^>]* id="([^"]+)">/g)].map((m) => m[1]);
    const cases = report.comparisons.flatMap((c) =>
      [...new Set([...(c.base?.cases ?? []), ...c.head.cases].map((k) => k.id))].map((id) =>
        caseAnchor(c.prompt, id),
      ),
    );
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.sort()).toEqual(cases.sort());
    expect(caseAnchor("support-answer", "refund policy")).toBe("case-support-answer-refund-policy");
  });

  it("puts the verdict, the per-prompt table and the errors in the page itself", () => {
    expect(html).toContain('<header class="verdict v-blocked" id="summary">');
    expect(html).toMatch(/<p class="reason">support-answer v4 → v5 regresses [\d.]+ pts/);
    expect(html).toContain('<th scope="row">support-answer</th>');
    expect(html).toContain("12 of 240 samples errored (429 after retries)");
    expect(html).toContain("no price for <code>acme-ft-triage-2026-10</code>");
  });

  it("says once, under the prompts table, what Δ is and the interval's method", () => {
    expect(html).toContain(
      '</tbody></table></div>\n<p class="legend">Δ: head − base pass rate in points, over the cases with a result on both sides; 95% CI: paired t.</p>\n',
    );
    expect(html.split("paired t").length - 1).toBe(1);
    const report = buildReport();
    const adaptive = {
      ...report,
      comparisons: report.comparisons.map((c) =>
        c.interval === null
          ? c
          : {
              ...c,
              interval: { ...c.interval, method: "group-sequential" as const },
              sequential: { look: 4, looks: 6, critical: 2.1 },
            },
      ),
    };
    expect(renderHtml(adaptive)).toContain("; 95% CI: group-sequential at look 4 of 6.</p>");
  });

  it("counts the cases left out of Δ with the errors", () => {
    expect(html).not.toContain("left out of Δ");
    const page = renderHtml(buildReport({ allErroredOnHead: 3 }));
    expect(page).toContain(
      "<strong>classify-intent</strong>: 21 of 240 samples errored (429 after retries); 3 cases left out of Δ: no result on one side; errors count neither as passes nor as failures</li>",
    );
  });

  it("has one filterable row group per case, regressions marked", () => {
    const groups = html.match(/<tbody class="case /g) ?? [];
    const report = buildReport();
    const cases = report.comparisons.reduce(
      (n, c) => n + new Set([...(c.base?.cases ?? []), ...c.head.cases].map((k) => k.id)).size,
      0,
    );
    expect(groups).toHaveLength(cases);
    expect(html).toMatch(
      /<tbody class="case s-regressed" data-status="regressed" data-prompt="support-answer" data-tags="\[&quot;account&quot;\]"/,
    );
    expect(html).toContain('<option value="regressed">regressions only</option>');
    expect(html).toContain('<option value="refunds">refunds</option>');
  });

  it("shows base and head outputs side by side", () => {
    const i = html.indexOf("<code>refund-window</code>");
    const group = html.slice(i, html.indexOf("</tbody>", i));
    expect(group).toContain(
      '<div class="sxs"><div class="side base"><h4>base v4 · gpt-4o-mini-2024-07-18</h4>',
    );
    expect(group).toContain('<div class="side head"><h4>head v5 · gpt-4o-mini-2024-07-18</h4>');
    expect(group).toContain("You can request a full refund within 30 days");
    expect(group).toContain("Refunds are handled case by case");
  });

  it("escapes every piece of untrusted text", () => {
    const page = renderHtml(buildReport({ hostile: true }));
    expect(page).not.toContain("<script>alert");
    expect(page).not.toContain("<img src=x");
    expect(page).not.toContain("<b>xss</b>");
    expect(page).toContain(
      "&lt;/details&gt;&lt;/pre&gt;&lt;script&gt;alert(&#39;owned&#39;)&lt;/script&gt;",
    );
    expect(page).toContain("<code>inject|pipe`tick`</code>");
    expect(page).toContain('data-tags="[&quot;&lt;b&gt;xss&lt;/b&gt;&quot;,&quot;a|b&quot;]"');
    // Exactly one script element: ours.
    expect(page.match(/<script/g)).toHaveLength(1);
  });
});

describe("renderHtml past its size bound", () => {
  const ids = (page: string) =>
    [...page.matchAll(/<tbody class="case ([^"]*)" ([^>]*) id="([^"]+)">/g)].map((m) => ({
      status: m[1] ?? "",
      failing: /data-failing="1"/.test(m[2] ?? ""),
      errors: !/data-errors="0"/.test(m[2] ?? ""),
      id: m[3] ?? "",
    }));

  it("embeds only the failing and changed cases, counts the rest per prompt, and says so", () => {
    const report = buildReport({ fillerCases: 30 });
    const full = renderHtml(report);
    const bounded = renderHtml(report, { maxFullCases: 10 });
    const all = ids(full);
    const shown = ids(bounded);
    const kept = all.filter((c) => c.status !== "s-unchanged" || c.failing || c.errors);
    expect(kept.length).toBeGreaterThan(0);
    expect(kept.length).toBeLessThan(all.length);
    expect(shown).toEqual(kept);
    const hidden = all.length - kept.length;
    expect(bounded).toContain(
      `This page lists ${kept.length} cases in full, the failing and changed ones; ${hidden} other cases, unchanged and passing on head, are counted per prompt below`,
    );
    const counted = [
      ...bounded.matchAll(/<tr><th scope="row">([^<]+)<\/th><td class="num">(\d+)<\/td><\/tr>/g),
    ];
    expect(counted.length).toBeGreaterThan(1);
    expect(counted.reduce((n, m) => n + Number(m[2]), 0)).toBe(hidden);
    expect(full).not.toContain('id="cases-summarised"');
  });

  it("is bounded by default past 2,000 cases, and not below", () => {
    expect(renderHtml(buildReport({ fillerCases: 30 }))).not.toContain("cases-summarised");
    const big = renderHtml(buildReport({ fillerCases: 700 }));
    expect(big).toContain('id="cases-summarised"');
    expect(big).toContain("(past 2,000 cases the page is bounded)");
  });
});
