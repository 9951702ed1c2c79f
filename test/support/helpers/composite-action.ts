import { execFile } from "node:child_process";
import { cp, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { promisify } from "node:util";
import type { GitHubStandIn } from "../stand-ins/github/index.js";
import {
  type CompositeResult,
  disposeRun,
  type RunCompositeOptions,
  runComposite,
} from "../stand-ins/runner/index.js";
import { ISOLATED_GIT_ENV } from "./git-repo.js";

/**
 * action.yml as a workflow runs it: the runner stand-in executes the composite, which runs the
 * BUILT bundle, on a clone of a repository of the GitHub stand-in.
 *
 *   const action = await prepareActionFolder("promptgate-action-test-");   // beforeAll
 *   const pull = await openPullRequest(gh, OWNER, REPO, "feature", [{ message, files }]);
 *   await cloneCheckout(gh, OWNER, REPO, workspace, pull.head);
 *   const result = await action.run({ ...pullRequestRun(gh, OWNER, REPO, pull, workspace),
 *     with: { … }, uses: { … } });
 *   await action.dispose();                                                // afterAll
 *
 * Why: every file that runs the action repeated the same thirty lines (build, copy action.yml,
 * git with an isolated config, the pull_request event, disposing runs), which hid what each one
 * is about. What a run is given (`with:`, `uses:`, the run id, the event when it is not a pull
 * request's) stays in the test, where it is what the test tests. (`runAction` in process is
 * action-harness.ts's.)
 */

const exec = promisify(execFile);

/** git for a test's own folders: no user or system config, fixed dates; stdout, trimmed. */
export async function git(cwd: string, ...args: string[]): Promise<string> {
  return (await exec("git", args, { cwd, env: ISOLATED_GIT_ENV, encoding: "utf8" })).stdout.trim();
}

export interface ActionFolder {
  /** A temporary folder, the action in `action/` below it: room for workspaces and artifacts. */
  temp: string;
  /** action.yml next to dist/: `github.action_path`. */
  actionPath: string;
  /** runComposite on this action; the run is disposed with the folder. */
  run(options: Omit<RunCompositeOptions, "actionPath">): Promise<CompositeResult>;
  /** Disposes every run, then removes the folder. */
  dispose(): Promise<void>;
}

/**
 * The action as a user's workflow fetches it: action.yml next to a dist/ built now from the
 * working tree (not the committed dist/, which may be stale). Once per file: a build takes seconds.
 */
export async function prepareActionFolder(prefix: string): Promise<ActionFolder> {
  const temp = await mkdtemp(join(tmpdir(), prefix));
  const actionPath = join(temp, "action");
  await exec(process.execPath, ["scripts/build.mjs", "--outdir", join(actionPath, "dist")]);
  await cp("action.yml", join(actionPath, "action.yml"));
  const runs: CompositeResult[] = [];
  return {
    temp,
    actionPath,
    async run(options) {
      const result = await runComposite({ actionPath, ...options });
      runs.push(result);
      return result;
    },
    async dispose() {
      await Promise.all(runs.map(disposeRun));
      await rm(temp, { recursive: true, force: true });
    },
  };
}

/** Every file below `dir` (default: all of `root`), by its path relative to `root`. */
export async function readFiles(root: string, dir = "."): Promise<Record<string, string>> {
  const entries = await readdir(join(root, dir), { recursive: true, withFileTypes: true });
  const files: Record<string, string> = {};
  for (const e of entries.filter((x) => x.isFile())) {
    const path = relative(root, join(e.parentPath, e.name));
    files[path] = await readFile(join(root, path), "utf8");
  }
  return files;
}

export interface PullRequestRef {
  number: number;
  head: string;
  base: string;
  /** The head branch. */
  branch: string;
}

/**
 * Pushes `commits` on `branch` (from `from`, default the default branch) and opens its pull
 * request into the default branch. `commits` are the shas pushed, in order.
 */
export async function openPullRequest(
  gh: GitHubStandIn,
  owner: string,
  repo: string,
  branch: string,
  commits: { message: string; files: Record<string, string> }[],
  options: { from?: string; title?: string } = {},
): Promise<PullRequestRef & { commits: string[] }> {
  if (options.from) await gh.createBranch(owner, repo, branch, options.from);
  const pushed: string[] = [];
  for (const { message, files } of commits) {
    pushed.push(await gh.commitFiles(owner, repo, files, { branch, message }));
  }
  const head = pushed.at(-1) ?? (await gh.resolve(owner, repo, branch));
  const base = await gh.resolve(owner, repo, "main");
  if (!head || !base) throw new Error(`${owner}/${repo}: no ${head ? "main" : branch}`);
  const title = options.title === undefined ? {} : { title: options.title };
  const number = gh.createPull(owner, repo, { head: branch, ...title });
  return { number, head, base, branch, commits: pushed };
}

/** actions/checkout with fetch-depth: 0 into `workspace`, detached at `at` when given. */
export async function cloneCheckout(
  gh: GitHubStandIn,
  owner: string,
  repo: string,
  workspace: string,
  at?: string,
): Promise<void> {
  await git(dirname(workspace), "clone", "--quiet", gh.repoPath(owner, repo), workspace);
  if (at) await git(workspace, "checkout", "--quiet", "--detach", at);
}

/** Fetches `branch` into an existing checkout and detaches at `sha` (a commit pushed since). */
export async function fetchCheckout(workspace: string, branch: string, sha: string): Promise<void> {
  await git(workspace, "fetch", "--quiet", "origin", branch);
  await git(workspace, "checkout", "--quiet", "--detach", sha);
}

/**
 * What the runner sets for a `pull_request` event on `pull` (`action`: synchronize unless given):
 * the payload, GITHUB_SHA at the head, the refs, the token and API of the GitHub stand-in.
 */
export function pullRequestRun(
  gh: GitHubStandIn,
  owner: string,
  repo: string,
  pull: PullRequestRef,
  workspace: string,
  action = "synchronize",
): Omit<RunCompositeOptions, "actionPath" | "with" | "uses"> {
  return {
    eventName: "pull_request",
    event: {
      action,
      number: pull.number,
      pull_request: {
        number: pull.number,
        head: { sha: pull.head, ref: pull.branch },
        base: { sha: pull.base, ref: "main" },
      },
      repository: gh.repositoryJson(owner, repo),
    },
    repository: `${owner}/${repo}`,
    workspace,
    token: gh.githubToken,
    apiUrl: gh.url,
    sha: pull.head,
    baseRef: "main",
    headRef: pull.branch,
  };
}
