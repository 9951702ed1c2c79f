import { TRAILERS } from "./history.js";
import { shortSha } from "./pins.js";
import type { ChangePlan, PlanAction } from "./plan.js";

/**
 * One commit per change; `git log` is the audit log. The trailers are what the bot reads back:
 * `Promptgate-Comment-Id` for idempotency, `Promptgate-Rolls-Back` for the rollback walk.
 */
export interface CommitMeta {
  action: PlanAction;
  env: string;
  actor: string;
  /**
   * Whether `actor` is a GitHub login (the bot's, `--actor`, `$GITHUB_ACTOR`); git's user.name
   * is not, and `@Jane Doe` would mention whoever owns the login `Jane`. Default true.
   */
  actorIsLogin?: boolean;
  commentId?: string | number;
  commentUrl?: string;
  reason?: string;
  /** A monitoring signal's `<source>/<id>`, when a signal and not a comment asked for the change. */
  signal?: string;
}

/** Trailer values are one line; a reason typed with newlines or odd spacing is folded. */
function oneLine(s: string): string {
  return s.replace(/\s+/g, " ").trim();
}

export function formatCommitMessage(plan: ChangePlan, meta: CommitMeta): string {
  const body: string[] = [];
  const who = meta.actorIsLogin === false ? meta.actor : `@${meta.actor}`;
  body.push(meta.commentUrl ? `Requested by ${who} in ${meta.commentUrl}` : `Requested by ${who}`);
  if (meta.reason) body.push(`Reason: ${oneLine(meta.reason)}`);
  if (plan.bypassedFreeze)
    body.push(`Freeze of ${plan.env} bypassed: a rollback is never blocked.`);
  if (plan.forcedGates?.length) {
    body.push(`Eval gate overridden with --force: ${plan.forcedGates.join(", ")}`);
  }
  for (const s of plan.skipped) body.push(`Skipped ${s.value} (${shortSha(s.sha)}): ${s.why}`);

  const trailers: [string, string][] = [
    [TRAILERS.action, meta.action],
    [TRAILERS.env, meta.env],
    [TRAILERS.actor, meta.actor],
  ];
  if (meta.commentId !== undefined) trailers.push([TRAILERS.commentId, String(meta.commentId)]);
  if (meta.commentUrl) trailers.push([TRAILERS.commentUrl, meta.commentUrl]);
  if (meta.signal) trailers.push([TRAILERS.signal, meta.signal]);
  if (meta.reason && oneLine(meta.reason)) trailers.push([TRAILERS.reason, oneLine(meta.reason)]);
  if (plan.rollsBack) trailers.push([TRAILERS.rollsBack, plan.rollsBack]);

  return [
    oneLine(plan.summary),
    "",
    body.join("\n"),
    "",
    trailers.map(([k, v]) => `${k}: ${oneLine(v)}`).join("\n"),
    "",
  ].join("\n");
}

const TRAILER_LINE = /^([A-Za-z0-9][A-Za-z0-9-]*)\s*:\s?(.*)$/;

/**
 * The trailers of a commit message: its last paragraph, when every line of it is a `Key: value`
 * trailer or an indented continuation (git's rule for a block written by tools). Keys keep
 * their spelling; a repeated key keeps its first value.
 */
export function parseTrailers(message: string): Record<string, string> {
  const paragraphs = message
    .replace(/\r\n/g, "\n")
    .trim()
    .split(/\n\s*\n/);
  if (paragraphs.length < 2) return {};
  const last = paragraphs[paragraphs.length - 1]!.split("\n");
  const out: Record<string, string> = {};
  let key: string | undefined;
  let started = false;
  for (const line of last) {
    if (/^\s/.test(line) && started) {
      if (key !== undefined) out[key] = `${out[key] ?? ""} ${line.trim()}`.trim();
      continue;
    }
    const m = TRAILER_LINE.exec(line);
    if (!m) return {};
    started = true;
    const k = m[1]!;
    key = k in out ? undefined : k;
    if (key !== undefined) out[key] = m[2]!.trim();
  }
  return out;
}
