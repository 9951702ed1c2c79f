import { isSameState } from "./conflicts.js";
import { type HistoryEntry, TRAILERS } from "./history.js";

/**
 * Since when an environment serves what it serves, who changed it and in which commit: the first
 * things an on-call engineer asks before touching it. Read from the environments file's history,
 * newest first; the bot's `/promptgate status` and the CLI's `promptgate status` both show it.
 */
export interface LastChange {
  env: string;
  /** The commit's date (ISO 8601). */
  since: string;
  /** The command's actor (`Promptgate-Actor`), else the commit's author. */
  by: string;
  sha: string;
  subject: string;
  /** False when the history read ends before the change: it is "at least since". */
  exact: boolean;
}

export function listLastChanges(
  history: readonly HistoryEntry[],
  names: readonly string[],
): LastChange[] {
  const out: LastChange[] = [];
  for (const env of names) {
    for (let i = 0; i < history.length; i++) {
      const entry = history[i]!;
      const parent = history[i + 1];
      if (parent && isSameState(entry.environments, parent.environments, [env])) continue;
      out.push({
        env,
        since: entry.date,
        by: entry.trailers[TRAILERS.actor] ?? entry.author,
        sha: entry.sha,
        subject: entry.subject,
        exact: parent !== undefined,
      });
      break;
    }
  }
  return out;
}
