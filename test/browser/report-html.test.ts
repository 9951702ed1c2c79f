import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderHtml } from "../../src/report/index.js";
import { buildReport } from "../support/fixtures/report/build-report.js";

/**
 * The HTML report opened in Debian's Chromium, driven by playwright-core. Skipped only when the
 * browser is not installed (.ci/run installs it).
 */
const CHROMIUM = "/usr/bin/chromium";
const available = existsSync(CHROMIUM);
const title = available
  ? "the HTML report in headless Chromium"
  : `the HTML report in headless Chromium — SKIPPED: ${CHROMIUM} is absent (apt-get install -y chromium)`;

// This machine has no network: without these flags Chromium keeps trying to reach Google's hosts.
const ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

describe.skipIf(!available)(title, () => {
  let dir: string;
  let url: string;
  let browser: Browser;
  let page: Page;
  const requests: string[] = [];
  const dialogs: string[] = [];
  const pageErrors: string[] = [];
  const report = buildReport({ hostile: true });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "promptgate-html-"));
    const file = join(dir, "report.html");
    writeFileSync(file, renderHtml(report));
    url = pathToFileURL(file).href;
    // playwright gives every launch a fresh, empty user-data-dir.
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
    page = await browser.newPage();
    page.on("request", (r) => requests.push(r.url()));
    page.on("dialog", (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    page.on("pageerror", (e) => pageErrors.push(e.message));
    await page.goto(url);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const visibleCases = () => page.locator("tbody.case:visible");
  const visibleIds = async () =>
    page.locator("tbody.case:visible tr.row td:nth-child(2) code").allTextContents();

  it("renders the verdict and the prompt table, loading nothing but the file", async () => {
    await expect.poll(() => page.locator("header h1").textContent()).toContain("blocked");
    const row = page.locator("table.prompts tr", { hasText: "support-answer" });
    expect(await row.textContent()).toContain("worse");
    expect(await row.isVisible()).toBe(true);
    expect(requests).toEqual([url]);
    expect(pageErrors).toEqual([]);
  });

  it("shows the regressions first", async () => {
    const statuses = await page
      .locator("tbody.case")
      .evaluateAll((els) => els.slice(0, 6).map((e) => e.getAttribute("data-status")));
    expect(statuses).toEqual(Array(6).fill("regressed"));
    const first = await visibleIds();
    expect(first.slice(0, 6)).toEqual(
      expect.arrayContaining(["password-reset", "refund-window", "refund-policy-eu"]),
    );
    await page.locator("tbody.case", { hasText: "refund-window" }).locator("summary").click();
    const outputs = page.locator("tbody.case", { hasText: "refund-window" }).locator(".sxs");
    expect(await outputs.isVisible()).toBe(true);
    expect(await outputs.locator(".side.base").textContent()).toContain("within 30 days");
    expect(await outputs.locator(".side.head").textContent()).toContain("case by case");
  });

  it("hides rows that do not match the text filter", async () => {
    const total = await page.locator("tbody.case").count();
    expect(await visibleCases().count()).toBe(total);
    await page.locator("#f-text").fill("refund");
    await expect.poll(() => visibleCases().count()).toBeLessThan(total);
    const ids = await visibleIds();
    expect(ids).toEqual(expect.arrayContaining(["refund-window", "refund-policy-eu"]));
    expect(ids).not.toContain("password-reset");
    expect(await page.locator("#f-count").textContent()).toBe(
      `${ids.length} of ${total} cases shown`,
    );
    await page.locator("#f-text").fill("");
    await expect.poll(() => visibleCases().count()).toBe(total);
  });

  it("shows regressions only, and filters by tag", async () => {
    await page.locator("#f-status").selectOption("regressed");
    const statuses = await page
      .locator("tbody.case:visible")
      .evaluateAll((els) => els.map((e) => e.getAttribute("data-status")));
    const regressed = report.comparisons.flatMap((c) => c.cases).filter((p) => (p.delta ?? 0) < 0);
    expect(statuses).toHaveLength(regressed.length);
    expect(new Set(statuses)).toEqual(new Set(["regressed"]));

    await page.locator("#f-status").selectOption("all");
    await page.locator("#f-tag").selectOption("legal");
    expect((await visibleIds()).sort()).toEqual(["gdpr-export", "refund-policy-eu"]);
    await page.locator("#f-tag").selectOption("");
  });

  it("never runs a script that came from a model output", async () => {
    await page.locator("tbody.case", { hasText: "inject|pipe" }).locator("summary").click();
    const head = page.locator("tbody.case", { hasText: "inject|pipe" }).locator(".side.head pre");
    expect(await head.first().textContent()).toContain("<script>alert('owned')</script>");
    expect(dialogs).toEqual([]);
    expect(await page.locator("script").count()).toBe(1);
  });

  for (const width of [400, 1280]) {
    it(`shows the verdicts without horizontal scrolling at ${width} px`, async () => {
      const context = await browser.newContext({ viewport: { width, height: 900 } });
      try {
        const narrow = await context.newPage();
        await narrow.goto(url);
        const inView = async (selector: string) => {
          const box = await narrow.locator(selector).first().boundingBox();
          expect(box, selector).not.toBeNull();
          expect(box!.x, selector).toBeGreaterThanOrEqual(0);
          expect(box!.x + box!.width, selector).toBeLessThanOrEqual(width);
        };
        await inView("header h1");
        await inView("header .reason");
        const row = "table.prompts tr.prompt:has-text('support-answer')";
        await inView(`${row} .verdict-cell`);
        await inView(`${row} td[data-label='Head pass']`);
        await inView(`${row} td[data-label='Δ pts (CI)']`);
        // The outputs wrap rather than widen the page.
        await narrow.locator("tbody.case", { hasText: "refund-window" }).locator("summary").click();
        await inView("tbody.case:has-text('refund-window') .side.head pre");
        const screenshot = await narrow.screenshot({ fullPage: false });
        expect(screenshot.byteLength).toBeGreaterThan(0);
        // A string: the test's tsconfig has no DOM types.
        const { scrollWidth, clientWidth } = await narrow.evaluate<{
          scrollWidth: number;
          clientWidth: number;
        }>(
          "({ scrollWidth: document.documentElement.scrollWidth, clientWidth: document.documentElement.clientWidth })",
        );
        expect(scrollWidth).toBeLessThanOrEqual(clientWidth);
      } finally {
        await context.close();
      }
    });
  }

  it("gives every case an anchor that scrolls to it", async () => {
    const id = await page
      .locator("tbody.case", { hasText: "refund-window" })
      .first()
      .getAttribute("id");
    expect(id).toBe("case-support-answer-refund-window");
    await page.goto(`${url}#${id}`);
    expect(await page.locator(`#${id}`).isVisible()).toBe(true);
    expect(await page.evaluate<string>("location.hash")).toBe(`#${id}`);
  });

  it("shows the summary and every case with JavaScript off", async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    try {
      const off = await context.newPage();
      await off.goto(url);
      expect(await off.locator("header .reason").textContent()).toMatch(
        /^support-answer v4 → v5 regresses/,
      );
      expect(await off.locator("table.prompts tbody tr").count()).toBe(4);
      expect(await off.locator("#filters").isVisible()).toBe(false);
      expect(await off.locator("tbody.case:visible").count()).toBe(
        await off.locator("tbody.case").count(),
      );
    } finally {
      await context.close();
    }
  });
});
