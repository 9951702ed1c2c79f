import { z } from "zod";
import { type Environments, NAME_PATTERN } from "../formats/environments.js";
import type { Settings } from "../formats/settings.js";
import { CANARY, formatCommand, type RollbackCommand } from "./command.js";
import { isSameServing } from "./conflicts.js";
import { type HistoryEntry, TRAILERS } from "./history.js";
import { shortSha } from "./pins.js";
import { quoteActor, quoteText } from "./quote.js";

/**
 * Rollback on an alert: monitoring sends a `repository_dispatch` of type `promptgate-signal`, and
 * when `auto-rollback` in promptgate.yaml (default branch) lets that environment and metric act,
 * the bot runs the `/rollback` a person on call would type, through the same plan, commit and
 * audit trail. Everything here is pure: the bot (bot/handle-signal.ts) owns the I/O.
 */

/** The `event_type` monitoring sends. */
export const SIGNAL_EVENT = "promptgate-signal";
/** The label of the issue where signals are recorded, one issue per environment. */
export const SIGNAL_LABEL = "promptgate-signal";

/**
 * Ids and sources end up in a commit trailer, an issue marker and log lines: a small alphabet
 * keeps all three one line and unambiguous (`source/id` is split nowhere, but must read back).
 */
const TOKEN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$/;

const signalSchema = z.strictObject({
  id: z
    .union([z.string(), z.number().int().nonnegative()])
    .transform(String)
    .pipe(z.string().regex(TOKEN)),
  environment: z.string().regex(NAME_PATTERN),
  prompt: z.string().regex(NAME_PATTERN).optional(),
  metric: z.string().regex(TOKEN),
  value: z.union([z.number(), z.string().max(100)]).optional(),
  source: z.string().regex(TOKEN),
  link: z
    .url({ protocol: /^https?$/ })
    .max(2000)
    .optional(),
  /** When the alert fired: a change that landed after it was not what the alert was about. */
  at: z.iso.datetime({ offset: true }).optional(),
});

export type Signal = z.output<typeof signalSchema>;

export type ParsedSignal = { ok: true; signal: Signal } | { ok: false; problem: string };

/** The `client_payload` of a `promptgate-signal` dispatch, checked strictly: it commits. */
export function parseSignal(clientPayload: unknown): ParsedSignal {
  const parsed = signalSchema.safeParse(clientPayload ?? {});
  if (parsed.success) return { ok: true, signal: parsed.data };
  const problem = parsed.error.issues
    .slice(0, 5)
    .map((i) => `${i.path.join(".") || "client_payload"}: ${i.message}`)
    .join("; ");
  return { ok: false, problem };
}

/** The idempotency key, recorded as the `Promptgate-Signal` trailer: `grafana/alert-123`. */
export function signalKey(signal: Signal): string {
  return `${signal.source}/${signal.id}`;
}

/**
 * Who the audit trail names as the requester. Never a bare login: `grafana` would mention
 * whoever owns that account, and no login has a colon.
 */
export function signalActor(signal: Signal): string {
  return `signal:${signal.source}`;
}

/** The commit a signal already produced: the idempotency check, as comments have theirs. */
export function findSignalCommit(
  history: readonly HistoryEntry[],
  key: string,
): HistoryEntry | undefined {
  return history.find((h) => h.trailers[TRAILERS.signal] === key);
}

export type SignalRefusalCode =
  | "not-configured"
  | "environment-not-allowed"
  | "metric-not-allowed"
  | "unknown-environment"
  | "unknown-prompt"
  | "cooldown";

export type SignalDecision =
  | { allowed: true; command: RollbackCommand }
  | { allowed: false; code: SignalRefusalCode; reason: string; hint: string };

/**
 * Two alerts about one bad version (error rate, then thumbs-down rate) arrive minutes apart; the
 * first rolls back. A second alert that says when it fired (`at`) is judged by that: a change
 * after it stops it (executeCommand). One without `at` could be about the version just rolled
 * back from, and a second rollback would take production further back than anyone asked: within
 * `auto-rollback.cooldown-minutes` of a rollback of its environment, it does not act. A
 * redelivery of the signal that rolled back is left to the idempotency check, which answers it.
 */
export function checkSignalCooldown(
  signal: Signal,
  settings: Pick<Settings, "autoRollback">,
  history: readonly HistoryEntry[],
  now: number,
): Extract<SignalDecision, { allowed: false }> | undefined {
  const minutes = settings.autoRollback?.cooldownMinutes ?? 0;
  if (signal.at !== undefined || minutes === 0) return undefined;
  if (findSignalCommit(history, signalKey(signal))) return undefined;
  const env = signal.environment;
  for (let i = 0; i + 1 < history.length; i++) {
    const entry = history[i]!;
    const at = Date.parse(entry.date);
    if (Number.isNaN(at) || now - at > minutes * 60_000) continue;
    if (entry.trailers[TRAILERS.action] !== "rollback") continue;
    if (isSameServing(history[i + 1]!.environments, entry.environments, [env])) continue;
    const ago = Math.max(0, Math.round((now - at) / 60_000));
    const by = entry.trailers[TRAILERS.actor] ?? entry.author;
    return {
      allowed: false,
      code: "cooldown",
      reason: `${env} was rolled back ${ago === 0 ? "less than a minute" : `${ago} min`} ago (commit ${shortSha(entry.sha)}, by ${quoteActor(by)}), and a signal without \`at\` does not roll back again within ${minutes} min of that: it may be about the version already rolled back from`,
      hint: `send \`at\` (when the alert fired) with each signal, so that an alert which fired after the rollback can act, or roll back by hand with \`/rollback ${env}\``,
    };
  }
  return undefined;
}

/**
 * Whether the base's `auto-rollback` lets this signal act, and the command it runs. On canary a
 * signal stops the canary (traffic 0, pins kept), whatever prompt it names: that is what
 * `/rollback canary` does, and what an alert about a canary asks for.
 */
export function decideSignal(
  signal: Signal,
  settings: Settings,
  environments: Environments,
): SignalDecision {
  const rule = settings.autoRollback;
  const env = signal.environment;
  // First: a name the repository does not have is only logged (handle-signal.ts), so that no
  // sender can open an issue per made-up environment.
  const pins = environments.environments[env];
  if (!pins) {
    return {
      allowed: false,
      code: "unknown-environment",
      reason: `environments.yaml has no environment ${env}`,
      hint: `environments: ${Object.keys(environments.environments).join(", ") || "none"}`,
    };
  }
  const configure = `add \`auto-rollback: { environments: [${env}], metrics: [${signal.metric}] }\` to promptgate.yaml on the default branch`;
  if (!rule) {
    return {
      allowed: false,
      code: "not-configured",
      reason: "promptgate.yaml sets no `auto-rollback`, so no signal may roll back",
      hint: configure,
    };
  }
  if (!rule.environments.includes(env)) {
    return {
      allowed: false,
      code: "environment-not-allowed",
      reason: `auto-rollback.environments (${rule.environments.join(", ")}) does not name ${env}`,
      hint: configure,
    };
  }
  if (!rule.metrics.includes(signal.metric)) {
    return {
      allowed: false,
      code: "metric-not-allowed",
      reason: `auto-rollback.metrics (${rule.metrics.join(", ")}) does not name ${quoteText(signal.metric)}`,
      hint: configure,
    };
  }
  const stopsCanary = env === CANARY;
  if (!stopsCanary && signal.prompt !== undefined && !pins.prompts[signal.prompt]) {
    return {
      allowed: false,
      code: "unknown-prompt",
      reason: `${env} pins no prompt ${quoteText(signal.prompt)}`,
      hint: `${env} pins: ${Object.keys(pins.prompts).join(", ") || "none"}`,
    };
  }
  return {
    allowed: true,
    command: {
      kind: "rollback",
      env,
      ...(!stopsCanary && signal.prompt !== undefined ? { prompt: signal.prompt } : {}),
      target: { kind: "previous" },
      dryRun: false,
      reason: describeSignal(signal),
    },
  };
}

/** One line: `error-rate = 0.12 (grafana alert a-1, https://…)`, the commit's reason. */
export function describeSignal(signal: Signal): string {
  const value = signal.value === undefined ? "" : ` = ${signal.value}`;
  const link = signal.link ? `, ${signal.link}` : "";
  return `${signal.metric}${value} (${signal.source} alert ${signal.id}${link})`;
}

/** The hidden first line of the environment's signal issue: how it is found again. */
export function signalIssueMarker(env: string): string {
  return `<!-- promptgate:signal-issue ${env} -->`;
}

/** The hidden line that says a signal is recorded on the issue: a redelivery records nothing twice. */
export function signalRecordMarker(signal: Signal): string {
  return `<!-- promptgate:signal ${signalKey(signal)} -->`;
}

export function signalIssueTitle(env: string): string {
  return `promptgate: monitoring signals for ${env}`;
}

/**
 * What the issue says about one signal: what arrived, what the bot did (the `/rollback` reply it
 * would have posted, with the before → after table, the commit, the deployment and the command
 * that undoes it), and the record marker last.
 */
export function renderSignalRecord(input: {
  signal: Signal;
  /** The reply body of the rollback, when one was run. */
  reply?: string;
  /** Why nothing was run: the decision's refusal. */
  ignored?: Extract<SignalDecision, { allowed: false }>;
  command?: RollbackCommand;
}): string {
  const { signal } = input;
  const lines = [
    `### ${input.ignored ? "Signal ignored" : "Signal"}: ${quoteText(signal.metric)}${signal.value === undefined ? "" : ` = ${quoteText(String(signal.value))}`} on ${signal.environment}${signal.prompt ? ` (${quoteText(signal.prompt)})` : ""}`,
    "",
    `- **From:** ${quoteText(signal.source)}, alert ${quoteText(signal.id)}${signal.link ? ` — [alert](${signal.link})` : ""}${signal.at ? `, fired ${signal.at}` : ""}`,
  ];
  if (input.command) {
    const { reason: _reason, ...bare } = input.command;
    lines.push(`- **Ran:** ${quoteText(formatCommand(bare))}`);
  }
  if (input.ignored) {
    lines.push(
      `- **Nothing changed:** ${input.ignored.reason}.`,
      `- **To let such signals act:** ${input.ignored.hint}.`,
    );
  }
  if (input.reply) lines.push("", input.reply.trim());
  lines.push("", signalRecordMarker(signal));
  return lines.join("\n");
}
