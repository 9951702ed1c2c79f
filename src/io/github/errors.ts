/**
 * What went wrong talking to GitHub, in words an on-call engineer can act on. Octokit throws a
 * `RequestError` (status, request) for HTTP errors and wraps network failures and our timeouts
 * as status 500 with the cause attached.
 */
interface RequestErrorLike {
  status: number;
  message: string;
  request?: { method?: string; url?: string };
  response?: { data?: unknown };
  cause?: unknown;
}

export function isRequestError(e: unknown): e is RequestErrorLike {
  return (
    typeof e === "object" &&
    e !== null &&
    typeof (e as { status?: unknown }).status === "number" &&
    "request" in e
  );
}

export function statusOf(e: unknown): number | undefined {
  return isRequestError(e) ? e.status : undefined;
}

/**
 * A 403 that means the token lacks a permission, not GitHub's (secondary) rate limit, which
 * also answers 403: a rate limit is a failure to retry, never "you may not see this".
 */
export function isPermissionDenied(e: unknown): boolean {
  if (!isRequestError(e) || e.status !== 403) return false;
  const err = e as {
    response?: { headers?: Record<string, string | undefined>; data?: { message?: unknown } };
  };
  const headers = err.response?.headers ?? {};
  if (headers["retry-after"] !== undefined || headers["x-ratelimit-remaining"] === "0")
    return false;
  return !/rate limit/i.test(String(err.response?.data?.message ?? e.message ?? ""));
}

function isTimeout(e: unknown): boolean {
  for (let cur: unknown = e, depth = 0; cur && depth < 4; depth++) {
    const name = (cur as { name?: unknown }).name;
    if (name === "TimeoutError" || name === "AbortError") return true;
    cur = (cur as { cause?: unknown }).cause;
  }
  return /aborted due to timeout/i.test(String((e as { message?: unknown })?.message ?? ""));
}

/** `PUT /repos/acme/prompts/contents/environments.yaml`, without the host or the query. */
function describeRequest(e: RequestErrorLike): string {
  const method = e.request?.method ?? "";
  let path = e.request?.url ?? "";
  try {
    path = decodeURIComponent(new URL(path).pathname.replace(/^\/api\/v3/, ""));
  } catch {
    // not a URL: keep what Octokit gave
  }
  return `${method} ${path}`.trim();
}

/** One sentence for the reply; no stack, no token, no response body beyond GitHub's message. */
export function describeApiFailure(e: unknown): string {
  if (!isRequestError(e)) {
    if (isTimeout(e)) return "GitHub did not answer in time";
    return `unexpected error: ${e instanceof Error ? e.message : String(e)}`;
  }
  const what = describeRequest(e);
  if (isTimeout(e)) return `GitHub did not answer \`${what}\` in time`;
  const message = ((e.response?.data as { message?: unknown } | undefined)?.message ??
    e.message) as string;
  const short = String(message).split("\n")[0]?.slice(0, 200) ?? "";
  if (e.status === 500 && e.response === undefined) {
    return `could not reach GitHub for \`${what}\` (${short})`;
  }
  return `GitHub answered ${e.status} to \`${what}\` (${short})`;
}
