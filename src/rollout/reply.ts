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
import { quoteActor, quoteText } from "./quote.js";

/**
 * The one reply comment per command. Every command named in a reply sits inside backticks and no
 * line starts with one, so quoting or copying the bot never triggers it; the last line is a hidden
 * machine-readable summary for scripts and tests.
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
  const lines = renderBody(result);
  return [...lines, "", hiddenLine(summarize(result))].join("\n");
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

function hiddenLine(data: Record<string, unknown>): string {
  // `<` and `>` escaped so no value can close the comment early.
  const json = JSON.stringify({ v: 1, ...data })
    .replace(/</g, "\\u003c")
    .replace(/>/g, "\\u003e");
  return `${RESULT_MARK}${json} -->`;
}

const code = (s: string) => `\`${s.replace(/`/g, "'")}\``;

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
      if (facts.length > 0) out.push("", ...facts);
      if (plan.skipped.length > 0) {
        out.push("", "Skipped on the way back:");
        for (const s of plan.skipped) {
          out.push(`- ${code(s.value)} (at ${code(shortSha(s.sha))}): ${s.why}`);
        }
      }
      if (plan.warnings.length > 0) {
        out.push("", "Warnings:", ...plan.warnings.map((w) => `- ${w}`));
      }
      if (dry) out.push("", `Run it without ${code("--dry-run")} to apply.`);
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
  return markdownTable([
    ["Environment", "Prompt", "Version", "Model", "Traffic"],
    ...rows.map((r) => r.map(escapeCell)),
  ]);
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
  return [
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
    "",
    hiddenLine({ outcome: "help" }),
  ].join("\n");
}

export function renderStatus(environments: Environments, env?: string): string {
  const names = Object.keys(environments.environments);
  if (env !== undefined && !environments.environments[env]) {
    return [
      `**Not a known environment:** ${code(env)}; the environments are ${names.map(code).join(", ")}.`,
      "",
      hiddenLine({ outcome: "refused", code: "unknown-env" }),
    ].join("\n");
  }
  const shown = env !== undefined ? [env] : names;
  const rows = listStatusRows(environments, shown);
  const out = [
    env !== undefined ? `**Status of ${env}**` : "**Status of every environment**",
    "",
    markdownTable([
      ["Environment", "Prompt", "Version", "Model", "Traffic"],
      ...rows.map((r) => r.map(escapeCell)),
    ]),
  ];
  const frozen = shown.filter((n) => environments.freezes[n]);
  if (frozen.length > 0) {
    out.push("", "Frozen (promotions wait, rollbacks still work):");
    for (const n of frozen) {
      const f = environments.freezes[n]!;
      out.push(
        `- ${n}: by ${quoteActor(f.by)} since ${f.since}${f.reason ? `, ${quoteText(f.reason)}` : ""}`,
      );
    }
  }
  out.push("", hiddenLine({ outcome: "status", ...(env !== undefined ? { env } : {}) }));
  return out.join("\n");
}
