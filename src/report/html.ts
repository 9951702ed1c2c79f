import type { PromptComparison } from "../compare/types.js";
import {
  comparisonCostUnknown,
  describeCostUnknown,
  mergeCostUnknown,
} from "../cost/cost-unknown.js";
import type { CaseResult, PromptRun, Sample } from "../engine/types.js";
import { describeSuiteCount } from "../formats/suites.js";
import {
  formatCount,
  formatDuration,
  formatInterval,
  formatLevel,
  formatPercent,
  formatPercentNumber,
  formatSignedPoints,
  formatUsd,
  plural,
} from "../numbers.js";
import { escapeHtml, safeUrl, truncate } from "./escape.js";
import {
  countErrors,
  describeChangeKind,
  type OverallVerdict,
  type Report,
  type ReportEnvironmentChange,
} from "./model.js";
import {
  type CaseLine,
  describeAssertion,
  describeEnvironmentChange,
  describeIntervalLegend,
  describeMissing,
  describePromptRow,
  listCases,
  orderComparisons,
  pickSample,
} from "./view.js";
import { renderWordDiffHtml } from "./word-diff.js";

/**
 * The full report as one self-contained HTML file: inline CSS and JS, no request of any kind (the
 * Content-Security-Policy forbids them), everything escaped. Without JS the summary and every case
 * are readable; JS adds the filters.
 */
export function renderHtml(report: Report, options: HtmlOptions = {}): string {
  const ordered = orderComparisons(report.comparisons);
  const all = ordered.flatMap((c) => listCases(c).map((line) => ({ line, c })));
  const max = options.maxFullCases ?? MAX_FULL_CASES;
  const { shown: cases, summarised } = boundCases(all, max);
  const title = `promptgate: ${report.verdict.overall} — ${report.verdict.reason}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; form-action 'none'; base-uri 'none'">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
${renderHeader(report)}
<main>
${renderPrompts(report, ordered)}
${renderEnvironments(report.environmentChanges)}
${renderPromptDiffs(report)}
${renderCases(cases, summarised, max)}
</main>
${renderFooter(report)}
<script>${SCRIPT}</script>
</body>
</html>
`;
}

const VERDICT_ICON: Record<OverallVerdict, string> = { pass: "✅", blocked: "❌", errors: "⚠️" };

function renderHeader(report: Report): string {
  const v = report.verdict.overall;
  const rev = (r: { ref: string; sha: string }) => {
    const short = `<code title="${escapeHtml(r.sha)}">${escapeHtml(r.sha.slice(0, 7))}</code>`;
    // As in the comment: "HEAD" or the sha itself as a name says nothing the sha does not.
    return r.ref === "HEAD" || r.ref === r.sha
      ? short
      : `<code>${escapeHtml(r.ref)}</code> @ ${short}`;
  };
  const repo = report.repository ? `${escapeHtml(report.repository)} · ` : "";
  return `<header class="verdict v-${v}" id="summary">
<h1><span aria-hidden="true">${VERDICT_ICON[v]}</span> ${escapeHtml(v)}</h1>
<p class="reason">${escapeHtml(report.verdict.reason)}</p>
<p class="meta">${repo}base ${rev(report.base)} → head ${rev(report.head)} · generated ${escapeHtml(report.generatedAt)}</p>
</header>`;
}

function renderPrompts(report: Report, ordered: PromptComparison[]): string {
  if (ordered.length === 0) {
    return `<section id="prompts"><h2>Prompts</h2><p>No changed prompt was evaluated.</p>${renderChanges(report)}</section>`;
  }
  const rows = ordered
    .map((c) => {
      const r = describePromptRow(c);
      const model = r.modelChange ? `<br><small>${escapeHtml(r.modelChange)}</small>` : "";
      const critical =
        r.criticalFailures.length === 0
          ? "—"
          : `❗ ${r.criticalFailures.length}: ${r.criticalFailures.map((id) => `<code>${escapeHtml(id)}</code>`).join(", ")}`;
      const warned =
        r.criticalWarnings.length === 0
          ? ""
          : `${r.criticalFailures.length === 0 ? "" : "<br>"}⚠️ ${r.criticalWarnings.length} already failing: ${r.criticalWarnings.map((id) => `<code>${escapeHtml(id)}</code>`).join(", ")}`;
      const unknown =
        comparisonCostUnknown(c).length > 0 ? ' <span title="cost unknown">†</span>' : "";
      return `<tr class="prompt v-${escapeHtml(c.verdict)}${r.blocked ? " blocked" : ""}">
<th scope="row">${escapeHtml(r.prompt)}</th><td data-label="Version">${escapeHtml(r.versions)}${model}</td>
<td class="num" data-label="Base pass">${r.basePass}</td><td class="num" data-label="Head pass">${r.headPass}</td><td class="num" data-label="Δ pts (CI)"${c.crossCheck ? ` title="cross-check (${escapeHtml(c.crossCheck.method)}): ${escapeHtml(formatInterval(c.crossCheck))}"` : ""}>${escapeHtml(r.delta)}</td>
<td class="verdict-cell" data-label="Verdict">${r.verdictIcon} ${escapeHtml(r.verdictText)}${r.blocked ? ' · <strong class="blocked">⛔ blocked</strong>' : ""}</td>
<td data-label="Critical failures">${warned !== "" && critical === "—" ? warned : critical + warned}</td><td class="num" data-label="Cost / 1k requests">${escapeHtml(r.costPer1k)}${unknown}</td><td class="num" data-label="Monthly">${escapeHtml(r.monthly)}</td></tr>`;
    })
    .join("\n");
  return `<section id="prompts"><h2>Prompts</h2>
<div class="scroll"><table class="prompts">
<thead><tr><th>Prompt</th><th>Version</th><th>Base pass</th><th>Head pass</th><th>Δ pts (CI)</th><th>Verdict</th><th>Critical failures</th><th>Cost / 1k requests</th><th>Monthly</th></tr></thead>
<tbody>
${rows}
</tbody></table></div>
${renderLegend(ordered)}${renderBars(ordered)}
${renderNotes(ordered)}
${renderChanges(report)}
</section>`;
}

function renderLegend(ordered: PromptComparison[]): string {
  const legend = describeIntervalLegend(ordered);
  return legend ? `<p class="legend">${escapeHtml(legend)}</p>\n` : "";
}

function renderBars(ordered: PromptComparison[]): string {
  const rows = ordered.filter((c) => c.headPassRate !== null);
  if (rows.length === 0) return "";
  const bar = (cls: string, rate: number | null, label: string) =>
    rate === null
      ? ""
      : `<div class="bar ${cls}" style="width:${formatPercentNumber(rate)}%" title="${label} ${formatPercent(rate)}"><span>${label} ${formatPercent(rate)}</span></div>`;
  return `<figure class="bars" aria-label="Pass rate, base and head"><figcaption>Pass rate, base and head</figcaption>
${rows
  .map(
    (c) =>
      `<div class="bar-row"><div class="bar-label">${escapeHtml(c.prompt)}</div><div class="bar-pair">${bar("base", c.basePassRate, "base")}${bar(`head v-${escapeHtml(c.verdict)}`, c.headPassRate, "head")}</div></div>`,
  )
  .join("\n")}
</figure>`;
}

function renderNotes(ordered: PromptComparison[]): string {
  const items: string[] = [];
  for (const c of ordered) {
    for (const g of c.gates) {
      if (g.status !== "fail" && g.status !== "warn") continue;
      items.push(
        `<li class="gate-${g.status}">${g.status === "fail" ? "⛔" : "⚠️"} <strong>${escapeHtml(c.prompt)}</strong> <code>${escapeHtml(g.gate)}</code>: ${escapeHtml(g.message)}</li>`,
      );
    }
  }
  for (const c of ordered) {
    const missing = describeMissing(c);
    if (missing === null) continue;
    const errors =
      countErrors(c).errored > 0 ? "; errors count neither as passes nor as failures" : "";
    items.push(
      `<li class="errors">⚠️ <strong>${escapeHtml(c.prompt)}</strong>: ${escapeHtml(missing)}${errors}</li>`,
    );
  }
  // Why a † cost is unknown: a price helps only a model without one.
  const code = (id: string) => `<code>${escapeHtml(id)}</code>`;
  for (const u of mergeCostUnknown(ordered.map(comparisonCostUnknown))) {
    items.push(`<li>† Cost unknown: ${describeCostUnknown(u, code)}.</li>`);
  }
  for (const c of ordered) {
    if (c.addedCases.length > 0) {
      items.push(
        `<li><strong>${escapeHtml(c.prompt)}</strong>: added cases (not in Δ): ${c.addedCases.map((id) => `<code>${escapeHtml(id)}</code>`).join(", ")}</li>`,
      );
    }
    if (c.removedCases.length > 0) {
      items.push(
        `<li><strong>${escapeHtml(c.prompt)}</strong>: removed cases (not in Δ): ${c.removedCases.map((id) => `<code>${escapeHtml(id)}</code>`).join(", ")}</li>`,
      );
    }
  }
  return items.length > 0 ? `<ul class="notes">\n${items.join("\n")}\n</ul>` : "";
}

function renderChanges(report: Report): string {
  const items: string[] = [];
  for (const ch of report.changes) {
    if (ch.kind === "deleted") items.push(`🗑️ <strong>${escapeHtml(ch.prompt)}</strong> deleted`);
    if (ch.kind === "renamed") {
      items.push(
        `↪️ <strong>${escapeHtml(ch.prompt)}</strong> renamed${ch.oldFile ? ` from <code>${escapeHtml(ch.oldFile)}</code>` : ""}${ch.file ? ` to <code>${escapeHtml(ch.file)}</code>` : ""}`,
      );
    }
  }
  for (const n of report.notices) items.push(`ℹ️ ${escapeHtml(n.message)}`);
  return items.length > 0
    ? `<ul class="notes">${items.map((i) => `<li>${i}</li>`).join("")}</ul>`
    : "";
}

function renderEnvironments(changes: ReportEnvironmentChange[]): string {
  if (changes.length === 0) return "";
  const rows = changes.map(
    (ch) =>
      `<tr>${describeEnvironmentChange(ch)
        .map((c) => `<td>${escapeHtml(c)}</td>`)
        .join("")}</tr>`,
  );
  return `<section id="environments"><h2>Environment changes</h2>
<div class="scroll"><table><thead><tr><th>Environment</th><th>Prompt</th><th>Pin</th><th>Gate</th></tr></thead><tbody>
${rows.join("\n")}
</tbody></table></div></section>`;
}

function renderPromptDiffs(report: Report): string {
  const diffs = report.changes.filter((ch) => ch.promptDiff);
  if (diffs.length === 0) return "";
  const line = (l: string) => {
    const text = escapeHtml(l);
    if (l.startsWith("+++") || l.startsWith("---")) return `<span class="file">${text}</span>`;
    if (l.startsWith("@@")) return `<span class="hunk">${text}</span>`;
    if (l.startsWith("+")) return `<ins>${text}</ins>`;
    if (l.startsWith("-")) return `<del>${text}</del>`;
    return text;
  };
  const blocks = diffs.map((ch) => {
    const versions =
      ch.baseVersion && ch.headVersion && ch.baseVersion !== ch.headVersion
        ? `${ch.baseVersion} → ${ch.headVersion}`
        : (ch.headVersion ?? ch.baseVersion ?? "");
    return `<details class="prompt-diff"><summary><code>${escapeHtml(ch.prompt)}</code> ${escapeHtml(versions)} (${describeChangeKind(ch.kind)})</summary>
<pre class="diff">${ch.promptDiff!.split(/\r?\n/).map(line).join("\n")}</pre></details>`;
  });
  return `<section id="prompt-diffs"><h2>Prompt changes</h2>\n${blocks.join("\n")}\n</section>`;
}

// ---------------------------------------------------------------------------------------------
// Every case, with filters and base/head side by side.

const MAX_OUTPUT_CHARS = 20_000;
/** Word diffs cost real CPU on large suites; past this many, outputs are only side by side. */
const MAX_WORD_DIFFS = 300;

export interface HtmlOptions {
  /** Past this many cases, only those a reviewer must read are embedded in full (boundCases). */
  maxFullCases?: number;
}

/**
 * Past this many cases the page embeds only the failing and changed ones: a 100,000-case run
 * would otherwise write every sample's output into one file a browser cannot open, and build it
 * in memory first.
 */
export const MAX_FULL_CASES = 2_000;

type CaseEntry = { line: CaseLine; c: PromptComparison };

/** Unchanged cases that pass on head, per prompt: what a bounded page counts instead of listing. */
interface Summarised {
  prompt: string;
  count: number;
}

/**
 * Keeps every case a reviewer must read (worse, better, new, removed, with errors, failing on
 * head) and, past `max` cases, counts the rest per prompt.
 */
function boundCases(
  all: CaseEntry[],
  max: number,
): { shown: CaseEntry[]; summarised: Summarised[] } {
  if (all.length <= max) return { shown: all, summarised: [] };
  const shown: CaseEntry[] = [];
  const counts = new Map<string, number>();
  for (const x of all) {
    if (x.line.status !== "unchanged" || x.line.failingOnHead || x.line.errors > 0) shown.push(x);
    else counts.set(x.c.prompt, (counts.get(x.c.prompt) ?? 0) + 1);
  }
  return { shown, summarised: [...counts].map(([prompt, count]) => ({ prompt, count })) };
}

function renderSummarised(shown: number, summarised: Summarised[], max: number): string {
  if (summarised.length === 0) return "";
  const hidden = summarised.reduce((n, s) => n + s.count, 0);
  const rows = summarised
    .map(
      (s) =>
        `<tr><th scope="row">${escapeHtml(s.prompt)}</th><td class="num">${formatCount(s.count)}</td></tr>`,
    )
    .join("\n");
  return `<div class="bounded" id="cases-summarised"><p><strong>This page lists ${plural(shown, "case")} in full, the failing and changed ones; ${plural(hidden, "other case")}, unchanged and passing on head, ${hidden === 1 ? "is" : "are"} counted per prompt below</strong> (past ${formatCount(max)} cases the page is bounded). Every case is in the JSON report, every sample in the run's sample log.</p>
<div class="scroll"><table class="summarised"><thead><tr><th>Prompt</th><th>Unchanged, passing</th></tr></thead>
<tbody>
${rows}
</tbody></table></div></div>`;
}

function renderCases(cases: CaseEntry[], summarised: Summarised[], max: number): string {
  if (cases.length === 0 && summarised.length === 0) return "";
  const note = renderSummarised(cases.length, summarised, max);
  const tags = [...new Set(cases.flatMap((x) => x.line.tags))].sort();
  const prompts = [...new Set(cases.map((x) => x.c.prompt))];
  const option = (value: string, label: string) =>
    `<option value="${escapeHtml(value)}">${escapeHtml(label)}</option>`;
  const counts = {
    regressed: cases.filter((x) => x.line.status === "regressed").length,
    improved: cases.filter((x) => x.line.status === "improved").length,
  };
  return `<section id="cases"><h2>Cases <small>(${plural(cases.length, "case")}; ${formatCount(counts.regressed)} worse, ${formatCount(counts.improved)} better)</small></h2>
${note}<div class="filters" id="filters" hidden>
<label>Filter <input id="f-text" type="search" placeholder="case id, tag, output…" autocomplete="off"></label>
<label>Show <select id="f-status">
${option("all", "all cases")}
${option("regressed", "regressions only")}
${option("improved", "improvements only")}
${option("changed", "worse or better")}
${option("failing", "failing on head")}
${option("errors", "with errors")}
${option("critical", "critical cases")}
</select></label>
<label>Tag <select id="f-tag">
${option("", "all tags")}
${tags.map((t) => option(t, t)).join("\n")}
</select></label>
${
  prompts.length > 1
    ? `<label>Prompt <select id="f-prompt">\n${option("", "all prompts")}\n${prompts.map((p) => option(p, p)).join("\n")}\n</select></label>`
    : ""
}
<output id="f-count" aria-live="polite"></output>
</div>
<div class="scroll"><table class="cases" id="case-table">
<thead><tr><th>Prompt</th><th>Case</th><th>Tags</th><th>Base pass</th><th>Head pass</th><th>Δ pts</th><th>Status</th></tr></thead>
${renderCaseGroups(cases)}
</table></div>
</section>`;
}

function renderCaseGroups(cases: { line: CaseLine; c: PromptComparison }[]): string {
  let diffs = 0;
  return cases
    .map((x) => {
      const moved = x.line.status === "regressed" || x.line.status === "improved";
      const withDiff = moved && diffs < MAX_WORD_DIFFS;
      if (withDiff) diffs++;
      return renderCase(x.line, x.c, withDiff);
    })
    .join("\n");
}

const STATUS_LABEL: Record<CaseLine["status"], string> = {
  regressed: "🔴 worse",
  improved: "🟢 better",
  unchanged: "unchanged",
  new: "🆕 new",
  removed: "removed",
  errors: "⚠️ errors",
};

function renderCase(line: CaseLine, c: PromptComparison, withDiff: boolean): string {
  const rate = (r: CaseResult | null) =>
    r === null ? "—" : r.passRate === null ? "all errored" : formatPercent(r.passRate);
  const attrs = [
    `data-status="${line.status}"`,
    `data-prompt="${escapeHtml(line.prompt)}"`,
    `data-tags="${escapeHtml(JSON.stringify(line.tags))}"`,
    `data-failing="${line.failingOnHead ? 1 : 0}"`,
    `data-errors="${line.errors}"`,
    `data-critical="${line.critical ? 1 : 0}"`,
  ].join(" ");
  const critical = line.critical ? ' <span class="critical" title="critical case">❗</span>' : "";
  const errors =
    line.errors > 0 ? ` <span class="err">(${plural(line.errors, "error")})</span>` : "";
  return `<tbody class="case s-${line.status}" ${attrs} id="${escapeHtml(caseAnchor(line.prompt, line.id))}">
<tr class="row"><td data-label="Prompt">${escapeHtml(line.prompt)}</td><td data-label="Case"><code>${escapeHtml(line.id)}</code>${critical}</td><td data-label="Tags">${line.tags.map((t) => `<span class="tag">${escapeHtml(t)}</span>`).join(" ")}</td>
<td class="num" data-label="Base pass">${rate(line.base)}</td><td class="num" data-label="Head pass">${rate(line.head)}</td><td class="num" data-label="Δ pts">${line.delta === null ? "—" : formatSignedPoints(line.delta)}</td><td data-label="Status">${STATUS_LABEL[line.status]}${errors}</td></tr>
<tr class="outputs"><td colspan="7"><details><summary>outputs, base vs head</summary>
${renderVars(line)}<div class="sxs">${renderSide("base", c.base, line.base)}${renderSide("head", c.head, line.head)}</div>${withDiff ? renderCaseDiff(line) : ""}</details></td></tr>
</tbody>`;
}

/**
 * The case's anchor, `case-<prompt>-<id>`, so a comment or a chat message can link one case.
 * Whitespace (not allowed in an id) becomes "-"; the rest is kept, escaped where it is written.
 */
export function caseAnchor(prompt: string, id: string): string {
  return `case-${prompt}-${id}`.replace(/\s+/g, "-");
}

function renderVars(line: CaseLine): string {
  const vars = (line.head ?? line.base)?.vars;
  if (!vars || Object.keys(vars).length === 0) return "";
  return `<div class="vars"><span class="label">vars</span><pre>${escapeHtml(truncate(JSON.stringify(vars, null, 2), 4000))}</pre></div>`;
}

function renderSide(
  side: "base" | "head",
  run: PromptRun | null,
  result: CaseResult | null,
): string {
  const title = run ? `${side} ${run.version} · ${run.model}` : side;
  if (result === null) {
    return `<div class="side ${side}"><h4>${escapeHtml(title)}</h4><p class="none">not run on ${side}</p></div>`;
  }
  return `<div class="side ${side}"><h4>${escapeHtml(title)}</h4><ol class="samples">${result.samples.map(renderSample).join("")}</ol></div>`;
}

function renderSample(s: Sample): string {
  if (s.kind === "error") {
    return `<li class="sample error"><span class="badge">⚠️ error</span> ${escapeHtml(s.error.kind)}${s.error.status ? ` ${s.error.status}` : ""}: ${escapeHtml(s.error.message)}</li>`;
  }
  if (s.brief) {
    return `<li class="sample ${s.pass ? "pass" : "fail"}"><span class="badge">${s.pass ? "✅ pass" : "❌ fail"}</span> <span class="meta">score ${s.score.toFixed(2)}${s.cached ? " · cached" : ""}</span> <span class="none">output and reasons in the run's sample log (a large run keeps one passing and one failing sample per case)</span></li>`;
  }
  const failed = s.assertions.filter((a) => !a.pass);
  const list =
    failed.length === 0
      ? ""
      : `<ul class="failed">${failed.map((a) => `<li><code>${escapeHtml(describeAssertion(a))}</code>: ${escapeHtml(truncate(a.reason, 1000))}</li>`).join("")}</ul>`;
  const cost = s.costUsd === null ? "cost unknown" : formatUsd(s.costUsd);
  return `<li class="sample ${s.pass ? "pass" : "fail"}"><span class="badge">${s.pass ? "✅ pass" : "❌ fail"}</span> <span class="meta">score ${s.score.toFixed(2)} · ${formatCount(s.usage.promptTokens)}+${formatCount(s.usage.completionTokens)} tokens · ${cost} · ${formatDuration(s.latencyMs)}${s.cached ? " · cached" : ""}</span><pre>${escapeHtml(truncate(s.output, MAX_OUTPUT_CHARS))}</pre>${list}</li>`;
}

/** A word diff for cases whose outcome moved: a sample of the better side against one of the worse. */
function renderCaseDiff(line: CaseLine): string {
  if (line.status !== "regressed" && line.status !== "improved") return "";
  const worse = line.status === "regressed";
  const b = pickSample(line.base ?? undefined, worse ? "pass" : "fail");
  const h = pickSample(line.head ?? undefined, worse ? "fail" : "pass");
  if (!b || !h) return "";
  const label = `word diff, base sample ${b.index + 1} → head sample ${h.index + 1}`;
  return `<div class="word-diff"><span class="label">${label}: <del>removed</del> <ins>added</ins></span><pre>${renderWordDiffHtml(truncate(b.output, 4000), truncate(h.output, 4000))}</pre></div>`;
}

function renderFooter(report: Report): string {
  const s = report.settings;
  const t = report.totals;
  const bits = [
    ...(s.suite ? [escapeHtml(describeSuiteCount(s.suite))] : []),
    `models: ${s.models.map(escapeHtml).join(", ") || "—"}`,
    ...(s.judge ? [`judge: ${escapeHtml(s.judge)}`] : []),
    s.repeats === "auto" ? `repeats: auto (≤ ${s.maxRepeats ?? "?"})` : `repeats: ${s.repeats}`,
    `confidence: ${formatLevel(s.confidence)}`,
    plural(t.samples, "sample"),
    `${plural(t.newRequests, "new request")}, ${formatCount(t.cacheHits)} from cache, ${formatCount(t.errors)} errors`,
    `eval cost: ${formatUsd(t.costUsd)}`,
    `wall time: ${formatDuration(t.wallMs)}${t.shards > 1 ? ` (summed over ${t.shards} shards)` : ""}`,
  ];
  const run = report.runUrl ? safeUrl(report.runUrl) : null;
  if (run) bits.push(`<a href="${escapeHtml(run)}" rel="noreferrer">run</a>`);
  bits.push(escapeHtml(report.schema));
  return `<footer>${bits.join(" · ")}</footer>`;
}

const STYLE = `
:root{--fg:#1f2328;--muted:#59636e;--bg:#fff;--line:#d1d9e0;--soft:#f6f8fa;--red:#cf222e;--green:#1a7f37;--amber:#9a6700;--del:#ffebe9;--ins:#dafbe1}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--muted:#9198a1;--bg:#0d1117;--line:#3d444d;--soft:#151b23;--red:#f85149;--green:#3fb950;--amber:#d29922;--del:#4b1d1d;--ins:#163b22}}
*{box-sizing:border-box}[hidden]{display:none!important}
body{margin:0;font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
main,header,footer{max-width:1400px;margin:0 auto;padding:0 20px}
header.verdict{margin-top:20px;padding:16px 20px;border-left:6px solid var(--line);background:var(--soft);border-radius:6px}
header.v-pass{border-color:var(--green)}header.v-blocked{border-color:var(--red)}header.v-errors{border-color:var(--amber)}
h1{margin:0;font-size:24px}.reason{font-size:16px;margin:4px 0}.meta,footer,small{color:var(--muted)}
h2{margin-top:28px;border-bottom:1px solid var(--line);padding-bottom:4px}
table{border-collapse:collapse;width:100%}th,td{border:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}
thead th{background:var(--soft);position:sticky;top:0}.num{text-align:right;white-space:nowrap}
.scroll{overflow-x:auto}tr.blocked th{color:var(--red)}strong.blocked{color:var(--red)}
code{font:12px ui-monospace,SFMono-Regular,Menlo,monospace;background:var(--soft);padding:1px 4px;border-radius:4px}
pre{font:12px/1.45 ui-monospace,SFMono-Regular,Menlo,monospace;white-space:pre-wrap;word-break:break-word;background:var(--soft);padding:8px;border-radius:6px;margin:4px 0;max-height:420px;overflow:auto}
del{background:var(--del);text-decoration:line-through}ins{background:var(--ins);text-decoration:none}
pre.diff .hunk{color:var(--muted)}pre.diff .file{font-weight:bold}pre.diff ins,pre.diff del{display:inline-block;width:100%;text-decoration:none}
.legend{color:var(--muted);font-size:12px;margin:4px 0}.notes li.gate-fail{color:var(--red)}.notes li.errors{color:var(--amber)}
.bars{margin:16px 0}.bars figcaption{color:var(--muted);margin-bottom:4px}.bar-row{display:flex;gap:8px;align-items:center;margin:2px 0}
.bar-label{width:200px;text-align:right;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}.bar-pair{flex:1;max-width:600px}
.bar{height:14px;margin:1px 0;border-radius:3px;font-size:10px;line-height:14px;white-space:nowrap;overflow:visible}.bar span{padding-left:4px}
.bar.base{background:var(--line)}.bar.head{background:#8fb8ff}.bar.head.v-worse{background:#ff9a9a}.bar.head.v-better{background:#8fdc9f}
.filters{display:flex;flex-wrap:wrap;gap:12px;align-items:center;margin:8px 0;padding:8px;background:var(--soft);border-radius:6px;position:sticky;top:0;z-index:2}
.filters input{min-width:260px}input,select{font:inherit;padding:2px 6px;background:var(--bg);color:var(--fg);border:1px solid var(--line);border-radius:4px}
tbody.case tr.outputs td{border-top:none;padding-top:0}tbody.case tr.outputs summary{color:var(--muted);font-size:12px;cursor:pointer}
tbody.s-regressed tr.row{background:var(--del)}tbody.s-improved tr.row{background:var(--ins)}
.tag{display:inline-block;background:var(--soft);border:1px solid var(--line);border-radius:10px;padding:0 6px;font-size:12px}
.sxs{display:grid;grid-template-columns:1fr 1fr;gap:12px}.side h4{margin:6px 0}
ol.samples{padding-left:20px;margin:0}.sample .badge{font-weight:600}.sample.fail .badge{color:var(--red)}.sample.pass .badge{color:var(--green)}.sample.error{color:var(--amber)}
.sample .meta{font-size:12px}ul.failed{margin:2px 0 8px;padding-left:18px;color:var(--red)}.label{color:var(--muted);font-size:12px}
footer{margin:32px auto;font-size:12px;border-top:1px solid var(--line);padding-top:8px}
@media (max-width:800px){.sxs{grid-template-columns:1fr}}
@media (max-width:640px){
main,header,footer{padding:0 10px}header.verdict{margin:10px 10px 0;padding:12px}
th,td,.reason,.meta,footer{overflow-wrap:anywhere}
table.prompts,table.prompts tbody,table.prompts tr,table.prompts th,table.prompts td,table.cases,table.cases tbody,table.cases tr,table.cases td{display:block;width:auto}
table.prompts thead,table.cases thead{display:none}
table.prompts tr,table.cases tbody.case{border:1px solid var(--line);border-radius:6px;margin:8px 0;padding:4px 0}
table.prompts th,table.prompts td,table.cases td{border:none;padding:2px 10px}
table.prompts th{font-size:16px}
td[data-label]::before{content:attr(data-label) ": ";color:var(--muted)}
td.num{text-align:left;white-space:normal}
.filters input{min-width:0;width:100%}.filters label{flex:1 1 100%}
.bar-label{width:90px}
}
`;

const SCRIPT = `
(function () {
  var box = document.getElementById("filters");
  var table = document.getElementById("case-table");
  if (!box || !table) return;
  box.hidden = false;
  var text = document.getElementById("f-text");
  var status = document.getElementById("f-status");
  var tag = document.getElementById("f-tag");
  var prompt = document.getElementById("f-prompt");
  var count = document.getElementById("f-count");
  var rows = Array.prototype.slice.call(table.querySelectorAll("tbody.case"));
  var haystack = rows.map(function (r) { return r.textContent.toLowerCase(); });
  var tags = rows.map(function (r) { return JSON.parse(r.getAttribute("data-tags") || "[]"); });
  function statusMatches(r, want) {
    var s = r.getAttribute("data-status");
    switch (want) {
      case "all": return true;
      case "changed": return s === "regressed" || s === "improved";
      case "failing": return r.getAttribute("data-failing") === "1";
      case "errors": return r.getAttribute("data-errors") !== "0";
      case "critical": return r.getAttribute("data-critical") === "1";
      default: return s === want;
    }
  }
  function apply() {
    var words = text.value.toLowerCase().split(/\\s+/).filter(Boolean);
    var shown = 0;
    rows.forEach(function (r, i) {
      var ok = words.every(function (w) { return haystack[i].indexOf(w) >= 0; }) &&
        statusMatches(r, status.value) &&
        (!tag.value || tags[i].indexOf(tag.value) >= 0) &&
        (!prompt || !prompt.value || r.getAttribute("data-prompt") === prompt.value);
      r.hidden = !ok;
      if (ok) shown++;
    });
    count.textContent = shown + " of " + rows.length + " cases shown";
  }
  [text, status, tag, prompt].forEach(function (el) {
    if (!el) return;
    el.addEventListener("input", apply);
    el.addEventListener("change", apply);
  });
  apply();
})();
`;
