import type { GitHubRequest } from "./client.js";
import type { RepoRef } from "./repo-ref.js";

/**
 * Issues the bot keeps one of per subject (the signals of an environment), found again by a
 * hidden marker in their body. Stateless: GitHub is the only store, so any replica finds the
 * issue another one opened.
 */
export interface MarkedIssue {
  number: number;
  url: string;
  body: string;
}

const PAGE = 100;
/** Open issues with the label read before giving up: a label with more open issues is noise. */
const MAX_PAGES = 10;

/**
 * The oldest open issue labelled `label` whose body holds `marker`, written by a bot. The marker
 * is plain text anyone can paste into an issue of their own, so only a bot's issue counts (an
 * app's token and GITHUB_TOKEN both write as accounts of type "Bot"; see findBotComment).
 */
export async function findMarkedIssue(
  octokit: GitHubRequest,
  repo: RepoRef,
  marker: string,
  label: string,
): Promise<MarkedIssue | undefined> {
  for (let page = 1; page <= MAX_PAGES; page++) {
    const { data } = await octokit.request("GET /repos/{owner}/{repo}/issues", {
      ...repo,
      state: "open",
      labels: label,
      sort: "created",
      direction: "asc",
      per_page: PAGE,
      page,
    });
    const found = data.find(
      (i) => !i.pull_request && i.user?.type === "Bot" && (i.body ?? "").includes(marker),
    );
    if (found) return { number: found.number, url: found.html_url, body: found.body ?? "" };
    if (data.length < PAGE) return undefined;
  }
  return undefined;
}

export interface IssueWrite {
  number: number;
  url: string;
  /** A new issue was opened; otherwise `body` went into a comment on the open one. */
  created: boolean;
}

/**
 * One issue per marker: opens it (marker first, labelled) when none is open, else adds `body` as
 * a comment, so the issue keeps every event in order and its watchers are notified of each.
 */
export async function openOrUpdateMarkedIssue(
  octokit: GitHubRequest,
  repo: RepoRef,
  issue: { marker: string; label: string; title: string; body: string },
): Promise<IssueWrite> {
  const open = await findMarkedIssue(octokit, repo, issue.marker, issue.label);
  if (open) {
    await octokit.request("POST /repos/{owner}/{repo}/issues/{issue_number}/comments", {
      ...repo,
      issue_number: open.number,
      body: issue.body,
    });
    return { number: open.number, url: open.url, created: false };
  }
  const { data } = await octokit.request("POST /repos/{owner}/{repo}/issues", {
    ...repo,
    title: issue.title,
    body: `${issue.marker}\n${issue.body}`,
    labels: [issue.label],
  });
  return { number: data.number, url: data.html_url, created: true };
}

/** Whether the issue's body or one of its comments by a bot holds `text` (a record marker). */
export async function issueHolds(
  octokit: GitHubRequest,
  repo: RepoRef,
  issue: MarkedIssue,
  text: string,
): Promise<boolean> {
  if (issue.body.includes(text)) return true;
  for (let page = 1; page <= MAX_PAGES; page++) {
    const { data } = await octokit.request(
      "GET /repos/{owner}/{repo}/issues/{issue_number}/comments",
      { ...repo, issue_number: issue.number, per_page: PAGE, page },
    );
    if (data.some((c) => c.user?.type === "Bot" && (c.body ?? "").includes(text))) return true;
    if (data.length < PAGE) return false;
  }
  return false;
}
