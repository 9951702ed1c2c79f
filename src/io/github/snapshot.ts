import { posix } from "node:path";
import pLimit from "p-limit";
import { PromptgateError } from "../../errors.js";
import { type Environments, parseEnvironments } from "../../formats/environments.js";
import { listPromptVersions } from "../../formats/prompt-path.js";
import { parseSettingsOrDefaults, SETTINGS_FILE, type Settings } from "../../formats/settings.js";
import { type HistoryEntry, parseHistoryEntry, toHistoryEntry } from "../../rollout/index.js";
import type { RepoCache } from "./cache.js";
import type { GitHubRequest } from "./client.js";
import { statusOf } from "./errors.js";
import { type RepoRef, repoKey } from "./repo-ref.js";

/**
 * The default branch as one consistent commit: settings, `environments.yaml` with its blob sha
 * (the compare-and-swap token), the prompt versions, and, when asked for, the file's history.
 * Everything is read at one commit sha, never from a pull request.
 */
export interface Snapshot {
  repo: RepoRef;
  branch: string;
  headSha: string;
  /**
   * The folder of promptgate.yaml in the repository ("" at the top, "llm" in a monorepo). The
   * snapshot's `settings.paths` are made repository paths under it, so every read, commit and
   * message below names the file as GitHub shows it.
   */
  root: string;
  settings: Settings;
  environmentsPath: string;
  environmentsText: string;
  environmentsBlobSha: string;
  environments: Environments;
  /** prompt → versions present under the prompts folder */
  availableVersions: Map<string, string[]>;
  /** Commits of `environments.yaml`, newest first; filled by `readHistory`. */
  history?: HistoryEntry[];
  /** How many of the file's newest commits `history` covers, and whether that is all of them. */
  historyDepth?: number;
  historyComplete?: boolean;
}

/** What a command reads first: enough for nearly every rollback, in one request. */
export const HISTORY_DEPTH = 50;
/** How far `readDeeperHistory` goes when a target is older than that. */
const MAX_HISTORY_DEPTH = 800;
const COMMITS_PER_PAGE = 100;

/** The head of a branch: one small request, and the key every cached read hangs on. */
export async function readHead(
  octokit: GitHubRequest,
  repo: RepoRef,
  branch: string,
): Promise<string> {
  const { data } = await octokit.request("GET /repos/{owner}/{repo}/git/ref/{ref}", {
    ...repo,
    ref: `heads/${branch}`,
  });
  return data.object.sha;
}

export async function readSnapshot(
  octokit: GitHubRequest,
  repo: RepoRef,
  branch: string,
  cache: RepoCache,
): Promise<Snapshot> {
  const headSha = await readHead(octokit, repo, branch);
  const cached = cache.snapshots.get(repoKey(repo));
  if (cached && cached.headSha === headSha && cached.branch === branch) return cached;

  const { data: tree } = await octokit.request("GET /repos/{owner}/{repo}/git/trees/{tree_sha}", {
    ...repo,
    tree_sha: headSha,
    recursive: "1",
  });
  if (tree.truncated) {
    // A partial listing could hide promptgate.yaml (and so its rules) or prompt versions: stop.
    throw new PromptgateError(
      "E_CONFIG",
      `GitHub truncated the file list of ${repo.owner}/${repo.repo}@${headSha.slice(0, 7)}`,
      { hint: "the repository has too many files for the bot; use the CLI on a checkout" },
    );
  }
  const blobs = new Map<string, string>();
  for (const entry of tree.tree) {
    if (entry.type === "blob" && entry.path && entry.sha) blobs.set(entry.path, entry.sha);
  }

  const root = findRoot([...blobs.keys()], repo, headSha);
  const settingsSha = blobs.get(posix.join(root, SETTINGS_FILE));
  const settings = underRoot(
    parseSettingsOrDefaults(
      settingsSha === undefined ? undefined : await readBlob(octokit, repo, settingsSha, cache),
    ),
    root,
  );
  const environmentsPath = settings.paths.environments;
  const environmentsBlobSha = blobs.get(environmentsPath);
  if (environmentsBlobSha === undefined) {
    throw new PromptgateError("E_NOT_FOUND", `${environmentsPath} does not exist on ${branch}`, {
      hint: `commit ${environmentsPath} to ${branch} (see the README's "Environments" section)`,
    });
  }
  const environmentsText = await readBlob(octokit, repo, environmentsBlobSha, cache);
  const environments = parseEnvironments(environmentsText, environmentsPath);

  const snapshot: Snapshot = {
    repo,
    branch,
    headSha,
    root,
    settings,
    environmentsPath,
    environmentsText,
    environmentsBlobSha,
    environments,
    availableVersions: listPromptVersions([...blobs.keys()], settings.paths.prompts),
  };
  cache.snapshots.set(repoKey(repo), snapshot);
  return snapshot;
}

/**
 * Where promptgate.yaml is: at the top, else the one folder in the tree that holds it (a monorepo
 * runs the action with `working-directory: llm`; the bot finds the same folder without being told).
 * Two or more below the top are ambiguous, and a command must not guess which rules apply.
 */
function findRoot(paths: string[], repo: RepoRef, headSha: string): string {
  if (paths.includes(SETTINGS_FILE)) return "";
  const found = paths.filter(
    (p) => posix.basename(p) === SETTINGS_FILE && !p.split("/").includes("node_modules"),
  );
  if (found.length <= 1) return found[0] === undefined ? "" : posix.dirname(found[0]);
  throw new PromptgateError(
    "E_CONFIG",
    `${repo.owner}/${repo.repo}@${headSha.slice(0, 7)} has ${found.length} ${SETTINGS_FILE} files below the top (${found.slice(0, 3).join(", ")}${found.length > 3 ? ", …" : ""}), and the bot serves one`,
    {
      hint: `keep one ${SETTINGS_FILE}, or put the one whose environments the bot should change at the top of the repository`,
    },
  );
}

/** The settings with `paths:` as repository paths under the root. */
function underRoot(settings: Settings, root: string): Settings {
  if (root === "") return settings;
  const paths = Object.fromEntries(
    Object.entries(settings.paths).map(([k, v]) => [k, posix.join(root, v)]),
  ) as Settings["paths"];
  return { ...settings, paths };
}

async function readBlob(
  octokit: GitHubRequest,
  repo: RepoRef,
  sha: string,
  cache: RepoCache,
): Promise<string> {
  const hit = cache.blobs.get(sha);
  if (hit !== undefined) return hit;
  const { data } = await octokit.request("GET /repos/{owner}/{repo}/git/blobs/{file_sha}", {
    ...repo,
    file_sha: sha,
  });
  const text =
    data.encoding === "base64"
      ? Buffer.from(data.content, "base64").toString("utf8")
      : data.content;
  cache.blobs.set(sha, text);
  return text;
}

/**
 * The last `depth` commits of `environments.yaml` with the file as it was at each, newest first.
 * A commit whose file does not parse (a hand edit gone wrong) is left out: it can be neither a
 * rollback target nor a command's record.
 */
export async function readHistory(
  octokit: GitHubRequest,
  snapshot: Snapshot,
  cache: RepoCache,
  depth = HISTORY_DEPTH,
): Promise<HistoryEntry[]> {
  if (snapshot.history) return snapshot.history;
  const { repo, environmentsPath: path } = snapshot;
  const commits = [];
  for (let page = 1; commits.length < depth; page++) {
    const perPage = Math.min(depth, COMMITS_PER_PAGE);
    const { data } = await octokit.request("GET /repos/{owner}/{repo}/commits", {
      ...repo,
      sha: snapshot.headSha,
      path,
      per_page: perPage,
      page,
    });
    commits.push(...data);
    if (data.length < perPage) break;
  }
  commits.splice(depth);
  // The file at the head commit is the one just read: remember it for the next head's history.
  cache.fileAtCommit.set(`${repoKey(repo)}@${snapshot.headSha}:${path}`, snapshot.environmentsText);
  const limit = pLimit(6);
  const texts = await Promise.all(
    commits.map((c) => limit(() => readFileAtCommit(octokit, repo, path, c.sha, cache))),
  );
  const history: HistoryEntry[] = [];
  commits.forEach((c, i) => {
    const text = texts[i];
    if (text === null || text === undefined) return;
    const commit = {
      sha: c.sha,
      author: c.author?.login ?? c.commit.author?.name ?? "unknown",
      date: c.commit.committer?.date ?? c.commit.author?.date ?? "",
      message: c.commit.message,
    };
    const entry = parseHistoryEntry(commit, text, path);
    if (entry) history.push(entry);
  });
  snapshot.history = history;
  snapshot.historyDepth = depth;
  snapshot.historyComplete = commits.length < depth;
  return history;
}

/**
 * Reads further back when a command found nothing in the history it had (a rollback target
 * behind many canary ramps, say). The files at commits already seen come from the cache, so a
 * deeper read costs the commit list and the older files only. False when there is no more.
 */
export async function readDeeperHistory(
  octokit: GitHubRequest,
  snapshot: Snapshot,
  cache: RepoCache,
  maxDepth = MAX_HISTORY_DEPTH,
): Promise<boolean> {
  const depth = snapshot.historyDepth ?? HISTORY_DEPTH;
  if (snapshot.historyComplete || depth >= maxDepth) return false;
  snapshot.history = undefined;
  await readHistory(octokit, snapshot, cache, Math.min(maxDepth, depth * 4));
  return true;
}

async function readFileAtCommit(
  octokit: GitHubRequest,
  repo: RepoRef,
  path: string,
  sha: string,
  cache: RepoCache,
): Promise<string | null> {
  const key = `${repoKey(repo)}@${sha}:${path}`;
  const hit = cache.fileAtCommit.get(key);
  if (hit !== undefined) return hit;
  let text: string | null;
  try {
    const { data } = await octokit.request("GET /repos/{owner}/{repo}/contents/{path}", {
      ...repo,
      path,
      ref: sha,
    });
    text =
      !Array.isArray(data) && data.type === "file" && "content" in data
        ? Buffer.from(data.content, "base64").toString("utf8")
        : null;
  } catch (e) {
    if (statusOf(e) !== 404) throw e;
    text = null;
  }
  cache.fileAtCommit.set(key, text);
  return text;
}

/**
 * After our own commit, the next snapshot is known without asking GitHub — but only when the
 * commit sits directly on the head we read: then nothing else changed in between.
 */
export function recordOwnCommit(
  cache: RepoCache,
  before: Snapshot,
  commit: {
    sha: string;
    parentSha: string | undefined;
    blobSha: string;
    text: string;
    message: string;
    author: string;
    date: string;
  },
): void {
  cache.blobs.set(commit.blobSha, commit.text);
  cache.fileAtCommit.set(
    `${repoKey(before.repo)}@${commit.sha}:${before.environmentsPath}`,
    commit.text,
  );
  if (commit.parentSha !== before.headSha || !before.history) return;
  const environments = parseEnvironments(commit.text, before.environmentsPath);
  const entry = toHistoryEntry(commit, environments);
  cache.snapshots.set(repoKey(before.repo), {
    ...before,
    headSha: commit.sha,
    environmentsText: commit.text,
    environmentsBlobSha: commit.blobSha,
    environments,
    history: [entry, ...before.history].slice(0, HISTORY_DEPTH),
    historyDepth: HISTORY_DEPTH,
    historyComplete: before.historyComplete === true && before.history.length < HISTORY_DEPTH,
  });
}
