import { describeError, PromptgateError, PromptgateErrors } from "../src/errors.js";
import type { Environments } from "../src/formats/environments.js";
import type { RepoCache } from "../src/io/github/cache.js";
import type { GitHubRequest } from "../src/io/github/client.js";
import {
  type DeploymentRecord,
  recordDeployment,
  sendEnvironmentsChanged,
} from "../src/io/github/deployments.js";
import { describeApiFailure, isRequestError } from "../src/io/github/errors.js";
import { readFallbackGateStates, readGateStates } from "../src/io/github/gates.js";
import { readRole, readTeamMemberships } from "../src/io/github/permissions.js";
import type { Reaction } from "../src/io/github/reactions.js";
import type { RepoRef } from "../src/io/github/repo-ref.js";
import {
  readDeeperHistory,
  readHistory,
  readSnapshot,
  recordOwnCommit,
  type Snapshot,
} from "../src/io/github/snapshot.js";
import { writeFileIfUnchanged } from "../src/io/github/write.js";
import { type IgnoredGate, noteIgnoredGates } from "../src/rollout/gate-trust.js";
import {
  type ActionCommand,
  applyGateResults,
  applyPlanToYaml,
  type ChangePlan,
  decidePermission,
  type FailureKind,
  findChangeSince,
  findCommandCommit,
  findLastChange,
  findSignalCommit,
  formatCommitMessage,
  type GateState,
  gateLabel,
  type HistoryEntry,
  isSameState,
  listChangedEnvironments,
  listGatedFallbacks,
  listGatedVersions,
  listTeamsToCheck,
  listTouchedEnvironments,
  type ParsedCommand,
  planCommand,
  type ReplyResult,
  rebuildLateReply,
  renderReply,
} from "../src/rollout/index.js";

/**
 * The command path of a change, shared by a person's comment (handle-comment.ts) and a
 * monitoring signal (handle-signal.ts): read the default branch, check who asked, plan, commit
 * with compare-and-swap (retrying while the environment still holds what was seen), record the
 * Deployment and the dispatch, and say what happened. Every rule lives in src/rollout/ and every
 * call in src/io/github/; what is left here is their order and how each failure maps to a reply.
 */

export interface BotLog {
  info(message: string, data?: Record<string, unknown>): void;
  warn(message: string, data?: Record<string, unknown>): void;
  error(message: string, data?: Record<string, unknown>): void;
}

export interface HandlerDeps {
  octokit: GitHubRequest;
  cache: RepoCache;
  log?: BotLog;
  now?: () => Date;
  /** Retries after a lost compare-and-swap when the environment still holds what was seen. */
  maxRetries?: number;
  /** Upper bound of the first jittered wait between attempts; doubles each time. */
  retryDelayMs?: number;
}

export type HandleOutcome =
  | ReplyResult["outcome"]
  | "help"
  | "status"
  /** Not for us: edited, by a bot, locked, or not a command. Nothing was sent to GitHub. */
  | "ignored"
  /** A redelivery of a comment already applied: nothing new was written or replied. */
  | "duplicate";

/**
 * Who asked for a change: a person's comment, or a monitoring signal (handle-signal.ts), which
 * runs the same command path with its `source/id` as the idempotency key.
 */
export interface CommandEvent {
  repo: RepoRef;
  /** `https://github.com/acme/prompts`, for links people can open. */
  repoUrl: string | undefined;
  branch: string;
  commentId?: number;
  commentUrl?: string;
  actor: string;
  postedAt: string | undefined;
  /**
   * Set only by handle-signal.ts, after `auto-rollback` allowed the signal: it replaces the
   * actor's role check, and its key the comment id in the trailers and the idempotency check.
   */
  signal?: { key: string; link: string | undefined };
}

/** What a command produced before the reply is posted. */
export type Result =
  | ReplyToPost
  | { kind: "silent" }
  /**
   * A redelivery of a comment whose commit exists: silent, unless its reply never got posted
   * (the process died or GitHub failed after the commit), in which case `reply` is posted late.
   */
  | { kind: "redelivered"; commit: HistoryEntry; reply: ReplyToPost };

export type ReplyToPost = {
  kind: "reply";
  outcome: HandleOutcome;
  body: string;
  reaction: Reaction;
  commitSha?: string;
};

export const NOOP_LOG: BotLog = { info() {}, warn() {}, error() {} };

/** How deep the history is read before saying an environment never held a rollback target. */
const NEVER_HELD_MAX_DEPTH = 200;

/**
 * The write of the environments file failed without a clear answer (5xx, timeout, network) and the
 * re-read that would tell whether it landed failed too: the change may be applied. Never "safe to
 * retry", since a retry could apply it twice (a rollback would go one step further back).
 */
export class WriteOutcomeUnknownError extends Error {
  readonly code = "E_OUTCOME_UNKNOWN";
  readonly hint =
    "check `/promptgate status` or the file's history on the default branch before running the command again";
  constructor(
    readonly writeError: unknown,
    readonly rereadError: unknown,
  ) {
    super(
      `the write of the environments file got no clear answer (${describeApiFailure(writeError)}), and checking whether it landed failed too (${describeApiFailure(rereadError)})`,
      { cause: writeError },
    );
    this.name = "WriteOutcomeUnknownError";
  }
}

export function reply(result: ReplyResult, reaction: Reaction, commitSha?: string): ReplyToPost {
  return {
    kind: "reply",
    outcome: result.outcome,
    body: renderReply(result),
    reaction,
    ...(commitSha ? { commitSha } : {}),
  };
}

function isDryRun(command: ActionCommand): boolean {
  return "dryRun" in command && command.dryRun;
}

export function isoSeconds(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** The commit this comment or signal already produced, if any: its idempotency check. */
function findOwnCommit(
  history: readonly HistoryEntry[],
  event: CommandEvent,
): HistoryEntry | undefined {
  if (event.signal) return findSignalCommit(history, event.signal.key);
  return event.commentId === undefined ? undefined : findCommandCommit(history, event.commentId);
}

export async function executeCommand(
  command: ActionCommand,
  event: CommandEvent,
  deps: HandlerDeps,
): Promise<Result> {
  const { octokit, cache } = deps;
  const { repo, actor } = event;
  const [first, role] = await Promise.all([
    readSnapshot(octokit, repo, event.branch, cache),
    // A signal has no role: `auto-rollback` on the default branch is its permission.
    event.signal ? undefined : readRole(octokit, repo, actor),
  ]);
  const firstHistory = await readHistory(octokit, first, cache);
  const done = findOwnCommit(firstHistory, event);
  if (done) {
    return {
      kind: "redelivered",
      commit: done,
      reply: reply(
        rebuildLateReply({
          command,
          commit: done,
          history: firstHistory,
          actor: event.actor,
          repoUrl: event.repoUrl,
        }),
        "rocket",
        done.sha,
      ),
    };
  }

  const { settings } = first;
  let decision: ReturnType<typeof decidePermission> = event.signal
    ? { allowed: true, via: "auto-rollback in promptgate.yaml" }
    : decidePermission({ command, settings, role: role ?? null, teams: [] });
  if (!decision.allowed) {
    // Teams are asked about only when the role alone does not suffice: one call saved per command.
    const teams = listTeamsToCheck(command, settings);
    if (teams.length > 0) {
      const { member, unreadable } = await readTeamMemberships(octokit, repo.owner, teams, actor);
      if (member.length > 0 || unreadable.length > 0)
        decision = decidePermission({
          command,
          settings,
          role: role ?? null,
          teams: member,
          unreadableTeams: unreadable,
        });
    }
  }
  if (!decision.allowed) {
    return reply({ outcome: "denied", actor, command, decision }, "confused");
  }

  const maxRetries = deps.maxRetries ?? 3;
  const baseDelay = deps.retryDelayMs ?? 100;
  const now = isoSeconds((deps.now ?? (() => new Date()))());
  const gates: Record<string, GateState> = {};
  const gateLinks: Record<string, string> = {};
  const ignoredGates: IgnoredGate[] = [];
  let snapshot = first;
  let history = firstHistory;
  let touched: string[] | undefined;

  // Two people typing `/rollback production` seconds apart must give one rollback, not two: a
  // command applies only to what its author saw, so a change to its environment that landed
  // after the command was posted, or just before (`UNSEEN_MARGIN_S`), stops it, however late the
  // command is handled.
  const unseen = findChangeSince(
    history,
    event.postedAt,
    listChangedEnvironments(command),
    Date.parse(now),
  );
  if (unseen) {
    return reply(
      { outcome: "conflict", actor, command, env: unseen.env, entry: unseen.entry },
      "confused",
    );
  }

  for (let attempt = 0; ; attempt++) {
    let plan = planCommandFor(command, snapshot, history, actor, now);
    // A target older than the history read so far: look further back before giving up. A value
    // the environment may never have held (often a draft) is looked for less deep: each level
    // reads the file at every older commit, and `/promote` is the way to put it live anyway.
    while (
      plan.kind === "refused" &&
      (plan.code === "no-previous" || plan.code === "unknown-sha" || plan.code === "never-held") &&
      (await readDeeperHistory(
        octokit,
        snapshot,
        cache,
        plan.code === "never-held" ? NEVER_HELD_MAX_DEPTH : undefined,
      ))
    ) {
      history = snapshot.history ?? history;
      plan = planCommandFor(command, snapshot, history, actor, now);
    }
    if (plan.kind === "change" && plan.action === "promote") {
      const fallbacks = listGatedFallbacks(plan);
      const gatedVersions = [...listGatedVersions(plan), ...fallbacks].map(gateLabel);
      const wanted = listGatedVersions(plan).filter((v) => !(`${v.prompt}@${v.version}` in gates));
      const trusted = settings.rollout.gateCreator;
      const wantedFallbacks = fallbacks.filter((f) => !(gateLabel(f) in gates));
      if (wantedFallbacks.length > 0) {
        const read = await readFallbackGateStates(octokit, repo, history, wantedFallbacks, trusted);
        Object.assign(gates, read.states);
        Object.assign(gateLinks, read.links);
        ignoredGates.push(...read.ignored);
      }
      if (wanted.length > 0) {
        const read = await readGateStates(
          octokit,
          repo,
          snapshot.headSha,
          settings.paths.prompts,
          wanted,
          trusted,
        );
        Object.assign(gates, read.states);
        Object.assign(gateLinks, read.links);
        ignoredGates.push(...read.ignored);
      }
      const gated = applyGateResults(
        plan,
        gates,
        command.kind === "promote" && command.force,
        gateLinks,
      );
      // Named only for the versions this plan puts live (a retry may plan other ones).
      const ignored = ignoredGates.filter((i) => gatedVersions.includes(i.gate));
      plan = noteIgnoredGates(gated, ignored, trusted);
    }
    if (plan.kind === "noop") return reply({ outcome: "noop", actor, command, plan }, "+1");
    if (plan.kind === "refused")
      return reply({ outcome: "refused", actor, command, plan }, "confused");
    if (isDryRun(command)) return reply({ outcome: "dry-run", actor, command, plan }, "+1");
    touched ??= listTouchedEnvironments(plan);

    const text = applyPlanToYaml(snapshot.environmentsText, plan, snapshot.environmentsPath);
    const message = formatCommitMessage(plan, {
      action: plan.action,
      env: plan.env,
      actor,
      ...(event.signal
        ? { actorIsLogin: false, signal: event.signal.key }
        : { commentId: event.commentId, commentUrl: event.commentUrl }),
      ...("reason" in command && command.reason ? { reason: command.reason } : {}),
    });
    const written = await writeOrFindLanded(octokit, snapshot, text, message, event, deps);
    if (written.kind === "written" || written.kind === "landed") {
      return finishApplied(command, plan, snapshot, written, text, message, event, deps);
    }

    if (attempt >= maxRetries) {
      return failure(
        new Error(
          `${snapshot.environmentsPath} kept changing while the command ran (${attempt + 1} attempts)`,
        ),
        command,
        actor,
        deps.log ?? NOOP_LOG,
      );
    }
    await sleep(Math.random() * baseDelay * 2 ** attempt);
    snapshot = await readSnapshot(octokit, repo, event.branch, cache);
    history = await readHistory(octokit, snapshot, cache);
    if (findOwnCommit(history, event)) return { kind: "silent" };
    const changed = touched.find(
      (env) => !isSameState(first.environments, snapshot.environments, [env]),
    );
    if (changed !== undefined) {
      return reply(
        {
          outcome: "conflict",
          actor,
          command,
          env: changed,
          entry: findLastChange(history, changed),
        },
        "confused",
      );
    }
  }
}

function planCommandFor(
  command: ActionCommand,
  snapshot: Snapshot,
  history: readonly HistoryEntry[],
  actor: string,
  now: string,
) {
  return planCommand({
    command,
    environments: snapshot.environments,
    settings: snapshot.settings,
    history,
    availableVersions: snapshot.availableVersions,
    actor,
    now,
  });
}

type Written =
  | Extract<Awaited<ReturnType<typeof writeFileIfUnchanged>>, { kind: "written" }>
  | { kind: "landed"; commitSha: string; htmlUrl: undefined }
  | { kind: "conflict" };

/**
 * The write, and when its answer is lost (5xx, timeout) a look at whether it landed anyway: a
 * reply must never say "not applied" about a commit that exists. The PUT itself is never retried
 * by Octokit, so an unknown outcome always comes here.
 */
async function writeOrFindLanded(
  octokit: GitHubRequest,
  snapshot: Snapshot,
  text: string,
  message: string,
  event: CommandEvent,
  deps: HandlerDeps,
): Promise<Written> {
  try {
    return await writeFileIfUnchanged(octokit, snapshot.repo, {
      path: snapshot.environmentsPath,
      branch: snapshot.branch,
      blobSha: snapshot.environmentsBlobSha,
      text,
      message,
    });
  } catch (e) {
    let landed: HistoryEntry | undefined;
    try {
      const again = await readSnapshot(octokit, snapshot.repo, snapshot.branch, deps.cache);
      landed = findOwnCommit(await readHistory(octokit, again, deps.cache), event);
    } catch (reread) {
      // GitHub refused the write outright (4xx): nothing landed, whatever the re-read says.
      if (isRejection(e)) throw e;
      throw new WriteOutcomeUnknownError(e, reread);
    }
    if (landed) return { kind: "landed", commitSha: landed.sha, htmlUrl: undefined };
    throw e;
  }
}

/** An answer from GitHub refusing the request: a request GitHub refused did not happen. */
function isRejection(e: unknown): boolean {
  return isRequestError(e) && e.status >= 400 && e.status < 500;
}

async function finishApplied(
  command: ActionCommand,
  plan: ChangePlan,
  snapshot: Snapshot,
  written: Exclude<Written, { kind: "conflict" }>,
  text: string,
  message: string,
  event: CommandEvent,
  deps: HandlerDeps,
): Promise<Result> {
  const { octokit } = deps;
  const log = deps.log ?? NOOP_LOG;
  const envs = listTouchedEnvironments(plan);
  const production = snapshot.settings.rollout.production;
  const warnings: string[] = [];
  const pick = (from: Environments) =>
    Object.fromEntries(envs.map((env) => [env, from.environments[env] ?? null]));

  // Bookkeeping after the commit: a failure here must not turn an applied change into "not applied".
  const [deployments] = await Promise.all([
    Promise.all(
      envs.map((env) =>
        recordDeployment(octokit, snapshot.repo, {
          env,
          commitSha: written.commitSha,
          production: env === production,
          pins: plan.next.environments[env],
          description: plan.summary,
          logUrl: event.commentUrl ?? event.signal?.link,
        }).catch((e: unknown) => {
          warnings.push(
            `the deployment record of ${env} could not be created (${describeApiFailure(e)}); the change itself is committed`,
          );
          return undefined;
        }),
      ),
    ),
    sendEnvironmentsChanged(octokit, snapshot.repo, {
      commit: written.commitSha,
      action: plan.action,
      env: plan.env,
      actor: event.actor,
      commentUrl: event.commentUrl ?? event.signal?.link ?? "",
      before: pick(snapshot.environments),
      after: pick(plan.next),
    }).catch((e: unknown) => {
      warnings.push(
        `the \`repository_dispatch\` event could not be sent (${describeApiFailure(e)}); pipelines listening for it did not start`,
      );
    }),
  ]);
  if (warnings.length > 0) log.warn("applied with warnings", { warnings });

  if (written.kind === "written") {
    recordOwnCommit(deps.cache, snapshot, {
      sha: written.commitSha,
      parentSha: written.parentSha,
      blobSha: written.blobSha,
      text,
      message,
      author: written.author,
      date: written.date,
    });
  }
  const finalPlan: ChangePlan = { ...plan, warnings: [...plan.warnings, ...warnings] };
  return reply(
    {
      outcome: "applied",
      actor: event.actor,
      command,
      plan: finalPlan,
      commit: {
        sha: written.commitSha,
        ...(written.htmlUrl ? { url: written.htmlUrl } : {}),
      },
      deployments: deployments
        .filter((d): d is DeploymentRecord => d !== undefined)
        .map((d) => ({
          env: d.env,
          id: d.id,
          // The environment's deployment history page; the API url is for machines.
          ...(event.repoUrl ? { url: `${event.repoUrl}/deployments/promptgate-${d.env}` } : {}),
        })),
    },
    "rocket",
    written.commitSha,
  );
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * The error boundary's verdict: a file the bot cannot use is bad input; a write whose outcome
 * nobody knows needs a person to look; anything else is GitHub failing before a write.
 */
export function failure(e: unknown, command: ParsedCommand, actor: string, log: BotLog): Result {
  const action = isActionCommand(command) ? command : undefined;
  let kind: FailureKind;
  let error: string;
  if (e instanceof PromptgateError || e instanceof PromptgateErrors) {
    // A broken repository file is fixed by a person, not by trying again: 😕 and "fix it first".
    kind = "fix-first";
    log.warn("command refused: repository files", { error: describeError(e) });
    error = describeError(e)
      .replace(/^error [A-Z_]+: /gm, "")
      .replace(/\n\s*hint: /g, " — ");
  } else if (e instanceof WriteOutcomeUnknownError) {
    // Maybe applied: 😕, and the reply says to look before running it again.
    kind = "outcome-unknown";
    error = e.message;
    log.error("command outcome unknown", { code: e.code, error });
  } else {
    kind = "not-applied";
    error = describeApiFailure(e);
    log.error("command failed", { error });
  }
  return {
    kind: "reply",
    outcome: "failed",
    body: renderReply({
      outcome: "failed",
      actor,
      ...(action ? { command: action } : {}),
      error,
      ...(kind === "not-applied" ? {} : { failure: kind }),
    }),
    reaction: kind === "not-applied" ? "-1" : "confused",
  };
}

function isActionCommand(command: ParsedCommand): command is ActionCommand {
  switch (command.kind) {
    case "rollback":
    case "promote":
    case "canary-traffic":
    case "freeze":
    case "unfreeze":
      return true;
    default:
      return false;
  }
}
