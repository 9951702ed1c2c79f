import type { GitHubRequest } from "./client.js";
import type { RepoRef } from "./repo-ref.js";

export type StatusState = "success" | "failure" | "error" | "pending";

/** A commit status as the action posts it: the eval gate `promptgate: <prompt>@<version>`. */
export interface CommitStatus {
  sha: string;
  state: StatusState;
  context: string;
  description: string;
  targetUrl?: string;
}

/** GitHub caps statuses at 140 characters of description. */
const DESCRIPTION_LIMIT = 140;

/**
 * Posts a commit status. Its creator is the token's account (`github-actions[bot]` for
 * GITHUB_TOKEN, `<app>[bot]` for an app's token): the identity `/promote` trusts (see gates.ts).
 */
export async function postCommitStatus(
  octokit: GitHubRequest,
  repo: RepoRef,
  status: CommitStatus,
): Promise<void> {
  await octokit.request("POST /repos/{owner}/{repo}/statuses/{sha}", {
    ...repo,
    sha: status.sha,
    state: status.state,
    context: status.context,
    description: truncateDescription(status.description),
    ...(status.targetUrl ? { target_url: status.targetUrl } : {}),
  });
}

function truncateDescription(text: string): string {
  return text.length <= DESCRIPTION_LIMIT ? text : `${text.slice(0, DESCRIPTION_LIMIT - 1)}…`;
}
