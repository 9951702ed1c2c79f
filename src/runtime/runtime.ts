import { createHash } from "node:crypto";
import { describeError, PromptgateError } from "../errors.js";
import { type ChatMessage, type ModelConfig, renderPrompt } from "../formats/prompt-file.js";
import { type FileSource, findVersion, loadRepo, type Repo } from "../formats/repo.js";
import { defaultSettings, parseSettings, SETTINGS_FILE } from "../formats/settings.js";
import { isInCanary } from "./canary.js";

/**
 * Where the runtime reads the prompt repository: the same shape as `FileSource`.
 *
 * - A checkout, a mounted volume or a synced folder: `worktreeSource(root)`.
 * - A single git commit: `gitRevisionSource(root, "origin/main")` (re-create it to move on).
 * - HTTP: `read(path)` fetches `${base}/${path}` (e.g. raw.githubusercontent.com/<owner>/<repo>/
 *   <branch>/<path> or an object store holding a copy of the repository) and returns `undefined`
 *   on 404; `list(dir)` returns every file path below `dir`, relative to the repository root — from
 *   a manifest file published next to the copy, or from GitHub's git trees API
 *   (`GET /repos/{o}/{r}/git/trees/{branch}?recursive=1`). Take the tree once per refresh and read
 *   blobs from that same commit so a refresh never mixes two commits.
 *
 * Only promptgate.yaml, the prompt files and environments.yaml are read; golden sets are not.
 */
export type PromptStore = FileSource;

export interface OpenPromptsOptions {
  source: PromptStore;
  /** Re-read the source this often; 0 turns automatic refresh off. Default 30 s. */
  refreshMs?: number;
  /**
   * Told about every failed refresh (the runtime keeps serving the last good state). Default:
   * one `console.warn` line, so a broken commit is never silent.
   */
  onError?(error: unknown): void;
  /** Clock for `status()`, in ms; default `Date.now`. */
  now?(): number;
  /** Draws the canary bucket of a request resolved without a key: [0, 1); default `Math.random`. */
  random?(): number;
}

/** What serves one request: the prompt version, the model to call it with, and its template. */
export interface Resolved {
  /** The environment that serves this request: "canary" when the key falls in canary's share. */
  env: string;
  prompt: string;
  version: string;
  /** The pin's model when it names one, else the prompt file's. */
  model: string;
  /** Generation parameters from the prompt file's front matter. */
  config: ModelConfig;
  /** sha256 of the prompt file, hex: log it to tie an answer to the exact template. */
  contentHash: string;
  render(vars?: Record<string, unknown>): Promise<ChatMessage[]>;
}

export interface RefreshResult {
  changed: boolean;
  /** Set when the refresh failed and the last good state was kept. */
  error?: unknown;
}

export interface RuntimeChange {
  revision: string;
  previous: string;
}

export interface RuntimeStatus {
  /** Changes whenever any file the runtime read changes. */
  revision: string;
  /** When the state now served was loaded. */
  loadedAt: number;
  /** When the source was last read, successfully or not. */
  checkedAt: number;
  /** The error of the last refresh, cleared by the next good one: a stale-config health signal. */
  lastError: unknown;
}

export interface PromptRuntime {
  /** A fingerprint of the files the state was loaded from (12 hex digits). */
  readonly revision: string;
  /** `key` (a user id) keeps one side of a canary split; without it each request is drawn anew. */
  resolve(env: string, prompt: string, key?: string): Resolved;
  /** Re-reads the source now. Never rejects: a failure keeps the last good state. */
  refresh(): Promise<RefreshResult>;
  /** Calls `listener` after each refresh that changed the state; returns an unsubscribe. */
  onChange(listener: (change: RuntimeChange) => void): () => void;
  status(): RuntimeStatus;
  /** Stops automatic refresh; `resolve` keeps answering from the last state. */
  close(): void;
}

const CANARY = "canary";
const DEFAULT_REFRESH_MS = 30_000;

interface State {
  repo: Repo;
  revision: string;
  loadedAt: number;
}

/**
 * Opens a prompt repository for an application: throws at start when a file is invalid (a deploy
 * should fail loudly), then keeps following the source so a `/rollback` committed by the bot
 * reaches running apps on their next refresh, without a redeploy.
 */
export async function openPrompts(options: OpenPromptsOptions): Promise<PromptRuntime> {
  const { source } = options;
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const onError =
    options.onError ??
    ((e: unknown) =>
      console.warn(`promptgate: refresh failed, serving the last good state\n${describeError(e)}`));
  const refreshMs = options.refreshMs ?? DEFAULT_REFRESH_MS;

  let state: State = { ...(await loadState(source)), loadedAt: now() };
  let checkedAt = state.loadedAt;
  let lastError: unknown;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  const listeners = new Set<(change: RuntimeChange) => void>();

  const reportError = (e: unknown) => {
    try {
      onError(e);
    } catch {
      // A throwing error handler must not take the refresh loop down with it.
    }
  };

  const refreshOnce = async (): Promise<RefreshResult> => {
    let next: Omit<State, "loadedAt">;
    try {
      next = await loadState(source);
    } catch (e) {
      checkedAt = now();
      lastError = e;
      reportError(e);
      return { changed: false, error: e };
    }
    checkedAt = now();
    lastError = undefined;
    if (next.revision === state.revision) return { changed: false };
    const previous = state.revision;
    state = { ...next, loadedAt: checkedAt };
    for (const listener of listeners) {
      try {
        listener({ revision: next.revision, previous });
      } catch (e) {
        reportError(e);
      }
    }
    return { changed: true };
  };

  // Refreshes run one after another, so a manual refresh always reads after the call was made.
  let queue: Promise<unknown> = Promise.resolve();
  const refresh = (): Promise<RefreshResult> => {
    const run = queue.then(refreshOnce);
    queue = run;
    return run;
  };

  const schedule = () => {
    if (closed || !(refreshMs > 0)) return;
    timer = setTimeout(() => {
      void refresh().then(schedule);
    }, refreshMs);
    // The app decides when the process ends, not the refresh loop.
    timer.unref();
  };
  schedule();

  return {
    get revision() {
      return state.revision;
    },
    resolve: (env, prompt, key) => resolveIn(state.repo, env, prompt, key, random),
    refresh,
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    status: () => ({ revision: state.revision, loadedAt: state.loadedAt, checkedAt, lastError }),
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
    },
  };
}

/**
 * Loads the repository and fingerprints every file read. Golden sets are hidden from `loadRepo`:
 * they never change what an app serves, and a broken one must not stop a rollback from arriving.
 */
async function loadState(source: FileSource): Promise<{ repo: Repo; revision: string }> {
  const hash = createHash("sha256");
  const settingsText = await source.read(SETTINGS_FILE);
  let evalsDir: string | undefined;
  try {
    evalsDir = (settingsText === undefined ? defaultSettings() : parseSettings(settingsText)).paths
      .evals;
  } catch {
    // loadRepo reports the bad settings file with its location.
  }
  const recording: FileSource = {
    label: source.label,
    async read(path) {
      const text = path === SETTINGS_FILE ? settingsText : await source.read(path);
      hash.update(`${path}\0${text === undefined ? "-" : `+${text}`}\0`);
      return text;
    },
    async list(dir) {
      return dir === evalsDir ? [] : source.list(dir);
    },
  };
  // A running app serves pins; names it does not use must not stop it (`validate` reports them).
  const repo = await loadRepo(recording, { checkReferences: false });
  return { repo: { ...repo, source }, revision: hash.digest("hex").slice(0, 12) };
}

function resolveIn(
  repo: Repo,
  env: string,
  prompt: string,
  key: string | undefined,
  random: () => number,
): Resolved {
  const envFile = repo.settings.paths.environments;
  const envs = repo.environments?.environments;
  if (!envs) {
    throw new PromptgateError("E_NOT_FOUND", `no environments: ${envFile} does not exist`, {
      hint: `create ${envFile} with a pin for each prompt the app serves`,
    });
  }
  const environment = envs[env];
  if (!environment) {
    throw new PromptgateError(
      "E_NOT_FOUND",
      `unknown environment "${env}" (known: ${listNames(Object.keys(envs))})`,
      { location: { file: envFile }, hint: `use one of the environments in ${envFile}` },
    );
  }
  const pin = environment.prompts[prompt];
  if (!pin) {
    const known = repo.prompts.has(prompt);
    throw new PromptgateError(
      "E_NOT_FOUND",
      known
        ? `${env} does not pin prompt "${prompt}" (${env} pins: ${listNames(Object.keys(environment.prompts))})`
        : `unknown prompt "${prompt}" (known: ${listNames([...repo.prompts.keys()])})`,
      {
        location: { file: envFile },
        hint: known
          ? `promote a version of ${prompt} to ${env} first`
          : `add ${repo.settings.paths.prompts}/${prompt}/v1.prompt or check the name`,
      },
    );
  }

  // Canary serves a share of production requests, chosen by key so a user keeps one side, or
  // drawn per request when there is no key (the share holds; a user may see both sides).
  // It takes part only for prompts it pins, so a canary of one prompt leaves the others alone.
  let servedBy = env;
  let served = pin;
  const canary = envs[CANARY];
  const canaryPin = canary?.prompts[prompt];
  const traffic = canary?.traffic ?? 0;
  if (
    env === repo.settings.rollout.production &&
    env !== CANARY &&
    canaryPin &&
    traffic > 0 &&
    (key ? isInCanary(key, traffic) : random() * 100 < traffic)
  ) {
    servedBy = CANARY;
    served = canaryPin;
  }

  const pv = findVersion(repo, prompt, served.version);
  if (!pv) {
    // loadRepo rejects such pins, so this only guards a hand-built Repo.
    throw new PromptgateError(
      "E_NOT_FOUND",
      `${servedBy} pins ${prompt}@${served.version}, which does not exist`,
      { location: { file: envFile } },
    );
  }
  return {
    env: servedBy,
    prompt,
    version: pv.version,
    model: served.model ?? pv.model,
    config: pv.config,
    contentHash: pv.contentHash,
    render: (vars = {}) => renderPrompt(pv, vars),
  };
}

function listNames(names: string[]): string {
  return names.length > 0 ? [...names].sort().join(", ") : "none";
}
