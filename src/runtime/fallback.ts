import { PromptgateError } from "../errors.js";

/** One place a request can be sent: a model, and the endpoint when it is not the app's own. */
export interface Target {
  model: string;
  /** Absent: the app's own endpoint (the primary target always, a fallback without `base-url`). */
  baseUrl?: string;
}

/** Why a target was left for the next one. */
export type FailoverReason = "timeout" | "connection" | "rate-limit" | "server-error";

export interface FailedAttempt {
  target: Target;
  reason: FailoverReason;
  error: unknown;
}

export interface Served<T> {
  value: T;
  /** The target that answered: log it and put it in traces beside the version and content hash. */
  servedBy: Target;
  /** Its place in the pin's targets: 0 for the pin's own model, 1 for the first fallback… */
  servedByIndex: number;
  /** The targets tried before it, in order, and why each was left. */
  failed: FailedAttempt[];
}

export interface FallbackCallerOptions<C> {
  /**
   * The caller's own client for a target, e.g. `(t) => new OpenAI({ baseURL: t.baseUrl, timeout:
   * 20_000, maxRetries: 2 })`. Made once per target and kept: the SDK's retries (with
   * `retry-after`) run inside each target before the helper moves on.
   */
  client(target: Target): C;
  /** Told each time a target fails over to the next, so an outage shows in logs as it happens. */
  onFailover?(attempt: FailedAttempt, next: Target): void;
}

export type FallbackCaller<C> = <T>(
  resolved: { targets: readonly Target[] },
  call: (client: C, target: Target) => Promise<T>,
) => Promise<Served<T>>;

/**
 * Calls a resolved pin's targets in order until one answers. It moves on only when another
 * provider could do better (a timeout, a refused or dropped connection, a 5xx, a 429 that outlived
 * the client's retries); a 4xx that a retry cannot fix (400, 401, 403, 404, 422…) is the request's
 * or the key's fault, the next provider would refuse it too, so it is thrown at once. When every
 * target fails, the last error is thrown as the cause of a PromptgateError (E_LLM) naming every target tried.
 */
export function createFallbackCaller<C>(options: FallbackCallerOptions<C>): FallbackCaller<C> {
  const clients = new Map<string, C>();
  const clientFor = (target: Target): C => {
    const key = `${target.baseUrl ?? ""}\0${target.model}`;
    let client = clients.get(key);
    if (client === undefined) {
      client = options.client(target);
      clients.set(key, client);
    }
    return client;
  };
  return async (resolved, call) => {
    const { targets } = resolved;
    if (targets.length === 0) {
      throw new PromptgateError("E_USAGE", "no target to call", {
        hint: "pass what `resolve()` returned: its targets are the pin's model and its fallbacks",
      });
    }
    const failed: FailedAttempt[] = [];
    for (const [i, target] of targets.entries()) {
      try {
        const value = await call(clientFor(target), target);
        return { value, servedBy: target, servedByIndex: i, failed };
      } catch (error) {
        const reason = classifyFailure(error);
        const next = targets[i + 1];
        if (reason === undefined || next === undefined) {
          if (failed.length === 0) throw error;
          throw new PromptgateError(
            "E_LLM",
            `every target failed: ${[...failed, { target, reason, error }].map((f) => `${describeTarget(f.target)} (${f.reason ?? "not retryable"})`).join(", ")}`,
            {
              hint: "the pin's model and each fallback failed; check the providers' status and the app's keys",
              cause: error,
            },
          );
        }
        const attempt = { target, reason, error };
        failed.push(attempt);
        try {
          options.onFailover?.(attempt, next);
        } catch {
          // A throwing log hook must not turn a failover into an outage.
        }
      }
    }
    // Unreachable: the loop returns or throws on its last target.
    throw new PromptgateError("E_LLM", "no target answered");
  };
}

export function describeTarget(target: Target): string {
  return target.baseUrl ? `${target.model} at ${target.baseUrl}` : target.model;
}

const CONNECTION_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "UND_ERR_SOCKET",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_CLOSED",
]);
const TIMEOUT_CODES = new Set(["ETIMEDOUT", "UND_ERR_HEADERS_TIMEOUT", "UND_ERR_BODY_TIMEOUT"]);

/**
 * Whether an error is worth another target, read from its shape so any client works: the
 * `openai` SDK's APIError carries `status`, its connection and timeout errors have none and are
 * named for what they are; fetch and Node put the socket's code on `cause`.
 */
export function classifyFailure(error: unknown): FailoverReason | undefined {
  const status = statusOf(error);
  if (status !== undefined) {
    if (status === 429) return "rate-limit";
    if (status === 408) return "timeout";
    if (status >= 500) return "server-error";
    return undefined;
  }
  for (let e: unknown = error, depth = 0; e && depth < 5; depth++) {
    if (typeof e !== "object") break;
    const { name, code, message } = e as { name?: unknown; code?: unknown; message?: unknown };
    const kinds = classNames(e);
    if (name === "TimeoutError" || kinds.has("APIConnectionTimeoutError")) return "timeout";
    if (typeof code === "string" && TIMEOUT_CODES.has(code)) return "timeout";
    // The SDK names neither error (`name` stays "Error") and a user's bundler may rename its
    // classes: its fixed messages are the stable part.
    if (typeof message === "string" && /^Request timed out\.?$/.test(message)) return "timeout";
    if (kinds.has("APIConnectionError") || message === "Connection error.") return "connection";
    if (typeof code === "string" && CONNECTION_CODES.has(code)) return "connection";
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

function classNames(e: object): Set<string> {
  const names = new Set<string>();
  for (
    let p: unknown = Object.getPrototypeOf(e);
    p && names.size < 10;
    p = Object.getPrototypeOf(p)
  ) {
    const ctor = (p as { constructor?: { name?: unknown } }).constructor;
    if (typeof ctor?.name === "string") names.add(ctor.name);
  }
  return names;
}

function statusOf(error: unknown): number | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const status = (error as { status?: unknown }).status;
  return typeof status === "number" && status >= 100 ? status : undefined;
}
