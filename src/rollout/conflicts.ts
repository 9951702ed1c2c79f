import type { Environments } from "../formats/environments.js";
import { type ActionCommand, CANARY } from "./command.js";
import type { HistoryEntry } from "./history.js";
import { samePin } from "./pins.js";
import type { ChangePlan } from "./plan.js";

/**
 * The race rule (bot.md § Races): a command applies only to what its author saw. Two people typing
 * `/rollback production` seconds apart must give one rollback, not two, however late either
 * command is handled; and a compare-and-swap lost to a change of another environment is retried.
 */

/**
 * How long before a command was posted a change to its environment still counts as unseen by the
 * command's author. Git and GitHub keep whole seconds, so a change dated the comment's own second
 * may have landed after it; and nobody reads the bot's reply and types a new command within a few
 * seconds. Erring this way is cheap: a conflict reply is safe to retry, a second rollback on top
 * of the first one is not.
 */
export const UNSEEN_MARGIN_S = 5;
/** How far past the handling time a commit's date may lie and still be believed (clock skew). */
export const FUTURE_DATE_TOLERANCE_S = 120;

/** The environments a plan writes, for the compare-and-swap check after a conflict. */
export function listTouchedEnvironments(plan: ChangePlan): string[] {
  return [...new Set([plan.env, ...plan.changes.map((c) => c.env)])];
}

/** The environments whose pins or traffic the command sets; a freeze changes neither. */
export function listChangedEnvironments(command: ActionCommand): string[] {
  switch (command.kind) {
    case "rollback":
      return [command.env];
    case "promote":
      return [command.to];
    case "canary-traffic":
      return [CANARY];
    case "freeze":
    case "unfreeze":
      return [];
  }
}

/** Whether `envs` still holds what the actor saw in the environments a plan touches. */
export function isSameState(
  a: Environments,
  b: Environments,
  envNames: readonly string[],
): boolean {
  return (
    isSameServing(a, b, envNames) &&
    envNames.every((env) => (a.freezes[env] === undefined) === (b.freezes[env] === undefined))
  );
}

/** Whether the environments serve the same: pins and traffic, freezes aside. */
export function isSameServing(
  a: Environments,
  b: Environments,
  envNames: readonly string[],
): boolean {
  return envNames.every((env) => {
    const x = a.environments[env];
    const y = b.environments[env];
    if (!x || !y) return !x && !y;
    if ((x.traffic ?? null) !== (y.traffic ?? null)) return false;
    const prompts = new Set([...Object.keys(x.prompts), ...Object.keys(y.prompts)]);
    for (const p of prompts) if (!samePin(x.prompts[p], y.prompts[p])) return false;
    return true;
  });
}

/**
 * The newest commit that changed what one of `envs` serves (a freeze is no such change: a
 * rollback ignores it and a promotion re-checks it) and that the command's author cannot have
 * seen: dated after `postedAt`, in its second, or less than `UNSEEN_MARGIN_S` before it.
 *
 * A hand-pushed commit carries its committer's clock, so every entry read is looked at (one
 * dated in the past must not hide a newer one under it), and a date later than
 * `FUTURE_DATE_TOLERANCE_S` past the handling time is ignored: it would otherwise stop every
 * command on that environment until the clock caught up.
 */
export function findChangeSince(
  history: readonly HistoryEntry[],
  postedAt: string | undefined,
  envs: readonly string[],
  handledAt: number,
): { env: string; entry: HistoryEntry } | undefined {
  const posted = postedAt === undefined ? Number.NaN : Date.parse(postedAt);
  if (Number.isNaN(posted)) return undefined;
  const seenBefore = posted - UNSEEN_MARGIN_S * 1000;
  const latest = handledAt + FUTURE_DATE_TOLERANCE_S * 1000;
  for (let i = 0; i + 1 < history.length; i++) {
    const entry = history[i]!;
    const at = Date.parse(entry.date);
    if (Number.isNaN(at) || at < seenBefore || at > latest) continue;
    const parent = history[i + 1]!;
    const env = envs.find((e) => !isSameServing(parent.environments, entry.environments, [e]));
    if (env !== undefined) return { env, entry };
  }
  return undefined;
}

/**
 * The newest commit that changed `env` (pins, traffic or freeze): who to name in "production
 * changed while …". The oldest entry read when none of them did; `history` must not be empty.
 */
export function findLastChange(history: readonly HistoryEntry[], env: string): HistoryEntry {
  for (let i = 0; i < history.length; i++) {
    const parent = history[i + 1];
    if (!parent || !isSameState(history[i]!.environments, parent.environments, [env])) {
      return history[i]!;
    }
  }
  return history[0]!;
}
