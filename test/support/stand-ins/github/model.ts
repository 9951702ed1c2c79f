/** The stand-in's in-memory state beside the git repositories. */
import type { GitRepo } from "./git.js";

/** Repository roles as GitHub names them in `role_name`. */
export type Role = "admin" | "maintain" | "write" | "triage" | "read" | "none";

export type ReactionContent =
  | "+1"
  | "-1"
  | "laugh"
  | "confused"
  | "heart"
  | "hooray"
  | "rocket"
  | "eyes";

export type CommitState = "error" | "failure" | "pending" | "success";

export type DeploymentState =
  | "error"
  | "failure"
  | "inactive"
  | "in_progress"
  | "queued"
  | "pending"
  | "success";

export interface UserRecord {
  login: string;
  id: number;
  type: "User" | "Bot" | "Organization";
}

export interface RepoRecord {
  owner: string;
  name: string;
  id: number;
  git: GitRepo;
  defaultBranch: string;
  private: boolean;
  createdAt: string;
  roles: Map<string, Role>;
  nextNumber: number;
  issues: Map<number, IssueRecord>;
  statuses: StatusRecord[];
  checkRuns: CheckRunRecord[];
}

export interface IssueRecord {
  number: number;
  id: number;
  title: string;
  body: string | null;
  user: string;
  state: "open" | "closed";
  locked: boolean;
  /** Label names; GitHub creates a label the first time an issue names it. */
  labels?: string[];
  createdAt: string;
  updatedAt: string;
  closedAt?: string;
  stateReason?: "completed" | "not_planned" | "duplicate" | "reopened";
  /** Present for pull requests: branch names in the same repository. */
  pull?: PullRecord;
}

export interface PullRecord {
  head: string;
  base: string;
  /** Set by a merge: the commit it made on `base`, and both sides as they were then. */
  merged?: { commitSha: string; headSha: string; baseSha: string; at: string; by: string };
}

export interface CommentRecord {
  id: number;
  owner: string;
  repo: string;
  issueNumber: number;
  body: string;
  user: string;
  createdAt: string;
  updatedAt: string;
  reactions: ReactionRecord[];
}

export interface ReactionRecord {
  id: number;
  content: ReactionContent;
  user: string;
  createdAt: string;
}

export interface StatusRecord {
  id: number;
  sha: string;
  state: CommitState;
  context: string;
  description: string | null;
  targetUrl: string | null;
  creator: string;
  createdAt: string;
}

export interface CheckRunRecord {
  id: number;
  headSha: string;
  name: string;
  status: "queued" | "in_progress" | "completed" | "waiting" | "requested" | "pending";
  conclusion: string | null;
  startedAt: string | null;
  completedAt: string | null;
  externalId: string | null;
  detailsUrl: string | null;
  output: { title: string | null; summary: string | null; text: string | null };
  appId: number;
}

export interface DeploymentRecord {
  id: number;
  owner: string;
  repo: string;
  sha: string;
  ref: string;
  task: string;
  environment: string;
  payload: unknown;
  description: string | null;
  creator: string;
  createdAt: string;
  updatedAt: string;
  transientEnvironment: boolean;
  productionEnvironment: boolean;
  statuses: DeploymentStatusRecord[];
}

export interface DeploymentStatusRecord {
  id: number;
  state: DeploymentState;
  description: string;
  environment: string;
  targetUrl: string;
  logUrl: string;
  environmentUrl: string;
  creator: string;
  createdAt: string;
}

export interface DispatchRecord {
  owner: string;
  repo: string;
  eventType: string;
  clientPayload: unknown;
  actor: string;
  at: string;
}

export interface RequestRecord {
  method: string;
  /** Decoded path without the `/api/v3` prefix and without the query. */
  path: string;
  query: string;
  /** The served operation, e.g. "PUT /repos/{owner}/{repo}/contents/{path}". */
  operation: string | undefined;
  status: number;
  /** Who the credentials belong to, when they were valid. */
  actor: string | undefined;
  body: unknown;
  fault: "status" | "hang" | "delay" | "barrier" | undefined;
}

export type Fault =
  | {
      kind: "status";
      status: number;
      method?: string;
      path: RegExp;
      /** Sends `retry-after`; with 403/429 the body is GitHub's secondary rate limit message. */
      retryAfterS?: number;
      message?: string;
      /** How many matching requests get the fault; unlimited when absent. */
      times?: number;
    }
  | { kind: "hang"; method?: string; path: RegExp; times?: number }
  | { kind: "delay"; ms: number; method?: string; path: RegExp; times?: number }
  /**
   * Holds each matching request until `count` of them have arrived, then lets them all through
   * at once: two writers that both read before either writes, whatever the scheduling. After
   * `timeoutMs` (default 5000) the ones held go on anyway, so a test that stops sending the
   * second request fails on its assertions instead of hanging.
   */
  | {
      kind: "barrier";
      count: number;
      timeoutMs?: number;
      method?: string;
      path: RegExp;
      times?: number;
    };

/** GitHub's timestamps: ISO 8601 in UTC, whole seconds. */
export function isoNow(date = new Date()): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}
