import { join, resolve } from "node:path";
import { createOpenAIModels } from "../engine/openai-client.js";
import { withEmbeddingCache, withResponseCache } from "../engine/response-cache.js";
import { type EngineDeps, gradingModels } from "../engine/run-eval.js";
import type { ChatModel, EmbeddingModel } from "../engine/types.js";
import { PromptgateError } from "../errors.js";
import type { Settings } from "../formats/settings.js";
import { createDiskStore } from "./disk-cache.js";

export interface ModelFlags {
  baseUrl?: string;
  concurrency?: number;
  noCache?: boolean;
  cacheDir?: string;
  /** What to do about a missing key, in the caller's words (the action names its input). */
  missingKeyHint?: string;
}

export interface ModelStack {
  chat: ChatModel;
  embeddings: EmbeddingModel;
  baseURL: string;
  cacheDir: string | undefined;
}

export const DEFAULT_BASE_URL = "https://api.openai.com/v1";

/**
 * The endpoint: a flag wins, then OPENAI_BASE_URL (what vLLM/Ollama/LiteLLM users export), then
 * promptgate.yaml, then OpenAI. The key is left to the SDK, which reads OPENAI_API_KEY itself.
 */
export function resolveBaseUrl(settings: Settings, flags: ModelFlags, env: CliEnv): string {
  return flags.baseUrl ?? env.OPENAI_BASE_URL ?? settings.provider.baseUrl ?? DEFAULT_BASE_URL;
}

type CliEnv = Record<string, string | undefined>;

export function createModelStack(
  root: string,
  settings: Settings,
  flags: ModelFlags,
  env: CliEnv,
): ModelStack {
  const baseURL = resolveBaseUrl(settings, flags, env);
  requireCredentials(baseURL, env, flags.missingKeyHint);
  const models = createOpenAIModels({
    baseURL,
    // Local servers (Ollama, vLLM) take any key; the SDK refuses to start without one.
    apiKey: env.OPENAI_API_KEY ?? (baseURL === DEFAULT_BASE_URL ? undefined : "unused"),
    timeoutMs: settings.provider.timeoutMs,
    maxRetries: settings.provider.retries,
  });
  const cacheDir = flags.noCache
    ? undefined
    : resolve(root, flags.cacheDir ?? join(".promptgate", "cache"));
  const store = cacheDir ? createDiskStore(cacheDir) : undefined;
  const chat = store ? withResponseCache(models, store, baseURL) : models;
  const embeddings = store ? withEmbeddingCache(models, store, baseURL) : models;
  return { chat, embeddings, baseURL, cacheDir };
}

export function requireCredentials(
  baseURL: string,
  env: CliEnv,
  hint = "export OPENAI_API_KEY, or OPENAI_BASE_URL for vLLM/Ollama/LiteLLM; `npm run demo` needs neither",
): void {
  if (baseURL === DEFAULT_BASE_URL && !env.OPENAI_API_KEY) {
    throw new PromptgateError("E_CONFIG", "OPENAI_API_KEY is not set", { hint });
  }
}

/** What the engine needs to reach the models and price their answers; progress is the caller's. */
export type EngineModels = Omit<EngineDeps, "onProgress" | "signal" | "now">;

/**
 * The engine's dependencies, built in one place for every command: the endpoint's chat and
 * embeddings (cached unless told not to), the judge and embeddings models, the prices, and the
 * concurrency (a flag wins over promptgate.yaml).
 */
export function createEngineModels(
  root: string,
  settings: Settings,
  flags: ModelFlags,
  env: CliEnv,
): EngineModels {
  const stack = createModelStack(root, settings, flags, env);
  return {
    chat: stack.chat,
    embeddings: stack.embeddings,
    ...gradingModels(settings),
    prices: settings.prices,
    concurrency: flags.concurrency ?? settings.provider.concurrency,
  };
}
