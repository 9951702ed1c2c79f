import type { FileChange } from "../compare/change-types.js";
import type { DiffSources } from "../compare/pr-diff.js";
import { PromptgateError } from "../errors.js";
import { git, gitRevisionSource, revParse, worktreeSource } from "./file-sources.js";

/**
 * A diff's two revisions as files, what changed between them, and their commits: the working
 * tree (`head: "worktree"`, at HEAD's commit) or a commit on either side.
 */
export async function openDiffSources(
  root: string,
  base: string,
  head: string | "worktree",
): Promise<{ sources: DiffSources; baseSha: string; headSha: string }> {
  const [baseSha, headSha] = await Promise.all([
    revParse(root, base),
    revParse(root, head === "worktree" ? "HEAD" : head),
  ]);
  const [baseSource, headSource, changedFiles] = await Promise.all([
    gitRevisionSource(root, baseSha),
    head === "worktree" ? worktreeSource(root) : gitRevisionSource(root, headSha),
    listChangedFiles(root, baseSha, head === "worktree" ? head : headSha),
  ]);
  return { sources: { base: baseSource, head: headSource, changedFiles }, baseSha, headSha };
}

export interface ListChangedFilesOptions {
  /**
   * Limit to these paths (directories or files, relative to `root`, taken literally), e.g.
   * `listRelevantPaths(settings)`. Default: everything.
   */
  paths?: string[];
}

/**
 * The files a change touches, from git itself, with renames detected (`-M`).
 *
 * Like GitHub's three-dot diff, the change is measured from the merge-base of `base` and `head`,
 * so commits that landed on the base branch after the fork are not part of it. `head: "worktree"`
 * measures the working tree (staged, unstaged and untracked files) from the merge-base of `base`
 * and HEAD. Paths are relative to `root`, which may be a subfolder of the repository.
 */
export async function listChangedFiles(
  root: string,
  base: string,
  head: string | "worktree",
  options: ListChangedFilesOptions = {},
): Promise<FileChange[]> {
  const pathspec = ["--", ...(options.paths?.length ? options.paths : ["."])];
  // --literal-pathspecs: a folder named like a glob must match only itself.
  const diff = ["--literal-pathspecs", "diff", "--name-status", "-z", "-M", "--relative"];
  diff.push("--no-ext-diff", "--no-textconv", "--ignore-submodules");

  if (head !== "worktree") {
    // `--end-of-options` keeps a ref that starts with "-" from being read as an option.
    const out = await git(root, [...diff, "--end-of-options", `${base}...${head}`, ...pathspec]);
    return parseNameStatus(out);
  }

  const mergeBase = await findMergeBase(root, base, "HEAD");
  // `git diff <commit>` compares the commit with the working tree through the index: staged and
  // unstaged edits alike, renames staged with `git mv` included. Untracked files need ls-files.
  const tracked = parseNameStatus(await git(root, [...diff, mergeBase, ...pathspec]));
  const untracked = (
    await git(root, [
      "--literal-pathspecs",
      "ls-files",
      "--others",
      "--exclude-standard",
      "-z",
      ...pathspec,
    ])
  )
    .split("\0")
    .filter(Boolean);
  return pairUntrackedRenames(root, mergeBase, tracked, untracked);
}

/** The commit both sides share, as GitHub's three-dot diff uses it. */
export async function findMergeBase(root: string, base: string, head: string): Promise<string> {
  // Resolve first so a mistyped ref says so, instead of "no common ancestor".
  const [b, h] = await Promise.all([revParse(root, base), revParse(root, head)]);
  try {
    return (await git(root, ["merge-base", b, h])).trim();
  } catch (e) {
    throw new PromptgateError("E_GIT", `${base} and ${head} have no common ancestor`, {
      hint: "fetch the full history (actions/checkout with fetch-depth: 0) or check the refs",
      cause: e,
    });
  }
}

/** Parses `git diff --name-status -z` output: `S\0path\0`, or `R<score>\0old\0new\0`. */
export function parseNameStatus(out: string): FileChange[] {
  const fields = out.split("\0");
  const changes = new Map<string, FileChange>();
  for (let i = 0; i < fields.length; ) {
    const status = fields[i++] ?? "";
    if (status === "") continue;
    const letter = status[0];
    if (letter === "R" || letter === "C") {
      const oldPath = fields[i++] ?? "";
      const path = fields[i++] ?? "";
      // A copy leaves its source in place: only the copy is new.
      changes.set(
        path,
        letter === "R" ? { status: "renamed", path, oldPath } : { status: "added", path },
      );
      continue;
    }
    const path = fields[i++] ?? "";
    if (letter === "A") changes.set(path, { status: "added", path });
    else if (letter === "D") changes.set(path, { status: "deleted", path });
    // M, T (type change) and U (unmerged) all mean "the content at this path differs".
    else if (letter === "M" || letter === "T" || letter === "U") {
      changes.set(path, { status: "modified", path });
    }
  }
  return [...changes.values()];
}

/**
 * git's rename detection never sees untracked files, so a file moved with plain `mv` would read
 * as a deletion plus an addition. Pair those whose content is identical (`hash-object` without
 * `-w` writes nothing into the repository).
 */
async function pairUntrackedRenames(
  root: string,
  mergeBase: string,
  tracked: FileChange[],
  untracked: string[],
): Promise<FileChange[]> {
  const added: FileChange[] = untracked.map((path) => ({ status: "added", path }));
  const deleted = tracked.filter((c) => c.status === "deleted");
  if (deleted.length === 0 || untracked.length === 0) return [...tracked, ...added];

  const blobOf = new Map<string, string>();
  const tree = await git(root, [
    "--literal-pathspecs",
    "ls-tree",
    "-r",
    "-z",
    mergeBase,
    "--",
    ...deleted.map((d) => d.path),
  ]);
  for (const entry of tree.split("\0").filter(Boolean)) {
    // "<mode> blob <sha>\t<path>", path relative to root like diff --relative's
    const m = /^\d+ blob ([0-9a-f]+)\t(.*)$/s.exec(entry);
    if (m?.[1] && m[2] !== undefined) blobOf.set(m[2], m[1]);
  }
  const hashes = (await git(root, ["hash-object", "--", ...untracked])).split("\n");
  const deletedByBlob = new Map<string, FileChange>();
  for (const d of deleted) {
    const blob = blobOf.get(d.path);
    if (blob && !deletedByBlob.has(blob)) deletedByBlob.set(blob, d);
  }

  const paired = new Set<FileChange>();
  const result: FileChange[] = [];
  untracked.forEach((path, i) => {
    const gone = deletedByBlob.get(hashes[i] ?? "");
    if (gone && !paired.has(gone)) {
      paired.add(gone);
      result.push({ status: "renamed", path, oldPath: gone.path });
    } else result.push({ status: "added", path });
  });
  return [...tracked.filter((c) => !paired.has(c)), ...result];
}
