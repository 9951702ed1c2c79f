import { GITHUB_LOGIN_PATTERN } from "../formats/settings.js";
import { code } from "../report/escape.js";
import type { GateState } from "./eval-gates.js";
import type { ChangePlan, Plan } from "./plan.js";

/**
 * Who may pass an eval gate. Anyone with write access can post a commit status of any context,
 * `promptgate: <prompt>@<version>` included, so the status is believed only from the identity
 * that runs the action (`rollout.gate-creator`: `github-actions[bot]`, or an app's
 * `<slug>[bot]`). Everything else posted under the gate's name is ignored, and said so.
 */

/** One verdict posted under a gate's name on a commit: a commit status or a check run. */
export interface PostedGate {
  kind: "status" | "check run";
  state: GateState;
  /** The status's `creator.login`, or `<app slug>[bot]` for a check run; absent: a deleted account. */
  creator: string | undefined;
  /** Where the run that posted it is (`target_url`, a check run's `html_url`): "wait for the run". */
  url?: string;
}

/** A verdict that was not believed, for the reply: `support-answer@v5`, a success by @mallory. */
export interface IgnoredGate extends PostedGate {
  gate: string;
}

export function isTrustedCreator(creator: string | undefined, trusted: string): boolean {
  return creator !== undefined && creator.toLowerCase() === trusted.toLowerCase();
}

/**
 * The gate's state from what was posted under its name, newest first: the newest verdict of the
 * trusted identity decides (so its failure blocks until it posts a newer success), and every
 * verdict of anyone else newer than that one is ignored and returned to be named. Nothing from
 * the trusted identity: "missing", whatever the others said (fail closed).
 */
export function decideTrustedGate(
  newestFirst: readonly PostedGate[],
  trusted: string,
): { state: GateState; ignored: PostedGate[]; url?: string } {
  const at = newestFirst.findIndex((p) => isTrustedCreator(p.creator, trusted));
  const ignored = (at < 0 ? newestFirst : newestFirst.slice(0, at)).filter(
    (p) => !isTrustedCreator(p.creator, trusted),
  );
  const url = at < 0 ? undefined : newestFirst[at]!.url;
  return { state: at < 0 ? "missing" : newestFirst[at]!.state, ignored, ...(url ? { url } : {}) };
}

/** "`promptgate: a@v5`: a success by @mallory was ignored: only github-actions[bot] can pass a gate" */
export function describeIgnoredGate(ignored: IgnoredGate, trusted: string): string {
  const what = ignored.kind === "status" ? "" : ` (${ignored.kind})`;
  const creator = ignored.creator ?? "ghost";
  const by = GITHUB_LOGIN_PATTERN.test(creator) ? `@${creator}` : code(creator);
  const only = GITHUB_LOGIN_PATTERN.test(trusted) ? trusted : code(trusted);
  return `${code(ignored.gate)}: a ${ignored.state}${what} by ${by} was ignored: only ${only} can pass a gate`;
}

/**
 * Names the ignored verdicts in what the reply shows: a refusal's reason, or the warnings of a
 * change that goes ahead (a trusted success stands over a later untrusted failure, or `--force`).
 */
export function noteIgnoredGates<P extends Plan>(
  plan: P,
  ignored: readonly IgnoredGate[],
  trusted: string,
): P {
  if (ignored.length === 0) return plan;
  const notes = [...new Set(ignored.map((i) => describeIgnoredGate(i, trusted)))];
  if (plan.kind === "refused") return { ...plan, reason: `${plan.reason}; ${notes.join("; ")}` };
  if (plan.kind === "change") {
    const change: ChangePlan = plan;
    return { ...change, warnings: [...change.warnings, ...notes] } as P;
  }
  return plan;
}
