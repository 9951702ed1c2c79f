import { createHash } from "node:crypto";
import { describeError, PromptgateError, PromptgateErrors } from "../errors.js";
import { listPins, type Pin, parseEnvironments } from "../formats/environments.js";
import { type ChatMessage, type ModelConfig, renderPrompt } from "../formats/prompt-file.js";
import { parsePromptPath } from "../formats/prompt-path.js";
import { type FileSource, findVersion, loadRepo, type Repo } from "../formats/repo.js";
import { parseSettingsOrDefaults, SETTINGS_FILE, type Settings } from "../formats/settings.js";
import { isInCanary } from "./canary.js";
import type { Target } from "./fallback.js";

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
 * Only promptgate.yaml, the prompt files and environments.yaml are read; golden sets are not. A
 * prompt file that no environment pins (a draft) and fails to load is skipped with a warning: it
 * must not stop a rollback from arriving.
 */
export interface PromptStore extends FileSource {
  /**
   * Asks the source, before a refresh reads anything, whether anything may have changed: a
   * remote source answers from one conditional request (`If-None-Match` on environments.yaml), so
   * an unchanged refresh parses nothing. Without it every refresh reads and fingerprints every file.
   */
  poll?(): Promise<"changed" | "unchanged">;
  /**
   * A view of one revision for one load (a remote source resolves its branch to one commit), so a
   * load never mixes two commits. Without it the source itself is read.
   */
  snapshot?(): Promise<FileSource>;
}

export interface OpenPromptsOptions {
  source: PromptStore;
  /** Re-read the source this often; 0 turns automatic refresh off. Default 30 s. */
  refreshMs?: number;
  /**
   * Told about every failed refresh (`severity` "error": the runtime keeps serving the last good
   * state), and, once per state loaded, about prompt files no environment pins that failed to load
   * and were skipped (`severity` "warning": the state was applied without them). Default: one
   * `console.warn` line, so a broken commit is never silent.
   */
  onError?(error: unknown, severity: "error" | "warning"): void;
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
  /**
   * Where to send it, in order: the pin's model first, then the pin's `fallback` list. Give the
   * whole object to a `createFallbackCaller` caller, which moves down this list on an outage.
   */
  targets: readonly Target[];
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
  /**
   * Set when the refresh applied a new state without prompt files that no environment pins and
   * that failed to load (a half-written draft): their errors, also given to `onError`.
   */
  warnings?: PromptgateErrors;
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
  /** The errors of the unpinned prompt files the state now served was loaded without, if any. */
  warnings: PromptgateErrors | undefined;
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
  /** The unpinned prompt files that failed to load and were left out. */
  warnings: PromptgateErrors | undefined;
  loadedAt: number;
}

/**
 * Opens a prompt repository for an application: throws at start when a file it serves is invalid
 * (a deploy should fail loudly), then keeps following the source so a `/rollback` committed by
 * the bot reaches running apps on their next refresh, without a redeploy. A file that no
 * environment pins is skipped with a warning, at start as on refresh: someone's draft must neither
 * stop a rollback nor a new replica.
 */
export async function openPrompts(options: OpenPromptsOptions): Promise<PromptRuntime> {
  const { source } = options;
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const onError =
    options.onError ??
    ((e: unknown, severity: "error" | "warning") =>
      console.warn(
        severity === "warning"
          ? `promptgate: skipped prompt files that no environment pins and that failed to load\n${describeError(e)}`
          : `promptgate: refresh failed, serving the last good state\n${describeError(e)}`,
      ));
  const refreshMs = options.refreshMs ?? DEFAULT_REFRESH_MS;

  const reportError = (e: unknown, severity: "error" | "warning" = "error") => {
    try {
      onError(e, severity);
    } catch {
      // A throwing error handler must not take the refresh loop down with it.
    }
  };

  let state: State = { ...(await loadState(source)), loadedAt: now() };
  if (state.warnings) reportError(state.warnings, "warning");
  let checkedAt = state.loadedAt;
  let lastError: unknown;
  let closed = false;
  let reloadPending = false;
  let timer: NodeJS.Timeout | undefined;
  const listeners = new Set<(change: RuntimeChange) => void>();

  const refreshOnce = async (): Promise<RefreshResult> => {
    let next: Loaded;
    try {
      // After a failed load the poll has already seen the new ETag: skip it until a load succeeds.
      if (source.poll && !reloadPending && (await source.poll()) === "unchanged") {
        checkedAt = now();
        lastError = undefined;
        return { changed: false };
      }
      reloadPending = true;
      next = await loadState(source);
      reloadPending = false;
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
    // Once per state: the same files skipped again on the next refresh are the same revision.
    if (next.warnings) reportError(next.warnings, "warning");
    for (const listener of listeners) {
      try {
        listener({ revision: next.revision, previous });
      } catch (e) {
        reportError(e);
      }
    }
    return next.warnings ? { changed: true, warnings: next.warnings } : { changed: true };
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
    status: () => ({
      revision: state.revision,
      loadedAt: state.loadedAt,
      checkedAt,
      lastError,
      warnings: state.warnings,
    }),
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
    },
  };
}

interface Loaded {
  repo: Repo;
  revision: string;
  warnings: PromptgateErrors | undefined;
}

/**
 * Loads the repository and fingerprints every file read. Golden sets are hidden from `loadRepo`:
 * they never change what an app serves, and a broken one must not stop a rollback from arriving.
 * Neither must a prompt file that no environment pins: when every error is in such files, the
 * repository is loaded again without them and their errors come back as warnings. An error
 * anywhere else (environments.yaml, promptgate.yaml, a pinned version) fails the load.
 */
async function loadState(store: PromptStore): Promise<Loaded> {
  const source = store.snapshot ? await store.snapshot() : store;
  const hash = createHash("sha256");
  const settingsText = await source.read(SETTINGS_FILE);
  let settings: Settings | undefined;
  try {
    settings = parseSettingsOrDefaults(settingsText);
  } catch {
    // loadRepo reports the bad settings file with its location.
  }
  const evalsDir = settings?.paths.evals;
  // Each file is read once per load, even when the repository is loaded a second time, so both
  // loads see the same text and the fingerprint covers every file once.
  const texts = new Map<string, string | undefined>();
  const listings = new Map<string, string[]>();
  const skipped = new Set<string>();
  const recording: FileSource = {
    label: source.label,
    async read(path) {
      if (texts.has(path)) return texts.get(path);
      const text = path === SETTINGS_FILE ? settingsText : await source.read(path);
      texts.set(path, text);
      hash.update(`${path}\0${text === undefined ? "-" : `+${text}`}\0`);
      return text;
    },
    async list(dir) {
      if (dir === evalsDir) return [];
      let files = listings.get(dir);
      if (!files) {
        files = await source.list(dir);
        listings.set(dir, files);
      }
      return skipped.size > 0 ? files.filter((f) => !skipped.has(f)) : files;
    },
  };
  // A running app serves pins; names it does not use must not stop it (`validate` reports them).
  const load = () => loadRepo(recording, { checkReferences: false });
  let repo: Repo;
  let warnings: PromptgateErrors | undefined;
  try {
    repo = await load();
  } catch (e) {
    const unpinned =
      settings && e instanceof PromptgateErrors
        ? await unpinnedFileErrors(e.errors, settings, recording)
        : undefined;
    if (!unpinned) throw e;
    for (const file of unpinned.files) skipped.add(file);
    repo = await load();
    warnings = new PromptgateErrors(unpinned.errors);
  }
  return { repo: { ...repo, source }, revision: hash.digest("hex").slice(0, 12), warnings };
}

/**
 * The errors and files when every error is in a prompt version file that no environment pins;
 * `undefined` when any error is elsewhere, or environments.yaml cannot be read to tell.
 */
async function unpinnedFileErrors(
  errors: PromptgateError[],
  settings: Settings,
  source: FileSource,
): Promise<{ errors: PromptgateError[]; files: Set<string> } | undefined> {
  const { paths } = settings;
  const envText = await source.read(paths.environments);
  const pinned = new Set<string>();
  if (envText !== undefined) {
    try {
      const envs = parseEnvironments(envText, paths.environments);
      for (const { prompt, pin } of listPins(envs)) pinned.add(`${prompt}@${pin.version}`);
    } catch {
      return undefined;
    }
  }
  const files = new Set<string>();
  for (const error of errors) {
    const file = error.location?.file;
    if (!file?.startsWith(`${paths.prompts}/`)) return undefined;
    const found = parsePromptPath(file.slice(paths.prompts.length + 1));
    if (!found || pinned.has(`${found.prompt}@${found.version}`)) return undefined;
    files.add(file);
  }
  return errors.length > 0 ? { errors, files } : undefined;
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

  let resolvedByPin = resolvedCache.get(repo);
  if (!resolvedByPin) {
    resolvedByPin = new Map();
    resolvedCache.set(repo, resolvedByPin);
  }
  const cacheKey = `${servedBy}\0${prompt}`;
  const cached = resolvedByPin.get(cacheKey);
  if (cached) return cached;

  const pv = findVersion(repo, prompt, served.version);
  if (!pv) {
    // loadRepo rejects such pins, so this only guards a hand-built Repo.
    throw new PromptgateError(
      "E_NOT_FOUND",
      `${servedBy} pins ${prompt}@${served.version}, which does not exist`,
      { location: { file: envFile } },
    );
  }
  const model = served.model ?? pv.model;
  const resolved: Resolved = Object.freeze({
    env: servedBy,
    prompt,
    version: pv.version,
    model,
    targets: targetsOf(model, served),
    config: pv.config,
    contentHash: pv.contentHash,
    render: (vars: Record<string, unknown> = {}) => renderPrompt(pv, vars),
  });
  resolvedByPin.set(cacheKey, resolved);
  return resolved;
}

/**
 * What each (serving environment, prompt) resolves to, per loaded state: `resolve()` is on every
 * request's path, and a state never changes once loaded (a refresh builds a new Repo).
 */
const resolvedCache = new WeakMap<Repo, Map<string, Resolved>>();

function targetsOf(model: string, pin: Pin): readonly Target[] {
  return Object.freeze([
    Object.freeze({ model }),
    ...(pin.fallback ?? []).map((f) =>
      Object.freeze(
        f["base-url"] ? { model: f.model, baseUrl: f["base-url"] } : { model: f.model },
      ),
    ),
  ]);
}

function listNames(names: string[]): string {
  return names.length > 0 ? [...names].sort().join(", ") : "none";
}
