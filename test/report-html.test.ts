import { describe, expect, it } from "vitest";
import { renderHtml } from "../src/report/index.js";
import { buildReport } from "./fixtures/report/build-report.js";

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

  it("puts the verdict, the per-prompt table and the errors in the page itself", () => {
    expect(html).toContain('<header class="verdict v-blocked" id="summary">');
    expect(html).toMatch(/<p class="reason">support-answer v4 → v5 regresses [\d.]+ pts/);
    expect(html).toContain('<th scope="row">support-answer</th>');
    expect(html).toContain("12 of 240 samples errored (429 after retries)");
    expect(html).toContain("no price for <code>acme-ft-triage-2026-10</code>");
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
