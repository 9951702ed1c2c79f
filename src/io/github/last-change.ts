/**
 * "The commit that last changed a version's file": the commit an eval gate hangs on. Two edges
 * look for it, by two means, and they must agree, or a gate the action posted is never found:
 *
 * - the **action** (`findLastChangeInRange`, git on the checkout) posts the gate on the newest
 *   non-merge commit of the pull request (`base..head`) that changed the file, besides the head;
 * - the **bot** (`findLastChangeOnBranch`, REST on the default branch) reads it, for `/promote`,
 *   on the newest commit reachable from the branch head that changed the file.
 *
 * They meet after a merge: GitHub's `commits?path=` simplifies history as `git log -- <path>`
 * does, so a merge commit that took the file from the pull request (identical to that parent for
 * the path) is not listed, and the walk follows that parent to the very commit the action found.
 * Merges are left out on the action's side for the same reason, and because its checkout may be
 * GitHub's synthetic merge of the pull request, which no branch keeps. A squash or a rebase makes
 * a new commit that carries no status: the bot then reads the head of the merged pull request
 * (`readGateStates`), where the action posted too. Change one side, change the other.
 */
import { git } from "../file-sources.js";
import type { GitHubRequest } from "./client.js";
import type { RepoRef } from "./repo-ref.js";

/**
 * The newest commit of the change that changed `file` (a path relative to `root`): the one whose
 * content was evaluated. Merge commits are left out (see above).
 */
export async function findLastChangeInRange(
  root: string,
  baseSha: string,
  headSha: string,
  file: string,
): Promise<string | undefined> {
  const out = await git(root, [
    "--literal-pathspecs",
    "log",
    "-1",
    "--no-merges",
    "--format=%H",
    `${baseSha}..${headSha}`,
    "--",
    file,
  ]);
  return out.trim() || undefined;
}

/** The newest commit reachable from `headSha` that changed `path`. */
export async function findLastChangeOnBranch(
  octokit: GitHubRequest,
  repo: RepoRef,
  headSha: string,
  path: string,
): Promise<string | undefined> {
  const { data } = await octokit.request("GET /repos/{owner}/{repo}/commits", {
    ...repo,
    sha: headSha,
    path,
    per_page: 1,
  });
  return data[0]?.sha;
}
