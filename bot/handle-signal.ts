import { describeError, PromptgateError, PromptgateErrors } from "../src/errors.js";
import { describeApiFailure } from "../src/io/github/errors.js";
import { appendToMarkedIssue, findMarkedIssue, issueHolds } from "../src/io/github/issues.js";
import type { RepoRef } from "../src/io/github/repo-ref.js";
import { readHistory, readSnapshot } from "../src/io/github/snapshot.js";
import {
  checkSignalCooldown,
  decideSignal,
  parseSignal,
  type RollbackCommand,
  renderSignalRecord,
  SIGNAL_EVENT,
  SIGNAL_LABEL,
  type Signal,
  type SignalDecision,
  signalActor,
  signalIssueMarker,
  signalIssueTitle,
  signalKey,
  signalRecordMarker,
} from "../src/rollout/index.js";
import { type BotLog, executeCommand, type HandlerDeps } from "./execute-command.js";

/**
 * A monitoring signal in (`repository_dispatch` of type `promptgate-signal`), at most one rollback
 * and one record out. The rollback is the `/rollback` a person would type, run by the comment
 * handler's own command path (plan, compare-and-swap, trailers, Deployment, dispatch); what is
 * recorded, and where:
 * - a signal `auto-rollback` allows: the rollback's reply, on the environment's signal issue;
 * - a signal it does not allow, for an environment that exists: why, on that issue too (opened
 *   if none is), so on-call sees that monitoring tried and what setting would let it act;
 * - a payload that is not a signal, or names no environment of the repository: a log line only,
 *   since an issue per malformed request would let any sender open issues at will.
 * Redelivery (same `source/id`) changes nothing twice: the `Promptgate-Signal` trailer in the
 * file's history and the record marker on the issue are both looked for first.
 */

/** The fields of a `repository_dispatch` webhook payload the bot reads. */
export interface RepositoryDispatchPayload {
  action: string;
  client_payload: unknown;
  repository: {
    name: string;
    owner: { login: string };
    default_branch: string;
    html_url?: string;
  };
}

export type SignalOutcome =
  /** Not a `promptgate-signal`: nothing was read or written. */
  | "ignored"
  /** The payload is not a signal: logged, nothing written. */
  | "invalid"
  /** Not allowed by `auto-rollback` (or names nothing rollable): recorded, nothing changed. */
  | "refused"
  /** A redelivery of a signal already handled: nothing new written. */
  | "duplicate"
  | "applied"
  /** Allowed, and the environment already held its previous good state (or had none). */
  | "noop"
  /** Allowed, but the rollback could not run (conflict, API failure): recorded. */
  | "failed";

export interface SignalResult {
  outcome: SignalOutcome;
  key?: string;
  commitSha?: string;
  issue?: { number: number; url: string };
  reason?: string;
}

const NOOP_LOG: BotLog = { info() {}, warn() {}, error() {} };

export async function handleSignal(
  payload: RepositoryDispatchPayload,
  deps: HandlerDeps,
): Promise<SignalResult> {
  if (payload.action !== SIGNAL_EVENT) return { outcome: "ignored" };
  const log = deps.log ?? NOOP_LOG;
  const parsed = parseSignal(payload.client_payload);
  if (!parsed.ok) {
    log.warn("signal ignored: not a promptgate-signal payload", { problem: parsed.problem });
    return { outcome: "invalid", reason: parsed.problem };
  }
  const signal = parsed.signal;
  const key = signalKey(signal);
  const repo: RepoRef = { owner: payload.repository.owner.login, repo: payload.repository.name };
  const branch = payload.repository.default_branch;

  let decision: SignalDecision;
  try {
    // The base's settings only: the default branch is what a signal may act on, as for commands.
    const snapshot = await readSnapshot(deps.octokit, repo, branch, deps.cache);
    decision = decideSignal(signal, snapshot.settings, snapshot.environments);
    if (decision.allowed && signal.at === undefined) {
      const history = await readHistory(deps.octokit, snapshot, deps.cache);
      const now = (deps.now ?? (() => new Date()))().getTime();
      decision = checkSignalCooldown(signal, snapshot.settings, history, now) ?? decision;
    }
  } catch (e) {
    const reason =
      e instanceof PromptgateError || e instanceof PromptgateErrors
        ? describeError(e)
        : describeApiFailure(e);
    log.error("signal not applied: could not read the repository", { signal: key, reason });
    return { outcome: "failed", key, reason };
  }

  if (!decision.allowed) {
    log.warn("signal refused: nothing changed", { signal: key, code: decision.code });
    if (decision.code === "unknown-environment") {
      return { outcome: "refused", key, reason: decision.reason };
    }
    const issue = await record(signal, repo, { ignored: decision }, deps);
    return { outcome: "refused", key, reason: decision.reason, ...(issue ? { issue } : {}) };
  }

  const command = decision.command;
  const result = await executeCommand(
    command,
    {
      repo,
      repoUrl: payload.repository.html_url,
      branch,
      actor: signalActor(signal),
      postedAt: signal.at,
      signal: { key, link: signal.link },
    },
    deps,
  ).catch((e: unknown) => {
    log.error("signal not applied", { signal: key, error: describeApiFailure(e) });
    return { kind: "failed" as const, error: describeApiFailure(e) };
  });

  if (result.kind === "failed") {
    const issue = await record(
      signal,
      repo,
      { command, reply: `Not applied: ${result.error}` },
      deps,
    );
    return { outcome: "failed", key, reason: result.error, ...(issue ? { issue } : {}) };
  }
  if (result.kind === "silent" || result.kind === "redelivered") {
    // The first delivery committed; it may have died before recording it on the issue.
    const issue =
      result.kind === "redelivered"
        ? await record(signal, repo, { command, reply: result.reply.body }, deps)
        : undefined;
    log.info("signal redelivered: already applied", { signal: key });
    return {
      outcome: "duplicate",
      key,
      ...(result.kind === "redelivered" ? { commitSha: result.commit.sha } : {}),
      ...(issue ? { issue } : {}),
    };
  }
  const outcome: SignalOutcome =
    result.outcome === "applied" || result.outcome === "noop"
      ? result.outcome
      : // No earlier good value, or the environment changed after the alert fired.
        result.outcome === "refused" || result.outcome === "conflict"
        ? "refused"
        : "failed";
  const issue = await record(signal, repo, { command, reply: result.body }, deps);
  log.info("signal handled", {
    signal: key,
    outcome,
    ...(result.commitSha ? { commit: result.commitSha } : {}),
  });
  return {
    outcome,
    key,
    ...(result.commitSha ? { commitSha: result.commitSha } : {}),
    ...(issue ? { issue } : {}),
  };
}

/**
 * The signal's record on its environment's issue, once: a redelivery finds its marker there. A
 * failure here is logged, never thrown: the rollback (if any) is committed whatever GitHub says.
 */
async function record(
  signal: Signal,
  repo: RepoRef,
  what: {
    command?: RollbackCommand;
    reply?: string;
    ignored?: Extract<SignalDecision, { allowed: false }>;
  },
  deps: HandlerDeps,
): Promise<{ number: number; url: string } | undefined> {
  const log = deps.log ?? NOOP_LOG;
  const marker = signalIssueMarker(signal.environment);
  try {
    const open = await findMarkedIssue(deps.octokit, repo, { marker, label: SIGNAL_LABEL });
    if (open && (await issueHolds(deps.octokit, repo, open, signalRecordMarker(signal)))) {
      return { number: open.number, url: open.url };
    }
    const written = await appendToMarkedIssue(deps.octokit, repo, {
      marker,
      label: SIGNAL_LABEL,
      title: signalIssueTitle(signal.environment),
      body: renderSignalRecord({ signal, ...what }),
    });
    return { number: written.number, url: written.url };
  } catch (e) {
    log.error("could not record the signal on its issue", {
      signal: signalKey(signal),
      error: describeApiFailure(e),
    });
    return undefined;
  }
}
