import { ProbotOctokit } from "probot";

/** The Octokit the bot runs with: Probot's, configured so conflicts and hangs reach our code. */
export type Octokit = InstanceType<typeof ProbotOctokit>;

/**
 * The one method every GitHub helper of the bot takes. Each helper receives only this slice, so a
 * test can hand it any client and the helper cannot reach for more than it declares.
 */
export type GitHubRequest = Pick<Octokit, "request">;

export interface ClientOptions {
  /** Per request, including reading the body; a hang becomes an error after this. */
  timeoutMs?: number;
  /** Probot's write throttling (about 1 s between writes). Tests and benchmarks turn it off. */
  throttle?: boolean;
  /** Retries of 5xx and network errors (never 409/422: a stale sha must reach our code at once). */
  retries?: number;
  /** Backoff unit of those retries: retry n waits n² × this. */
  retryBaseMs?: number;
}

export const DEFAULT_CLIENT_OPTIONS: Required<ClientOptions> = {
  timeoutMs: 10_000,
  throttle: true,
  retries: 2,
  retryBaseMs: 1000,
};

/** Statuses that must never be retried blindly: a 409 or 422 means "re-read and re-plan". */
export const DO_NOT_RETRY = [400, 401, 403, 404, 409, 410, 422, 451];

/**
 * Probot's Octokit class with our defaults. A function (not an object) is given to `defaults`
 * because Probot passes its own `throttle` options at construction, and an object default would
 * be replaced wholesale, switching throttling back on.
 */
export function createOctokitClass(options: ClientOptions = {}): typeof ProbotOctokit {
  const o = { ...DEFAULT_CLIENT_OPTIONS, ...options };
  const fetchWithTimeout = createTimeoutFetch(o.timeoutMs);
  return ProbotOctokit.defaults((instance: Record<string, unknown>) => {
    const request = (instance.request ?? {}) as Record<string, unknown>;
    const throttle = (instance.throttle ?? {}) as Record<string, unknown>;
    const retry = (instance.retry ?? {}) as Record<string, unknown>;
    return {
      ...instance,
      request: { ...request, fetch: fetchWithTimeout },
      throttle: o.throttle ? throttle : { ...throttle, enabled: false },
      retry: {
        ...retry,
        doNotRetry: DO_NOT_RETRY,
        retries: o.retries,
        retryAfterBaseValue: o.retryBaseMs,
      },
    };
  }) as typeof ProbotOctokit;
}

/** An Octokit authenticated with a token (GITHUB_TOKEN in Actions), with the same defaults. */
export function createTokenOctokit(
  token: string,
  baseUrl: string,
  options: ClientOptions = {},
): Octokit {
  const OctokitClass = createOctokitClass(options);
  return new OctokitClass({ auth: { token }, baseUrl });
}

/**
 * `fetch` that gives up after `ms`: Octokit's own default waits forever, and a hung GitHub must
 * turn into "not applied, safe to retry", not into a webhook that never answers.
 */
export function createTimeoutFetch(ms: number): typeof fetch {
  return (input, init) => {
    const timeout = AbortSignal.timeout(ms);
    const signal = init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
    return fetch(input, { ...init, signal });
  };
}
