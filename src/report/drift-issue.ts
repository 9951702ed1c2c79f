import type { DriftKey, DriftOutcome, DriftResult } from "../compare/drift.js";
import {
  formatInterval,
  formatPercent,
  formatPointsChange,
  formatPointsSize,
  formatSignedPoints,
  formatUsd,
  plural,
} from "../numbers.js";
import { code, escapeMarkdownInline, safeUrl } from "./escape.js";

/**
 * The drift check's GitHub side: one issue per environment and prompt, found again by a hidden
 * marker, opened on a drop, updated while the drop lasts, commented and closed once quality is
 * back (or the environment pins something else). The issue I/O is an interface so the core
 * decides what to say and the edges (the action, the CLI) only carry it.
 */

export interface MarkedIssue {
  number: number;
  url: string;
}

export interface DriftIssueTracker {
  /** Opens the issue marked `marker`, or rewrites the open one: never a second one. */
  openOrUpdate(
    marker: string,
    issue: { title: string; body: string },
  ): Promise<MarkedIssue & { created: boolean }>;
  /** Comments on the open issue marked `marker` and closes it; null when none is open. */
  close(marker: string, comment: string): Promise<MarkedIssue | null>;
}

export interface DriftContext {
  /** The CI run of this check (its logs and report files). */
  runUrl?: string;
  checkedAt: string;
  costUsd: number | null;
  requests: { sent: number; cacheHits: number; errors: number };
}

export type DriftIssueAction =
  | { kind: "opened" | "updated" | "closed"; key: DriftKey; issue: MarkedIssue }
  | { kind: "none"; key: DriftKey };

/** The label every drift issue carries; the listing that finds an issue again filters on it. */
export const DRIFT_ISSUE_LABEL = "promptgate-drift";

/** The hidden first line that finds an environment+prompt's issue again. */
export function driftIssueMarker(key: DriftKey): string {
  return `<!-- promptgate-drift ${key.environment}/${key.prompt} -->`;
}

const WORST_CASES = 5;

/**
 * Environment, prompt and version names match [a-z0-9._-] (formats/environments.ts), so they go
 * in plain code spans, copyable as typed; anything else (a model id) is escaped.
 */
function name(text: string): string {
  return /^[\w.@-]+$/.test(text) ? `\`${text}\`` : code(text);
}

export function renderDriftIssue(
  outcome: DriftOutcome,
  context: DriftContext,
): { title: string; body: string } {
  const { environment: env, prompt } = outcome;
  const c = outcome.comparison;
  const title = `Quality drift: ${prompt} in ${env} (${outcome.version} on ${outcome.model})`;
  const lines = [
    driftIssueMarker(outcome),
    `## 📉 ${name(prompt)} dropped in ${name(env)}`,
    "",
    `${name(env)} serves ${name(`${prompt}@${outcome.version}`)} on ${name(outcome.model)}. Nothing in the repository changed: the same pin, run on the same golden set, now scores below its record.`,
    "",
    "| | pass rate | cases × repeats |",
    "|---|---|---|",
    `| recorded ${escapeMarkdownInline(outcome.recorded?.recordedAt ?? "—")} | ${formatPercent(c?.basePassRate ?? null)} | ${c?.base ? `${c.base.cases.length} × ${c.base.repeats}` : "—"} |`,
    `| this check ${escapeMarkdownInline(context.checkedAt)} | ${formatPercent(c?.headPassRate ?? null)} | ${c ? `${c.head.cases.length} × ${c.head.repeats}` : "—"} |`,
    "",
  ];
  if (c?.delta !== null && c?.delta !== undefined) {
    const interval = c.interval ? ` (${formatInterval(c.interval)})` : "";
    lines.push(
      `**Change: ${formatPointsChange(c.delta)}**${interval}, beyond the ${formatPointsSize(c.maxRegression ?? 0)} allowance of \`gates.max-regression\`.`,
    );
  }
  const broken = (c?.criticalChecks ?? []).filter((k) => k.status === "broken").map((k) => k.id);
  if (broken.length > 0) {
    lines.push(`Critical cases broken: ${broken.map((id) => name(id)).join(", ")}.`);
  }
  const worst = (c?.cases ?? [])
    .filter((k) => k.delta !== null && k.delta < 0)
    .sort((a, b) => (a.delta ?? 0) - (b.delta ?? 0) || a.id.localeCompare(b.id))
    .slice(0, WORST_CASES);
  if (worst.length > 0) {
    lines.push("", "### Worst cases", "", "| case | recorded | now | Δ pts |", "|---|---|---|---|");
    for (const k of worst) {
      lines.push(
        `| ${name(k.id)}${k.critical ? " (critical)" : ""} | ${formatPercent(k.base?.passRate ?? null)} | ${formatPercent(k.head?.passRate ?? null)} | ${formatSignedPoints(k.delta ?? 0)} |`,
      );
    }
  }
  lines.push("", "### What to do", "");
  lines.push(
    `- Roll back (the bot, in a comment here or on any pull request): \`/rollback ${env} ${prompt}\``,
  );
  lines.push("- Check again: re-run the drift workflow (`workflow_dispatch`).");
  lines.push(
    "- If the model changed on purpose, pin the new one in `environments.yaml`: the next check records it as the new baseline.",
  );
  lines.push("", footerOf(context), "");
  lines.push(
    "<sub>promptgate updates this issue on every check while the drop lasts, and closes it when quality is back.</sub>",
  );
  return { title, body: lines.join("\n") };
}

export function renderDriftRecovery(outcome: DriftOutcome, context: DriftContext): string {
  const c = outcome.comparison;
  const why =
    outcome.status === "re-baselined" && outcome.rebaselined === "golden-set"
      ? `The golden set of ${name(outcome.prompt)} changed since the record, so it measures something else now: this check recorded it as the new baseline.`
      : outcome.status === "re-baselined"
        ? `${name(outcome.environment)} now serves ${name(`${outcome.prompt}@${outcome.version}`)} on ${name(outcome.model)} (was ${name(outcome.recorded?.version ?? "?")} on ${name(outcome.recorded?.model ?? "?")}); this check recorded it as the new baseline.`
        : `Quality is back: ${formatPercent(c?.headPassRate ?? null)} against the recorded ${formatPercent(c?.basePassRate ?? null)}${c?.interval ? ` (${formatInterval(c.interval)})` : ""}, no significant drop.`;
  return [`✅ ${why}`, "", footerOf(context), "", "Closing."].join("\n");
}

function footerOf(context: DriftContext): string {
  const url = context.runUrl ? safeUrl(context.runUrl) : null;
  const report = url ? `[the run's report](${url})` : "the run's report (no run URL given)";
  const { sent, cacheHits, errors } = context.requests;
  return `This check: ${plural(sent, "request")} sent, ${cacheHits} from cache, ${errors} errors; cost ${formatUsd(context.costUsd)}. Details: ${report}.`;
}

/**
 * Opens, updates or closes each outcome's issue: a drop opens or updates it; a steady run or a new
 * pin closes an open one; a first (baseline) run and an errored one leave it as it is.
 */
export async function syncDriftIssues(
  result: DriftResult,
  tracker: DriftIssueTracker,
  context: DriftContext,
): Promise<DriftIssueAction[]> {
  const actions: DriftIssueAction[] = [];
  for (const o of result.outcomes) {
    const key = { environment: o.environment, prompt: o.prompt };
    const marker = driftIssueMarker(key);
    if (o.status === "drop") {
      const issue = await tracker.openOrUpdate(marker, renderDriftIssue(o, context));
      actions.push({ kind: issue.created ? "opened" : "updated", key, issue });
    } else if (o.status === "steady" || o.status === "re-baselined") {
      const issue = await tracker.close(marker, renderDriftRecovery(o, context));
      actions.push(issue ? { kind: "closed", key, issue } : { kind: "none", key });
    } else {
      actions.push({ kind: "none", key });
    }
  }
  return actions;
}

const STATUS_TEXT: Record<DriftOutcome["status"], string> = {
  baseline: "recorded (first run)",
  "re-baselined": "recorded (pin changed)",
  steady: "steady",
  drop: "DROP",
  errors: "ERRORS",
};

/** One line per environment+prompt, for a terminal or a job summary. */
export function renderDriftLines(result: DriftResult): string[] {
  const lines = result.outcomes.map((o) => {
    const c = o.comparison;
    const numbers = c
      ? `${formatPercent(c.basePassRate)} → ${formatPercent(c.headPassRate)}${c.delta === null ? "" : ` (${formatPointsChange(c.delta)}${c.interval ? `, ${formatInterval(c.interval)}` : ""})`}`
      : formatPercent(o.run.totals.passRate);
    const status =
      o.rebaselined === "golden-set" ? "recorded (golden set changed)" : STATUS_TEXT[o.status];
    return `${o.environment} ${o.prompt}@${o.version} ${o.model}: ${status}: ${numbers}`;
  });
  for (const s of result.skipped) lines.push(`${s.environment} ${s.prompt}: skipped: ${s.reason}`);
  return lines;
}
