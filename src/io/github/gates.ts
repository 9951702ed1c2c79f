import { decideTrustedGate, type IgnoredGate, type PostedGate } from "../../rollout/gate-trust.js";
import type { HistoryEntry } from "../../rollout/history.js";
import {
  type GatedFallback,
  type GateState,
  gateContext,
  gateLabel,
  modelGateContext,
  pinsFallback,
} from "../../rollout/index.js";
import type { GitHubRequest } from "./client.js";
import { isPermissionDenied } from "./errors.js";
import { findLastChangeOnBranch } from "./last-change.js";
import type { RepoRef } from "./repo-ref.js";

export interface GateStates {
  /** By `prompt@version`. */
  states: Record<string, GateState>;
  /** By `prompt@version`: the run behind the trusted verdict, when it linked one. */
  links: Record<string, string>;
  /** Verdicts posted under a gate's name by anyone but `trustedCreator`: not believed. */
  ignored: IgnoredGate[];
}

/**
 * The eval gate of a version is the `promptgate: <prompt>@<version>` status (or check run) that
 * the action posted on the commit that last changed `prompts/<prompt>/<version>.prompt` (a draft
 * may be edited until it is pinned, and only its newest content's evaluation counts) or, when
 * that commit carries none, on the head of the merged pull request that brought it (a squash
 * makes a new commit without the branch's statuses; a merge keeps commits whose own statuses
 * may be on the pull request's head only); see last-change.ts. Only `trustedCreator`'s verdicts
 * count (`decideTrustedGate`). Anything but a success — pending, failing, or never posted — is
 * reported as such and refuses the promotion (fail closed); the caller decides.
 */
export async function readGateStates(
  octokit: GitHubRequest,
  repo: RepoRef,
  headSha: string,
  promptsDir: string,
  versions: readonly { prompt: string; version: string }[],
  trustedCreator: string,
): Promise<GateStates> {
  const ignored: IgnoredGate[] = [];
  const links: Record<string, string> = {};
  const entries = await Promise.all(
    versions.map(async ({ prompt, version }) => {
      const gate = `${prompt}@${version}`;
      const path = `${promptsDir.replace(/\/+$/, "")}/${prompt}/${version}.prompt`;
      const changed = await findLastChangeOnBranch(octokit, repo, headSha, path);
      const context = gateContext(prompt, version);
      let state: GateState = "missing";
      if (changed) {
        const read = async (sha: string) => {
          const reading = await readGateState(octokit, repo, sha, context, trustedCreator);
          ignored.push(...reading.ignored.map((i) => ({ ...i, gate })));
          if (reading.url) links[gate] = reading.url;
          else delete links[gate];
          return reading.state;
        };
        state = await read(changed);
        const heads = state === "missing" ? await findMergedPullHeads(octokit, repo, changed) : [];
        for (const sha of heads) {
          state = await read(sha);
          if (state !== "missing") break;
        }
      }
      return [gate, state] as const;
    }),
  );
  return { states: Object.fromEntries(entries), links, ignored };
}

/** How many commits that pinned a fallback are asked for its status: the newest ones. */
const MAX_FALLBACK_COMMITS = 5;

/**
 * The gate of a fallback target: the `promptgate: <prompt>@<version> on <model>` status that the
 * action posts on a pull request's head when the pull request pins that version with that
 * fallback (changes.ts `planFallbackEvaluations`; the action posts it on the head only, as for a
 * model swap). So it is looked for on the commits of `environments.yaml` (in `history`, newest
 * first) where an environment came to pin the version with the fallback, and on the heads of
 * the merged pull requests that brought them; the newest one with a verdict decides. None in
 * the history read: missing (fail closed), as for a version.
 */
export async function readFallbackGateStates(
  octokit: GitHubRequest,
  repo: RepoRef,
  history: readonly HistoryEntry[],
  fallbacks: readonly GatedFallback[],
  trustedCreator: string,
): Promise<GateStates> {
  const ignored: IgnoredGate[] = [];
  const links: Record<string, string> = {};
  const entries = await Promise.all(
    fallbacks.map(async (target) => {
      const gate = gateLabel(target);
      const context = modelGateContext(target.prompt, target.version, target.model);
      const introduced = history
        .filter((entry, i) => {
          const older = history[i + 1];
          return Object.keys(entry.environments.environments).some(
            (env) =>
              pinsFallback(entry.environments, env, target) &&
              !(older && pinsFallback(older.environments, env, target)),
          );
        })
        .slice(0, MAX_FALLBACK_COMMITS);
      let state: GateState = "missing";
      const read = async (sha: string) => {
        const reading = await readGateState(octokit, repo, sha, context, trustedCreator);
        ignored.push(...reading.ignored.map((i) => ({ ...i, gate })));
        if (reading.url) links[gate] = reading.url;
        return reading.state;
      };
      for (const entry of introduced) {
        state = await read(entry.sha);
        if (state !== "missing") break;
        for (const sha of await findMergedPullHeads(octokit, repo, entry.sha)) {
          state = await read(sha);
          if (state !== "missing") break;
        }
        if (state !== "missing") break;
      }
      return [gate, state] as const;
    }),
  );
  return { states: Object.fromEntries(entries), links, ignored };
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

/** How far back the statuses of one commit are read (GitHub keeps at most 1000 per context). */
const MAX_STATUS_PAGES = 10;
const PAGE = 100;

/**
 * The gate on one commit: its statuses of `context`, newest first (the list, not the combined
 * status, which names no creator), then, when `trustedCreator` posted none, its check runs of
 * that name (a check run's creator is its app: `<slug>[bot]`).
 */
export async function readGateState(
  octokit: GitHubRequest,
  repo: RepoRef,
  sha: string,
  context: string,
  trustedCreator: string,
): Promise<{ state: GateState; ignored: PostedGate[]; url?: string }> {
  const statuses: PostedGate[] = [];
  for (let page = 1; page <= MAX_STATUS_PAGES; page++) {
    const { data } = await octokit.request("GET /repos/{owner}/{repo}/commits/{ref}/statuses", {
      ...repo,
      ref: sha,
      per_page: PAGE,
      page,
    });
    for (const s of data) {
      if (s.context !== context) continue;
      statuses.push({
        kind: "status",
        state: s.state as GateState,
        creator: s.creator?.login,
        ...(s.target_url ? { url: s.target_url } : {}),
      });
    }
    if (data.length < PAGE) break;
  }
  const byStatus = decideTrustedGate(statuses, trustedCreator);
  if (byStatus.state !== "missing") return byStatus;

  let runs: {
    check_runs: {
      name: string;
      status: string;
      conclusion: string | null;
      html_url?: string | null;
      app: { slug?: string } | null;
    }[];
  };
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
    if (isPermissionDenied(e)) return byStatus;
    throw e;
  }
  const checks: PostedGate[] = runs.check_runs
    .filter((r) => r.name === context)
    .map((r) => ({
      kind: "check run",
      state: checkRunState(r),
      creator: r.app?.slug ? `${r.app.slug}[bot]` : undefined,
      ...(r.html_url ? { url: r.html_url } : {}),
    }));
  const byCheck = decideTrustedGate(checks, trustedCreator);
  return {
    state: byCheck.state,
    ignored: [...byStatus.ignored, ...byCheck.ignored],
    ...(byCheck.url ? { url: byCheck.url } : {}),
  };
}

function checkRunState(run: { status: string; conclusion: string | null }): GateState {
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
