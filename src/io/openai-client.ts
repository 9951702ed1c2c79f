import OpenAI from "openai";
import { LlmError } from "../engine/llm-error.js";
import type { ChatModel, ChatRequest, ChatResponse, EmbeddingModel } from "../engine/types.js";
import { PromptgateError } from "../errors.js";
import { createScrubber, redactUrl, secretsOfUrl } from "../scrub.js";
import { createHttpFetch, type HttpFetch, httpFetch } from "./http-fetch.js";
import type { ProxySettings } from "./proxy.js";

export interface OpenAIModelsOptions {
  /** Undefined: the SDK reads OPENAI_API_KEY. */
  apiKey?: string;
  /** Undefined: the SDK reads OPENAI_BASE_URL, then uses https://api.openai.com/v1. */
  baseURL?: string;
  /** Per attempt; the SDK's own default is 10 minutes, far too long for CI. */
  timeoutMs: number;
  maxRetries: number;
  organization?: string;
  /** HTTP(S)_PROXY/NO_PROXY as the edge read them; undefined: direct connections. */
  proxy?: ProxySettings;
}

/**
 * The longest server-requested wait we sit out. openai@6 honours `retry-after-ms` and
 * `retry-after` (seconds or an HTTP date) with no upper bound (its own backoff, used when
 * neither header is sent, is 0.5 s doubling to at most 8 s, minus up to 25 % jitter). A
 * `retry-after: 3600` (an exhausted quota) would stall every worker of a CI job for an hour per
 * attempt, so beyond this limit the answer is marked not retryable and fails at once as a
 * rate-limit error that says how long the server asked for.
 */
export const MAX_RETRY_AFTER_MS = 60_000;

/** Chat completions and embeddings of one OpenAI-compatible endpoint, through the official SDK. */
export function createOpenAIModels(options: OpenAIModelsOptions): ChatModel & EmbeddingModel {
  let client: OpenAI;
  try {
    client = new OpenAI({
      apiKey: options.apiKey,
      baseURL: options.baseURL,
      organization: options.organization,
      timeout: Math.max(1, Math.round(options.timeoutMs)),
      maxRetries: options.maxRetries,
      fetch: refuseLongRetryAfter(options.proxy ? createHttpFetch(options.proxy) : httpFetch),
    });
  } catch (e) {
    throw new PromptgateError(
      "E_CONFIG",
      `cannot create the OpenAI client: ${(e as Error).message}`,
      {
        hint: "export OPENAI_API_KEY, or OPENAI_BASE_URL for vLLM/Ollama/LiteLLM",
        cause: e,
      },
    );
  }
  // Error messages name the endpoint and quote the server: neither may carry the key or the
  // URL's password into a report (a 401 body can echo the key it was sent).
  const endpoint = redactUrl(client.baseURL);
  const scrub = createScrubber([client.apiKey ?? undefined, ...secretsOfUrl(client.baseURL)]);
  const fail = (e: unknown, signal?: AbortSignal) => {
    const err = toLlmError(e, endpoint, options.maxRetries, signal);
    if (err instanceof LlmError) err.message = scrub(err.message);
    return err;
  };

  return {
    async complete(request: ChatRequest, signal?: AbortSignal): Promise<ChatResponse> {
      const started = performance.now();
      let completion: OpenAI.Chat.Completions.ChatCompletion;
      try {
        completion = await withRequestSignal(signal, (requestSignal) =>
          client.chat.completions.create(
            { model: request.model, messages: request.messages, ...request.params, stream: false },
            { signal: requestSignal },
          ),
        );
      } catch (e) {
        throw fail(e, signal);
      }
      const latencyMs = performance.now() - started;
      const choice = completion.choices?.[0];
      if (!choice) throw new LlmError("bad-response", `${endpoint}: the response has no choices`);
      const content = choice.message?.content;
      if (typeof content !== "string") {
        const refusal = choice.message?.refusal;
        throw new LlmError(
          "bad-response",
          refusal
            ? `${endpoint}: the model refused: ${scrub(refusal)}`
            : `${endpoint}: the response has no text content (finish_reason ${choice.finish_reason})`,
        );
      }
      const usage = completion.usage;
      const cachedTokens = usage?.prompt_tokens_details?.cached_tokens;
      return {
        output: content,
        usage: {
          // Some compatible servers omit usage; zero keeps the sums defined, and the engine
          // prices no sample without usage: its cost is unknown, never $0.
          promptTokens: usage?.prompt_tokens ?? 0,
          completionTokens: usage?.completion_tokens ?? 0,
          ...(cachedTokens === undefined ? {} : { cachedTokens }),
        },
        latencyMs,
        cached: false,
        model: completion.model,
      };
    },

    async embed(model: string, inputs: string[], signal?: AbortSignal): Promise<number[][]> {
      let response: OpenAI.Embeddings.CreateEmbeddingResponse;
      try {
        response = await withRequestSignal(signal, (requestSignal) =>
          client.embeddings.create({ model, input: inputs }, { signal: requestSignal }),
        );
      } catch (e) {
        throw fail(e, signal);
      }
      const data = response.data ?? [];
      if (data.length !== inputs.length) {
        throw new LlmError(
          "bad-response",
          `${endpoint}: asked for ${inputs.length} embeddings, got ${data.length}`,
        );
      }
      return [...data].sort((a, b) => a.index - b.index).map((d) => Array.from(d.embedding));
    },
  };
}

/**
 * The SDK adds an abort listener to the caller's signal for every request and never removes it,
 * so one run-wide signal would collect a closure per sample (and Node's leak warning after ten).
 * Each request gets its own signal that follows the caller's and is unlinked when it ends.
 */
async function withRequestSignal<T>(
  signal: AbortSignal | undefined,
  call: (signal: AbortSignal | undefined) => Promise<T>,
): Promise<T> {
  if (!signal || signal.aborted) return call(signal);
  const controller = new AbortController();
  const follow = () => controller.abort(signal.reason);
  signal.addEventListener("abort", follow, { once: true });
  try {
    return await call(controller.signal);
  } finally {
    signal.removeEventListener("abort", follow);
  }
}

function toLlmError(
  e: unknown,
  endpoint: string,
  maxRetries: number,
  signal?: AbortSignal,
): unknown {
  // The caller cancelled the run: not a property of the model, so no error sample; the caller
  // gets its own abort reason back, as from any abortable API.
  if (signal?.aborted) return signal.reason ?? e;
  const cause = e instanceof Error ? e.message : String(e);
  const afterRetries =
    maxRetries > 0 ? ` after ${maxRetries} ${maxRetries === 1 ? "retry" : "retries"}` : "";
  if (e instanceof OpenAI.APIConnectionTimeoutError) {
    return new LlmError("timeout", `${endpoint}: request timed out${afterRetries}`, { cause: e });
  }
  if (e instanceof OpenAI.APIConnectionError) {
    const detail = describeCause(e.cause);
    return new LlmError(
      "connection",
      `${endpoint}: cannot connect${afterRetries}: ${detail ?? cause}`,
      {
        cause: e,
      },
    );
  }
  if (e instanceof OpenAI.APIError && e.status !== undefined) {
    const status = e.status;
    if (status === 429) {
      const waited = e.headers?.get("x-promptgate-retry-after-refused");
      const why = waited
        ? `the server asked to wait ${waited} (over ${MAX_RETRY_AFTER_MS / 1000} s), not retried`
        : `rate limited${afterRetries}`;
      return new LlmError("rate-limit", `${endpoint}: ${why}: ${cause}`, { status, cause: e });
    }
    if (status >= 500) {
      return new LlmError("server", `${endpoint}: server error${afterRetries}: ${cause}`, {
        status,
        cause: e,
      });
    }
    if (status === 408) {
      return new LlmError("timeout", `${endpoint}: the server timed out${afterRetries}: ${cause}`, {
        status,
        cause: e,
      });
    }
    return new LlmError("client", `${endpoint}: request rejected: ${cause}`, { status, cause: e });
  }
  if (e instanceof SyntaxError) {
    return new LlmError("bad-response", `${endpoint}: the response is not valid JSON: ${cause}`, {
      cause: e,
    });
  }
  // The body broke off after the headers (undici's "terminated", node:http's "aborted"):
  // the connection failed mid-answer.
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (
    e instanceof TypeError ||
    code === "ECONNRESET" ||
    (e instanceof Error && e.message === "aborted")
  ) {
    const detail = describeCause(e instanceof Error ? e.cause : undefined);
    return new LlmError("connection", `${endpoint}: the response broke off: ${detail ?? cause}`, {
      cause: e,
    });
  }
  return new LlmError("bad-response", `${endpoint}: ${cause}`, { cause: e });
}

/** undici hides the useful part (ECONNREFUSED, "other side closed") one or two causes deep. */
function describeCause(cause: unknown): string | undefined {
  const parts: string[] = [];
  for (let c = cause; c instanceof Error && parts.length < 3; c = c.cause) {
    const code = (c as NodeJS.ErrnoException).code;
    parts.push(code && !c.message.includes(code) ? `${c.message} (${code})` : c.message);
  }
  return parts.length ? parts.join(": ") : undefined;
}

/** See MAX_RETRY_AFTER_MS: the SDK's own `x-should-retry: false` turns a long wait into an error. */
function refuseLongRetryAfter(send: HttpFetch): HttpFetch {
  return async (input, init) => checkRetryAfter(await send(input, init));
}

function checkRetryAfter(response: Response): Response {
  if (response.ok) return response;
  const wait = retryAfterMs(response.headers);
  if (wait === undefined || wait <= MAX_RETRY_AFTER_MS) return response;
  const headers = new Headers(response.headers);
  headers.set("x-should-retry", "false");
  headers.set("x-promptgate-retry-after-refused", `${Math.round(wait / 1000)} s`);
  return new Response(response.body, {
    status: response.status,
    statusText: response.statusText,
    headers,
  });
}

function retryAfterMs(headers: Headers): number | undefined {
  const ms = Number.parseFloat(headers.get("retry-after-ms") ?? "");
  if (!Number.isNaN(ms)) return ms;
  const value = headers.get("retry-after");
  if (!value) return undefined;
  const seconds = Number.parseFloat(value);
  if (!Number.isNaN(seconds)) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : date - Date.now();
}
