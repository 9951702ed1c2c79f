import type { Logger, Probot } from "probot";
import { RepoCache } from "../src/io/github/cache.js";
import type { BotLog, HandlerDeps } from "./execute-command.js";
import { type HandleResult, handleIssueComment } from "./handle-comment.js";
import {
  handleSignal,
  type RepositoryDispatchPayload,
  type SignalResult,
} from "./handle-signal.js";

export interface AppOptions {
  /** Shared by every command this process handles; a fresh one per app by default. */
  cache?: RepoCache;
  maxRetries?: HandlerDeps["maxRetries"];
  retryDelayMs?: HandlerDeps["retryDelayMs"];
  now?: HandlerDeps["now"];
  /** Called after each event with what the handler did (tests and benchmarks listen here). */
  onHandled?: (result: HandleResult) => void;
  /** Called after each `repository_dispatch` with what the signal handler did. */
  onSignal?: (result: SignalResult) => void;
}

/**
 * The Probot app: `issue_comment.created` (edits and deletions never trigger a change) and
 * `repository_dispatch` of type `promptgate-signal` (bot/handle-signal.ts). The
 * Octokit that `context.octokit` comes from is configured where Probot is built (index.ts, tests):
 * no blind retry of 409/422, a timeout per request, throttling as chosen there.
 */
export function createApp(options: AppOptions = {}): (app: Probot) => void {
  const cache = options.cache ?? new RepoCache();
  return (app: Probot) => {
    app.on("issue_comment.created", async (context) => {
      const result = await handleIssueComment(context.payload, {
        octokit: context.octokit,
        cache,
        log: adaptLog(context.log),
        ...(options.maxRetries !== undefined ? { maxRetries: options.maxRetries } : {}),
        ...(options.retryDelayMs !== undefined ? { retryDelayMs: options.retryDelayMs } : {}),
        ...(options.now ? { now: options.now } : {}),
      });
      options.onHandled?.(result);
    });
    // Monitoring's `promptgate-signal` (an alert): rollback when auto-rollback allows it.
    // Other dispatch types (our own `promptgate-environments-changed` among them) are ignored.
    app.on("repository_dispatch", async (context) => {
      const result = await handleSignal(context.payload as RepositoryDispatchPayload, {
        octokit: context.octokit,
        cache,
        log: adaptLog(context.log),
        ...(options.maxRetries !== undefined ? { maxRetries: options.maxRetries } : {}),
        ...(options.retryDelayMs !== undefined ? { retryDelayMs: options.retryDelayMs } : {}),
        ...(options.now ? { now: options.now } : {}),
      });
      options.onSignal?.(result);
    });
  };
}

/** The app as Probot loads it (`probot run`, `run(app)`). */
const app: (app: Probot) => void = createApp();
export default app;

export function adaptLog(log: Logger): BotLog {
  return {
    info: (message, data) => log.info(data ?? {}, message),
    warn: (message, data) => log.warn(data ?? {}, message),
    error: (message, data) => log.error(data ?? {}, message),
  };
}
