import { hash } from "node:crypto";
import { canonicalJson } from "../../../src/engine/response-cache.js";
import type { ChatModel, ChatRequest, ChatResponse } from "../../../src/engine/types.js";
import { seededStream } from "../stand-ins/openai/index.js";
import {
  type ChatCompletionBody,
  estimateTokens,
  type Responder,
  textOf,
} from "../stand-ins/openai/responders.js";

/**
 * The LLM stand-in without its HTTP server: a `ChatModel` that hands each request to a stand-in
 * `Responder` in-process, with the random stream the server would give that request. For seeded
 * simulations of hundreds of whole comparisons, where loopback HTTP through the SDK would cost
 * minutes; test/e2e/statistics-stand-in.test.ts checks that both give the same answers.
 *
 * The derivation mirrors test/support/stand-ins/openai/index.ts exactly (it is not exported there):
 * the body the SDK would send (`{ model, messages, ...params, stream: false }`, as JSON), its
 * canonical JSON hashed with sha256, and the n-th request with that body (n from 0) gets
 * sfc32 seeded by the first 16 bytes of sha256(`${seed}\0${bodyHash}\0${n}`), little-endian words.
 * Usage is what the server reports when the responder gives none: about four characters a token.
 */

export interface StandInChatModelOptions {
  /** The stand-in's `seed` option; default 0, as the server's. */
  seed?: number;
  responder: Responder;
}

export interface StandInChatModel extends ChatModel {
  /** Requests answered so far. */
  readonly requests: number;
}

interface BodyEntry {
  body: ChatCompletionBody;
  /** sha256 hex of the body's canonical JSON, as the server computes it. */
  bodyHash: string;
  promptTokens: number;
}

export function createStandInChatModel(options: StandInChatModelOptions): StandInChatModel {
  const seed = options.seed ?? 0;
  const timesSeen = new Map<string, number>();
  let requests = 0;

  // Repeats send identical bodies: serialise and hash each distinct body once. The engine renders
  // a case once and sends the same messages array for every repeat, so that array (weakly held)
  // plus the small rest of the body is the key; a fresh array only costs a miss.
  const bodies = new WeakMap<ChatRequest["messages"], Map<string, BodyEntry>>();
  function bodyOf(request: ChatRequest): BodyEntry {
    let byRest = bodies.get(request.messages);
    if (byRest === undefined) {
      byRest = new Map();
      bodies.set(request.messages, byRest);
    }
    const rest = `${request.model}\0${JSON.stringify(request.params)}`;
    let entry = byRest.get(rest);
    if (entry === undefined) {
      // What arrives at the server: the SDK's body as JSON (undefined members dropped).
      const body = JSON.parse(
        JSON.stringify({
          model: request.model,
          messages: request.messages,
          ...request.params,
          stream: false,
        }),
      ) as ChatCompletionBody;
      const promptText = body.messages.map((m) => textOf(m.content)).join("\n");
      entry = {
        body,
        bodyHash: hash("sha256", canonicalJson(body), "hex"),
        promptTokens: estimateTokens(promptText),
      };
      byRest.set(rest, entry);
    }
    return entry;
  }

  /** The n-th request with this exact body gets the n-th stream, as on the server. */
  function randomFor(bodyHash: string): () => number {
    const n = timesSeen.get(bodyHash) ?? 0;
    timesSeen.set(bodyHash, n + 1);
    return seededStream(seed, bodyHash, n);
  }

  return {
    get requests() {
      return requests;
    },
    async complete(request: ChatRequest): Promise<ChatResponse> {
      const started = performance.now();
      requests++;
      const { body, bodyHash, promptTokens } = bodyOf(request);
      const result = await options.responder(body, randomFor(bodyHash));
      const cachedTokens = result.usage?.cached_tokens;
      return {
        output: result.content,
        usage: {
          promptTokens: result.usage?.prompt_tokens ?? promptTokens,
          completionTokens: result.usage?.completion_tokens ?? estimateTokens(result.content),
          ...(cachedTokens === undefined ? {} : { cachedTokens }),
        },
        latencyMs: performance.now() - started,
        cached: false,
        model: body.model,
      };
    },
  };
}

// ---------------------------------------------------------------------------------------------
// A latent-quality responder: a model whose answers to each case pass with a fixed probability

/** Which prompt version a request came from: the system message says `(version vN)`. */
const VERSION_IN_SYSTEM = /\(version ([a-z0-9._-]+)\)/i;

export interface LatentDesign {
  /**
   * Mixed into the hash that gives each case its pass probability: a different world (a fresh
   * golden set of the same shape) per simulated comparison.
   */
  world: number;
  /** Pass-probability change per prompt version, e.g. `{ v1: 0, v2: -0.1 }`; unknown versions 0. */
  shift: Record<string, number>;
}

/**
 * The case's base pass probability, from a uniform u = hash(world, user message) in [0, 1):
 * p = 0.1 + 0.9 · u^(1/4), i.e. a Beta(4, 1) spread stretched over [0.1, 1]. Most cases pass
 * most of the time (mean 0.82), with a tail of hard ones down to 0.1, like a real golden set.
 * The floor of 0.1 lets a version 10 points worse lower every case by exactly 10 points, so the
 * true Δ is exactly −10 points, on every golden set drawn, with no clamping at 0.
 */
export function latentPassProbability(world: number, user: string): number {
  const h = hash("sha256", `${world}\0${user}`, "buffer");
  const u = h.readUInt32LE(0) / 4294967296;
  return 0.1 + 0.9 * u ** 0.25;
}

export const PASS_TEXT = "PASS";
export const FAIL_TEXT = "FAIL";

/**
 * Answers "PASS …" with the case's latent probability (shifted by the version's change) and
 * "FAIL …" otherwise, drawing from the request's seeded stream; a golden set asserting
 * `contains: PASS` then samples exactly that probability. Base and head are different prompt
 * texts, so their requests, and so their streams, differ: their samples are independent, as a
 * real model's are.
 */
export function createLatentResponder(design: LatentDesign): Responder {
  const cache = new Map<string, number>();
  return function respond(req, rand) {
    let system = "";
    let user = "";
    for (const m of req.messages) {
      if (m.role === "system" || m.role === "developer") system = textOf(m.content);
      else if (m.role === "user") user = textOf(m.content);
    }
    const version = VERSION_IN_SYSTEM.exec(system)?.[1] ?? "";
    let p = cache.get(user);
    if (p === undefined) {
      p = latentPassProbability(design.world, user);
      cache.set(user, p);
    }
    const q = Math.min(1, Math.max(0, p + (design.shift[version] ?? 0)));
    return rand() < q
      ? { content: `${PASS_TEXT}: the answer resolves the ticket.` }
      : { content: `${FAIL_TEXT}: the answer misses the point.` };
  };
}
