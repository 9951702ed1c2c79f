import type { DriftIssueTracker, MarkedIssue } from "../../report/drift-issue.js";
import type { GitHubRequest } from "./client.js";
import type { RepoRef } from "./repo-ref.js";

/**
 * Issues that promptgate owns, one per subject, found again by a hidden marker on the first line
 * of their body (like the pull request comment's marker, see comments.ts findBotComment). The
 * search API is not used: its index lags by seconds to minutes, so a run right after another
 * would not see the issue it just opened. Instead the open issues carrying `label` are listed and
 * matched by marker; the label keeps the listing short.
 */
export interface MarkedIssueQuery {
  /** Every marked issue carries it, e.g. `promptgate-drift`. */
  label: string;
  /** The body's first line, e.g. `<!-- promptgate-drift production/support-answer -->`. */
  marker: string;
}

const PAGE = 100;
const MAX_PAGES = 20;

/** A marked issue as listed: its body too, where a flow keeps its records' markers. */
export interface FoundIssue extends MarkedIssue {
  body: string;
}

/**
 * The open issues marked `marker`, oldest first. Only issues a bot opened count: the marker is
 * plain text anyone can paste, and the action's GITHUB_TOKEN and an app's token both write as
 * accounts of type "Bot", which no person can write as (comments.ts says why the login itself is
 * not compared).
 */
export async function listMarkedIssues(
  octokit: GitHubRequest,
  repo: RepoRef,
  query: MarkedIssueQuery,
): Promise<FoundIssue[]> {
  const found: FoundIssue[] = [];
  for (let page = 1; page <= MAX_PAGES; page++) {
    const { data } = await octokit.request("GET /repos/{owner}/{repo}/issues", {
      ...repo,
      labels: query.label,
      state: "open",
      sort: "created",
      direction: "asc",
      per_page: PAGE,
      page,
    });
    for (const issue of data) {
      if (issue.pull_request) continue;
      if (issue.user?.type !== "Bot") continue;
      if (!issue.body?.startsWith(query.marker)) continue;
      found.push({ number: issue.number, url: issue.html_url, body: issue.body });
    }
    if (data.length < PAGE) break;
  }
  return found.sort((a, b) => a.number - b.number);
}

/** The open issue marked `marker` (the oldest, should two exist), or undefined. */
export async function findMarkedIssue(
  octokit: GitHubRequest,
  repo: RepoRef,
  query: MarkedIssueQuery,
): Promise<FoundIssue | undefined> {
  return (await listMarkedIssues(octokit, repo, query))[0];
}

export async function updateIssue(
  octokit: GitHubRequest,
  repo: RepoRef,
  issueNumber: number,
  fields: { title?: string; body?: string; state?: "open" | "closed" },
): Promise<MarkedIssue> {
  const { data } = await octokit.request("PATCH /repos/{owner}/{repo}/issues/{issue_number}", {
    ...repo,
    issue_number: issueNumber,
    ...fields,
    ...(fields.state === "closed" ? { state_reason: "completed" as const } : {}),
  });
  return { number: data.number, url: data.html_url };
}

/**
 * Opens the issue marked `marker`, or rewrites the open one: one issue per subject, never two.
 *
 * Two runs at once (a scheduled check and a manual one) can both find nothing and both create.
 * So after creating, the marked issues are listed again, and the oldest one is kept: a run whose
 * issue is younger closes it as a duplicate (pointing at the older) and writes its text into the
 * older. Whichever of the two creates last sees both issues when it lists again, so exactly one
 * stays open. (GitHub's issue listing reads from the primary after a write by the same token.)
 */
export async function openOrUpdateMarkedIssue(
  octokit: GitHubRequest,
  repo: RepoRef,
  issue: MarkedIssueQuery & { title: string; body: string },
): Promise<MarkedIssue & { created: boolean }> {
  const query = { label: issue.label, marker: issue.marker };
  const body = issue.body.startsWith(issue.marker) ? issue.body : `${issue.marker}\n${issue.body}`;
  const existing = await findMarkedIssue(octokit, repo, query);
  if (existing) {
    const updated = await updateIssue(octokit, repo, existing.number, { title: issue.title, body });
    return { ...updated, created: false };
  }
  const { data } = await octokit.request("POST /repos/{owner}/{repo}/issues", {
    ...repo,
    title: issue.title,
    body,
    labels: [issue.label],
  });
  const ours: MarkedIssue = { number: data.number, url: data.html_url };
  const keeper = (await listMarkedIssues(octokit, repo, query))[0];
  if (!keeper || keeper.number >= ours.number) return { ...ours, created: true };
  await octokit.request("POST /repos/{owner}/{repo}/issues/{issue_number}/comments", {
    ...repo,
    issue_number: ours.number,
    body: `Duplicate of #${keeper.number}: another check opened it at the same time.`,
  });
  await octokit.request("PATCH /repos/{owner}/{repo}/issues/{issue_number}", {
    ...repo,
    issue_number: ours.number,
    state: "closed",
    state_reason: "not_planned",
  });
  const updated = await updateIssue(octokit, repo, keeper.number, { title: issue.title, body });
  return { ...updated, created: false };
}

/**
 * One issue per marker that keeps every event as a comment (the signals of an environment): opens
 * it when none is open, else adds `body` as a comment, so the issue keeps the events in order and
 * its watchers are notified of each. Two first events at once are deduplicated as in
 * `openOrUpdateMarkedIssue`: the younger issue is closed and its event commented on the older.
 */
export async function appendToMarkedIssue(
  octokit: GitHubRequest,
  repo: RepoRef,
  issue: MarkedIssueQuery & { title: string; body: string },
): Promise<MarkedIssue & { created: boolean }> {
  const query = { label: issue.label, marker: issue.marker };
  const comment = async (n: number) =>
    octokit.request("POST /repos/{owner}/{repo}/issues/{issue_number}/comments", {
      ...repo,
      issue_number: n,
      body: issue.body,
    });
  const existing = await findMarkedIssue(octokit, repo, query);
  if (existing) {
    await comment(existing.number);
    return { number: existing.number, url: existing.url, created: false };
  }
  const { data } = await octokit.request("POST /repos/{owner}/{repo}/issues", {
    ...repo,
    title: issue.title,
    body: `${issue.marker}\n${issue.body}`,
    labels: [issue.label],
  });
  const ours: MarkedIssue = { number: data.number, url: data.html_url };
  const keeper = (await listMarkedIssues(octokit, repo, query))[0];
  if (!keeper || keeper.number >= ours.number) return { ...ours, created: true };
  await octokit.request("PATCH /repos/{owner}/{repo}/issues/{issue_number}", {
    ...repo,
    issue_number: ours.number,
    state: "closed",
    state_reason: "not_planned",
  });
  await comment(keeper.number);
  return { number: keeper.number, url: keeper.url, created: false };
}

/** Whether the issue's body or one of its comments by a bot holds `text` (a record's marker). */
export async function issueHolds(
  octokit: GitHubRequest,
  repo: RepoRef,
  issue: FoundIssue,
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

/**
 * Comments on every open issue marked `marker` and closes it. Returns the first one closed, or
 * null when none was open.
 */
export async function closeMarkedIssue(
  octokit: GitHubRequest,
  repo: RepoRef,
  issue: MarkedIssueQuery & { comment: string },
): Promise<MarkedIssue | null> {
  const open = await listMarkedIssues(octokit, repo, issue);
  for (const o of open) {
    await octokit.request("POST /repos/{owner}/{repo}/issues/{issue_number}/comments", {
      ...repo,
      issue_number: o.number,
      body: issue.comment,
    });
    await updateIssue(octokit, repo, o.number, { state: "closed" });
  }
  return open[0] ?? null;
}

/** The drift check's issues through the functions above, all under one label. */
export function createMarkedIssueTracker(
  octokit: GitHubRequest,
  repo: RepoRef,
  label: string,
): DriftIssueTracker {
  return {
    openOrUpdate: (marker, issue) =>
      openOrUpdateMarkedIssue(octokit, repo, { label, marker, ...issue }),
    close: (marker, comment) => closeMarkedIssue(octokit, repo, { label, marker, comment }),
  };
}
