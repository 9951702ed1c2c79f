/**
 * An OpenAI-compatible server on loopback, standing in for the real API in tests, the benchmark
 * and the no-key demo. The project reaches it only through the official `openai` SDK (`baseURL`),
 * as users reach vLLM, Ollama or LiteLLM. See ../shared/design/testing.md.
 *
 * Answers come from a responder (default: deterministic echo plus the built-in grader) fed a
 * random stream seeded by hash(seed, canonical body, n), n counting earlier identical bodies, so
 * repeated samples differ while the multiset of answers does not depend on arrival order.
 */
import { createHash } from "node:crypto";
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { canonicalJson } from "../../../../src/engine/response-cache.js";
import {
  type ChatCompletionBody,
  defaultResponder,
  embedText,
  estimateTokens,
  type Responder,
  textOf,
} from "./responders.js";

export {
  answerAsGrader,
  type ChatCompletionBody,
  defaultResponder,
  embedText,
  GRADER_MARKER,
  gradeRubric,
  loadRules,
  type Responder,
  type ResponderResult,
  type ResponderUsage,
  type Rule,
  rulesResponder,
  textOf,
} from "./responders.js";

export interface RecordedRequest {
  method: string;
  /** Path without the query, e.g. `/v1/chat/completions`. */
  path: string;
  headers: IncomingHttpHeaders;
  /** The parsed JSON body when it is an object. */
  body: Record<string, unknown> | undefined;
  /** performance.now() when the request arrived. */
  receivedAt: number;
}

export type Fault = {
  match?: (req: RecordedRequest) => boolean;
  /** How many requests this fault serves; forever when omitted. */
  times?: number;
} & (
  | { kind: "status"; status: number; retryAfterS?: number; body?: unknown }
  | { kind: "hang" }
  | { kind: "malformed-json" }
  | { kind: "truncated-stream" }
  | { kind: "empty-choices" }
);

export interface StandInOptions {
  /** Seeds the per-request random streams; default 0. */
  seed?: number;
  responder?: Responder;
  faults?: Fault[];
  latencyMs?: number;
  /** Check traffic against OpenAI's OpenAPI description (loads ajv and the spec on first start). */
  validate?: boolean;
  /** The spec to validate against; default OPENAI_SPEC, then ../shared/specs/openai.openapi.json. */
  specPath?: string;
  /** When set, requests without `Authorization: Bearer <apiKey>` get OpenAI's 401. */
  apiKey?: string;
  /** When set, other models get OpenAI's 404 `model_not_found`; also what GET /v1/models lists. */
  models?: string[];
}

export interface OpenAIStandIn {
  /** `http://127.0.0.1:<port>/v1` */
  baseURL: string;
  requests: RecordedRequest[];
  /** Spec violations seen in requests and responses; tests assert this stays empty. */
  violations: string[];
  setFaults(faults: Fault[]): void;
  setResponder(responder: Responder): void;
  setLatency(ms: number): void;
  close(): Promise<void>;
}

const LISTED_MODELS = ["gpt-4o-mini", "gpt-4o", "gpt-4.1-mini", "text-embedding-3-small"];
const CREATED = 1_700_000_000;

export async function startOpenAIStandIn(options: StandInOptions = {}): Promise<OpenAIStandIn> {
  const seed = options.seed ?? 0;
  let responder = options.responder ?? defaultResponder;
  let latencyMs = options.latencyMs ?? 0;
  let faults: { fault: Fault; left: number }[] = [];
  const setFaults = (list: Fault[]) => {
    faults = list.map((fault) => ({ fault, left: fault.times ?? Number.POSITIVE_INFINITY }));
  };
  setFaults(options.faults ?? []);
  const requests: RecordedRequest[] = [];
  const violations: string[] = [];
  const validator = options.validate
    ? (await import("./spec-validator.js")).loadSpecValidator(options.specPath)
    : undefined;
  const timesSeen = new Map<string, number>();
  let ids = 0;

  /** The n-th request with this exact body gets the n-th stream, whoever else is in flight. */
  const randomFor = (body: unknown): (() => number) => {
    const bodyHash = createHash("sha256").update(canonicalJson(body)).digest("hex");
    const n = timesSeen.get(bodyHash) ?? 0;
    timesSeen.set(bodyHash, n + 1);
    return seededStream(seed, bodyHash, n);
  };

  const takeFault = (req: RecordedRequest): Fault | undefined => {
    const entry = faults.find((f) => f.left > 0 && (f.fault.match?.(req) ?? true));
    if (entry) entry.left--;
    return entry?.fault;
  };

  /**
   * The moment each answer may leave: `latencyMs` after its request arrived. The answer is
   * computed first and held until then, so the stand-in's own work is hidden inside the latency
   * instead of added to it, as a remote server's would be from the client's side.
   */
  const dueAt = new WeakMap<ServerResponse, number>();
  const holdUntilDue = async (res: ServerResponse): Promise<void> => {
    const left = (dueAt.get(res) ?? 0) - performance.now();
    if (left > 0) await sleep(left);
  };

  const send = async (
    res: ServerResponse,
    path: string,
    status: number,
    body: unknown,
    check = true,
  ): Promise<void> => {
    if (check && validator) violations.push(...validator.checkResponse(path, status, body));
    const text = JSON.stringify(body);
    await holdUntilDue(res);
    res.writeHead(status, {
      "content-type": "application/json",
      "content-length": Buffer.byteLength(text),
      "x-request-id": `req_${++ids}`,
    });
    res.end(text);
  };
  const sendError = (
    res: ServerResponse,
    path: string,
    status: number,
    error: ErrorBody["error"],
  ) => send(res, path, status, { error } satisfies ErrorBody);

  async function serveFault(
    fault: Fault,
    req: RecordedRequest,
    res: ServerResponse,
  ): Promise<void> {
    switch (fault.kind) {
      case "hang":
        // Never answer; the client's timeout (or close()) ends it.
        return;
      case "status": {
        if (fault.retryAfterS !== undefined)
          res.setHeader("retry-after", String(fault.retryAfterS));
        if (fault.body !== undefined) return send(res, req.path, fault.status, fault.body, false);
        return sendError(res, req.path, fault.status, errorFor(fault.status));
      }
      case "malformed-json": {
        const text =
          '{"id": "chatcmpl-broken", "object": "chat.completion", "choices": [{"index": 0, "mess';
        await holdUntilDue(res);
        res.writeHead(200, {
          "content-type": "application/json",
          "content-length": Buffer.byteLength(text),
        });
        res.end(text);
        return;
      }
      case "empty-choices": {
        const body = {
          ...completionShell(req.body, `chatcmpl-${++ids}`),
          choices: [],
          usage: usageOf(0, 0),
        };
        return send(res, req.path, 200, body);
      }
      case "truncated-stream": {
        await holdUntilDue(res);
        if (req.body?.stream === true) {
          startStream(res);
          const chunk = chunkShell(req.body, `chatcmpl-${++ids}`);
          res.write(
            sse({
              ...chunk,
              choices: [
                { index: 0, delta: { role: "assistant", content: "Half an" }, finish_reason: null },
              ],
            }),
          );
        } else {
          const text = JSON.stringify({
            ...completionShell(req.body, `chatcmpl-${++ids}`),
            choices: [],
          });
          res.writeHead(200, {
            "content-type": "application/json",
            "content-length": Buffer.byteLength(text),
          });
          res.write(text.slice(0, Math.floor(text.length / 2)));
        }
        // The connection drops mid-body, as a proxy or a crashed server leaves it.
        await sleep(10);
        res.destroy();
        return;
      }
    }
  }

  async function serveChat(req: RecordedRequest, res: ServerResponse): Promise<void> {
    const body = req.body;
    if (typeof body?.model !== "string" || !Array.isArray(body.messages)) {
      return sendError(res, req.path, 400, invalidRequest("'model' and 'messages' are required"));
    }
    const chat = body as unknown as ChatCompletionBody;
    if (options.models && !options.models.includes(chat.model)) {
      return sendError(res, req.path, 404, {
        message: `The model \`${chat.model}\` does not exist or you do not have access to it.`,
        type: "invalid_request_error",
        param: null,
        code: "model_not_found",
      });
    }
    const rand = randomFor(body);
    const results = [];
    for (let i = 0; i < (chat.n ?? 1); i++) results.push(await responder(chat, rand));
    const promptText = chat.messages.map((m) => textOf(m.content)).join("\n");
    const first = results[0]?.usage;
    const promptTokens = first?.prompt_tokens ?? estimateTokens(promptText);
    const completionTokens = results.reduce(
      (sum, r) => sum + (r.usage?.completion_tokens ?? estimateTokens(r.content)),
      0,
    );
    const usage = usageOf(promptTokens, completionTokens, first?.cached_tokens);
    const id = `chatcmpl-${++ids}`;

    if (chat.stream) {
      await holdUntilDue(res);
      startStream(res);
      const chunk = chunkShell(body, id);
      const emit = (value: Record<string, unknown>) => {
        if (validator) {
          violations.push(...validator.checkResponse(req.path, 200, value, "text/event-stream"));
        }
        res.write(sse(value));
      };
      results.forEach((r, index) => {
        emit({
          ...chunk,
          choices: [{ index, delta: { role: "assistant", content: "" }, finish_reason: null }],
        });
        for (const piece of r.content.match(/\s*\S+/g) ?? []) {
          emit({ ...chunk, choices: [{ index, delta: { content: piece }, finish_reason: null }] });
        }
        emit({ ...chunk, choices: [{ index, delta: {}, finish_reason: "stop" }] });
      });
      if (chat.stream_options?.include_usage) emit({ ...chunk, choices: [], usage });
      res.end("data: [DONE]\n\n");
      return;
    }
    return send(res, req.path, 200, {
      ...completionShell(body, id),
      choices: results.map((r, index) => ({
        index,
        message: { role: "assistant", content: r.content, refusal: null, annotations: [] },
        logprobs: null,
        finish_reason: "stop",
      })),
      usage,
    });
  }

  function serveEmbeddings(req: RecordedRequest, res: ServerResponse): Promise<void> {
    const body = req.body;
    const input = body?.input;
    if (typeof body?.model !== "string" || input === undefined) {
      return sendError(res, req.path, 400, invalidRequest("'model' and 'input' are required"));
    }
    const single =
      typeof input === "string" || (Array.isArray(input) && typeof input[0] === "number");
    // Token arrays have no text; their numbers stand in for words.
    const texts = (single ? [input] : (input as unknown[])).map((x) =>
      Array.isArray(x) ? x.join(" ") : String(x),
    );
    const dimensions = typeof body.dimensions === "number" ? body.dimensions : 256;
    const tokens = texts.reduce((sum, t) => sum + estimateTokens(t), 0);
    const floats = {
      object: "list",
      data: texts.map((t, index) => ({
        object: "embedding",
        index,
        embedding: embedText(t, dimensions),
      })),
      model: body.model,
      usage: { prompt_tokens: tokens, total_tokens: tokens },
    };
    // The spec types `embedding` as floats only: check that form, then send what was asked for.
    if (validator) violations.push(...validator.checkResponse(req.path, 200, floats));
    const answer =
      body.encoding_format === "base64"
        ? {
            ...floats,
            data: floats.data.map((d) => ({
              ...d,
              embedding: Buffer.from(new Float32Array(d.embedding).buffer).toString("base64"),
            })),
          }
        : floats;
    return send(res, req.path, 200, answer, false);
  }

  async function handle(incoming: IncomingMessage, res: ServerResponse): Promise<void> {
    if (latencyMs > 0) dueAt.set(res, performance.now() + latencyMs);
    const url = new URL(incoming.url ?? "/", "http://stand-in");
    const raw = await readBody(incoming);
    let parsed: unknown;
    let unparsable = false;
    if (raw.length > 0) {
      try {
        parsed = JSON.parse(raw);
      } catch {
        unparsable = true;
      }
    }
    const req: RecordedRequest = {
      method: incoming.method ?? "GET",
      path: url.pathname,
      headers: incoming.headers,
      body:
        parsed !== null && typeof parsed === "object" && !Array.isArray(parsed)
          ? (parsed as Record<string, unknown>)
          : undefined,
      receivedAt: performance.now(),
    };
    requests.push(req);
    const route = `${req.method} ${req.path}`;
    const known =
      route === "POST /v1/chat/completions" ||
      route === "POST /v1/embeddings" ||
      route === "GET /v1/models";
    if (validator && known && req.method === "POST" && !unparsable) {
      violations.push(...validator.checkRequest(req.path, parsed));
    }
    if (
      options.apiKey !== undefined &&
      incoming.headers.authorization !== `Bearer ${options.apiKey}`
    ) {
      return sendError(res, req.path, 401, {
        message: "Incorrect API key provided.",
        type: "invalid_request_error",
        param: null,
        code: "invalid_api_key",
      });
    }
    if (!known) {
      return sendError(res, req.path, 404, invalidRequest(`Unknown request URL: ${route}.`));
    }
    if (unparsable) {
      return sendError(
        res,
        req.path,
        400,
        invalidRequest("We could not parse the JSON body of your request."),
      );
    }
    const fault = takeFault(req);
    if (fault) return serveFault(fault, req, res);
    if (route === "POST /v1/chat/completions") return serveChat(req, res);
    if (route === "POST /v1/embeddings") return serveEmbeddings(req, res);
    const models = options.models ?? LISTED_MODELS;
    return send(res, req.path, 200, {
      object: "list",
      data: models.map((id) => ({
        id,
        object: "model",
        created: CREATED,
        owned_by: "promptgate-stand-in",
      })),
    });
  }

  const server = createServer((incoming, res) => {
    handle(incoming, res).catch((e: unknown) => {
      // A responder that throws is a bug in the test: make it loud, and answer like a crashed server.
      violations.push(`stand-in error: ${e instanceof Error ? e.stack : String(e)}`);
      if (!res.headersSent)
        void sendError(res, "", 500, {
          message: String(e),
          type: "server_error",
          param: null,
          code: null,
        });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    requests,
    violations,
    setFaults,
    setResponder: (r) => {
      responder = r;
    },
    setLatency: (ms) => {
      latencyMs = ms;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((e) => (e ? reject(e) : resolve()));
        // Hung and keep-alive connections would hold close() open forever.
        server.closeAllConnections();
      }),
  };
}

type ErrorBody = {
  error: { message: string; type: string; param: string | null; code: string | null };
};

function invalidRequest(message: string): ErrorBody["error"] {
  return { message, type: "invalid_request_error", param: null, code: null };
}

/** OpenAI's own wording for the statuses tests inject. */
function errorFor(status: number): ErrorBody["error"] {
  if (status === 429) {
    return {
      message: "Rate limit reached for requests. Please try again later.",
      type: "requests",
      param: null,
      code: "rate_limit_exceeded",
    };
  }
  if (status >= 500) {
    return {
      message: "The server had an error while processing your request. Sorry about that!",
      type: "server_error",
      param: null,
      code: null,
    };
  }
  return invalidRequest(`Injected ${status}.`);
}

function completionShell(body: Record<string, unknown> | undefined, id: string) {
  return {
    id,
    object: "chat.completion",
    created: nowS(),
    model: String(body?.model ?? "unknown"),
  };
}

function chunkShell(body: Record<string, unknown> | undefined, id: string) {
  return {
    id,
    object: "chat.completion.chunk",
    created: nowS(),
    model: String(body?.model ?? "unknown"),
  };
}

function usageOf(prompt: number, completion: number, cached?: number) {
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    ...(cached === undefined ? {} : { prompt_tokens_details: { cached_tokens: cached } }),
  };
}

function startStream(res: ServerResponse): void {
  res.writeHead(200, {
    "content-type": "text/event-stream",
    "cache-control": "no-cache",
    connection: "keep-alive",
  });
}

function sse(value: unknown): string {
  return `data: ${JSON.stringify(value)}\n\n`;
}

function nowS(): number {
  return Math.floor(Date.now() / 1000);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/**
 * The random stream of the n-th request with a given body hash: what makes the stand-in's noise
 * deterministic under concurrency. Exported so an in-process model can draw exactly the same.
 */
export function seededStream(seed: number, bodyHash: string, n: number): () => number {
  const d = createHash("sha256").update(`${seed}\0${bodyHash}\0${n}`).digest();
  return sfc32(d.readUInt32LE(0), d.readUInt32LE(4), d.readUInt32LE(8), d.readUInt32LE(12));
}

/** A small, fast PRNG with a 128-bit state, enough for test noise (Chris Doty-Humphrey's sfc32). */
function sfc32(a: number, b: number, c: number, d: number): () => number {
  return () => {
    a |= 0;
    b |= 0;
    c |= 0;
    d |= 0;
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
}
