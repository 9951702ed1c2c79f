import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import type { Usage } from "../cost/usage.js";
import type { ChatModel, ChatRequest, ChatResponse, EmbeddingModel } from "./types.js";

/** What the cache keeps of a successful chat response; `cached` is implied by where it came from. */
export type CachedChat = Omit<ChatResponse, "cached">;

/**
 * Content-addressed storage of JSON values; keys are lowercase sha256 hex. A store does not
 * know what it holds: the readers below check the shape of what they get (a disk entry may be
 * corrupt, or written by another version), and anything unexpected is a miss.
 */
export interface ResponseStore {
  get(key: string): Promise<unknown>;
  put(key: string, value: unknown): Promise<void>;
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/**
 * JSON with object keys sorted at every depth, so equal values give equal bytes whatever the
 * order their keys were built in. Undefined members are dropped, as JSON.stringify does.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

/**
 * The key covers everything that decides the answer: the endpoint (the same model id on vLLM and
 * on OpenAI are different models), the model, the rendered messages, the parameters, and the
 * repeat index (so repeats stay distinct samples instead of one answer counted N times).
 */
export function cacheKey(namespace: string, request: ChatRequest): string {
  const { model, messages, params, sampleIndex } = request;
  return sha256(canonicalJson({ baseURL: namespace, model, messages, params, sampleIndex }));
}

/**
 * Serves repeated work from the store and sends only what it has never seen. Errors are not
 * stored: a rate limit today must not become a cached failure tomorrow. Identical requests in
 * flight at the same time share one call, so a key is sent at most once. A hit keeps the latency
 * measured when it was fetched, so latency assertions and reports read the same on a rerun.
 */
export function withResponseCache(
  model: ChatModel,
  store: ResponseStore,
  namespace: string,
): ChatModel {
  const inFlight = new Map<string, Promise<CachedChat>>();

  const fetchAndStore = async (key: string, request: ChatRequest, signal?: AbortSignal) => {
    const { cached: _, ...value } = await model.complete(request, signal);
    // The cache only saves money; a failed write (read-only or full disk) costs a re-send on
    // the next run, which is no reason to lose this sample.
    await store.put(key, value).catch(() => undefined);
    return value;
  };

  return {
    async complete(request, signal) {
      const key = cacheKey(namespace, request);
      const hit = await store.get(key);
      if (isCachedChat(hit)) return { ...hit, cached: true };
      let pending = inFlight.get(key);
      if (!pending) {
        pending = fetchAndStore(key, request, signal).finally(() => inFlight.delete(key));
        inFlight.set(key, pending);
      }
      return { ...(await pending), cached: false };
    },
  };
}

/**
 * Embeddings cached per input text, so a rerun sends nothing and a batch with one new text sends
 * only that text. The `similar` assertion embeds every output, so without this a rerun of an
 * unchanged eval would still call the endpoint once per sample.
 */
export function withEmbeddingCache(
  model: EmbeddingModel,
  store: ResponseStore,
  namespace: string,
): EmbeddingModel {
  return {
    async embed(modelId, inputs, signal) {
      const keys = inputs.map((input) =>
        sha256(canonicalJson({ baseURL: namespace, model: modelId, embed: input })),
      );
      const vectors = await Promise.all(
        keys.map(async (key) => {
          const hit = await store.get(key);
          return isVector(hit) ? hit : undefined;
        }),
      );
      const missing = inputs.flatMap((_, i) => (vectors[i] ? [] : [i]));
      if (missing.length > 0) {
        const fresh = await model.embed(
          modelId,
          missing.map((i) => inputs[i]!),
          signal,
        );
        await Promise.all(
          missing.map((i, j) => {
            vectors[i] = fresh[j];
            // As for chat: a failed write only costs a re-send next time.
            return store.put(keys[i]!, fresh[j]).catch(() => undefined);
          }),
        );
      }
      return vectors as number[][];
    },
  };
}

function isVector(value: unknown): value is number[] {
  return Array.isArray(value) && value.length > 0 && value.every((x) => typeof x === "number");
}

function isCachedChat(value: unknown): value is CachedChat {
  if (value === null || typeof value !== "object") return false;
  const v = value as Partial<CachedChat>;
  return (
    typeof v.output === "string" &&
    typeof v.latencyMs === "number" &&
    (v.model === undefined || typeof v.model === "string") &&
    isUsage(v.usage)
  );
}

function isUsage(value: unknown): value is Usage {
  if (value === null || typeof value !== "object") return false;
  const u = value as Partial<Usage>;
  return (
    typeof u.promptTokens === "number" &&
    typeof u.completionTokens === "number" &&
    (u.cachedTokens === undefined || typeof u.cachedTokens === "number")
  );
}

/**
 * A store whose entries carry an integrity tag, HMAC-SHA256 over the entry's key and content,
 * keyed by a secret the pull request cannot read. A cache folder is only files: whoever can
 * write one (a PR committing `.promptgate/cache/`, a poisoned `actions/cache` restore) could
 * otherwise choose the answers a run grades. An entry whose tag does not verify, or that has
 * none (written before tags), is a miss, and the next success overwrites it.
 */
export function withIntegrity(
  store: ResponseStore,
  secret: Uint8Array | Promise<Uint8Array>,
): ResponseStore {
  const tagOf = async (key: string, content: string) =>
    createHmac("sha256", await secret)
      .update(`${key}\0${content}`)
      .digest("hex");
  return {
    async get(key) {
      const entry = await store.get(key);
      if (entry === null || typeof entry !== "object") return undefined;
      const { tag, content } = entry as { tag?: unknown; content?: unknown };
      if (typeof tag !== "string" || typeof content !== "string") return undefined;
      const expected = Buffer.from(await tagOf(key, content), "hex");
      const given = Buffer.from(tag, "hex");
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
      try {
        return JSON.parse(content) as unknown;
      } catch {
        return undefined;
      }
    },
    async put(key, value) {
      // The content is kept as the exact bytes that were tagged: no re-serialisation to disagree.
      const content = canonicalJson(value);
      await store.put(key, { tag: await tagOf(key, content), content });
    },
  };
}

/** The tag key for a run with an API key: derived from it, so only holders of the key can sign. */
export function deriveCacheSecret(apiKey: string): Uint8Array {
  return createHmac("sha256", apiKey).update("promptgate-cache-v1").digest();
}

/** A store that lives as long as the process: for tests and for library users without a disk. */
export function createMemoryStore(): ResponseStore & { size(): number } {
  const entries = new Map<string, unknown>();
  return {
    get: async (key) => entries.get(key),
    put: async (key, value) => {
      entries.set(key, value);
    },
    size: () => entries.size,
  };
}
