import { Octokit } from "@octokit/core";
import { retry } from "@octokit/plugin-retry";
import { readGateStates } from "../bot/github/gates.js";
import type { GateState } from "../src/rollout/index.js";

/** The pull request's one promptgate comment: found by its marker, created once, then edited. */
export interface CommentStore {
  /**
   * The first comment a bot wrote whose body starts with `marker`, across every page of the
   * conversation. Anyone can paste the marker; only a bot's comment is taken as ours.
   */
  find(marker: string): Promise<StoredComment | undefined>;
  create(body: string): Promise<StoredComment>;
  update(id: number, body: string): Promise<StoredComment>;
}

export interface StoredComment {
  id: number;
  url: string;
}

export type StatusState = "success" | "failure" | "error" | "pending";

export interface CommitStatus {
  sha: string;
  state: StatusState;
  context: string;
  description: string;
  targetUrl?: string;
}

/** Commit statuses: the eval gate the bot's `/promote` reads. */
export interface StatusWriter {
  post(status: CommitStatus): Promise<void>;
}

/** The eval gate of versions already on a branch: the same lookup the bot's `/promote` makes. */
export interface GateReader {
  /** By `prompt@version`: the state of its `promptgate: …` status on the commit that added it. */
  read(
    headSha: string,
    promptsDir: string,
    versions: { prompt: string; version: string }[],
  ): Promise<Record<string, GateState>>;
}

export interface RepoRef {
  owner: string;
  repo: string;
}

const PAGE = 100;
/** GitHub caps statuses at 140 characters of description. */
const DESCRIPTION_LIMIT = 140;

/** Retries 5xx and network errors; never 4xx, so a missing permission is reported at once. */
const RetryingOctokit = Octokit.plugin(retry);

function createClient(token: string, apiUrl: string) {
  return new RetryingOctokit({
    auth: token,
    baseUrl: apiUrl.replace(/\/+$/, ""),
    userAgent: "promptgate-action",
    retry: { doNotRetry: [400, 401, 403, 404, 409, 410, 422, 451] },
  });
}

/**
 * Whose marked comment is ours. The marker is plain text anyone can paste, so the author decides:
 * the default GITHUB_TOKEN writes as `github-actions[bot]` and a GitHub App's token as
 * `<app>[bot]`, both accounts of type "Bot", which no person can write as. Comparing with the
 * token's own login would be narrower but cannot be done reliably: installation tokens (both of
 * the above) get 403 from `GET /user`, and the login in the answer to our own comment is known
 * only after the lookup that decides whether to create one, so a new run never knows it in time.
 * A personal access token writes as its person: its comments are not recognised and each run adds
 * one (the README says to use GITHUB_TOKEN or an app's token).
 */
export function createCommentStore(
  token: string,
  apiUrl: string,
  repo: RepoRef,
  issueNumber: number,
): CommentStore {
  const octokit = createClient(token, apiUrl);
  const target = { ...repo, issue_number: issueNumber };
  return {
    async find(marker) {
      for (let page = 1; ; page++) {
        const { data } = await octokit.request(
          "GET /repos/{owner}/{repo}/issues/{issue_number}/comments",
          { ...target, per_page: PAGE, page },
        );
        const found = data.find((c) => c.user?.type === "Bot" && c.body?.startsWith(marker));
        if (found) return { id: Number(found.id), url: found.html_url };
        if (data.length < PAGE) return undefined;
      }
    },
    async create(body) {
      const { data } = await octokit.request(
        "POST /repos/{owner}/{repo}/issues/{issue_number}/comments",
        { ...target, body },
      );
      return { id: Number(data.id), url: data.html_url };
    },
    async update(id, body) {
      const { data } = await octokit.request(
        "PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}",
        { ...repo, comment_id: id, body },
      );
      return { id: Number(data.id), url: data.html_url };
    },
  };
}

export function createStatusWriter(token: string, apiUrl: string, repo: RepoRef): StatusWriter {
  const octokit = createClient(token, apiUrl);
  return {
    async post(status) {
      await octokit.request("POST /repos/{owner}/{repo}/statuses/{sha}", {
        ...repo,
        sha: status.sha,
        state: status.state,
        context: status.context,
        description: truncateDescription(status.description),
        ...(status.targetUrl ? { target_url: status.targetUrl } : {}),
      });
    },
  };
}

export function createGateReader(token: string, apiUrl: string, repo: RepoRef): GateReader {
  const octokit = createClient(token, apiUrl);
  return {
    read: (headSha, promptsDir, versions) =>
      readGateStates(octokit, repo, headSha, promptsDir, versions),
  };
}

function truncateDescription(text: string): string {
  return text.length <= DESCRIPTION_LIMIT ? text : `${text.slice(0, DESCRIPTION_LIMIT - 1)}…`;
}

/** The HTTP status of an Octokit RequestError, if it is one. */
export function statusOfError(e: unknown): number | undefined {
  const status = (e as { status?: unknown } | null)?.status;
  return typeof status === "number" ? status : undefined;
}
