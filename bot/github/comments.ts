import { parseReplyResult } from "../../src/rollout/index.js";
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

/**
 * Whether the issue already holds a reply of the bot about `commitSha` (its hidden result line
 * names the commit). Reads the comments updated since `since`, newest pages last, at most
 * `maxPages` pages of 100.
 */
export async function findReplyAbout(
  octokit: GitHubRequest,
  repo: RepoRef,
  issueNumber: number,
  commitSha: string,
  since: string | undefined,
  maxPages = 10,
): Promise<boolean> {
  for (let page = 1; page <= maxPages; page++) {
    const { data } = await octokit.request(
      "GET /repos/{owner}/{repo}/issues/{issue_number}/comments",
      { ...repo, issue_number: issueNumber, per_page: 100, page, ...(since ? { since } : {}) },
    );
    for (const c of data) {
      // Only the bot's own replies: a person may quote one.
      if (c.user?.type !== "Bot") continue;
      const result = c.body ? parseReplyResult(c.body) : undefined;
      if (result?.commit === commitSha) return true;
    }
    if (data.length < 100) return false;
  }
  return false;
}
