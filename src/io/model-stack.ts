import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, isAbsolute, join, relative, resolve } from "node:path";
import {
  deriveCacheSecret,
  withEmbeddingCache,
  withIntegrity,
  withResponseCache,
} from "../engine/response-cache.js";
import { type EngineDeps, gradingModels } from "../engine/run-eval.js";
import type { ChatModel, EmbeddingModel } from "../engine/types.js";
import { PromptgateError } from "../errors.js";
import type { Settings } from "../formats/settings.js";
import { createScrubber, type Scrub, secretsOfUrl } from "../scrub.js";
import { createDiskStore, readOrCreateCacheSecret } from "./disk-cache.js";
import { createOpenAIModels } from "./openai-client.js";
import { readProxySettings } from "./proxy.js";

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
  /** Removes this stack's key and endpoint password from text on its way to a file or a log. */
  scrub: Scrub;
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
    proxy: readProxySettings(env),
  });
  const cacheDir = flags.noCache
    ? undefined
    : flags.cacheDir
      ? resolve(root, flags.cacheDir)
      : defaultCacheDir(env);
  if (cacheDir) checkCacheDir(root, cacheDir);
  const store = cacheDir
    ? withIntegrity(createDiskStore(cacheDir), cacheSecret(env, cacheDir))
    : undefined;
  const chat = store ? withResponseCache(models, store, baseURL) : models;
  const embeddings = store ? withEmbeddingCache(models, store, baseURL) : models;
  return { chat, embeddings, baseURL, cacheDir, scrub: scrubberFor(env, baseURL) };
}

/**
 * The CLI's cache when no --cache-dir is given: the user's cache folder, outside every working
 * tree, so no checkout's files (a pull request's) are ever read as cached answers.
 */
export function defaultCacheDir(env: CliEnv): string {
  const base =
    env.XDG_CACHE_HOME && isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : undefined;
  return join(base ?? join(env.HOME || homedir(), ".cache"), "promptgate");
}

/**
 * The tag key of cache entries: PROMPTGATE_CACHE_SECRET when set (one per repository, shared
 * by runs with different keys), else derived from the API key; without a key (a local server),
 * a random key kept in the cache folder itself (readOrCreateCacheSecret says why that is safe).
 */
function cacheSecret(env: CliEnv, cacheDir: string): Uint8Array | Promise<Uint8Array> {
  if (env.PROMPTGATE_CACHE_SECRET) return deriveCacheSecret(env.PROMPTGATE_CACHE_SECRET);
  if (env.OPENAI_API_KEY) return deriveCacheSecret(env.OPENAI_API_KEY);
  return readOrCreateCacheSecret(cacheDir);
}

/**
 * A cache folder inside the checkout that git tracks, or that holds tracked files, is the pull
 * request's to fill: refused. (Untracked and ignored folders are the runner's own.) Synchronous,
 * one `git ls-files`, so every edge that builds a model stack gets the check before a request.
 */
export function checkCacheDir(root: string, cacheDir: string): void {
  const rel = relative(root, cacheDir);
  if (!mayBeInCheckout(root, cacheDir)) return;
  let tracked: string;
  try {
    // The absolute path, not `rel`: a subfolder root (a monorepo's llm/) may be given a cache
    // folder elsewhere in the same checkout (../cache), which the pull request can fill as well.
    // git refuses a path outside the repository, and that is the "not tracked" answer below.
    tracked = execFileSync("git", ["--literal-pathspecs", "ls-files", "-z", "--", cacheDir], {
      cwd: root,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    });
  } catch {
    return; // not a git checkout: nothing is tracked
  }
  if (tracked.length === 0) return;
  const first = tracked.split("\0")[0] ?? rel;
  throw new PromptgateError(
    "E_CONFIG",
    `the cache folder ${rel || "."} holds files git tracks (${first}): a pull request could plant answers there`,
    {
      hint: "use a folder outside the checkout (the default), or an untracked, ignored one; remove the committed cache files",
    },
  );
}

/**
 * Whether git could track anything in the folder: it is inside the root, or some folder above it
 * holds a `.git`. The runner's own folders ($RUNNER_TEMP, ~/.cache) hold none, and skipping the
 * `git` process there is a tenth of a warm smoke run's CPU.
 */
function mayBeInCheckout(root: string, cacheDir: string): boolean {
  const inside = relative(resolve(root), resolve(cacheDir));
  if (inside === "" || (!inside.startsWith("..") && !isAbsolute(inside))) return true;
  for (let dir = resolve(cacheDir); ; dir = dirname(dir)) {
    if (existsSync(join(dir, ".git"))) return true;
    if (dirname(dir) === dir) return false;
  }
}

/** The scrubber of a run's secrets: the key in the environment and the endpoint's password. */
export function scrubberFor(env: CliEnv, baseURL?: string): Scrub {
  return createScrubber([
    env.OPENAI_API_KEY,
    env.PROMPTGATE_CACHE_SECRET,
    ...secretsOfUrl(baseURL),
    ...secretsOfUrl(env.OPENAI_BASE_URL),
  ]);
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

/**
 * What the engine needs to reach the models and price their answers (progress is the caller's),
 * and the scrubber of this endpoint's secrets for whatever the caller writes.
 */
export type EngineModels = Omit<EngineDeps, "onProgress" | "signal" | "now"> & { scrub: Scrub };

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
    scrub: stack.scrub,
  };
}
