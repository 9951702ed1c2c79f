import { createRestClient } from "../src/io/github/client.js";
import {
  findBotComment,
  postComment,
  type StoredComment,
  updateComment,
} from "../src/io/github/comments.js";
import { readGateStates } from "../src/io/github/gates.js";
import type { RepoRef } from "../src/io/github/repo-ref.js";
import { type CommitStatus, postCommitStatus } from "../src/io/github/statuses.js";
import { readProxySettings } from "../src/io/proxy.js";
import type { GateState } from "../src/rollout/index.js";
import type { PullRequestReader } from "./workflow-run.js";

export type { StoredComment };

/** The pull request's one promptgate comment: found by its marker, created once, then edited. */
export interface CommentStore {
  /** The first comment a bot wrote whose body starts with `marker` (see `findBotComment`). */
  find(marker: string): Promise<StoredComment | undefined>;
  create(body: string): Promise<StoredComment>;
  update(id: number, body: string): Promise<StoredComment>;
}

/** Commit statuses: the eval gate the bot's `/promote` reads. */
export interface StatusWriter {
  post(status: CommitStatus): Promise<void>;
}

/** The eval gate of versions already on a branch: the same lookup the bot's `/promote` makes. */
export interface GateReader {
  /**
   * By `prompt@version`: the state of its `promptgate: …` status on the commit that added it,
   * believed only from `trustedCreator` (the base's `rollout.gate-creator`).
   */
  read(
    headSha: string,
    promptsDir: string,
    versions: { prompt: string; version: string }[],
    trustedCreator: string,
  ): Promise<Record<string, GateState>>;
}

const USER_AGENT = "promptgate-action";
/** Self-hosted runners behind a proxy set these; the action is the edge that reads them. */
const CLIENT_OPTIONS = { userAgent: USER_AGENT, proxy: readProxySettings(process.env) };

export function createCommentStore(
  token: string,
  apiUrl: string,
  repo: RepoRef,
  issueNumber: number,
): CommentStore {
  const octokit = createRestClient(token, apiUrl, CLIENT_OPTIONS);
  return {
    find: (marker) => findBotComment(octokit, repo, issueNumber, marker),
    create: (body) => postComment(octokit, repo, issueNumber, body),
    update: (id, body) => updateComment(octokit, repo, id, body),
  };
}

export function createStatusWriter(token: string, apiUrl: string, repo: RepoRef): StatusWriter {
  const octokit = createRestClient(token, apiUrl, CLIENT_OPTIONS);
  return { post: (status) => postCommitStatus(octokit, repo, status) };
}

/**
 * Shown in the comment only (the bot checks again before promoting), but read as the bot reads
 * them: believed from the creator the trusted (base) settings name, never the pull request's.
 */
export function createGateReader(token: string, apiUrl: string, repo: RepoRef): GateReader {
  const octokit = createRestClient(token, apiUrl, CLIENT_OPTIONS);
  return {
    read: async (headSha, promptsDir, versions, trustedCreator) =>
      (await readGateStates(octokit, repo, headSha, promptsDir, versions, trustedCreator)).states,
  };
}

/** The pull request as GitHub has it: the fork recipe's check of what the artifact claims. */
export function createPullReader(token: string, apiUrl: string, repo: RepoRef): PullRequestReader {
  const octokit = createRestClient(token, apiUrl, CLIENT_OPTIONS);
  return {
    async read(number) {
      const { data } = await octokit.request("GET /repos/{owner}/{repo}/pulls/{pull_number}", {
        owner: repo.owner,
        repo: repo.repo,
        pull_number: number,
      });
      return { headSha: data.head.sha, baseSha: data.base.sha };
    },
  };
}
