import { markdownTable } from "markdown-table";
import type { PromptComparison } from "../compare/types.js";
import {
  comparisonCostUnknown,
  describeCostUnknown,
  mergeCostUnknown,
} from "../cost/cost-unknown.js";
import type { SampleOk } from "../engine/types.js";
import { describeSuiteCount } from "../formats/suites.js";
import { formatCount, formatDuration, formatPercentNumber, formatUsd, plural } from "../numbers.js";
import { code, escapeHtml, escapeMarkdownInline, fence, safeUrl, truncate } from "./escape.js";
import { caseAnchor } from "./html.js";
import {
  describeChangeKind,
  type OverallVerdict,
  type Report,
  type ReportEnvironmentChange,
} from "./model.js";
import {
  type CaseStory,
  collectStories,
  describeAssertion,
  describeEnvironmentChange,
  describeIntervalLegend,
  describeMissing,
  describePromptRow,
  orderComparisons,
} from "./view.js";
import { renderWordDiffHtml } from "./word-diff.js";

/*
 * The comment, the job summary and the pending comment: one layout, cut to GitHub's limits in one
 * place. Longer than our ~500-line mark on purpose: the cutting (which cases, which details, the
 * notice of what was cut) must see the whole layout to keep every body under its limit.
 */

/** Finds our comment among a PR's comments; the action edits it in place. */
export const COMMENT_MARKER = "<!-- promptgate:report v1 -->";
/** GitHub rejects comment bodies longer than this. */
export const COMMENT_LIMIT = 65_536;
/** GitHub's limit for one step's job summary, in bytes. */
export const SUMMARY_LIMIT_BYTES = 1_048_576;

export interface MarkdownOptions {
  /** Comment: characters (default 65,536). Summary: UTF-8 bytes (default 1 MiB). */
  maxChars?: number;
  /** Case details shown per prompt and direction before "…and N more". */
  maxCasesPerPrompt?: number;
  /** Each output shown in a case diff is cut to this many characters. */
  maxOutputChars?: number;
  maxPromptDiffChars?: number;
  /** The name of the uploaded artifact holding report.html and report.json. */
  artifactName?: string;
  /** Where that artifact is (`actions/upload-artifact`'s `artifact-url`): "the full report" links it. */
  reportUrl?: string;
  /**
   * Where report.html itself is served (GitHub Pages, an internal host), when it is: each case
   * the comment names links to its `#case-<prompt>-<id>` anchor there. Not the artifact URL, a
   * zip download, where an anchor opens nothing.
   */
  reportHtmlUrl?: string;
}

const VERDICT_ICON: Record<OverallVerdict, string> = { pass: "✅", blocked: "❌", errors: "⚠️" };

export function renderComment(report: Report, options: MarkdownOptions = {}): string {
  return renderMarkdown(report, {
    marker: true,
    limit: options.maxChars ?? COMMENT_LIMIT,
    measure: (s) => s.length,
    limitName: `GitHub's ${formatCount(options.maxChars ?? COMMENT_LIMIT)}-character comment limit`,
    maxCasesPerPrompt: options.maxCasesPerPrompt ?? 15,
    maxOutputChars: options.maxOutputChars ?? 1200,
    maxPromptDiffChars: options.maxPromptDiffChars ?? 6_000,
    artifactName: options.artifactName ?? "promptgate-report",
    reportUrl: options.reportUrl ? safeUrl(options.reportUrl) : null,
    reportHtmlUrl: options.reportHtmlUrl ? safeUrl(options.reportHtmlUrl) : null,
    pointToSummary: true,
  });
}

/** The job summary: the same content, cut only near the 1 MiB that GitHub accepts per step. */
export function renderSummary(report: Report, options: MarkdownOptions = {}): string {
  const utf8 = new TextEncoder();
  return renderMarkdown(report, {
    marker: false,
    // A little under the limit: other steps' summaries are not ours to count, our own title is.
    limit: options.maxChars ?? SUMMARY_LIMIT_BYTES - 4096,
    measure: (s) => utf8.encode(s).length,
    limitName: "the 1 MiB job-summary limit",
    maxCasesPerPrompt: options.maxCasesPerPrompt ?? 100,
    maxOutputChars: options.maxOutputChars ?? 4000,
    maxPromptDiffChars: options.maxPromptDiffChars ?? 60_000,
    artifactName: options.artifactName ?? "promptgate-report",
    reportUrl: options.reportUrl ? safeUrl(options.reportUrl) : null,
    reportHtmlUrl: options.reportHtmlUrl ? safeUrl(options.reportHtmlUrl) : null,
    pointToSummary: false,
  });
}

export interface PendingOptions {
  runUrl?: string;
  /**
   * Some prompt runs with adaptive repeats (`repeats: auto`): `samples` is then the budget at
   * max-repeats, an upper bound, and the comment says "up to". Default false.
   */
  adaptive?: boolean;
}

/** What the comment says while the evaluation runs; the same marker, so the report replaces it. */
export function renderPendingComment(
  prompts: number,
  samples: number,
  options: PendingOptions = {},
): string {
  const url = options.runUrl ? safeUrl(options.runUrl) : null;
  const upTo = options.adaptive === true ? "up to " : "";
  const lines = [
    COMMENT_MARKER,
    `### ⏳ evaluating ${plural(prompts, "prompt")}, ${upTo}${plural(samples, "sample")}…`,
  ];
  if (url) lines.push("", `<sub>[follow the run](${url})</sub>`);
  return lines.join("\n");
}

// ---------------------------------------------------------------------------------------------

interface Layout {
  marker: boolean;
  limit: number;
  measure: (s: string) => number;
  limitName: string;
  maxCasesPerPrompt: number;
  maxOutputChars: number;
  maxPromptDiffChars: number;
  artifactName: string;
  /** The uploaded report's page, already checked by safeUrl; null when not uploaded (yet). */
  reportUrl: string | null;
  /** report.html's own address, checked by safeUrl: case links point at its anchors. */
  reportHtmlUrl: string | null;
  pointToSummary: boolean;
}

/** A detail that may be cut; `group` names the heading it needs (printed once, before the first). */
interface Detail {
  kind: "case" | "prompt-diff" | "chart" | "note";
  text: string;
  group?: DetailGroup;
  /** Position in the output, independent of the order in which details are kept. */
  order: number;
}

type DetailGroup = "regressions" | "improvements" | "prompt-diffs";

/**
 * What is kept when the details do not all fit, most important first (the comment answers "what
 * breaks" before "what changed"): regressions' case diffs, improvements' case diffs, prompt diffs,
 * and last the chart, which only repeats the table. Cutting goes the other way: the chart first.
 */
const KEEP_ORDER: readonly ((d: Detail) => boolean)[] = [
  (d) => d.group === "regressions",
  (d) => d.group === "improvements",
  (d) => d.kind === "prompt-diff",
  (d) => d.kind === "chart",
];

const SEPARATOR = "\n\n";

function renderMarkdown(report: Report, layout: Layout): string {
  const ordered = orderComparisons(report.comparisons);

  // The core (headline, table, notes, footer) is never cut, except rows of a table too long to
  // fit at all; then blocked and worse prompts, which come first, are the ones kept.
  let shownRows = ordered.length;
  let core = renderCore(report, ordered, shownRows, layout);
  const reserve = 600; // room for the "shortened" notice
  if (layout.measure(core.join(SEPARATOR)) + reserve > layout.limit) {
    let lo = 0;
    let hi = ordered.length;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      const size = layout.measure(renderCore(report, ordered, mid, layout).join(SEPARATOR));
      if (size + reserve <= layout.limit) lo = mid;
      else hi = mid - 1;
    }
    shownRows = lo;
    core = renderCore(report, ordered, shownRows, layout);
  }

  const { details, headings } = renderDetails(report, ordered.slice(0, shownRows), layout);
  let used = layout.measure(core.join(SEPARATOR)) + reserve;
  const kept = new Set<Detail>();
  const headingsKept = new Set<string>();
  // Kept as one prefix of KEEP_ORDER: once a detail does not fit, nothing after it is kept, so
  // a part is only ever cut when every less important part is gone, and a reader never sees a
  // later case without the earlier ones.
  let full = false;
  for (const tier of KEEP_ORDER) {
    for (const d of details) {
      if (!tier(d)) continue;
      let cost = layout.measure(d.text) + SEPARATOR.length;
      const heading = d.group === undefined ? undefined : headings.get(d.group);
      if (d.group !== undefined && heading !== undefined && !headingsKept.has(d.group)) {
        cost += layout.measure(heading) + SEPARATOR.length;
      }
      if (used + cost > layout.limit) {
        full = true;
        break;
      }
      used += cost;
      kept.add(d);
      if (d.group !== undefined) headingsKept.add(d.group);
    }
    if (full) break;
  }

  const cut = (d: Detail) => !kept.has(d);
  const dropped: Dropped = {
    rows: ordered.length - shownRows,
    regressionCases: details.filter((d) => d.kind === "case" && d.group === "regressions" && cut(d))
      .length,
    improvementCases: details.filter(
      (d) => d.kind === "case" && d.group === "improvements" && cut(d),
    ).length,
    promptDiffs: details.filter((d) => d.kind === "prompt-diff" && cut(d)).length,
    chart: details.some((d) => d.kind === "chart" && cut(d)),
  };

  const body: string[] = [];
  const seenGroups = new Set<string>();
  for (const d of details) {
    if (!kept.has(d)) continue;
    if (d.group !== undefined && !seenGroups.has(d.group)) {
      seenGroups.add(d.group);
      const heading = headings.get(d.group);
      if (heading !== undefined) body.push(heading);
    }
    body.push(d.text);
  }
  const notice = renderCutNotice(report, dropped, layout);
  const footer = core.pop()!;
  const parts = [...core, ...body, ...(notice ? [notice] : []), footer];
  const text = parts.join(SEPARATOR);
  // The budget above is exact; this guard only matters if a caller passes an absurdly small limit.
  return layout.measure(text) <= layout.limit ? text : hardCut(text, layout);
}

function hardCut(text: string, layout: Layout): string {
  let end = Math.min(text.length, layout.limit);
  while (end > 0 && layout.measure(text.slice(0, end)) > layout.limit - 2) end -= 64;
  return `${text.slice(0, Math.max(0, end))}\n…`;
}

interface Dropped {
  rows: number;
  regressionCases: number;
  improvementCases: number;
  promptDiffs: number;
  chart: boolean;
}

function renderCutNotice(report: Report, dropped: Dropped, layout: Layout): string | null {
  const what: string[] = [];
  if (dropped.rows > 0) what.push(plural(dropped.rows, "prompt row"));
  if (dropped.regressionCases > 0) {
    what.push(plural(dropped.regressionCases, "regression case diff"));
  }
  if (dropped.improvementCases > 0) {
    what.push(plural(dropped.improvementCases, "improvement case diff"));
  }
  if (dropped.promptDiffs > 0) what.push(plural(dropped.promptDiffs, "prompt diff"));
  if (dropped.chart) what.push("the chart");
  if (what.length === 0) return null;
  const url = report.runUrl ? safeUrl(report.runUrl) : null;
  const summary = layout.pointToSummary
    ? url
      ? `the job summary of [this run](${url}) and `
      : "the job summary of this run and "
    : "";
  return (
    `> ✂️ **Shortened to fit ${layout.limitName}**: left out ${what.join(", ")}. ` +
    `Everything is in ${summary}the ${layout.reportUrl ? `[${code(layout.artifactName)}](${layout.reportUrl})` : code(layout.artifactName)} artifact (full HTML and JSON report).`
  );
}

// ---------------------------------------------------------------------------------------------
// The core: headline, table, notes, environment changes, footer (always last).

/** Shown under the headline, not among the notes (see renderCore). */
const GOLDEN_SET_CHANGED = "golden-set-changed";

function renderCore(
  report: Report,
  ordered: PromptComparison[],
  rows: number,
  layout: Layout,
): string[] {
  const shown = ordered.slice(0, rows);
  const head = `### ${VERDICT_ICON[report.verdict.overall]} ${report.verdict.overall}: ${escapeMarkdownInline(report.verdict.reason)}`;
  // The comment starts with its marker; a job summary, shared with other steps, with a title.
  const parts = [layout.marker ? `${COMMENT_MARKER}\n${head}` : `## promptgate report\n\n${head}`];
  // An edit of the golden set changes the yardstick: the reviewer reads it before the numbers.
  const edits = report.notices.filter((n) => n.kind === GOLDEN_SET_CHANGED);
  if (edits.length > 0) {
    parts.push(
      edits
        .map((n) => `> ⚠️ **Golden set edited:** ${escapeMarkdownInline(n.message)}`)
        .join("\n>\n"),
    );
  }
  if (ordered.length > 0) {
    let table = renderTable(shown);
    const legend = describeIntervalLegend(shown);
    if (legend) table += `\n\n<sub>${escapeMarkdownInline(legend)}</sub>`;
    if (rows < ordered.length) {
      table += `\n\n…and ${plural(ordered.length - rows, "more prompt")} (see the full report).`;
    }
    parts.push(table);
  }
  const notes = renderNotes(report, shown);
  if (notes) parts.push(notes);
  const env = renderEnvironmentChanges(report.environmentChanges);
  if (env) parts.push(env);
  parts.push(renderFooter(report, layout.reportUrl));
  return parts;
}

function renderTable(comparisons: PromptComparison[]): string {
  const header = [
    "Prompt",
    "Version",
    "Base pass",
    "Head pass",
    "Δ pts (CI)",
    "Verdict",
    "Critical failures",
    "Cost / 1k requests",
    "Monthly",
  ];
  const rows = comparisons.map((c) => {
    const r = describePromptRow(c);
    const critical =
      r.criticalFailures.length === 0
        ? "—"
        : `❗ ${r.criticalFailures.length}: ${r.criticalFailures.slice(0, 3).map(code).join(", ")}${r.criticalFailures.length > 3 ? ", …" : ""}`;
    // Failing before this change too (or not shown to be worse): named apart, never as broken.
    const warned =
      r.criticalWarnings.length === 0
        ? ""
        : `${critical === "—" ? "" : "<br>"}⚠️ ${r.criticalWarnings.length} already failing`;
    return [
      `**${escapeMarkdownInline(r.prompt)}**`,
      escapeMarkdownInline(r.versions) +
        (r.modelChange ? `<br><sub>${escapeMarkdownInline(r.modelChange)}</sub>` : ""),
      r.basePass,
      r.headPass,
      escapeMarkdownInline(r.delta),
      `${r.verdictIcon} ${escapeMarkdownInline(r.verdictText)}${r.blocked ? " · ⛔ blocked" : ""}`,
      warned !== "" && critical === "—" ? warned : critical + warned,
      escapeMarkdownInline(r.costPer1k) + (comparisonCostUnknown(c).length > 0 ? " †" : ""),
      escapeMarkdownInline(r.monthly),
    ];
  });
  return markdownTable([header, ...rows], {
    align: ["l", "l", "r", "r", "r", "l", "l", "r", "r"],
    alignDelimiters: false,
  });
}

function renderNotes(report: Report, shown: PromptComparison[]): string | null {
  const lines: string[] = [];
  const gateLines: string[] = [];
  for (const c of shown) {
    for (const g of c.gates) {
      if (g.status !== "fail" && g.status !== "warn") continue;
      const icon = g.status === "fail" ? "⛔" : "⚠️";
      gateLines.push(
        `- ${icon} **${escapeMarkdownInline(c.prompt)}** ${code(g.gate)}: ${escapeMarkdownInline(g.message)}`,
      );
    }
  }
  if (gateLines.length > 0) lines.push("**Gates**", ...gateLines);

  const errorLines: string[] = [];
  for (const c of shown) {
    const missing = describeMissing(c);
    if (missing === null) continue;
    errorLines.push(`- ⚠️ **${escapeMarkdownInline(c.prompt)}**: ${escapeMarkdownInline(missing)}`);
  }
  if (errorLines.length > 0) {
    if (lines.length > 0) lines.push("");
    lines.push("**Errors** (counted neither as passes nor as failures)", ...errorLines);
  }

  const other: string[] = [];
  // Why a † cost is unknown: a price helps only a model without one.
  for (const u of mergeCostUnknown(shown.map(comparisonCostUnknown))) {
    other.push(`- † Cost unknown: ${describeCostUnknown(u, code)}.`);
  }
  for (const c of shown) {
    if (c.addedCases.length === 0 && c.removedCases.length === 0) continue;
    const parts: string[] = [];
    if (c.addedCases.length > 0) parts.push(`${plural(c.addedCases.length, "case")} added`);
    if (c.removedCases.length > 0) parts.push(`${plural(c.removedCases.length, "case")} removed`);
    other.push(
      `- **${escapeMarkdownInline(c.prompt)}**: ${parts.join(", ")} in the golden set; left out of Δ.`,
    );
  }
  for (const ch of report.changes) {
    if (ch.kind === "deleted") {
      other.push(`- 🗑️ **${escapeMarkdownInline(ch.prompt)}** deleted; not evaluated.`);
    } else if (ch.kind === "renamed") {
      const from = ch.oldFile ? ` from ${code(ch.oldFile)}` : "";
      const to = ch.file ? ` to ${code(ch.file)}` : "";
      other.push(`- ↪️ **${escapeMarkdownInline(ch.prompt)}** renamed${from}${to}.`);
    }
  }
  for (const n of report.notices) {
    if (n.kind !== GOLDEN_SET_CHANGED) other.push(`- ℹ️ ${escapeMarkdownInline(n.message)}`);
  }
  if (other.length > 0) {
    if (lines.length > 0) lines.push("");
    lines.push(...other);
  }
  return lines.length > 0 ? lines.join("\n") : null;
}

function renderEnvironmentChanges(changes: ReportEnvironmentChange[]): string | null {
  if (changes.length === 0) return null;
  const rows = changes.slice(0, 40).map(describeEnvironmentChange);
  const table = markdownTable(
    [["Environment", "Prompt", "Pin", "Gate"], ...rows.map((r) => r.map(escapeMarkdownInline))],
    { alignDelimiters: false },
  );
  const more = changes.length > 40 ? `\n\n…and ${plural(changes.length - 40, "more change")}.` : "";
  return `#### Environment changes\n\n${table}${more}`;
}

function renderFooter(report: Report, reportUrl: string | null): string {
  const s = report.settings;
  const t = report.totals;
  const bits: string[] = [];
  if (s.suite) bits.push(escapeMarkdownInline(describeSuiteCount(s.suite)));
  bits.push(`models: ${s.models.map(code).join(", ") || "—"}`);
  if (s.judge) bits.push(`judge: ${code(s.judge)}`);
  bits.push(
    s.repeats === "auto"
      ? `repeats: auto (≤ ${s.maxRepeats ?? "?"})`
      : `repeats: ${formatCount(s.repeats)}`,
  );
  bits.push(plural(t.samples, "sample"));
  // New vs cached says what the run paid for, and whether the base came from a warm cache.
  const requests = [
    `${plural(t.newRequests, "new request")}, ${formatCount(t.cacheHits)} from cache`,
  ];
  if (t.errors > 0) requests.push(`${formatCount(t.errors)} errors`);
  bits.push(requests.join(", "));
  bits.push(`eval cost: ${formatUsd(t.costUsd)}`);
  bits.push(
    `wall time: ${formatDuration(t.wallMs)}${t.shards > 1 ? ` (summed over ${t.shards} shards)` : ""}`,
  );
  bits.push(
    `base ${renderRevision(report, report.base)} → head ${renderRevision(report, report.head)}`,
  );
  const run = report.runUrl ? safeUrl(report.runUrl) : null;
  if (run) bits.push(`[run](${run})`);
  if (reportUrl) bits.push(`[full report](${reportUrl})`);
  return `---\n<sub>${bits.join(" · ")} · promptgate report v1</sub>`;
}

function renderRevision(report: Report, rev: { ref: string; sha: string }): string {
  const short = escapeMarkdownInline(rev.sha.slice(0, 7));
  const server = safeUrl(report.serverUrl ?? "https://github.com");
  const sha = /^[0-9a-f]{7,64}$/i.test(rev.sha) ? rev.sha : null;
  const repo =
    report.repository && /^[\w.-]+\/[\w.-]+$/.test(report.repository) ? report.repository : null;
  const link = server && sha && repo ? `[${short}](${server}/${repo}/commit/${sha})` : short;
  // The action passes commits, not branch names: "HEAD" or the sha itself says nothing the link
  // does not.
  if (rev.ref === "HEAD" || rev.ref === rev.sha) return link;
  return `${code(rev.ref)} @ ${link}`;
}

// ---------------------------------------------------------------------------------------------
// The details: chart, cases that changed (regressions first), prompt diffs.

function renderDetails(
  report: Report,
  ordered: PromptComparison[],
  layout: Layout,
): { details: Detail[]; headings: Map<DetailGroup, string> } {
  const details: Detail[] = [];
  const headings = new Map<DetailGroup, string>([
    ["regressions", "#### 🔴 Regressions"],
    ["improvements", "#### 🟢 Improvements"],
    ["prompt-diffs", "#### 📝 Prompt changes"],
  ]);
  let order = 0;
  const chart = renderChart(ordered);
  if (chart) details.push({ kind: "chart", text: chart, order: order++ });

  const stories = ordered.map(collectStories);
  for (const direction of ["regressions", "improvements"] as const) {
    for (const s of stories) {
      const list = direction === "regressions" ? s.regressed : s.improved;
      if (list.length === 0) continue;
      const shown = list.slice(0, layout.maxCasesPerPrompt);
      for (const story of shown) {
        details.push({
          kind: "case",
          text: renderCase(story, s.comparison, layout),
          group: direction,
          order: order++,
        });
      }
      if (list.length > shown.length) {
        const what = direction === "regressions" ? "worse or failing" : "improved";
        details.push({
          kind: "note",
          text: `…and ${plural(list.length - shown.length, `more ${what} case`)} of **${escapeMarkdownInline(s.comparison.prompt)}** in ${layout.reportUrl ? `[the full report](${layout.reportUrl})` : "the full report"}.`,
          group: direction,
          order: order++,
        });
      }
    }
  }

  for (const ch of report.changes) {
    if (!ch.promptDiff) continue;
    const versions =
      ch.baseVersion && ch.headVersion && ch.baseVersion !== ch.headVersion
        ? `${ch.baseVersion} → ${ch.headVersion}`
        : (ch.headVersion ?? ch.baseVersion ?? "");
    const summary = `${code(ch.prompt)} ${escapeMarkdownInline(versions)} (${describeChangeKind(ch.kind)})`;
    details.push({
      kind: "prompt-diff",
      text: [
        "<details>",
        `<summary>${summary}</summary>`,
        "",
        fence(truncate(ch.promptDiff, layout.maxPromptDiffChars), "diff"),
        "",
        "</details>",
      ].join("\n"),
      group: "prompt-diffs",
      order: order++,
    });
  }
  return { details: details.sort((a, b) => a.order - b.order), headings };
}

function renderChart(ordered: PromptComparison[]): string | null {
  const rows = ordered
    .filter((c) => c.basePassRate !== null && c.headPassRate !== null)
    .slice(0, 12);
  if (rows.length === 0) return null;
  const label = (s: string) => `"${s.replace(/[^\w .\-/@]/g, "_").slice(0, 40)}"`;
  return [
    "```mermaid",
    "xychart-beta",
    '    title "Pass rate % by prompt (bars: head, line: base)"',
    `    x-axis [${rows.map((c) => label(c.prompt)).join(", ")}]`,
    '    y-axis "pass rate %" 0 --> 100',
    `    bar [${rows.map((c) => formatPercentNumber(c.headPassRate ?? 0)).join(", ")}]`,
    `    line [${rows.map((c) => formatPercentNumber(c.basePassRate ?? 0)).join(", ")}]`,
    "```",
  ].join("\n");
}

const STORY_ICON: Record<CaseStory["kind"], string> = {
  regressed: "🔴",
  improved: "🟢",
  critical: "❗",
  failing: "❌",
};

function renderCase(story: CaseStory, c: PromptComparison, layout: Layout): string {
  const rates =
    story.basePass === null
      ? `head ${story.headPass ?? "—"}`
      : `${story.basePass} → ${story.headPass ?? "—"}`;
  const bits = [
    `${STORY_ICON[story.kind]} <b>${escapeMarkdownInline(c.prompt)}</b> ${code(story.id)}`,
    escapeMarkdownInline(rates),
  ];
  if (story.tags.length > 0) bits.push(`tags: ${story.tags.map(escapeMarkdownInline).join(", ")}`);
  if (story.critical) bits.push("❗ critical");
  const lines = ["<details>", `<summary>${bits.join(" · ")}</summary>`, ""];
  if (layout.reportHtmlUrl) {
    // Outside the summary: a link there would also toggle the details.
    const anchor = encodeURIComponent(caseAnchor(c.prompt, story.id)).replace(
      /[()]/g,
      (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`,
    );
    lines.push(
      `[this case in the full report](${layout.reportHtmlUrl.replace(/#.*$/, "")}#${anchor})`,
      "",
    );
  }

  if (story.failed.length > 0) {
    lines.push(`Failed on ${story.failedSide}:`, "");
    for (const a of story.failed.slice(0, 8)) {
      lines.push(
        `- ${code(describeAssertion(a))}: ${escapeMarkdownInline(truncate(a.reason, 300))}`,
      );
    }
    if (story.failed.length > 8) lines.push(`- …and ${story.failed.length - 8} more`);
    lines.push("");
  }

  const cut = (s: SampleOk) => truncate(s.output, layout.maxOutputChars);
  const outcome = (s: SampleOk) => `sample ${s.index + 1}, ${s.pass ? "✅ pass" : "❌ fail"}`;
  if (story.baseSample && story.headSample) {
    lines.push(
      `Word diff, base (${outcome(story.baseSample)}) → head (${outcome(story.headSample)}): <del>removed</del> <ins>added</ins>`,
      "",
      `<pre>${renderWordDiffHtml(cut(story.baseSample), cut(story.headSample))}</pre>`,
    );
  } else {
    const only = story.headSample ?? story.baseSample;
    if (only) {
      const side = story.headSample ? "head" : "base";
      lines.push(
        `Output on ${side} (${outcome(only)}):`,
        "",
        `<pre>${escapeHtml(cut(only))}</pre>`,
      );
    } else {
      lines.push("Every sample errored: no output to show.");
    }
  }
  lines.push("", "</details>");
  return lines.join("\n");
}
