import type { Environments } from "../../formats/environments.js";
import type { GitHubRequest } from "./client.js";
import type { RepoRef } from "./repo-ref.js";

export const DISPATCH_EVENT = "promptgate-environments-changed";

export interface DeploymentRecord {
  env: string;
  id: number;
}

/**
 * A GitHub Deployment for one environment change, with a `success` status: the environment's
 * page on GitHub then shows what is live and since when. `auto_merge: false` and no required
 * contexts, because the change is already committed and no branch must be merged or checked.
 */
export async function recordDeployment(
  octokit: GitHubRequest,
  repo: RepoRef,
  change: {
    env: string;
    commitSha: string;
    production: boolean;
    pins: Environments["environments"][string] | undefined;
    description: string;
    logUrl: string | undefined;
  },
): Promise<DeploymentRecord> {
  const environment = `promptgate-${change.env}`;
  const res = await octokit.request("POST /repos/{owner}/{repo}/deployments", {
    ...repo,
    ref: change.commitSha,
    task: "deploy",
    environment,
    auto_merge: false,
    required_contexts: [],
    payload: { env: change.env, ...(change.pins ?? { prompts: {} }) },
    description: change.description.slice(0, 140),
    production_environment: change.production,
    transient_environment: false,
  });
  if (res.status !== 201 || !("id" in res.data)) {
    throw new Error(`GitHub did not create the deployment for ${environment} (${res.status})`);
  }
  const deployment = res.data;
  await octokit.request("POST /repos/{owner}/{repo}/deployments/{deployment_id}/statuses", {
    ...repo,
    deployment_id: Number(deployment.id),
    state: "success",
    description: change.description.slice(0, 140),
    ...(change.logUrl ? { log_url: change.logUrl } : {}),
    auto_inactive: true,
  });
  return { env: change.env, id: Number(deployment.id) };
}

/**
 * `repository_dispatch` after each commit: commits made with the workflow's `GITHUB_TOKEN` start
 * no push workflows (an app's do, but a pipeline should not have to tell them from hand edits), so
 * this is how a deploy pipeline learns that `environments.yaml` changed, and what changed.
 */
export async function sendEnvironmentsChanged(
  octokit: GitHubRequest,
  repo: RepoRef,
  payload: {
    commit: string;
    action: string;
    env: string;
    actor: string;
    commentUrl: string;
    before: Record<string, unknown>;
    after: Record<string, unknown>;
  },
): Promise<void> {
  await octokit.request("POST /repos/{owner}/{repo}/dispatches", {
    ...repo,
    event_type: DISPATCH_EVENT,
    // GitHub allows at most 10 top-level keys here.
    client_payload: {
      commit: payload.commit,
      action: payload.action,
      env: payload.env,
      actor: payload.actor,
      comment_url: payload.commentUrl,
      before: payload.before,
      after: payload.after,
    },
  });
}
