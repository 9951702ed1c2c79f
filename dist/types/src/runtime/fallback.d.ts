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
export type FallbackCaller<C> = <T>(resolved: {
    targets: readonly Target[];
}, call: (client: C, target: Target) => Promise<T>) => Promise<Served<T>>;
/**
 * Calls a resolved pin's targets in order until one answers. It moves on only when another
 * provider could do better (a timeout, a refused or dropped connection, a 5xx, a 429 that outlived
 * the client's retries); a 4xx that a retry cannot fix (400, 401, 403, 404, 422…) is the request's
 * or the key's fault, the next provider would refuse it too, so it is thrown at once. When every
 * target fails, the last error is thrown as the cause of a PromptgateError (E_LLM) naming every target tried.
 */
export declare function createFallbackCaller<C>(options: FallbackCallerOptions<C>): FallbackCaller<C>;
export declare function describeTarget(target: Target): string;
/**
 * Whether an error is worth another target, read from its shape so any client works: the
 * `openai` SDK's APIError carries `status`, its connection and timeout errors have none and are
 * named for what they are; fetch and Node put the socket's code on `cause`.
 */
export declare function classifyFailure(error: unknown): FailoverReason | undefined;
