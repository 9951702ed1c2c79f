import { markdownTable } from "markdown-table";
import type { Environments, Pin } from "../formats/environments.js";
import type { Rule, Settings } from "../formats/settings.js";
import {
  type ActionCommand,
  CANARY,
  formatCommand,
  type InvalidCommand,
  USAGE,
} from "./command.js";
import { type HistoryEntry, TRAILERS } from "./history.js";
import type { PermissionDecision } from "./permissions.js";
import { listStatusRows, pinLabel, shortSha } from "./pins.js";
import type { ChangePlan, NoopPlan, PinChange, RefusedPlan } from "./plan.js";
import { cutText, limitList, MAX_LIST_ITEMS, quoteActor, quoteText } from "./quote.js";
import { listLastChanges } from "./status.js";
import { listUndoCommands } from "./undo.js";

/**
 * The one reply comment per command. Every command named in a reply sits inside backticks and no
 * line starts with one, so quoting or copying the bot never triggers it; the last line is a hidden
 * machine-readable summary for scripts and tests.
 *
 * Just past our ~500-line mark on purpose: every reply the bot and its CLI twins write is rendered
 * here and bounded by one fitReply, which is what keeps the escaping and the 65,536-character limit
 * true for all of them.
 */

/** Why a command failed: what its reply tells people to do next. */
export type FailureKind =
  /** Nothing was written (GitHub failed before, or refused the write): running it again is safe. */
  | "not-applied"
  /** The repository's own files are broken: running the command again cannot help yet. */
  | "fix-first"
  /**
   * The write's answer was lost and so was the look at whether it landed: the change may be
   * applied, and running the command again blindly could apply it twice.
   */
  | "outcome-unknown";

export type ReplyResult =
  | {
      outcome: "applied";
      actor: string;
      command: ActionCommand;
      plan: ChangePlan;
      commit?: { sha: string; url?: string };
      deployments?: { env: string; url?: string; id?: number }[];
    }
  | { outcome: "dry-run"; actor: string; command: ActionCommand; plan: ChangePlan }
  | { outcome: "noop"; actor: string; command: ActionCommand; plan: NoopPlan }
  | { outcome: "refused"; actor: string; command: ActionCommand; plan: RefusedPlan }
  | { outcome: "invalid"; actor: string; command: InvalidCommand }
  | {
      outcome: "denied";
      actor: string;
      command: ActionCommand;
      decision: Extract<PermissionDecision, { allowed: false }>;
    }
  | { outcome: "conflict"; actor: string; command: ActionCommand; env: string; entry: HistoryEntry }
  | {
      outcome: "failed";
      actor: string;
      command?: ActionCommand;
      error: string;
      /** "not-applied" when absent. */
      failure?: FailureKind;
    };

const RESULT_MARK = "<!-- promptgate:result ";

export function renderReply(result: ReplyResult): string {
  return fitReply(renderBody(result), summarize(result));
}

/** The JSON of a reply's hidden line, or undefined when the body has none. */
export function parseReplyResult(body: string): Record<string, unknown> | undefined {
  for (const line of body.split(/\r?\n/)) {
    if (line.startsWith(RESULT_MARK) && line.endsWith(" -->")) {
      // Anyone can paste a line like this into a comment: a broken one is no result.
      try {
        return JSON.parse(line.slice(RESULT_MARK.length, -" -->".length)) as Record<
          string,
          unknown
        >;
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

/**
 * GitHub refuses a comment over 65,536 characters, and a reply that fails to post leaves the
 * command unanswered. Every reply is rendered through {@link fitReply}, which keeps it under this
 * budget whatever the comment or the repository's files hold, leaving room for GitHub's counting
 * (it counts in its own units) and for the hidden line.
 */
export const MAX_REPLY_CHARS = 60_000;
/** One line of a reply, cut at a code span's edge: a paragraph, not a page. */
const MAX_LINE_CHARS = 4_000;
/** The hidden line's strings and arrays: scripts read outcomes and names, not whole pages. */
const MAX_HIDDEN_STRING = 1_000;
const MAX_HIDDEN_CHARS = 16_000;

/**
 * The one place a reply's text is assembled: lines cut to {@link MAX_LINE_CHARS} (never inside a
 * code span), trailing lines dropped with "…and N more lines" past {@link MAX_REPLY_CHARS}, and
 * the hidden line last, bounded too, so the result always fits one comment.
 */
function fitReply(lines: readonly string[], data: Record<string, unknown>): string {
  let hidden = hiddenLine(boundJson(data));
  if (hidden.length > MAX_HIDDEN_CHARS) {
    hidden = hiddenLine({ outcome: data.outcome, truncated: true });
  }
  const budget = MAX_REPLY_CHARS - hidden.length - 100;
  const out: string[] = [];
  let used = 0;
  for (const [i, raw] of lines.entries()) {
    const line = cutLine(raw, MAX_LINE_CHARS);
    if (used + line.length + 1 > budget) {
      out.push("", `…and ${lines.length - i} more lines`);
      break;
    }
    out.push(line);
    used += line.length + 1;
  }
  return [...out, "", hidden].join("\n");
}

/**
 * `line` cut to about `max` characters with "…", backing off to before an unclosed backtick: a
 * cut inside a code span would leave the quoted user text after it live markdown.
 */
function cutLine(line: string, max: number): string {
  if (line.length <= max) return line;
  let cut = cutText(line, max).slice(0, -1);
  if ((cut.match(/`/g)?.length ?? 0) % 2 === 1) cut = cut.slice(0, cut.lastIndexOf("`"));
  return `${cut}…`;
}

/** A copy of `value` whose strings and arrays are cut for the hidden line. */
function boundJson(value: unknown): unknown {
  if (typeof value === "string") return cutText(value, MAX_HIDDEN_STRING);
  if (Array.isArray(value)) {
    if (value.length <= MAX_LIST_ITEMS) return value.map(boundJson);
    const kept = value.slice(0, MAX_LIST_ITEMS - 1).map(boundJson);
    return [...kept, `…and ${value.length - kept.length} more`];
  }
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, boundJson(v)]));
  }
  return value;
}

function hiddenLine(data: unknown): string {
  // `<` and `>` escaped so no value can close the comment early.
  const json = JSON.stringify({ v: 1, ...(data as Record<string, unknown>) })
    .replace(/</g, "\\u003c")
    .replace(/>/g, "\\u003e");
  return `${RESULT_MARK}${json} -->`;
}

const code = quoteText;

function usageLines(usage: string): string[] {
  return ["Usage:", ...usage.split("\n").map((form) => `- ${code(form)}`)];
}

function usageOf(command: ActionCommand): string {
  switch (command.kind) {
    case "rollback":
      return USAGE.rollback;
    case "promote":
    case "canary-traffic":
      return USAGE.promote;
    case "freeze":
    case "unfreeze":
      return USAGE.promptgate;
  }
}

function reasonOf(command: ActionCommand | undefined): string | undefined {
  return command && "reason" in command ? command.reason : undefined;
}

function headline(plan: ChangePlan, command: ActionCommand, dry: boolean): string {
  const env = `**${plan.env}**`;
  switch (plan.action) {
    case "rollback":
      return dry ? `would roll back ${env}` : `rolled back ${env}`;
    case "promote": {
      const from = command.kind === "promote" ? `**${command.from}**` : "";
      return dry ? `would promote ${from} to ${env}` : `promoted ${from} to ${env}`;
    }
    case "traffic": {
      const to = plan.changes.find((c) => c.kind === "traffic")?.after;
      return dry ? `would set ${env} traffic to ${to}%` : `set ${env} traffic to ${to}%`;
    }
    case "freeze":
      return dry ? `would freeze ${env}` : `froze ${env}`;
    case "unfreeze":
      return dry ? `would unfreeze ${env}` : `unfroze ${env}`;
  }
}

function renderBody(result: ReplyResult): string[] {
  const who = `@${result.actor}`;
  switch (result.outcome) {
    case "applied":
    case "dry-run": {
      const dry = result.outcome === "dry-run";
      const { plan, command } = result;
      const out = [
        dry
          ? `**Dry run:** ${who} ${headline(plan, command, true)}. Nothing was committed.`
          : `${who} ${headline(plan, command, false)}.`,
      ];
      const table = changeTable(plan);
      if (table) out.push("", table);
      const facts: string[] = [];
      const reason = reasonOf(command);
      if (reason) facts.push(`- **Reason:** ${quoteText(reason)}`);
      if (result.outcome === "applied" && result.commit) {
        const label = code(shortSha(result.commit.sha));
        facts.push(
          `- **Commit:** ${result.commit.url ? `[${label}](${result.commit.url})` : label} ${plan.summary.replace(/^promptgate\([^)]*\): /, "— ")}`,
        );
      }
      if (result.outcome === "applied") {
        for (const d of result.deployments ?? []) {
          const name = `promptgate-${d.env}`;
          facts.push(`- **Deployment:** ${d.url ? `[${name}](${d.url})` : name}`);
        }
      }
      if (plan.forcedGates?.length) {
        facts.push(
          `- **Eval gate overridden** with ${code("--force")}: ${plan.forcedGates.join(", ")}`,
        );
      }
      if (facts.length > 0) out.push("", ...limitList(facts));
      if (plan.skipped.length > 0) {
        out.push(
          "",
          "Skipped on the way back:",
          ...limitList(
            plan.skipped.map((s) => `${code(s.value)} (at ${code(shortSha(s.sha))}): ${s.why}`),
          ).map((s) => `- ${s}`),
        );
      }
      if (plan.warnings.length > 0) {
        out.push("", "Warnings:", ...limitList(plan.warnings).map((w) => `- ${w}`));
      }
      if (dry) out.push("", `Run it without ${code("--dry-run")} to apply.`);
      else out.push("", describeUndo(plan));
      return out;
    }
    case "noop":
      return [`${who}: ${result.plan.message}. Nothing to change.`];
    case "refused": {
      const { plan } = result;
      return [
        `**Not applied:** ${plan.reason}.`,
        ...(plan.hint ? ["", `Hint: ${plan.hint}`] : []),
        "",
        ...usageLines(usageOf(result.command)),
      ];
    }
    case "invalid": {
      const c = result.command;
      return [
        `**Not a valid command:** ${c.message}.${c.suggestion ? ` Did you mean ${code(c.suggestion)}?` : ""}`,
        "",
        ...usageLines(c.usage),
      ];
    }
    case "denied": {
      const d = result.decision;
      return [
        `**Not allowed:** ${who}, ${d.message}. Nothing was changed.`,
        "",
        `Needed: ${d.needed}. Seen: ${d.seen}.`,
      ];
    }
    case "conflict":
      return [
        `**Not applied:** ${describeConflict(result.env, result.entry)}; nothing was applied.`,
        "",
        `Check the new state with ${code("/promptgate status")} and run ${code(formatCommand(result.command))} again if it still makes sense.`,
      ];
    case "failed": {
      const error = result.error.replace(/\s+/g, " ").trim();
      switch (result.failure ?? "not-applied") {
        case "not-applied":
          return [`**Not applied:** ${error}. Nothing was changed; it is safe to retry.`];
        case "fix-first":
          return [
            `**Not applied:** ${error}. Nothing was changed; fix that file on the default branch, then run the command again.`,
          ];
        case "outcome-unknown":
          return [
            `**Outcome unknown:** ${error}. The change may have been applied: check ${code("/promptgate status")} or the history of the environments file on the default branch before running the command again, which could otherwise apply it twice.`,
          ];
      }
    }
  }
}

/** The applied reply's last line: how to put it back, as a command to copy. */
function describeUndo(plan: ChangePlan): string {
  const { commands, manual } = listUndoCommands(plan);
  const run = commands.length > 0 ? `${commands.map(code).join(", then ")}` : "";
  const hand =
    manual.length > 0 ? `${run ? "; and by hand: " : "by hand: "}${manual.join("; ")}` : "";
  return `**To undo:** ${run}${hand || (run ? "" : "nothing to undo")}.`;
}

/** "production changed while your command ran (now support-answer@v11, by @bob in #123, commit abc1234)" */
export function describeConflict(env: string, entry: HistoryEntry): string {
  const pins = Object.entries(entry.environments.environments[env]?.prompts ?? {});
  const now = pins.length > 0 ? pins.map(([p, pin]) => pinLabel(p, pin)).join(", ") : "no pins";
  const by = entry.trailers[TRAILERS.actor] ?? entry.author;
  const url = entry.trailers[TRAILERS.commentUrl];
  const where = url ? /\/(?:issues|pull)\/(\d+)/.exec(url)?.[1] : undefined;
  return `${env} changed while your command ran (now ${now}, by ${quoteActor(by)}${where ? ` in #${where}` : ""}, commit ${shortSha(entry.sha)})`;
}

function modelText(pin: Pin | null): string {
  return pin?.model ?? "(front matter)";
}

function arrow(before: string, after: string): string {
  return before === after ? after : `${before} → ${after}`;
}

function escapeCell(s: string): string {
  return s.replace(/\|/g, "\\|");
}

/** The before → after and status tables, at most {@link MAX_LIST_ITEMS} rows. */
function renderTable(rows: string[][]): string {
  const kept = rows.length > MAX_LIST_ITEMS ? rows.slice(0, MAX_LIST_ITEMS - 1) : rows;
  const more = rows.length - kept.length;
  return markdownTable([
    ["Environment", "Prompt", "Version", "Model", "Traffic"],
    ...kept.map((r) => r.map(escapeCell)),
    ...(more > 0 ? [[`…and ${more} more`, "", "", "", ""]] : []),
  ]);
}

function changeTable(plan: ChangePlan): string | undefined {
  const trafficChange = (env: string) =>
    plan.changes.find(
      (c): c is Extract<PinChange, { kind: "traffic" }> => c.kind === "traffic" && c.env === env,
    );
  const trafficCell = (env: string) => {
    const t = trafficChange(env);
    if (t) return `${t.before ?? 0}% → ${t.after}%`;
    const now = plan.next.environments[env]?.traffic;
    return now === undefined ? "—" : `${now}%`;
  };
  const rows: string[][] = [];
  const covered = new Set<string>();
  for (const c of plan.changes) {
    if (c.kind !== "pin") continue;
    covered.add(c.env);
    rows.push([
      c.env,
      c.prompt,
      arrow(c.before?.version ?? "none", c.after?.version ?? "removed"),
      arrow(modelText(c.before), modelText(c.after)),
      trafficCell(c.env),
    ]);
  }
  for (const c of plan.changes) {
    if (c.kind !== "traffic" || covered.has(c.env)) continue;
    rows.push([c.env, "all prompts", "unchanged", "unchanged", trafficCell(c.env)]);
  }
  if (rows.length === 0) return undefined;
  return renderTable(rows);
}

function summarize(result: ReplyResult): Record<string, unknown> {
  const base = { outcome: result.outcome, actor: result.actor };
  switch (result.outcome) {
    case "applied":
    case "dry-run":
      return {
        ...base,
        action: result.plan.action,
        env: result.plan.env,
        changes: result.plan.changes,
        ...(result.outcome === "applied" && result.commit ? { commit: result.commit.sha } : {}),
        ...(result.plan.rollsBack ? { rollsBack: result.plan.rollsBack } : {}),
        skipped: result.plan.skipped,
        warnings: result.plan.warnings,
      };
    case "noop":
      return {
        ...base,
        action: result.plan.action,
        env: result.plan.env,
        message: result.plan.message,
      };
    case "refused":
      return { ...base, code: result.plan.code, reason: result.plan.reason };
    case "invalid":
      return {
        ...base,
        message: result.command.message,
        ...(result.command.suggestion ? { suggestion: result.command.suggestion } : {}),
      };
    case "denied":
      return { ...base, needed: result.decision.needed, seen: result.decision.seen };
    case "conflict":
      return { ...base, env: result.env, sha: result.entry.sha };
    case "failed":
      return {
        ...base,
        error: result.error,
        ...(result.failure && result.failure !== "not-applied" ? { failure: result.failure } : {}),
      };
  }
}

// ---------------------------------------------------------------------------------------------
// help and status, from the live files

function describeRule(rule: Rule): string {
  const parts = [
    ...(rule.minRole ? [`${rule.minRole} role or above`] : []),
    ...rule.teams.map((t) => `team ${t}`),
  ];
  return parts.length > 0 ? parts.join(", or ") : "admin role";
}

export function renderHelp(settings: Settings): string {
  const order = settings.rollout.order.join(" → ");
  const rules = settings.rollout.rules;
  const lines = [
    "**promptgate** moves prompt versions between environments by editing `environments.yaml`, one commit per change. Write the command as the first line of a comment; quoted, indented or fenced commands are ignored.",
    "",
    `- ${code(USAGE.rollback)}: go back to the previous good value (skipping values that were rolled back), or to a value the environment held before, named by version or commit. Never blocked by the rollout order, eval gates or a freeze. ${code(`/rollback ${CANARY}`)} sets ${CANARY} traffic to 0 and keeps its pins.`,
    ...USAGE.promote
      .split("\n")
      .map((form, i) =>
        i === 0
          ? `- ${code(form)}: copy the pins of one environment to the next one in the rollout order (${order}); the eval gate of each version must have passed.`
          : `- ${code(form)}: the share of production requests ${CANARY} serves, an integer from 0 to 100.`,
      ),
    `- ${code("/promptgate status [<env>]")}: what each environment pins now.`,
    `- ${code('/promptgate freeze <env> [--reason "…"]')}, ${code("/promptgate unfreeze <env>")}: stop and allow promotions.`,
    `- ${code("/promptgate help")}: this message.`,
    "",
    "Add " + code("--dry-run") + " to see what would change without committing.",
    "",
    "Who may run them (`promptgate.yaml` on the default branch):",
    `- rollback: ${describeRule(rules.rollback)}`,
    `- promote: ${describeRule(rules.promote)}`,
    `- promote to ${settings.rollout.production}: ${describeRule(rules.promoteProduction)}`,
    `- freeze and unfreeze: ${describeRule(rules.freeze)}`,
    `- ${code("--force")} (skip eval gates) and ${code("--force-order")}: admin role`,
    "- help and status: anyone who can comment",
  ];
  return fitReply(lines, { outcome: "help" });
}

export function renderStatus(
  environments: Environments,
  env?: string,
  history: readonly HistoryEntry[] = [],
): string {
  const names = Object.keys(environments.environments);
  if (env !== undefined && !environments.environments[env]) {
    return fitReply(
      [
        `**Not a known environment:** ${code(env)}; the environments are ${limitList(names.map(code)).join(", ")}.`,
      ],
      { outcome: "refused", code: "unknown-env" },
    );
  }
  const shown = env !== undefined ? [env] : names;
  const rows = listStatusRows(environments, shown);
  const out = [
    env !== undefined ? `**Status of ${env}**` : "**Status of every environment**",
    "",
    renderTable(rows),
  ];
  const changes = listLastChanges(history, shown);
  if (changes.length > 0) {
    out.push("", "Last changed:");
    const lines = changes.map(
      (c) =>
        `${c.env}: ${c.exact ? "since" : "at least since"} ${c.since}, by ${quoteActor(c.by)}, commit ${code(shortSha(c.sha))} (${quoteText(c.subject)})`,
    );
    out.push(...limitList(lines).map((l) => `- ${l}`));
  }
  const frozen = shown.filter((n) => environments.freezes[n]);
  if (frozen.length > 0) {
    out.push("", "Frozen (promotions wait, rollbacks still work):");
    const lines = frozen.map((n) => {
      const f = environments.freezes[n]!;
      return `${n}: by ${quoteActor(f.by)} since ${f.since}${f.reason ? `, ${quoteText(f.reason)}` : ""}`;
    });
    out.push(...limitList(lines).map((l) => `- ${l}`));
  }
  return fitReply(out, { outcome: "status", ...(env !== undefined ? { env } : {}) });
}
