/**
 * The runtime's remote sources: environments.yaml, promptgate.yaml and the prompt files read over
 * HTTP, without a checkout. Each keeps every file's ETag and text, so a refresh first asks about
 * environments.yaml alone (`If-None-Match`): nothing else is fetched or parsed until it changes,
 * and then each file is asked for by its own ETag, so only changed files travel.
 */
/** The slice of `fetch` the sources use: Node's global fetch fits; tests can count calls. */
export type FetchLike = (url: string, init: {
    headers: Record<string, string>;
    signal?: AbortSignal;
}) => Promise<{
    status: number;
    headers: {
        get(name: string): string | null;
    };
    arrayBuffer(): Promise<ArrayBuffer>;
}>;
interface RemoteSourceBase {
    /** Where environments.yaml lives (`paths.environments` in promptgate.yaml). Default at the root. */
    environmentsPath?: string;
    /** Each request's limit. Default 10 s: a hung mirror must not hang the refresh loop. */
    timeoutMs?: number;
    /** Default: the global `fetch`. */
    fetch?: FetchLike;
}
export interface GitHubSourceOptions extends RemoteSourceBase {
    /** `owner/name`. */
    repository: string;
    /** A branch, tag or commit; default the repository's default branch. */
    ref?: string;
    /** A token that can read the repository's contents (fine-grained: Contents read). */
    token?: string;
    /** The REST API root: `https://api.github.com` (default) or GHES's `https://HOST/api/v3`. */
    apiUrl?: string;
}
export interface HttpsSourceOptions extends RemoteSourceBase {
    /** The mirror's root: a file's URL is `${baseUrl}/${path}`. */
    baseUrl: string;
    /**
     * The files below the root, or the path of a manifest file (one path per line) published with
     * the copy, read again whenever environments.yaml changes.
     */
    files: string[] | {
        manifest: string;
    };
    /** Sent with every request (an `authorization` header for a private bucket, say). */
    headers?: Record<string, string>;
}
interface View {
    readonly label: string;
    read(path: string): Promise<string | undefined>;
    list(dir: string): Promise<string[]>;
}
/** A `PromptStore` for `openPrompts` (the same shape, declared here so src/io/ needs no core type). */
export interface RemoteSource extends View {
    poll(): Promise<"changed" | "unchanged">;
    snapshot(): Promise<View>;
}
/**
 * The repository on GitHub (or GHES) through the REST contents API, raw media type. Each load
 * reads one commit: the ref is resolved to a sha first, the file list comes from that commit's
 * tree and every file from that commit, so a refresh never mixes two commits.
 */
export declare function githubSource(options: GitHubSourceOptions): RemoteSource;
/**
 * A copy of the repository's files on any HTTPS server (an object store, a CDN, an internal
 * mirror): each file at `${baseUrl}/${path}`, served with ETags for cheap refreshes.
 */
export declare function httpsSource(options: HttpsSourceOptions): RemoteSource;
export {};
