import { markdownTable } from "markdown-table";
import {
  listDisagreements,
  type ShadowPair,
  type ShadowResult,
  type ShadowVerdict,
} from "../compare/shadow.js";
import {
  formatCount,
  formatDuration,
  formatLevel,
  formatPercent,
  formatPointsChange,
  formatSignedPercent,
  formatSignedPoints,
  formatUsd,
  plural,
} from "../numbers.js";
import { code, escapeHtml, escapeMarkdownInline, fence, safeUrl, truncate } from "./escape.js";
import { COMMENT_LIMIT } from "./markdown.js";

/**
 * The shadow report: one model (the JSON file), rendered as a comment or issue body and as a
 * self-contained HTML page, in the style of the diff's report but its own schema, since it
 * compares two deployed versions on recorded traffic instead of a change on a golden set.
 */

export const SHADOW_REPORT_SCHEMA = "promptgate/shadow-report@1" as const;
/** Finds our comment or issue body; a scheduled workflow edits it in place. */
export const SHADOW_MARKER = "<!-- promptgate:shadow v1 -->";

export interface ShadowReport extends ShadowResult {
  schema: typeof SHADOW_REPORT_SCHEMA;
  generatedAt: string;
  /** The interval's level. */
  confidence: number;
  repository?: string;
  runUrl?: string;
}

export function createShadowReport(
  result: ShadowResult,
  meta: { generatedAt: string; confidence: number; repository?: string; runUrl?: string },
): ShadowReport {
  return {
    schema: SHADOW_REPORT_SCHEMA,
    generatedAt: meta.generatedAt,
    confidence: meta.confidence,
    ...(meta.repository ? { repository: meta.repository } : {}),
    ...(meta.runUrl ? { runUrl: meta.runUrl } : {}),
    ...result,
  };
}

export function toShadowJson(report: ShadowReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

const VERDICT: Record<ShadowVerdict, { icon: string; text: string }> = {
  better: { icon: "✅", text: "candidate better" },
  worse: { icon: "❌", text: "candidate worse" },
  noise: { icon: "➖", text: "no clear difference" },
  errors: { icon: "⚠️", text: "no verdict" },
};

/** One line a person reads first: the verdict and its evidence. */
export function describeShadowVerdict(report: ShadowReport): string {
  const s = report.summary;
  const who = `${report.prompt}@${report.candidate.version} vs ${report.environment}'s @${report.live.version}`;
  const v = VERDICT[s.verdict];
  if (s.verdict === "errors") {
    return `${v.text}: ${s.errors} of ${plural(s.inputs, "input")} errored (${who})`;
  }
  const counts = `${s.wins} wins, ${s.ties} ties, ${s.losses} losses`;
  const net = s.netWinRate === null ? "" : `; net ${formatPointsChange(s.netWinRate)}`;
  const ci = s.interval
    ? ` (${formatLevel(s.interval.level)} CI ${formatSignedPoints(s.interval.low)} to ${formatSignedPoints(s.interval.high)})`
    : "";
  return `${v.text}: ${who}: ${counts}${net}${ci}`;
}

/** The numbers both renderings show, as label/value rows. */
function describeRows(report: ShadowReport) {
  const s = report.summary;
  const perK = (x: number | null) => formatUsd(x === null ? null : x * 1000);
  const ms = (x: number | null) => (x === null ? "—" : formatDuration(x));
  const latencyDelta =
    s.latencyDeltaMs === null
      ? "—"
      : `${s.latencyDeltaMs < 0 ? "−" : "+"}${formatDuration(Math.abs(s.latencyDeltaMs))}`;
  return {
    outcomes: [
      ["candidate wins", formatCount(s.wins)],
      ["ties", `${formatCount(s.ties)}${s.splits ? ` (${s.splits} split by position)` : ""}`],
      ["candidate loses", formatCount(s.losses)],
      ["errors", formatCount(s.errors)],
    ],
    sides: [
      [
        "cost / 1k requests",
        perK(s.live.costPerRequestUsd),
        perK(s.candidate.costPerRequestUsd),
        s.costRelative === null ? "—" : formatSignedPercent(s.costRelative),
      ],
      ["mean latency", ms(s.live.meanLatencyMs), ms(s.candidate.meanLatencyMs), latencyDelta],
      ["p95 latency", ms(s.live.p95LatencyMs), ms(s.candidate.p95LatencyMs), ""],
      ["errored answers", String(s.live.errors), String(s.candidate.errors), ""],
    ],
  };
}

function describeStatistic(report: ShadowReport): string {
  const s = report.summary;
  if (s.netWinRate === null) return "Nothing was judged.";
  const ci = s.interval
    ? `, ${formatLevel(s.interval.level)} interval ${formatSignedPoints(s.interval.low)} to ${formatSignedPoints(s.interval.high)} pts`
    : " (too few inputs for an interval)";
  const rate =
    s.winRate === null
      ? ""
      : ` The candidate won ${formatPercent(s.winRate)} of the decided pairs.`;
  return `Net win rate (wins − losses) / judged: ${formatPointsChange(s.netWinRate)}${ci}: a paired t interval over the per-input scores +1 / 0 / −1; a tie is excluded only when the interval lies on one side of 0.${rate}`;
}

const OUTCOME_ICON = { win: "✅ win", loss: "❌ loss", tie: "➖ tie", error: "⚠️ error" } as const;

function reasonsOf(p: ShadowPair): string[] {
  return p.judgements.map(
    (j) => `${j.first} shown first → prefers ${j.preferred}${j.reason ? `: ${j.reason}` : ""}`,
  );
}

export interface ShadowMarkdownOptions {
  /** Characters (default GitHub's 65,536). */
  maxChars?: number;
  /** Disagreements shown in detail (default 5). */
  maxCases?: number;
  maxOutputChars?: number;
}

export function renderShadowMarkdown(
  report: ShadowReport,
  options: ShadowMarkdownOptions = {},
): string {
  const limit = options.maxChars ?? COMMENT_LIMIT;
  // Fewer cases until the body fits: the headline and the numbers always do.
  for (let n = options.maxCases ?? 5; ; n--) {
    const body = renderMarkdownWith(report, Math.max(0, n), options.maxOutputChars ?? 1200);
    if (body.length <= limit || n <= 0) return body.length <= limit ? body : body.slice(0, limit);
  }
}

function renderMarkdownWith(report: ShadowReport, maxCases: number, maxOutput: number): string {
  const s = report.summary;
  const v = VERDICT[s.verdict];
  const rows = describeRows(report);
  const link = report.runUrl ? safeUrl(report.runUrl) : null;
  const lines = [
    SHADOW_MARKER,
    `### ${v.icon} shadow: ${escapeMarkdownInline(describeShadowVerdict(report))}`,
    "",
    `<sub>${code(report.environment)} serves ${code(`${report.prompt}@${report.live.version}`)} (${code(report.live.model)}); candidate ${code(`${report.prompt}@${report.candidate.version}`)} (${code(report.candidate.model)}) · ${plural(s.inputs, "recorded input")} from ${code(report.inputsFile)} · judge ${code(report.judgeModel)}, asked twice per input with the answers' positions swapped (a win needs both orders to agree)${link ? ` · [run](${link})` : ""}</sub>`,
    "",
    markdownTable([rows.outcomes.map((r) => r[0] ?? ""), rows.outcomes.map((r) => r[1] ?? "")]),
    "",
    escapeMarkdownInline(describeStatistic(report)),
    "",
    markdownTable([
      ["", `live @${report.live.version}`, `candidate @${report.candidate.version}`, "Δ"],
      ...rows.sides,
    ]),
  ];
  const cases = listDisagreements(report.pairs, maxCases);
  if (cases.length > 0) {
    lines.push("", "#### Where they disagree most", "");
    for (const p of cases) {
      const first = p.judgements[0]?.reason ?? "";
      lines.push(
        "<details>",
        `<summary>${OUTCOME_ICON[p.outcome]}${p.split ? " (orders split)" : ""} · ${code(p.id)}${first ? ` · ${escapeMarkdownInline(truncate(first, 160))}` : ""}</summary>`,
        "",
        "input",
        "",
        fence(truncate(JSON.stringify(p.vars, null, 2), maxOutput), "json"),
        "",
        `live @${report.live.version}`,
        "",
        fence(truncate(outputOf(p.live), maxOutput)),
        "",
        `candidate @${report.candidate.version}`,
        "",
        fence(truncate(outputOf(p.candidate), maxOutput)),
        "",
        ...reasonsOf(p).map((r) => `- ${escapeMarkdownInline(truncate(r, 400))}`),
        "",
        "</details>",
      );
    }
  }
  const cost = s.runCostUsd === null ? "cost unknown" : `${formatUsd(s.runCostUsd)}`;
  lines.push(
    "",
    `<sub>${s.requests.sent} requests sent, ${s.requests.cacheHits} from cache · this run: ${cost} · generated ${escapeHtml(report.generatedAt)}</sub>`,
  );
  return `${lines.join("\n")}\n`;
}

function outputOf(s: ShadowPair["live"]): string {
  return s.kind === "ok" ? s.output : `error (${s.error.kind}): ${s.error.message}`;
}

/** The whole report as one self-contained page: inline CSS, no script, everything escaped. */
export function renderShadowHtml(report: ShadowReport): string {
  const s = report.summary;
  const v = VERDICT[s.verdict];
  const rows = describeRows(report);
  const headline = describeShadowVerdict(report);
  const cell = (x: string) => `<td>${escapeHtml(x)}</td>`;
  const pairs = [...report.pairs]
    .sort((a, b) => order(a) - order(b) || a.id.localeCompare(b.id, "en", { numeric: true }))
    .map((p) => {
      const reasons = reasonsOf(p)
        .map((r) => `<li>${escapeHtml(r)}</li>`)
        .join("");
      return `<details class="pair o-${p.outcome}" id="${escapeHtml(`input-${p.id}`)}">
<summary>${escapeHtml(OUTCOME_ICON[p.outcome])}${p.split ? " (orders split)" : ""} · <code>${escapeHtml(p.id)}</code>${p.error ? ` · ${escapeHtml(p.error)}` : ""}</summary>
<h4>input</h4><pre>${escapeHtml(JSON.stringify(p.vars, null, 2))}</pre>
<div class="answers"><div><h4>live @${escapeHtml(report.live.version)}</h4><pre>${escapeHtml(outputOf(p.live))}</pre></div>
<div><h4>candidate @${escapeHtml(report.candidate.version)}</h4><pre>${escapeHtml(outputOf(p.candidate))}</pre></div></div>
${reasons ? `<ul class="reasons">${reasons}</ul>` : ""}
</details>`;
    })
    .join("\n");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; form-action 'none'; base-uri 'none'">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(`promptgate shadow: ${headline}`)}</title>
<style>${STYLE}</style>
</head>
<body>
<header class="verdict v-${s.verdict}" id="summary">
<h1><span aria-hidden="true">${v.icon}</span> ${escapeHtml(v.text)}</h1>
<p class="reason">${escapeHtml(headline)}</p>
<p class="meta">${report.repository ? `${escapeHtml(report.repository)} · ` : ""}${escapeHtml(report.environment)} serves <code>${escapeHtml(`${report.prompt}@${report.live.version}`)}</code> (${escapeHtml(report.live.model)}) · candidate <code>${escapeHtml(`${report.prompt}@${report.candidate.version}`)}</code> (${escapeHtml(report.candidate.model)}) · ${escapeHtml(plural(s.inputs, "input"))} from <code>${escapeHtml(report.inputsFile)}</code> · judge ${escapeHtml(report.judgeModel)}, both orders · generated ${escapeHtml(report.generatedAt)}</p>
</header>
<main>
<section id="outcomes"><h2>Outcomes</h2>
<table><thead><tr>${rows.outcomes.map((r) => `<th>${escapeHtml(r[0] ?? "")}</th>`).join("")}</tr></thead>
<tbody><tr>${rows.outcomes.map((r) => cell(r[1] ?? "")).join("")}</tr></tbody></table>
<p>${escapeHtml(describeStatistic(report))}</p>
<table><thead><tr><th></th><th>live @${escapeHtml(report.live.version)}</th><th>candidate @${escapeHtml(report.candidate.version)}</th><th>Δ</th></tr></thead>
<tbody>${rows.sides.map((r) => `<tr><th scope="row">${escapeHtml(r[0] ?? "")}</th>${r.slice(1).map(cell).join("")}</tr>`).join("\n")}</tbody></table>
</section>
<section id="inputs"><h2>Inputs</h2>
<p>Losses first, then wins, then ties the two orders split on, then ties and errors.</p>
${pairs}
</section>
</main>
<footer><p>${s.requests.sent} requests sent, ${s.requests.cacheHits} from cache · this run: ${escapeHtml(formatUsd(s.runCostUsd))} · ${escapeHtml(SHADOW_REPORT_SCHEMA)}</p></footer>
</body>
</html>
`;
}

function order(p: ShadowPair): number {
  if (p.outcome === "loss") return 0;
  if (p.outcome === "win") return 1;
  if (p.split) return 2;
  return p.outcome === "tie" ? 3 : 4;
}

const STYLE = `
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1f2328;background:#fff}
header,main,footer{max-width:1100px;margin:0 auto;padding:0 16px}
header.verdict{border-left:6px solid #8c959f;padding:8px 16px;margin-top:16px}
.v-better{border-color:#1a7f37!important}.v-worse{border-color:#cf222e!important}.v-errors{border-color:#9a6700!important}
h1{margin:0;font-size:1.5em}.meta,footer{color:#59636e;font-size:.9em}
table{border-collapse:collapse;margin:8px 0}th,td{border:1px solid #d1d9e0;padding:4px 8px;text-align:left}
pre{white-space:pre-wrap;word-break:break-word;background:#f6f8fa;padding:8px;border-radius:4px;margin:4px 0}
details.pair{border:1px solid #d1d9e0;border-radius:6px;margin:6px 0;padding:4px 8px}
details.o-loss{border-left:4px solid #cf222e}details.o-win{border-left:4px solid #1a7f37}
.answers{display:grid;grid-template-columns:1fr 1fr;gap:8px}
h4{margin:8px 0 0;font-size:.9em}
@media (prefers-color-scheme:dark){body{background:#0d1117;color:#e6edf3}pre{background:#161b22}th,td,details.pair{border-color:#3d444d}}
`;
