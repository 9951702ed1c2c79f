import { PromptgateError } from "../errors.js";
import { decodeFileText } from "../formats/file-text.js";

/**
 * The runtime's remote sources: environments.yaml, promptgate.yaml and the prompt files read over
 * HTTP, without a checkout. Each keeps every file's ETag and text, so a refresh first asks about
 * environments.yaml alone (`If-None-Match`): nothing else is fetched or parsed until it changes,
 * and then each file is asked for by its own ETag, so only changed files travel.
 */

/** The slice of `fetch` the sources use: Node's global fetch fits; tests can count calls. */
export type FetchLike = (
  url: string,
  init: { headers: Record<string, string>; signal?: AbortSignal },
) => Promise<{
  status: number;
  headers: { get(name: string): string | null };
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
  files: string[] | { manifest: string };
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

const DEFAULT_TIMEOUT_MS = 10_000;

interface Cached {
  etag: string;
  text: string | undefined;
}

/** GETs with `If-None-Match` from a per-URL-key cache; 404 is a missing file, not an error. */
function conditionalGetter(
  label: string,
  options: RemoteSourceBase,
  headers: Record<string, string>,
) {
  const doFetch: FetchLike = options.fetch ?? (globalThis.fetch as unknown as FetchLike);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const cache = new Map<string, Cached>();
  return async function get(
    key: string,
    url: string,
  ): Promise<{ text: string | undefined; fresh: boolean }> {
    const cached = cache.get(key);
    const res = await doFetch(url, {
      headers: cached ? { ...headers, "if-none-match": cached.etag } : headers,
      signal: AbortSignal.timeout(timeoutMs),
    }).catch((e: unknown) => {
      throw new PromptgateError("E_NOT_FOUND", `${label}: cannot reach ${redact(url)}`, {
        hint: "check the network and the source's URL; the runtime keeps serving the last good state",
        cause: e,
      });
    });
    if (res.status === 304 && cached) return { text: cached.text, fresh: false };
    if (res.status === 404) {
      cache.delete(key);
      return { text: undefined, fresh: true };
    }
    if (res.status !== 200) {
      throw new PromptgateError("E_NOT_FOUND", `${label}: ${redact(url)} answered ${res.status}`, {
        hint:
          res.status === 401 || res.status === 403
            ? "the token cannot read the repository's contents"
            : "the runtime keeps serving the last good state and tries again on the next refresh",
      });
    }
    const text = decodeFileText(Buffer.from(await res.arrayBuffer()), key);
    const etag = res.headers.get("etag");
    if (etag) cache.set(key, { etag, text });
    else cache.delete(key);
    return { text, fresh: true };
  };
}

function redact(url: string): string {
  return url.replace(/\?.*$/, "");
}

function under(files: readonly string[], dir: string): string[] {
  const prefix = dir === "" || dir === "." ? "" : `${dir.replace(/\/+$/, "")}/`;
  return files.filter((f) => f.startsWith(prefix));
}

function encodePath(path: string): string {
  return path.split("/").map(encodeURIComponent).join("/");
}

/**
 * The repository on GitHub (or GHES) through the REST contents API, raw media type. Each load
 * reads one commit: the ref is resolved to a sha first, the file list comes from that commit's
 * tree and every file from that commit, so a refresh never mixes two commits.
 */
export function githubSource(options: GitHubSourceOptions): RemoteSource {
  const [owner, name, ...rest] = options.repository.split("/");
  if (!owner || !name || rest.length > 0) {
    throw new PromptgateError("E_USAGE", `repository "${options.repository}" is not owner/name`, {
      hint: 'pass the repository as "owner/name", e.g. "acme/prompts"',
    });
  }
  const api = `${(options.apiUrl ?? "https://api.github.com").replace(/\/+$/, "")}/repos/${encodeURIComponent(owner)}/${encodeURIComponent(name)}`;
  const envPath = options.environmentsPath ?? "environments.yaml";
  const label = `github:${owner}/${name}${options.ref ? `@${options.ref}` : ""}`;
  const common: Record<string, string> = {
    "x-github-api-version": "2022-11-28",
    "user-agent": "promptgate-runtime",
    ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
  };
  const raw = conditionalGetter(label, options, {
    ...common,
    accept: "application/vnd.github.raw",
  });
  const json = conditionalGetter(label, options, {
    ...common,
    accept: "application/vnd.github+json",
  });
  const contentsUrl = (path: string, ref: string | undefined) =>
    `${api}/contents/${encodePath(path)}${ref ? `?ref=${encodeURIComponent(ref)}` : ""}`;
  const parse = (text: string | undefined, what: string): Record<string, unknown> => {
    try {
      const value: unknown = JSON.parse(text ?? "");
      if (typeof value === "object" && value !== null) return value as Record<string, unknown>;
    } catch {
      // Reported below with what was asked for.
    }
    throw new PromptgateError("E_NOT_FOUND", `${label}: ${what} is missing or not JSON`, {
      hint: "check the repository name, the ref and the token",
    });
  };

  return {
    label,
    // The file cache is keyed by path, not by commit: ETags follow the content, so a file that did
    // not change between two commits answers 304 at the new one too.
    read: (path) => raw(path, contentsUrl(path, options.ref)).then((r) => r.text),
    async list(dir) {
      return under(await (await this.snapshot()).list(""), dir);
    },
    async poll() {
      return (await raw(envPath, contentsUrl(envPath, options.ref))).fresh
        ? "changed"
        : "unchanged";
    },
    async snapshot() {
      const commit = parse(
        (await json("commit", `${api}/commits/${encodeURIComponent(options.ref ?? "HEAD")}`)).text,
        `the commit of ${options.ref ?? "the default branch"}`,
      );
      const sha = typeof commit.sha === "string" ? commit.sha : "";
      let files: Promise<string[]> | undefined;
      return {
        label: `${label}@${sha.slice(0, 7)}`,
        read: (path) => raw(path, contentsUrl(path, sha)).then((r) => r.text),
        list(dir) {
          files ??= json("tree", `${api}/git/trees/${sha}?recursive=1`).then(({ text }) => {
            const tree = parse(text, `the tree of ${sha.slice(0, 7)}`).tree;
            return Array.isArray(tree)
              ? tree
                  .filter((e): e is { type: "blob"; path: string } => e?.type === "blob")
                  .map((e) => e.path)
              : [];
          });
          return files.then((all) => under(all, dir));
        },
      };
    },
  };
}

/**
 * A copy of the repository's files on any HTTPS server (an object store, a CDN, an internal
 * mirror): each file at `${baseUrl}/${path}`, served with ETags for cheap refreshes.
 */
export function httpsSource(options: HttpsSourceOptions): RemoteSource {
  const base = options.baseUrl.replace(/\/+$/, "");
  const envPath = options.environmentsPath ?? "environments.yaml";
  const label = `https:${base}`;
  const get = conditionalGetter(label, options, options.headers ?? {});
  const url = (path: string) => `${base}/${encodePath(path)}`;
  const source: RemoteSource = {
    label,
    read: (path) => get(path, url(path)).then((r) => r.text),
    async list(dir) {
      const { files } = options;
      if (Array.isArray(files)) return under(files, dir);
      const manifest = (await get(files.manifest, url(files.manifest))).text;
      if (manifest === undefined) {
        throw new PromptgateError("E_NOT_FOUND", `${label}: no manifest at ${files.manifest}`, {
          hint: "publish the list of the copy's files (one path per line) with the copy",
        });
      }
      const all = manifest
        .split(/\r?\n/)
        .map((l) => l.trim())
        .filter((l) => l !== "" && !l.startsWith("#"));
      return under(all, dir);
    },
    async poll() {
      return (await get(envPath, url(envPath))).fresh ? "changed" : "unchanged";
    },
    snapshot: async () => source,
  };
  return source;
}
