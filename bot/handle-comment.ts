import type { GitHubRequest } from "../src/io/github/client.js";
import { findReplyAbout, postComment } from "../src/io/github/comments.js";
import { describeApiFailure } from "../src/io/github/errors.js";
import { addReaction, type Reaction, removeReaction } from "../src/io/github/reactions.js";
import { readHistory, readSnapshot } from "../src/io/github/snapshot.js";
import {
  type HistoryEntry,
  type ParsedCommand,
  parseCommand,
  planLateReplyCheck,
  renderHelp,
  renderStatus,
} from "../src/rollout/index.js";
import {
  type BotLog,
  type CommandEvent,
  executeCommand,
  failure,
  type HandleOutcome,
  type HandlerDeps,
  NOOP_LOG,
  type Result,
  reply,
} from "./execute-command.js";

/**
 * The bot's one comment handler: an `issue_comment` event in, at most one commit and one reply
 * out. Probot and the Actions entry both call it. It owns what is a comment's own (the 👀 and the
 * final reaction, help and status, the reply a redelivery never got) and the single error
 * boundary, so any failure becomes a reply saying what was (not) applied; a change itself runs
 * through execute-command.ts, the path a monitoring signal takes too.
 */

/** The fields of an `issue_comment` webhook payload the bot reads. */
export interface IssueCommentPayload {
  action: string;
  comment: {
    id: number;
    body: string;
    html_url: string;
    /** When the command was posted: what the environment held then is what its author saw. */
    created_at?: string;
    user: { login: string; type?: string } | null;
  };
  issue: { number: number; locked?: boolean };
  repository: {
    name: string;
    owner: { login: string };
    default_branch: string;
    html_url?: string;
  };
  sender: { login: string; type?: string };
}

export interface HandleResult {
  outcome: HandleOutcome;
  /** The command's comment; absent when the event was ignored before reading it. */
  commentId?: number;
  reaction?: Reaction;
  reply?: { id: number; url: string; body: string };
  commitSha?: string;
}

interface CommentEvent extends CommandEvent {
  issueNumber: number;
  commentId: number;
  commentUrl: string;
  body: string;
}

export async function handleIssueComment(
  payload: IssueCommentPayload,
  deps: HandlerDeps,
): Promise<HandleResult> {
  const event = readEvent(payload);
  if (!event) return { outcome: "ignored", commentId: payload.comment.id };
  const command = parseCommand(event.body);
  if (command.kind === "none") return { outcome: "ignored", commentId: event.commentId };

  const { octokit } = deps;
  const log = deps.log ?? NOOP_LOG;
  // At once, and without waiting for it: the reader sees the bot is on it.
  const eyes = addReaction(octokit, event.repo, event.commentId, "eyes").catch((e: unknown) => {
    log.warn("could not add the 👀 reaction", { error: describeApiFailure(e) });
    return undefined;
  });

  let result: Result;
  try {
    result = await runCommand(command, event, deps);
  } catch (e) {
    result = failure(e, command, event.actor, log);
  }

  const seen = await eyes;
  if (result.kind === "redelivered") {
    const late = await needsLateReply(result.commit, event, deps, seen).catch((e: unknown) => {
      // Unsure whether it replied: a second reply is worse than a missing one here.
      log.warn("could not check for the reply of a redelivered comment", {
        error: describeApiFailure(e),
      });
      return false;
    });
    if (late)
      log.info("redelivered comment: posting the reply it never got", { comment: event.commentId });
    result = late ? result.reply : { kind: "silent" };
  }
  if (result.kind === "silent") {
    // Another delivery of this comment did the work; only tidy the 👀 this one added.
    if (seen?.created)
      await removeReaction(octokit, event.repo, event.commentId, seen.id).catch(() => {});
    log.info("duplicate delivery: already applied", { comment: event.commentId });
    return { outcome: "duplicate", commentId: event.commentId };
  }

  let reply: HandleResult["reply"];
  try {
    const posted = await postComment(octokit, event.repo, event.issueNumber, result.body);
    reply = { ...posted, body: result.body };
  } catch (e) {
    log.error("could not post the reply", { error: describeApiFailure(e) });
  }
  await swapReaction(octokit, event, seen?.id, result.reaction, log);
  log.info("command handled", {
    outcome: result.outcome,
    comment: event.commentId,
    ...(result.commitSha ? { commit: result.commitSha } : {}),
  });
  return {
    outcome: result.outcome,
    commentId: event.commentId,
    reaction: result.reaction,
    ...(reply ? { reply } : {}),
    ...(result.commitSha ? { commitSha: result.commitSha } : {}),
  };
}

function readEvent(payload: IssueCommentPayload): CommentEvent | undefined {
  if (payload.action !== "created") return undefined;
  const user = payload.comment.user;
  // Bots never command the bot, itself above all: its replies quote commands.
  if (!user || user.type === "Bot" || payload.sender.type === "Bot") return undefined;
  if (payload.issue.locked) return undefined;
  return {
    repo: { owner: payload.repository.owner.login, repo: payload.repository.name },
    repoUrl: payload.repository.html_url,
    branch: payload.repository.default_branch,
    issueNumber: payload.issue.number,
    commentId: payload.comment.id,
    commentUrl: payload.comment.html_url,
    body: payload.comment.body ?? "",
    actor: user.login,
    postedAt: payload.comment.created_at,
  };
}

async function swapReaction(
  octokit: GitHubRequest,
  event: CommentEvent,
  eyesId: number | undefined,
  final: Reaction,
  log: BotLog,
): Promise<void> {
  try {
    await Promise.all([
      eyesId === undefined
        ? undefined
        : removeReaction(octokit, event.repo, event.commentId, eyesId),
      addReaction(octokit, event.repo, event.commentId, final),
    ]);
  } catch (e) {
    log.warn("could not swap the reaction", { error: describeApiFailure(e) });
  }
}

async function runCommand(
  command: ParsedCommand,
  event: CommentEvent,
  deps: HandlerDeps,
): Promise<Result> {
  const { octokit, cache } = deps;
  switch (command.kind) {
    case "none":
      throw new Error("unreachable: ignored before");
    case "invalid":
      return reply({ outcome: "invalid", actor: event.actor, command }, "confused");
    case "help": {
      const snapshot = await readSnapshot(octokit, event.repo, event.branch, cache);
      return {
        kind: "reply",
        outcome: "help",
        body: renderHelp(snapshot.settings),
        reaction: "+1",
      };
    }
    case "status": {
      const snapshot = await readSnapshot(octokit, event.repo, event.branch, cache);
      const known = command.env === undefined || !!snapshot.environments.environments[command.env];
      return {
        kind: "reply",
        outcome: known ? "status" : "refused",
        body: renderStatus(
          snapshot.environments,
          command.env,
          // Since when, by whom, which commit: read as deep as a command reads (and cached alike).
          known ? await readHistory(octokit, snapshot, cache) : [],
        ),
        reaction: known ? "+1" : "confused",
      };
    }
    default:
      return executeCommand(command, event, deps);
  }
}

/**
 * Whether a redelivered comment, already applied in `commit`, still lacks its reply: no reply of
 * the bot names the commit, and no other delivery is busy posting it (its 👀 is on the comment
 * and the commit is recent).
 */
async function needsLateReply(
  commit: HistoryEntry,
  event: CommentEvent,
  deps: HandlerDeps,
  eyes: { created: boolean } | undefined,
): Promise<boolean> {
  const check = planLateReplyCheck({
    commitDate: commit.date,
    now: (deps.now ?? (() => new Date()))().getTime(),
    addedEyes: eyes?.created === true,
  });
  if (!check.look) return false;
  return !(await findReplyAbout(
    deps.octokit,
    event.repo,
    event.issueNumber,
    commit.sha,
    check.since,
  ));
}
