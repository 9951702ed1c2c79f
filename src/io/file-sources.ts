import { execFile } from "node:child_process";
import { readdir, readFile, realpath, stat } from "node:fs/promises";
import { join, relative, resolve, sep } from "node:path";
import { promisify } from "node:util";
import { PromptgateError } from "../errors.js";
import { checkFileSize, decodeFileText } from "../formats/file-text.js";
import { type FileSource, requireSettingsFile } from "../formats/repo.js";

const run = promisify(execFile);

/**
 * The working tree on disk. Every read stays inside `root`, symlinks followed: the files are the
 * pull request's, and a link to /etc/passwd or ~/.ssh is as easy to commit as a prompt. Files
 * are refused over the size limit (before reading) and when they are not UTF-8.
 */
export function worktreeSource(root: string): FileSource {
  let realRoot: Promise<string> | undefined;
  const inside = async (path: string): Promise<string> => {
    const full = resolve(root, path);
    realRoot ??= realpath(root);
    const base = await realRoot;
    const real = await realpath(full);
    if (real !== base && !real.startsWith(`${base}${sep}`)) {
      throw new PromptgateError("E_CONFIG", `${path} leads outside the repository: refused`, {
        location: { file: path },
        hint: "promptgate reads only files inside the repository; replace the symlink or the path with the file itself",
      });
    }
    return real;
  };
  return {
    label: "worktree",
    async read(path) {
      try {
        const file = await inside(path);
        checkFileSize((await stat(file)).size, path);
        return decodeFileText(await readFile(file), path);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
        throw e;
      }
    },
    async list(dir) {
      try {
        await inside(dir);
        const entries = await readdir(join(root, dir), { recursive: true, withFileTypes: true });
        return entries
          .filter((e) => e.isFile())
          .map((e) => relative(root, join(e.parentPath, e.name)).split(sep).join("/"))
          .sort();
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
        throw e;
      }
    },
  };
}

export async function git(cwd: string, args: string[]): Promise<string> {
  return (await gitBytes(cwd, args)).toString("utf8");
}

/** git's stdout as bytes, for file contents: decoding them is the caller's (decodeFileText). */
async function gitBytes(cwd: string, args: string[]): Promise<Buffer> {
  try {
    const { stdout } = await run("git", args, {
      cwd,
      maxBuffer: 256 * 1024 * 1024,
      encoding: "buffer",
    });
    return stdout;
  } catch (e) {
    const err = e as { stderr?: Buffer | string; message: string };
    throw new PromptgateError(
      "E_GIT",
      `git ${args.join(" ")} failed: ${(err.stderr?.toString() || err.message).trim()}`,
      {
        hint: "check that the revision exists (fetch-depth: 0 in actions/checkout fetches the base)",
        cause: e,
      },
    );
  }
}

/** The commit a ref names. `--end-of-options` keeps a ref that starts with "-" from being an option. */
export async function revParse(root: string, ref: string): Promise<string> {
  return (await git(root, ["rev-parse", "--verify", "--end-of-options", `${ref}^{commit}`])).trim();
}

/**
 * One commit of a git repository, read with plumbing so the working tree is never touched. `root`
 * may be a subfolder of the repository (a monorepo's `llm/`): paths are relative to it, as the
 * working tree's are, and files outside it are not part of the source.
 */
export async function gitRevisionSource(root: string, rev: string): Promise<FileSource> {
  const [sha, prefix] = await Promise.all([revParse(root, rev), readRepoPrefix(root)]);
  // `-l`: "<mode> <type> <object> <size>\t<path>", so a file over the limit is never read.
  // Run in a subfolder, ls-tree lists that folder only, with paths relative to it.
  const sizes = new Map<string, number>();
  for (const entry of (await git(root, ["ls-tree", "-r", "-l", "-z", sha])).split("\0")) {
    const tab = entry.indexOf("\t");
    const [, type, , size] = entry.slice(0, Math.max(tab, 0)).trim().split(/\s+/);
    if (tab < 0 || type !== "blob") continue;
    sizes.set(entry.slice(tab + 1), Number(size));
  }
  const files = [...sizes.keys()];
  return {
    label: sha.slice(0, 7),
    async read(path) {
      const size = sizes.get(path);
      if (size === undefined) return undefined;
      checkFileSize(size, path);
      return decodeFileText(
        await gitBytes(root, ["cat-file", "blob", `${sha}:${prefix}${path}`]),
        path,
      );
    },
    async list(dir) {
      const prefix = `${dir.replace(/\/$/, "")}/`;
      return files.filter((f) => f.startsWith(prefix));
    },
  };
}

/**
 * Where `root` sits in its repository: "llm/" in a monorepo, "" at its top or in a bare one.
 * `<rev>:<path>` names a path from the repository's root whatever git's cwd, so in a subfolder
 * `sha:promptgate.yaml` misses `llm/promptgate.yaml`; our paths are relative to `root`, and this
 * goes in front of them. (`<rev>:./<path>` would do in a working tree, but git refuses it in a
 * bare repository, which a runtime source may read.)
 */
export async function readRepoPrefix(root: string): Promise<string> {
  return (await git(root, ["rev-parse", "--show-prefix"])).replace(/\n$/, "");
}

/**
 * git runs in `root`: a folder that does not exist (a mistyped `working-directory`) would fail as a
 * git error, when what is wrong is where promptgate was pointed.
 */
export async function requireFolder(root: string, folder: string): Promise<void> {
  const exists = await stat(root).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (exists) return;
  const nothing: FileSource = { label: root, read: async () => undefined, list: async () => [] };
  await requireSettingsFile(nothing, `${folder}, which is not a folder`);
}
