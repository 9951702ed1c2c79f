import { execFile } from "node:child_process";
import { readdir, readFile } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { promisify } from "node:util";
import { PromptgateError } from "../errors.js";
import type { FileSource } from "../formats/repo.js";

const run = promisify(execFile);

/** The working tree on disk. */
export function worktreeSource(root: string): FileSource {
  return {
    label: "worktree",
    async read(path) {
      try {
        return await readFile(join(root, path), "utf8");
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
        throw e;
      }
    },
    async list(dir) {
      try {
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
  try {
    const { stdout } = await run("git", args, {
      cwd,
      maxBuffer: 256 * 1024 * 1024,
      encoding: "utf8",
    });
    return stdout;
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new PromptgateError(
      "E_GIT",
      `git ${args.join(" ")} failed: ${(err.stderr ?? err.message).trim()}`,
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

/** One commit of a git repository, read with plumbing so the working tree is never touched. */
export async function gitRevisionSource(root: string, rev: string): Promise<FileSource> {
  const sha = await revParse(root, rev);
  const files = (await git(root, ["ls-tree", "-r", "--name-only", "-z", sha]))
    .split("\0")
    .filter(Boolean);
  return {
    label: sha.slice(0, 7),
    async read(path) {
      if (!files.includes(path)) return undefined;
      return git(root, ["cat-file", "blob", `${sha}:${path}`]);
    },
    async list(dir) {
      const prefix = `${dir.replace(/\/$/, "")}/`;
      return files.filter((f) => f.startsWith(prefix));
    },
  };
}
