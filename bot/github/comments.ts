import type { GitHubRequest } from "../octokit.js";
import type { RepoRef } from "./repo-ref.js";

/** The one reply to a command, on the issue or pull request where it was typed. */
export async function postReply(
  octokit: GitHubRequest,
  repo: RepoRef,
  issueNumber: number,
  body: string,
): Promise<{ id: number; url: string }> {
  const { data } = await octokit.request(
    "POST /repos/{owner}/{repo}/issues/{issue_number}/comments",
    { ...repo, issue_number: issueNumber, body },
  );
  return { id: Number(data.id), url: data.html_url };
}
