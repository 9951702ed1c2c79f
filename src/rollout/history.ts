import { type Environments, type Pin, parseEnvironments } from "../formats/environments.js";
import { parseTrailers } from "./commit-message.js";
import { pinLabel, pinValue, samePin, shortSha } from "./pins.js";

/** One commit that touched `environments.yaml`, with the file as it was at that commit. */
export interface HistoryEntry {
  sha: string;
  environments: Environments;
  trailers: Record<string, string>;
  author: string;
  /** When the commit was made (committer date, ISO 8601): a rebase keeps the author's. */
  date: string;
  subject: string;
}

/** A commit of the environments file, as `git log` or GitHub's commits API tells it. */
export interface FileCommit {
  sha: string;
  /** The GitHub login when known, else the git author name. */
  author: string;
  /** Committer date, ISO 8601. */
  date: string;
  message: string;
}

/** The history entry of a commit whose file is already parsed (the bot's own commit). */
export function toHistoryEntry(commit: FileCommit, environments: Environments): HistoryEntry {
  return {
    sha: commit.sha,
    environments,
    trailers: parseTrailers(commit.message),
    author: commit.author,
    date: commit.date,
    subject: commit.message.split("\n")[0] ?? "",
  };
}

/**
 * The history entry of a commit from the file's text at that commit, or undefined when the file
 * does not parse (a hand edit gone wrong): such a commit can be neither a rollback target nor a
 * command's record. The bot (through the API) and the CLI (through git) both read history so.
 */
export function parseHistoryEntry(
  commit: FileCommit,
  text: string,
  path: string,
): HistoryEntry | undefined {
  let environments: Environments;
  try {
    environments = parseEnvironments(text, path);
  } catch {
    return undefined;
  }
  return toHistoryEntry(commit, environments);
}

export const TRAILERS = {
  action: "Promptgate-Action",
  env: "Promptgate-Env",
  actor: "Promptgate-Actor",
  commentId: "Promptgate-Comment-Id",
  commentUrl: "Promptgate-Comment-Url",
  reason: "Promptgate-Reason",
  rollsBack: "Promptgate-Rolls-Back",
  /** `<source>/<id>` of a monitoring signal: its idempotency key, as the comment id is a comment's. */
  signal: "Promptgate-Signal",
} as const;

export interface SkippedValue {
  /** `support-answer@v5` (with `+model` when pinned with one). */
  value: string;
  /** The commit where the environment held that value. */
  sha: string;
  why: string;
}

/** The commit of the file that a comment already produced: the idempotency check of the bot. */
export function findCommandCommit(
  history: readonly HistoryEntry[],
  commentId: string | number,
): HistoryEntry | undefined {
  const id = String(commentId);
  return history.find((h) => h.trailers[TRAILERS.commentId] === id);
}

const markKey = (prompt: string, pin: Pin) => `${prompt}\u0000${pinValue(pin)}`;

/**
 * Values of `env` that a rollback replaced, with the sha of that rollback. A commit with a
 * `Promptgate-Rolls-Back` trailer marks every pin it changed in `env` (its parent's value) as bad,
 * and so does the commit the trailer names, when the history still holds it.
 */
export function findRolledBackValues(
  history: readonly HistoryEntry[],
  env: string,
): Map<string, string> {
  const bad = new Map<string, string>();
  const mark = (from: Environments | undefined, to: Environments, rollbackSha: string) => {
    const before = from?.environments[env]?.prompts ?? {};
    const after = to.environments[env]?.prompts ?? {};
    for (const [prompt, pin] of Object.entries(before)) {
      const key = markKey(prompt, pin);
      if (!samePin(pin, after[prompt]) && !bad.has(key)) bad.set(key, rollbackSha);
    }
  };
  history.forEach((entry, i) => {
    const target = entry.trailers[TRAILERS.rollsBack]?.trim().toLowerCase();
    if (!target) return;
    mark(history[i + 1]?.environments, entry.environments, entry.sha);
    const named = history.find((h) => h.sha.toLowerCase().startsWith(target));
    if (named && named !== entry) mark(named.environments, entry.environments, entry.sha);
  });
  return bad;
}

export function isRolledBack(
  bad: Map<string, string>,
  prompt: string,
  pin: Pin,
): string | undefined {
  return bad.get(markKey(prompt, pin));
}

export interface WalkInput {
  history: readonly HistoryEntry[];
  env: string;
  /** The current pins of the prompts the rollback moves. */
  current: Record<string, Pin>;
  /** Whether `prompts/<prompt>/<version>.prompt` still exists. */
  exists: (prompt: string, version: string) => boolean;
  promptsDir: string;
}

export interface WalkResult {
  /** The pins to move to (only those that differ from the current ones), and where they come from. */
  target?: { entry: HistoryEntry; pins: Record<string, Pin>; unpinned: string[] };
  skipped: SkippedValue[];
  /** The newest commit of the leading run that already held the current pins: what is undone. */
  introducedBy?: string;
}

/**
 * The previous good state of some prompts of an environment: walk newest first and take the first
 * state that differs from the current one and holds no value a rollback replaced, so
 * good → bad1 → rollback → bad2 → rollback lands on good, never on bad1.
 */
export function findPreviousGood(input: WalkInput): WalkResult {
  const { history, env, current, exists, promptsDir } = input;
  const prompts = Object.keys(current);
  const bad = findRolledBackValues(history, env);
  const skipped: SkippedValue[] = [];
  const seen = new Set<string>();
  const skip = (value: string, sha: string, why: string) => {
    if (seen.has(value)) return;
    seen.add(value);
    skipped.push({ value, sha, why });
  };

  let introducedBy: string | undefined;
  let leading = true;
  for (const [i, entry] of history.entries()) {
    const state = entry.environments.environments[env]?.prompts ?? {};
    if (leading) {
      if (prompts.every((p) => samePin(state[p], current[p]))) continue;
      leading = false;
      introducedBy = history[i - 1]?.sha;
    }
    const moves: Record<string, Pin> = {};
    const unpinned: string[] = [];
    for (const p of prompts) {
      const pin = state[p];
      if (!pin) unpinned.push(p);
      else if (!samePin(pin, current[p])) moves[p] = pin;
    }
    const moved = Object.entries(moves);
    if (moved.length === 0) continue;

    let usable = true;
    for (const [p, pin] of moved) {
      const rolledBackIn = isRolledBack(bad, p, pin);
      if (rolledBackIn) {
        skip(pinLabel(p, pin), entry.sha, `rolled back in ${shortSha(rolledBackIn)}`);
        usable = false;
      } else if (!exists(p, pin.version)) {
        skip(
          pinLabel(p, pin),
          entry.sha,
          `${promptsDir}/${p}/${pin.version}.prompt no longer exists`,
        );
        usable = false;
      }
    }
    if (usable) return { target: { entry, pins: moves, unpinned }, skipped, introducedBy };
  }
  return { skipped, introducedBy };
}

/** The newest commit of the leading run of history in which `env` already had `current`. */
export function findIntroducingCommit(
  history: readonly HistoryEntry[],
  same: (envs: Environments) => boolean,
): string | undefined {
  let last: string | undefined;
  for (const entry of history) {
    if (!same(entry.environments)) return last;
    last = entry.sha;
  }
  return last;
}

/**
 * Up to `limit` values `env` held for `prompt`, newest first, that were not rolled back from,
 * still exist, and differ from the current one: what an unknown-version reply offers instead.
 */
export function listRecentGoodValues(
  history: readonly HistoryEntry[],
  env: string,
  prompt: string,
  current: Pin | undefined,
  exists: (prompt: string, version: string) => boolean,
  limit = 5,
): Pin[] {
  const bad = findRolledBackValues(history, env);
  const out: Pin[] = [];
  for (const entry of history) {
    const pin = entry.environments.environments[env]?.prompts[prompt];
    if (!pin || samePin(pin, current) || out.some((p) => samePin(p, pin))) continue;
    if (isRolledBack(bad, prompt, pin) || !exists(prompt, pin.version)) continue;
    out.push(pin);
    if (out.length === limit) break;
  }
  return out;
}
