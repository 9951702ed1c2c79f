import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";

/**
 * Real, throw-away git repositories for tests.
 *
 *   const repo = await createGitRepo();            // `git init -b main` in a mkdtemp folder
 *   await repo.write({ "a.txt": "hi" });           // write files (null deletes one)
 *   const sha = await repo.commit("first");        // `git add -A` + commit, returns the sha
 *   await repo.branch("feature");                  // create a branch and switch to it
 *   await repo.checkout("main");
 *   await repo.git("mv", "a.txt", "b.txt");        // anything else
 *   await repo.remove();                           // in afterEach/afterAll
 *
 * Identity and `commit.gpgsign=false` are set in the repository's own config, and every git call
 * ignores the user's global and system config (GIT_CONFIG_GLOBAL=/dev/null), so the tests neither
 * depend on nor touch the machine's git setup.
 */
export interface GitRepo {
  readonly root: string;
  /** Runs git in the repository; returns stdout. */
  git(...args: string[]): Promise<string>;
  /** Writes files (creating folders); `null` deletes the file. Paths are relative to the root. */
  write(files: Record<string, string | null>): Promise<void>;
  /** Writes `files` if given, stages everything and commits; returns the new commit's sha. */
  commit(message: string, files?: Record<string, string | null>): Promise<string>;
  /** Creates branch `name` at `from` (default HEAD) and switches to it. */
  branch(name: string, from?: string): Promise<void>;
  /** Switches to a branch, or detaches at any other revision. */
  checkout(ref: string): Promise<void>;
  remove(): Promise<void>;
}

const run = promisify(execFile);

/** The environment every git call of the tests runs with: no user config, fixed dates. */
export const ISOLATED_GIT_ENV: NodeJS.ProcessEnv = {
  ...process.env,
  GIT_CONFIG_GLOBAL: "/dev/null",
  GIT_CONFIG_NOSYSTEM: "1",
  GIT_AUTHOR_DATE: "2025-01-01T00:00:00Z",
  GIT_COMMITTER_DATE: "2025-01-01T00:00:00Z",
};

export async function createGitRepo(): Promise<GitRepo> {
  const root = await mkdtemp(join(tmpdir(), "promptgate-git-"));
  const git = async (...args: string[]) =>
    (await run("git", args, { cwd: root, env: ISOLATED_GIT_ENV, encoding: "utf8" })).stdout;

  await git("init", "--quiet", "--initial-branch=main");
  await git("config", "user.name", "Promptgate Tests");
  await git("config", "user.email", "tests@promptgate.invalid");
  await git("config", "commit.gpgsign", "false");

  const write = async (files: Record<string, string | null>) => {
    for (const [path, content] of Object.entries(files)) {
      const full = join(root, path);
      if (content === null) await rm(full, { force: true });
      else {
        await mkdir(dirname(full), { recursive: true });
        await writeFile(full, content);
      }
    }
  };

  return {
    root,
    git,
    write,
    async commit(message, files) {
      if (files) await write(files);
      await git("add", "--all");
      await git("commit", "--quiet", "--allow-empty", "-m", message);
      return (await git("rev-parse", "HEAD")).trim();
    },
    async branch(name, from = "HEAD") {
      await git("switch", "--quiet", "-c", name, from);
    },
    async checkout(ref) {
      // A branch is switched to (so later commits land on it); a sha or tag is detached.
      await git("switch", "--quiet", ref).catch(() => git("switch", "--quiet", "--detach", ref));
    },
    remove: () => rm(root, { recursive: true, force: true }),
  };
}
