/**
 * A GitHub REST stand-in on 127.0.0.1 backed by real bare git repositories: what our code commits
 * is a real commit (`git -C <repoPath> log` shows it), and what it reads comes from git. Every
 * request and response is checked against GitHub's OpenAPI description (`violations`).
 *
 *   const gh = await startGitHubStandIn();
 *   const path = await gh.createRepo("acme", "prompts", { "environments.yaml": "…" });
 *   // Probot: appId gh.appId, privateKey gh.privateKey, baseUrl gh.url (or GHE_HOST + /api/v3)
 *   // Actions-style: token gh.githubToken
 *   expect(gh.violations).toEqual([]);
 *   await gh.close();
 */
import { type KeyObject, randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createAppKeys, verifyAppJwt } from "./auth.js";
import { type GitIdentity, GitRepo, type TreeChange } from "./git.js";
import {
  commentJson,
  installationJson,
  issueJson,
  type Links,
  repoJson,
  userJson,
} from "./json.js";
import {
  type CheckRunRecord,
  type CommentRecord,
  type CommitState,
  type DeploymentRecord,
  type DispatchRecord,
  type Fault,
  type IssueRecord,
  isoNow,
  type ReactionRecord,
  type RepoRecord,
  type RequestRecord,
  type Role,
  type StatusRecord,
} from "./model.js";
import { loadSpecValidator, type SpecValidator } from "./openapi.js";
import {
  MULTI_SEGMENT,
  type OperationKey,
  REQUIRED_PERMISSION,
  SERVED_OPERATIONS,
} from "./operations.js";
import { type Ctx, HttpError, JWT_ROUTES, type Reply, ROUTES } from "./routes.js";
import { ACTIONS_BOT, type Credential, StandInState } from "./state.js";

export type {
  CheckRunRecord,
  CommentRecord,
  CommitState,
  DeploymentRecord,
  DispatchRecord,
  Fault,
  ReactionRecord,
  RequestRecord,
  Role,
  StatusRecord,
};
export { SERVED_OPERATIONS };

export interface GitHubStandInOptions {
  /** Where the bare repositories go; a fresh temporary directory (removed on close) by default. */
  root?: string;
  app?: {
    id?: number;
    slug?: string;
    name?: string;
    /** Reuse a PEM instead of generating a 2048-bit key. */
    privateKey?: string;
    permissions?: Record<string, string>;
    events?: string[];
  };
  /** Check every request and response against `@octokit/openapi` (default true). */
  validate?: boolean;
  /** Extra personal-access-style tokens: token → login. */
  tokens?: Record<string, string>;
}

export interface CreateRepoOptions {
  defaultBranch?: string;
  private?: boolean;
  /** Organization by default, as most teams' repositories are. */
  ownerType?: "User" | "Organization";
  message?: string;
  /** Login of the initial commit's author. */
  author?: string;
  /** Install the app on the owner (default true). */
  install?: boolean;
}

interface Route {
  key: OperationKey;
  method: string;
  pattern: RegExp;
  names: string[];
}

function compileRoutes(): Route[] {
  const routes = SERVED_OPERATIONS.map((key) => {
    const [method, template] = key.split(" ") as [string, string];
    const multi = MULTI_SEGMENT[key];
    const names: string[] = [];
    const source = template
      .split(/(\{[^}]+\})/)
      .map((part) => {
        const param = /^\{(.+)\}$/.exec(part);
        if (!param) return part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
        names.push(param[1] as string);
        return param[1] === multi ? "(.+)" : "([^/]+)";
      })
      .join("");
    return { key, method, pattern: new RegExp(`^${source}$`), names };
  });
  // Single-segment routes first, so `/commits/{ref}/status` never falls into a greedy parameter.
  return routes.sort((a, b) => Number(!!MULTI_SEGMENT[a.key]) - Number(!!MULTI_SEGMENT[b.key]));
}

const ROUTE_TABLE = compileRoutes();

const API_PREFIX = "/api/v3";

/** The bot's app manifest (issue 4): what a default stand-in app is allowed to do. */
export const DEFAULT_APP_PERMISSIONS: Record<string, string> = {
  contents: "write",
  issues: "write",
  pull_requests: "write",
  deployments: "write",
  statuses: "read",
  members: "read",
  metadata: "read",
};

/** The events the bot's manifest subscribes to (docs/app.yml): commands and monitoring signals. */
export const DEFAULT_APP_EVENTS: readonly string[] = ["issue_comment", "repository_dispatch"];

const LEVEL: Record<string, number> = { none: 0, read: 1, write: 2, admin: 3 };

export class GitHubStandIn {
  readonly appId: number;
  readonly appSlug: string;
  /** The app's private key (PKCS#1 PEM), as Probot's PRIVATE_KEY expects it. */
  readonly privateKey: string;
  /** The login the app's installation tokens act as: `<slug>[bot]`. */
  readonly botLogin: string;
  /** A `GITHUB_TOKEN`-style token acting as github-actions[bot]. */
  readonly githubToken: string;
  /** Every disagreement with GitHub's OpenAPI description, in either direction. */
  readonly violations: string[] = [];
  readonly requests: RequestRecord[] = [];
  private faults: (Fault & { used: number })[] = [];
  /** Requests held by a `barrier` fault, by fault. */
  private readonly held = new Map<Fault, (() => void)[]>();
  private readonly hung = new Set<ServerResponse>();
  private port = 0;

  private constructor(
    private readonly state: StandInState,
    private readonly server: Server,
    private readonly root: string,
    private readonly ownsRoot: boolean,
    private readonly publicKey: KeyObject,
    private readonly validator: SpecValidator | undefined,
    keys: { privateKey: string },
  ) {
    this.appId = state.app.id;
    this.appSlug = state.app.slug;
    this.privateKey = keys.privateKey;
    this.botLogin = state.botUser.login;
    this.githubToken = state.issueToken({ kind: "token", login: ACTIONS_BOT.login }, "ghs");
  }

  static async start(options: GitHubStandInOptions = {}): Promise<GitHubStandIn> {
    const keys = await createAppKeys(options.app?.privateKey);
    const state = new StandInState({
      id: options.app?.id ?? 31337,
      slug: options.app?.slug ?? "promptgate-test",
      name: options.app?.name ?? "promptgate (test)",
      ownerLogin: "promptgate-dev",
      permissions: options.app?.permissions ?? DEFAULT_APP_PERMISSIONS,
      events: options.app?.events ?? [...DEFAULT_APP_EVENTS],
      createdAt: isoNow(),
    });
    for (const [token, login] of Object.entries(options.tokens ?? {})) {
      state.tokens.set(token, { kind: "token", login: state.ensureUser(login).login });
    }
    const root = options.root ?? (await mkdtemp(join(tmpdir(), "promptgate-github-")));
    const validator = options.validate === false ? undefined : await loadSpecValidator();
    let standIn: GitHubStandIn | undefined;
    const server = createServer((req, res) => {
      standIn?.handle(req, res).catch((e: unknown) => {
        standIn?.violations.push(`${req.method} ${req.url}: stand-in failure: ${String(e)}`);
        res.destroy();
      });
    });
    standIn = new GitHubStandIn(
      state,
      server,
      root,
      options.root === undefined,
      keys.publicKey,
      validator,
      keys,
    );
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve());
    });
    standIn.port = (server.address() as AddressInfo).port;
    return standIn;
  }

  /** The REST base URL, e.g. `http://127.0.0.1:41234` (`/api/v3` below it works too). */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** `host:port`, for Probot's `GHE_HOST` with `GHE_PROTOCOL=http`. */
  get host(): string {
    return `127.0.0.1:${this.port}`;
  }

  get deployments(): DeploymentRecord[] {
    return this.state.deployments;
  }

  get dispatches(): DispatchRecord[] {
    return this.state.dispatches;
  }

  private links(prefix = ""): Links {
    return { api: `${this.url}${prefix}`, web: this.url };
  }

  // ---- test API: repositories and git -------------------------------------------------------

  /** A bare repository with one commit holding `files` on the default branch; returns its path. */
  async createRepo(
    owner: string,
    name: string,
    files: Record<string, string>,
    options: CreateRepoOptions = {},
  ): Promise<string> {
    const s = this.state;
    if (s.getRepo(owner, name)) throw new Error(`${owner}/${name} exists already`);
    s.ensureUser(owner, options.ownerType ?? "Organization");
    const branch = options.defaultBranch ?? "main";
    const path = join(this.root, owner, `${name}.git`);
    const author = s.identityOf(s.ensureUser(options.author ?? owner));
    const { repo: git } = await GitRepo.init(path, branch, files, {
      message: options.message ?? "Initial commit",
      author,
    });
    const repo: RepoRecord = {
      owner,
      name,
      id: s.nextId(),
      git,
      defaultBranch: branch,
      private: options.private ?? false,
      createdAt: isoNow(),
      roles: new Map(),
      nextNumber: 1,
      issues: new Map(),
      statuses: [],
      checkRuns: [],
    };
    s.repos.set(s.repoKey(owner, name), repo);
    if (options.install !== false) s.install(owner);
    return path;
  }

  repoPath(owner: string, name: string): string {
    return this.state.requireRepo(owner, name).git.path;
  }

  /** The installation id for an owner the app is installed on (for webhook payloads). */
  installationId(owner: string): number {
    const installation = this.state.installationFor(owner);
    if (!installation) throw new Error(`the app is not installed on ${owner}`);
    return installation.id;
  }

  /**
   * Commits file changes (null deletes) on a branch, creating it from the default branch when
   * missing, as a push by `author` would. Returns the new commit's sha.
   */
  async commitFiles(
    owner: string,
    name: string,
    files: Record<string, string | null>,
    options: { branch?: string; message?: string; author?: string; date?: string } = {},
  ): Promise<string> {
    const repo = this.state.requireRepo(owner, name);
    const branch = options.branch ?? repo.defaultBranch;
    const ref = `refs/heads/${branch}`;
    // `date`: the pusher's own clock, which a hand-made commit carries (GitHub does not re-date it).
    const identity: GitIdentity = {
      ...this.state.identityOf(this.state.ensureUser(options.author ?? owner)),
      ...(options.date ? { date: options.date } : {}),
    };
    for (;;) {
      const head =
        (await repo.git.refSha(ref)) ?? (await repo.git.resolveCommit(repo.defaultBranch));
      if (!head) throw new Error(`${owner}/${name} has no ${repo.defaultBranch}`);
      const exists = (await repo.git.refSha(ref)) !== undefined;
      const changes: TreeChange[] = [];
      for (const [path, content] of Object.entries(files)) {
        changes.push({
          path,
          mode: "100644",
          sha: content === null ? null : await repo.git.writeBlob(content),
        });
      }
      const tree = await repo.git.writeTree((await repo.git.readCommit(head)).tree, changes);
      const sha = await repo.git.commitTree({
        tree,
        parents: [head],
        message: options.message ?? `Update ${Object.keys(files).join(", ")}`,
        author: identity,
        committer: identity,
      });
      if (await repo.git.updateRef(ref, sha, exists ? head : null)) return sha;
    }
  }

  /** A branch at `from` (default: the default branch's head); returns its sha. */
  async createBranch(owner: string, name: string, branch: string, from?: string): Promise<string> {
    const repo = this.state.requireRepo(owner, name);
    const sha = await repo.git.resolveCommit(from ?? repo.defaultBranch);
    if (!sha) throw new Error(`no commit ${from}`);
    if (!(await repo.git.updateRef(`refs/heads/${branch}`, sha, null))) {
      throw new Error(`branch ${branch} exists`);
    }
    return sha;
  }

  /** A file's content at a ref (default branch by default), or undefined. */
  async readFile(owner: string, name: string, path: string, ref?: string) {
    const repo = this.state.requireRepo(owner, name);
    const sha = await repo.git.resolveCommit(ref ?? repo.defaultBranch);
    const entry = sha ? await repo.git.entryAt(sha, path) : undefined;
    if (entry?.type !== "blob") return undefined;
    return (await repo.git.readBlob(entry.sha)).toString("utf8");
  }

  /** The sha a branch, tag or sha resolves to. */
  async resolve(owner: string, name: string, ref: string): Promise<string | undefined> {
    return this.state.requireRepo(owner, name).git.resolveCommit(ref);
  }

  /** Commits reachable from `ref` (default branch), newest first, with raw messages. */
  async log(owner: string, name: string, options: { ref?: string; path?: string } = {}) {
    const repo = this.state.requireRepo(owner, name);
    const query: { ref: string; path?: string } = { ref: options.ref ?? repo.defaultBranch };
    if (options.path) query.path = options.path;
    return repo.git.log(query);
  }

  // ---- test API: issues, pull requests, comments ---------------------------------------------

  createIssue(
    owner: string,
    name: string,
    issue: { title: string; body?: string; user?: string; locked?: boolean },
  ): number {
    return this.addIssue(owner, name, issue, undefined);
  }

  /** The repository's issues and pull requests, by number. */
  issues(owner: string, name: string): IssueRecord[] {
    return [...this.state.requireRepo(owner, name).issues.values()].sort(
      (a, b) => a.number - b.number,
    );
  }

  /** A pull request from branch `head` into `base` (default branch) of the same repository. */
  createPull(
    owner: string,
    name: string,
    pull: { head: string; base?: string; title?: string; body?: string; user?: string },
  ): number {
    const repo = this.state.requireRepo(owner, name);
    return this.addIssue(
      owner,
      name,
      { title: pull.title ?? pull.head, body: pull.body, user: pull.user },
      { head: pull.head, base: pull.base ?? repo.defaultBranch },
    );
  }

  /**
   * Merges pull request `number` as GitHub's merge button would: `merge` makes a merge commit,
   * `squash` one commit with the branch's changes (its branch commits stay off `base`). The pull
   * request is closed and merged; returns the commit made on `base`.
   */
  async mergePull(
    owner: string,
    name: string,
    number: number,
    options: { method?: "merge" | "squash"; user?: string; deleteBranch?: boolean } = {},
  ): Promise<string> {
    const repo = this.state.requireRepo(owner, name);
    const issue = repo.issues.get(number);
    const pull = issue?.pull;
    if (!issue || !pull) throw new Error(`no pull request #${number}`);
    if (pull.merged || issue.state !== "open") throw new Error(`#${number} is not open`);
    const headSha = await repo.git.resolveCommit(pull.head);
    const baseSha = await repo.git.resolveCommit(pull.base);
    if (!headSha || !baseSha) throw new Error(`#${number} lost its branches`);
    const tree = await repo.git.mergeTree(baseSha, headSha);
    if (!tree) throw new Error(`#${number} conflicts with ${pull.base}`);
    const method = options.method ?? "merge";
    const user = this.state.ensureUser(options.user ?? owner);
    const identity = this.state.identityOf(user);
    const commitSha = await repo.git.commitTree({
      tree,
      parents: method === "squash" ? [baseSha] : [baseSha, headSha],
      message:
        method === "squash"
          ? `${issue.title} (#${number})`
          : `Merge pull request #${number} from ${owner}/${pull.head}\n\n${issue.title}`,
      author: identity,
      committer: identity,
    });
    if (!(await repo.git.updateRef(`refs/heads/${pull.base}`, commitSha, baseSha))) {
      throw new Error(`${pull.base} moved while merging #${number}`);
    }
    const at = isoNow();
    pull.merged = { commitSha, headSha, baseSha, at, by: user.login };
    issue.state = "closed";
    issue.updatedAt = at;
    if (options.deleteBranch) await repo.git.deleteRef(`refs/heads/${pull.head}`, headSha);
    return commitSha;
  }

  private addIssue(
    owner: string,
    name: string,
    issue: {
      title: string;
      body?: string | undefined;
      user?: string | undefined;
      locked?: boolean;
    },
    pull: { head: string; base: string } | undefined,
  ): number {
    const repo = this.state.requireRepo(owner, name);
    const number = repo.nextNumber++;
    const now = isoNow();
    repo.issues.set(number, {
      number,
      id: this.state.nextId(),
      title: issue.title,
      body: issue.body ?? null,
      user: this.state.ensureUser(issue.user ?? owner).login,
      state: "open",
      locked: issue.locked ?? false,
      createdAt: now,
      updatedAt: now,
      ...(pull ? { pull } : {}),
    });
    return number;
  }

  /**
   * A comment by `user`, as if typed on GitHub. Returns the REST representation of it, whose
   * `id`, `user`, `html_url` and `body` a webhook payload's `comment` needs.
   */
  addComment(
    owner: string,
    name: string,
    issueNumber: number,
    comment: { body: string; user: string },
  ): Record<string, unknown> {
    const s = this.state;
    const repo = s.requireRepo(owner, name);
    if (!repo.issues.has(issueNumber)) throw new Error(`no issue #${issueNumber}`);
    const now = isoNow();
    const record: CommentRecord = {
      id: s.nextId(),
      owner: repo.owner,
      repo: repo.name,
      issueNumber,
      body: comment.body,
      user: s.ensureUser(comment.user).login,
      createdAt: now,
      updatedAt: now,
      reactions: [],
    };
    s.comments.set(record.id, record);
    return this.commentJson(record.id);
  }

  /** Comments on an issue or pull request, oldest first. */
  comments(owner: string, name: string, issueNumber: number): CommentRecord[] {
    const key = this.state.repoKey(owner, name);
    return [...this.state.comments.values()]
      .filter((c) => c.issueNumber === issueNumber && this.state.repoKey(c.owner, c.repo) === key)
      .sort((a, b) => a.id - b.id);
  }

  reactions(owner: string, name: string, commentId: number): ReactionRecord[] {
    const comment = this.state.comments.get(commentId);
    if (
      !comment ||
      this.state.repoKey(comment.owner, comment.repo) !== this.state.repoKey(owner, name)
    ) {
      return [];
    }
    return [...comment.reactions];
  }

  // ---- test API: JSON for webhook payloads ---------------------------------------------------

  userJson(login: string): Record<string, unknown> {
    return userJson(this.state.ensureUser(login), this.links());
  }

  repositoryJson(owner: string, name: string): Record<string, unknown> {
    const repo = this.state.requireRepo(owner, name);
    return repoJson(repo, this.state.ensureUser(repo.owner), this.links());
  }

  issueJson(owner: string, name: string, issueNumber: number): Record<string, unknown> {
    const repo = this.state.requireRepo(owner, name);
    const issue = repo.issues.get(issueNumber);
    if (!issue) throw new Error(`no issue #${issueNumber}`);
    const comments = this.comments(owner, name, issueNumber).length;
    return issueJson(
      repo,
      issue,
      this.state.ensureUser(issue.user),
      this.state.associationOf(repo, issue.user),
      comments,
      this.links(),
    );
  }

  commentJson(commentId: number): Record<string, unknown> {
    const comment = this.state.comments.get(commentId);
    if (!comment) throw new Error(`no comment ${commentId}`);
    const repo = this.state.requireRepo(comment.owner, comment.repo);
    return commentJson(
      repo,
      comment,
      this.state.ensureUser(comment.user),
      this.state.associationOf(repo, comment.user),
      this.links(),
    );
  }

  installationJson(owner: string): Record<string, unknown> {
    const installation = this.state.installationFor(owner);
    if (!installation) throw new Error(`the app is not installed on ${owner}`);
    return installationJson(installation, this.state.app, this.links());
  }

  // ---- test API: permissions, statuses -------------------------------------------------------

  setRole(owner: string, name: string, user: string, role: Role): void {
    const repo = this.state.requireRepo(owner, name);
    repo.roles.set(this.state.ensureUser(user).login.toLowerCase(), role);
  }

  addTeamMember(
    org: string,
    team: string,
    user: string,
    state: "active" | "pending" = "active",
    role: "member" | "maintainer" = "member",
  ): void {
    const key = `${org}/${team}`.toLowerCase();
    let entry = this.state.teams.get(key);
    if (!entry) {
      entry = { id: this.state.nextId(), members: new Map() };
      this.state.teams.set(key, entry);
    }
    entry.members.set(this.state.ensureUser(user).login.toLowerCase(), { state, role });
  }

  removeTeamMember(org: string, team: string, user: string): void {
    this.state.teams.get(`${org}/${team}`.toLowerCase())?.members.delete(user.toLowerCase());
  }

  /** A commit status, as CI (or the action) would post it; `ref` may be a branch or sha. */
  async setStatus(
    owner: string,
    name: string,
    ref: string,
    status: {
      state: CommitState;
      context: string;
      description?: string;
      targetUrl?: string;
      creator?: string;
    },
  ): Promise<StatusRecord> {
    const repo = this.state.requireRepo(owner, name);
    const sha = await repo.git.resolveCommit(ref);
    if (!sha) throw new Error(`no commit ${ref}`);
    const record: StatusRecord = {
      id: this.state.nextId(),
      sha,
      state: status.state,
      context: status.context,
      description: status.description ?? null,
      targetUrl: status.targetUrl ?? null,
      creator: this.state.ensureUser(status.creator ?? ACTIONS_BOT.login).login,
      createdAt: isoNow(),
    };
    repo.statuses.push(record);
    return record;
  }

  /** Every status posted on a commit, oldest first. */
  statuses(owner: string, name: string, sha: string): StatusRecord[] {
    return this.state.requireRepo(owner, name).statuses.filter((s) => s.sha === sha);
  }

  checkRuns(owner: string, name: string, sha?: string): CheckRunRecord[] {
    const runs = this.state.requireRepo(owner, name).checkRuns;
    return sha ? runs.filter((r) => r.headSha === sha) : [...runs];
  }

  /** A personal-access-style token acting as `login`. */
  createToken(login: string): string {
    return this.state.issueToken(
      { kind: "token", login: this.state.ensureUser(login).login },
      "ghp",
    );
  }

  // ---- test API: faults ----------------------------------------------------------------------

  /**
   * Replaces the fault list. Each matching request (method, and `path` tested against the path
   * without `/api/v3` and query) consumes one use; `times` absent means every time.
   */
  setFaults(faults: Fault[]): void {
    for (const waiting of this.held.values()) for (const release of waiting) release();
    this.held.clear();
    this.faults = faults.map((f) => ({ ...f, used: 0 }));
  }

  /** Waits until `fault.count` requests wait here (or its timeout passes). */
  private async passBarrier(fault: Extract<Fault, { kind: "barrier" }>): Promise<void> {
    const waiting = this.held.get(fault) ?? [];
    this.held.set(fault, waiting);
    await new Promise<void>((resolve) => {
      waiting.push(resolve);
      if (waiting.length >= fault.count) {
        for (const release of waiting.splice(0)) release();
        return;
      }
      setTimeout(() => {
        const i = waiting.indexOf(resolve);
        if (i >= 0) waiting.splice(i, 1);
        resolve();
      }, fault.timeoutMs ?? 5_000).unref();
    });
  }

  async close(): Promise<void> {
    for (const repo of this.state.repos.values()) repo.git.close();
    for (const res of this.hung) res.destroy();
    this.hung.clear();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    if (this.ownsRoot) await rm(this.root, { recursive: true, force: true });
  }

  // ---- HTTP -----------------------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const method = (req.method ?? "GET").toUpperCase();
    const prefixed = url.pathname === API_PREFIX || url.pathname.startsWith(`${API_PREFIX}/`);
    const rawPath = prefixed ? url.pathname.slice(API_PREFIX.length) || "/" : url.pathname;
    const links = this.links(prefixed ? API_PREFIX : "");
    const record: RequestRecord = {
      method,
      path: safeDecode(rawPath),
      query: url.search,
      operation: undefined,
      status: 0,
      actor: undefined,
      body: undefined,
      fault: undefined,
    };
    this.requests.push(record);
    const requestId = randomBytes(8).toString("hex").toUpperCase();
    let reply: Reply;
    let route: { key: OperationKey; params: Record<string, string> } | undefined;
    try {
      const text = await readBody(req);
      let body: unknown;
      if (text.length > 0) {
        try {
          body = JSON.parse(text);
        } catch {
          throw new HttpError(400, "Problems parsing JSON");
        }
      }
      record.body = body;
      route = matchRoute(method, rawPath);
      record.operation = route?.key;

      const fault = this.takeFault(method, record.path);
      if (fault?.kind === "hang") {
        record.fault = "hang";
        this.hung.add(res);
        res.on("close", () => this.hung.delete(res));
        return;
      }
      if (fault?.kind === "barrier") {
        record.fault = "barrier";
        await this.passBarrier(fault);
      }
      if (fault?.kind === "delay") {
        record.fault = "delay";
        await new Promise((resolve) => setTimeout(resolve, fault.ms));
      }
      if (fault?.kind === "status") {
        record.fault = "status";
        throw faultError(fault);
      }

      if (!route) {
        this.violations.push(`${method} ${record.path}: no served operation matches`);
        throw new HttpError(404, "Not Found");
      }
      if (this.validator) {
        const problems = this.validator.checkRequest(route.key, {
          params: route.params,
          query: url.searchParams,
          body,
        });
        this.violations.push(...problems);
      }
      const credential = this.authenticate(route.key, req.headers.authorization);
      this.authorize(route.key, credential);
      const actor = this.actorOf(credential);
      record.actor = actor.login;
      const ctx: Ctx = {
        key: route.key,
        params: route.params,
        query: url.searchParams,
        body,
        headers: req.headers,
        links,
        rawPath,
        credential,
        actor,
      };
      reply = await ROUTES[route.key](this.state, ctx);
    } catch (e) {
      reply = errorReply(e);
      if (!(e instanceof HttpError)) {
        this.violations.push(`${method} ${record.path}: stand-in failure: ${String(e)}`);
      }
    }
    record.status = reply.status;
    // A request held at a barrier is then answered for real: its answer is checked too.
    const real = !record.fault || record.fault === "barrier";
    if (this.validator && route && real && reply.raw === undefined) {
      const documented = this.validator.documents(route.key, reply.status);
      // GitHub documents 401, 403 and 404 on few operations though any may answer with them.
      if (documented || ![401, 403, 404].includes(reply.status)) {
        this.violations.push(...this.validator.checkResponse(route.key, reply.status, reply.body));
      }
    }
    send(res, reply, requestId);
  }

  private takeFault(method: string, path: string) {
    for (const fault of this.faults) {
      if (fault.method && fault.method.toUpperCase() !== method) continue;
      if (!fault.path.test(path)) continue;
      if (fault.times !== undefined && fault.used >= fault.times) continue;
      fault.used += 1;
      return fault;
    }
    return undefined;
  }

  private authenticate(key: OperationKey, header: string | undefined): Credential {
    const match = /^(bearer|token)\s+(.+)$/i.exec(header ?? "");
    const token = match?.[2]?.trim();
    if (JWT_ROUTES.has(key)) {
      if (!token) throw new HttpError(401, "A JSON web token could not be decoded");
      const check = verifyAppJwt(token, this.appId, this.publicKey);
      if (!check.ok) throw new HttpError(401, check.message);
      return { kind: "app" };
    }
    if (!token) throw new HttpError(401, "Requires authentication");
    const credential = this.state.tokens.get(token);
    if (!credential) throw new HttpError(401, "Bad credentials");
    if (credential.kind === "installation" && credential.expiresAt <= Date.now()) {
      throw new HttpError(401, "Bad credentials");
    }
    return credential;
  }

  private authorize(key: OperationKey, credential: Credential): void {
    const required = REQUIRED_PERMISSION[key];
    if (credential.kind !== "installation" || !required) return;
    const [permission, level] = required;
    const granted = this.state.app.permissions[permission] ?? "none";
    if ((LEVEL[granted] ?? 0) < (LEVEL[level] ?? 0)) {
      throw new HttpError(403, "Resource not accessible by integration");
    }
  }

  private actorOf(credential: Credential) {
    if (credential.kind === "token") return this.state.ensureUser(credential.login);
    return this.state.botUser;
  }
}

export function startGitHubStandIn(options: GitHubStandInOptions = {}): Promise<GitHubStandIn> {
  return GitHubStandIn.start(options);
}

function matchRoute(
  method: string,
  rawPath: string,
): { key: OperationKey; params: Record<string, string> } | undefined {
  for (const route of ROUTE_TABLE) {
    if (route.method !== method) continue;
    const match = route.pattern.exec(rawPath);
    if (!match) continue;
    const params: Record<string, string> = {};
    route.names.forEach((name, i) => {
      params[name] = safeDecode(match[i + 1] ?? "");
    });
    return { key: route.key, params };
  }
  return undefined;
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

const DOCS = "https://docs.github.com/rest";

function faultError(fault: Extract<Fault, { kind: "status" }>): HttpError {
  const headers: Record<string, string> = {};
  if (fault.retryAfterS !== undefined) headers["retry-after"] = String(fault.retryAfterS);
  const rateLimited =
    fault.status === 429 || (fault.status === 403 && fault.retryAfterS !== undefined);
  const message =
    fault.message ??
    (rateLimited
      ? "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
      : fault.status >= 500
        ? "Server Error"
        : "Forbidden");
  return new HttpError(fault.status, message, {}, headers);
}

function errorReply(e: unknown): Reply {
  if (e instanceof HttpError) {
    return {
      status: e.status,
      body: { message: e.message, documentation_url: DOCS, status: String(e.status), ...e.extra },
      headers: e.headers,
    };
  }
  return {
    status: 500,
    body: { message: "Server Error", documentation_url: DOCS, status: "500" },
  };
}

function send(res: ServerResponse, reply: Reply, requestId: string): void {
  const reset = Math.floor(Date.now() / 1000) + 3600;
  const headers: Record<string, string> = {
    "x-github-request-id": requestId,
    "x-github-api-version-selected": "2022-11-28",
    "x-ratelimit-limit": "5000",
    "x-ratelimit-remaining": "4999",
    "x-ratelimit-reset": String(reset),
    "x-ratelimit-used": "1",
    "x-ratelimit-resource": "core",
    ...reply.headers,
  };
  if (reply.raw) {
    res.writeHead(reply.status, { ...headers, "content-type": reply.raw.contentType });
    res.end(reply.raw.data);
    return;
  }
  if (reply.body === undefined) {
    res.writeHead(reply.status, headers);
    res.end();
    return;
  }
  const data = Buffer.from(JSON.stringify(reply.body));
  res.writeHead(reply.status, {
    ...headers,
    "content-type": "application/json; charset=utf-8",
    "x-github-media-type": "github.v3; format=json",
    "content-length": String(data.length),
  });
  res.end(data);
}
