import { type GateState, gateContext } from "../../src/rollout/index.js";
import type { GitHubRequest } from "../octokit.js";
import { statusOf } from "./errors.js";
import type { RepoRef } from "./repo-ref.js";

/**
 * The eval gate of a version is the `promptgate: <prompt>@<version>` status (or check run) that
 * the action posted on the commit that introduced `prompts/<prompt>/<version>.prompt`, or, when
 * that commit is a squash merge, on the head of the pull request it merged (where the action ran).
 * Anything but a success — pending, failing, or never posted — is reported as such and refuses
 * the promotion (fail closed); the caller decides, never this reader.
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
      const introduced = await findIntroducingCommit(octokit, repo, headSha, path);
      const context = gateContext(prompt, version);
      let state: GateState = "missing";
      if (introduced) {
        state = await readGateState(octokit, repo, introduced, context);
        for (const sha of state === "missing"
          ? await findMergedPullHeads(octokit, repo, introduced)
          : []) {
          state = await readGateState(octokit, repo, sha, context);
          if (state !== "missing") break;
        }
      }
      return [`${prompt}@${version}`, state] as const;
    }),
  );
  return Object.fromEntries(entries);
}

const PAGE = 100;
const MAX_PAGES = 10;

/** The oldest commit reachable from `headSha` that touched `path`. */
export async function findIntroducingCommit(
  octokit: GitHubRequest,
  repo: RepoRef,
  headSha: string,
  path: string,
): Promise<string | undefined> {
  let oldest: string | undefined;
  for (let page = 1; page <= MAX_PAGES; page++) {
    const { data } = await octokit.request("GET /repos/{owner}/{repo}/commits", {
      ...repo,
      sha: headSha,
      path,
      per_page: PAGE,
      page,
    });
    oldest = data.at(-1)?.sha ?? oldest;
    if (data.length < PAGE) break;
  }
  return oldest;
}

/**
 * The heads of the pull requests whose merge made `sha` (a squash or merge commit): a squash
 * copies the branch's changes into a new commit that carries none of the branch's statuses.
 * Only the pull request that made this very commit counts, never one that merely contains it.
 */
export async function findMergedPullHeads(
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
    return data.filter((pull) => pull.merge_commit_sha === sha).map((pull) => pull.head.sha);
  } catch (e) {
    // Without `pull_requests: read` there is no pull request to see: no gate (fail closed).
    if (statusOf(e) === 403) return [];
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
    if (statusOf(e) === 403) return "missing";
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
