/**
 * How promptgate talks to GitHub, for every edge: one retry policy, one timeout, and the one
 * method the helpers of this folder take. Two factories apply it: `createRestClient` below (the
 * action: plain `@octokit/core`, light to load) and `createOctokitClass` in `probot-client.ts`
 * (the bot: Probot's Octokit, which Probot itself instantiates per installation).
 */
import { Octokit } from "@octokit/core";
import { retry } from "@octokit/plugin-retry";
import { createHttpFetch } from "../http-fetch.js";
import { hasProxy, type ProxySettings, selectProxy } from "../proxy.js";

/**
 * The one method every GitHub helper takes. Each helper receives only this slice, so a test can
 * hand it any client and the helper cannot reach for more than it declares. Probot's Octokit is
 * built on the same `@octokit/core`, so both factories' clients fit.
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
  /** HTTP(S)_PROXY/NO_PROXY as the edge read them (GHES behind a corporate proxy). */
  proxy?: ProxySettings;
}

export const DEFAULT_CLIENT_OPTIONS: Required<Omit<ClientOptions, "proxy">> = {
  timeoutMs: 10_000,
  throttle: true,
  retries: 2,
  retryBaseMs: 1000,
};

/**
 * Statuses that must never be retried blindly: a 409 or 422 means "re-read and re-plan", and a
 * 4xx like a missing permission is reported at once.
 */
export const DO_NOT_RETRY = [400, 401, 403, 404, 409, 410, 422, 451];

/** `@octokit/plugin-retry`'s options for the policy above, the same for both factories. */
export function retryOptions(options: ClientOptions = {}) {
  const o = { ...DEFAULT_CLIENT_OPTIONS, ...options };
  return { doNotRetry: DO_NOT_RETRY, retries: o.retries, retryAfterBaseValue: o.retryBaseMs };
}

/**
 * `fetch` that gives up after `ms`: Octokit's own default waits forever, and a hung GitHub must
 * turn into "not applied, safe to retry", not into a webhook (or a job) that never answers.
 */
export function createTimeoutFetch(ms: number, proxy?: ProxySettings): typeof fetch {
  // Node's global fetch ignores the proxy variables; requests that must go through a proxy take
  // our node:http fetch, which honours them. The rest keep the global fetch they always used.
  const proxied = hasProxy(proxy) ? createHttpFetch(proxy) : undefined;
  return (input, init) => {
    const timeout = AbortSignal.timeout(ms);
    const signal = init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
    const url = input instanceof Request ? input.url : String(input);
    const send = proxied && selectProxy(new URL(url), proxy) ? proxied : fetch;
    return send(input, { ...init, signal });
  };
}

const RetryingOctokit = Octokit.plugin(retry);
export type RestClient = InstanceType<typeof RetryingOctokit>;

/**
 * A client authenticated with a token (the action's GITHUB_TOKEN or an app's installation
 * token), with the policy above. No throttling: the action writes a handful of requests a run.
 */
export function createRestClient(
  token: string,
  apiUrl: string,
  options: ClientOptions & { userAgent?: string } = {},
): RestClient {
  const o = { ...DEFAULT_CLIENT_OPTIONS, ...options };
  return new RetryingOctokit({
    auth: token,
    baseUrl: apiUrl.replace(/\/+$/, ""),
    ...(options.userAgent ? { userAgent: options.userAgent } : {}),
    request: { fetch: createTimeoutFetch(o.timeoutMs, options.proxy) },
    retry: retryOptions(o),
  });
}
