import { type GateState, gateContext } from "../../src/rollout/index.js";
import type { GitHubRequest } from "../octokit.js";
import { isPermissionDenied } from "./errors.js";
import type { RepoRef } from "./repo-ref.js";

/**
 * The eval gate of a version is the `promptgate: <prompt>@<version>` status (or check run) that
 * the action posted on the commit that last changed `prompts/<prompt>/<version>.prompt` (a draft
 * may be edited until it is pinned, and only its newest content's evaluation counts) or, when
 * that commit carries none, on the head of the merged pull request that brought it (a squash
 * makes a new commit without the branch's statuses; a merge keeps commits whose own statuses
 * may be on the pull request's head only). Anything but a success — pending, failing, or never
 * posted — is reported as such and refuses the promotion (fail closed); the caller decides.
 */
export async function readGateStates(
  octokit: GitHubRequest,
  repo: RepoRef,
  headSha: string,
  promptsDir: string,
  versions: readonly { prompt: string; version: string }[],
): Promise<Record<string, GateState>> {
  const entries = await Promise.all(
    versions.map(async ({ prompt, version }) => {
      const path = `${promptsDir.replace(/\/+$/, "")}/${prompt}/${version}.prompt`;
      const changed = await findLastChange(octokit, repo, headSha, path);
      const context = gateContext(prompt, version);
      let state: GateState = "missing";
      if (changed) {
        state = await readGateState(octokit, repo, changed, context);
        const heads = state === "missing" ? await findMergedPullHeads(octokit, repo, changed) : [];
        for (const sha of heads) {
          state = await readGateState(octokit, repo, sha, context);
          if (state !== "missing") break;
        }
      }
      return [`${prompt}@${version}`, state] as const;
    }),
  );
  return Object.fromEntries(entries);
}

/** The newest commit reachable from `headSha` that changed `path`. */
export async function findLastChange(
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

/**
 * The heads of the merged pull requests that brought `sha` to the default branch: the one whose
 * squash or merge made it, or the one whose branch it was on. A pull request still open never
 * counts: its head may hold content that is not on the default branch.
 */
async function findMergedPullHeads(
  octokit: GitHubRequest,
  repo: RepoRef,
  sha: string,
): Promise<string[]> {
  try {
    const { data } = await octokit.request("GET /repos/{owner}/{repo}/commits/{commit_sha}/pulls", {
      ...repo,
      commit_sha: sha,
      per_page: 100,
    });
    return data.filter((pull) => pull.merged_at !== null).map((pull) => pull.head.sha);
  } catch (e) {
    // Without `pull_requests: read` there is no pull request to see: no gate (fail closed).
    if (isPermissionDenied(e)) return [];
    throw e;
  }
}

export async function readGateState(
  octokit: GitHubRequest,
  repo: RepoRef,
  sha: string,
  context: string,
): Promise<GateState> {
  // The combined status holds the newest status of each context.
  const { data: combined } = await octokit.request(
    "GET /repos/{owner}/{repo}/commits/{ref}/status",
    { ...repo, ref: sha, per_page: 100 },
  );
  const status = combined.statuses.find((s) => s.context === context);
  if (status) return status.state as GateState;

  let runs: { check_runs: { name: string; status: string; conclusion: string | null }[] };
  try {
    ({ data: runs } = await octokit.request("GET /repos/{owner}/{repo}/commits/{ref}/check-runs", {
      ...repo,
      ref: sha,
      check_name: context,
      filter: "latest",
      per_page: 100,
    }));
  } catch (e) {
    // An app installed without `checks: read` cannot see check runs: no gate it can see.
    if (isPermissionDenied(e)) return "missing";
    throw e;
  }
  const run = runs.check_runs.find((r) => r.name === context);
  if (!run) return "missing";
  if (run.status !== "completed") return "pending";
  switch (run.conclusion) {
    case "success":
      return "success";
    case "failure":
    case "timed_out":
    case "action_required":
      return "failure";
    default:
      // cancelled, skipped, neutral, stale: no verdict, so no pass.
      return "error";
  }
}
