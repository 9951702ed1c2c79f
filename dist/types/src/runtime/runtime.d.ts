import { PromptgateErrors } from "../errors.js";
import { type ChatMessage, type ModelConfig } from "../formats/prompt-file.js";
import { type FileSource } from "../formats/repo.js";
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
/**
 * Opens a prompt repository for an application: throws at start when a file it serves is invalid
 * (a deploy should fail loudly), then keeps following the source so a `/rollback` committed by
 * the bot reaches running apps on their next refresh, without a redeploy. A file that no
 * environment pins is skipped with a warning, at start as on refresh: someone's draft must neither
 * stop a rollback nor a new replica.
 */
export declare function openPrompts(options: OpenPromptsOptions): Promise<PromptRuntime>;
