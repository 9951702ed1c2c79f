/**
 * The bot's factory of the one GitHub client policy (`client.ts`): Probot instantiates the class
 * per installation, so the policy is given as the class's defaults.
 */
import { ProbotOctokit } from "probot";
import {
  type ClientOptions,
  createTimeoutFetch,
  DEFAULT_CLIENT_OPTIONS,
  retryOptions,
} from "./client.js";

/** The Octokit the bot runs with: Probot's, configured so conflicts and hangs reach our code. */
export type ProbotClient = InstanceType<typeof ProbotOctokit>;

/**
 * Probot's Octokit class with our defaults. A function (not an object) is given to `defaults`
 * because Probot passes its own `throttle` options at construction, and an object default would
 * be replaced wholesale, switching throttling back on.
 */
export function createOctokitClass(options: ClientOptions = {}): typeof ProbotOctokit {
  const o = { ...DEFAULT_CLIENT_OPTIONS, ...options };
  const fetchWithTimeout = createTimeoutFetch(o.timeoutMs, options.proxy);
  return ProbotOctokit.defaults((instance: Record<string, unknown>) => {
    const request = (instance.request ?? {}) as Record<string, unknown>;
    const throttle = (instance.throttle ?? {}) as Record<string, unknown>;
    const retry = (instance.retry ?? {}) as Record<string, unknown>;
    return {
      ...instance,
      request: { ...request, fetch: fetchWithTimeout },
      throttle: o.throttle ? throttle : { ...throttle, enabled: false },
      retry: { ...retry, ...retryOptions(o) },
    };
  }) as typeof ProbotOctokit;
}

/** An Octokit authenticated with a token (GITHUB_TOKEN in Actions), with the same defaults. */
export function createTokenOctokit(
  token: string,
  baseUrl: string,
  options: ClientOptions = {},
): ProbotClient {
  const OctokitClass = createOctokitClass(options);
  return new OctokitClass({ auth: { token }, baseUrl });
}
