import { parseReplyResult } from "../../rollout/index.js";
import type { GitHubRequest } from "./client.js";
import type { RepoRef } from "./repo-ref.js";

/**
 * A new comment on an issue or pull request: the bot's one reply to a command, where it was
 * typed, or the action's report comment.
 */
export async function postComment(
  octokit: GitHubRequest,
  repo: RepoRef,
  issueNumber: number,
  body: string,
): Promise<StoredComment> {
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

/** A comment as the action keeps it: its id to edit it, its url for the step's output. */
export interface StoredComment {
  id: number;
  url: string;
}

const PAGE = 100;

/**
 * The first comment a bot wrote whose body starts with `marker`, across every page of the
 * conversation. The marker is plain text anyone can paste, so the author decides: the default
 * GITHUB_TOKEN writes as `github-actions[bot]` and a GitHub App's token as `<app>[bot]`, both
 * accounts of type "Bot", which no person can write as. Comparing with the token's own login
 * would be narrower but cannot be done reliably: installation tokens (both of the above) get 403
 * from `GET /user`, and the login in the answer to our own comment is known only after the
 * lookup that decides whether to create one, so a new run never knows it in time. A personal
 * access token writes as its person: its comments are not recognised and each run adds one (the
 * README says to use GITHUB_TOKEN or an app's token).
 */
export async function findBotComment(
  octokit: GitHubRequest,
  repo: RepoRef,
  issueNumber: number,
  marker: string,
): Promise<StoredComment | undefined> {
  for (let page = 1; ; page++) {
    const { data } = await octokit.request(
      "GET /repos/{owner}/{repo}/issues/{issue_number}/comments",
      { ...repo, issue_number: issueNumber, per_page: PAGE, page },
    );
    const found = data.find((c) => c.user?.type === "Bot" && c.body?.startsWith(marker));
    if (found) return { id: Number(found.id), url: found.html_url };
    if (data.length < PAGE) return undefined;
  }
}

export async function updateComment(
  octokit: GitHubRequest,
  repo: RepoRef,
  commentId: number,
  body: string,
): Promise<StoredComment> {
  const { data } = await octokit.request(
    "PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}",
    { ...repo, comment_id: commentId, body },
  );
  return { id: Number(data.id), url: data.html_url };
}
