import { diffEnvironments } from "../compare/change-environments.js";
import type { EnvironmentChange } from "../compare/change-types.js";
import type { Environments } from "../formats/environments.js";
import type { ActionCommand } from "./command.js";
import { listChangedEnvironments, UNSEEN_MARGIN_S } from "./conflicts.js";
import { type HistoryEntry, TRAILERS } from "./history.js";
import { shortSha } from "./pins.js";
import type { ChangePlan, PinChange, PlanAction } from "./plan.js";
import type { ReplyResult } from "./reply.js";

/**
 * A redelivered comment whose commit exists but whose reply never got posted (the process died,
 * or GitHub failed after the commit): the reply is rebuilt from the commit and posted late, once.
 */

/**
 * How long after its commit a command's first delivery may still be busy posting its reply
 * (deployment, dispatch and the reply itself, each with timeouts and retries). A redelivery within
 * it that finds the 👀 of another delivery leaves the reply to that one.
 */
export const REPLY_GRACE_S = 120;

/**
 * Whether a redelivery should look for the bot's reply about `commitDate`'s commit, and from when:
 * not while another delivery (whose 👀 this one did not add) may still be posting it.
 */
export function planLateReplyCheck(input: {
  commitDate: string;
  /** When the redelivery is handled, in ms. */
  now: number;
  /** This delivery added the 👀: no other one is at work on the comment. */
  addedEyes: boolean;
}): { look: false } | { look: true; since?: string } {
  const committed = Date.parse(input.commitDate);
  const recent = Number.isNaN(committed) || input.now - committed < REPLY_GRACE_S * 1000;
  if (recent && !input.addedEyes) return { look: false };
  if (Number.isNaN(committed)) return { look: true };
  const since = new Date(committed - UNSEEN_MARGIN_S * 1000).toISOString();
  return { look: true, since: since.replace(/\.\d{3}Z$/, "Z") };
}

/** The applied reply of a command whose commit exists, rebuilt from the commit and its parent. */
export function rebuildLateReply(input: {
  command: ActionCommand;
  commit: HistoryEntry;
  /** Newest first, holding `commit`; its parent is the entry after it. */
  history: readonly HistoryEntry[];
  actor: string;
  /** `https://github.com/acme/prompts`, for the commit link. */
  repoUrl: string | undefined;
}): Extract<ReplyResult, { outcome: "applied" }> {
  const { command, commit, history, actor, repoUrl } = input;
  const parent = history[history.indexOf(commit) + 1];
  const changes = parent
    ? toPinChanges(
        diffEnvironments(parent.environments, commit.environments),
        parent.environments,
        commit.environments,
      )
    : [];
  const action = (commit.trailers[TRAILERS.action] ?? command.kind) as PlanAction;
  const rollsBack = commit.trailers[TRAILERS.rollsBack];
  const plan: ChangePlan = {
    kind: "change",
    action: command.kind === "canary-traffic" ? "traffic" : action,
    env: commit.trailers[TRAILERS.env] ?? listChangedEnvironments(command)[0] ?? "",
    next: commit.environments,
    changes,
    summary: commit.subject,
    ...(rollsBack ? { rollsBack } : {}),
    skipped: [],
    warnings: [
      `this reply comes late: the change was committed in ${shortSha(commit.sha)} when the comment was first delivered, and that delivery did not reply`,
    ],
  };
  return {
    outcome: "applied",
    actor,
    command,
    plan,
    commit: { sha: commit.sha, ...(repoUrl ? { url: `${repoUrl}/commit/${commit.sha}` } : {}) },
  };
}

/**
 * The changes of `environments.yaml` (see {@link diffEnvironments}) as a plan states them: a
 * command never adds or removes an environment, nor removes a traffic share, so those are left out.
 */
export function toPinChanges(
  changes: readonly EnvironmentChange[],
  before: Environments,
  after: Environments,
): PinChange[] {
  const out: PinChange[] = [];
  for (const c of changes) {
    switch (c.kind) {
      case "pin":
        out.push({ kind: "pin", env: c.env, prompt: c.prompt, before: c.before, after: c.after });
        break;
      case "traffic":
        if (c.after !== null) out.push({ ...c, after: c.after });
        break;
      case "freeze":
        out.push({
          kind: "freeze",
          env: c.env,
          before: before.freezes[c.env] ?? null,
          after: after.freezes[c.env] ?? null,
        });
        break;
      case "environment":
        break;
    }
  }
  return out;
}
