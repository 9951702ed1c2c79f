/**
 * The handlers, one per served operation. Each reads the request as GitHub would, answers with
 * GitHub's status codes and messages for the cases our code must survive (409 on a stale blob
 * sha, 422 on a non-fast-forward ref update, 404 outside the installation), and writes through
 * git plumbing with compare-and-swap ref updates.
 */
import type { IncomingHttpHeaders } from "node:http";
import type { CommitInfo, GitIdentity, TreeChange } from "./git.js";
import {
  appJson,
  checkRunJson,
  combinedState,
  commentJson,
  commitJson,
  contentFileJson,
  deploymentJson,
  deploymentStatusJson,
  diffEntryJson,
  gitCommitJson,
  installationJson,
  issueJson,
  type Links,
  legacyPermission,
  nodeId,
  pullJson,
  reactionJson,
  refJson,
  repoJson,
  rolePermissions,
  statusJson,
  treeEntryJson,
  userJson,
} from "./json.js";
import type {
  CheckRunRecord,
  CommentRecord,
  CommitState,
  DeploymentRecord,
  DeploymentState,
  IssueRecord,
  PullRecord,
  ReactionContent,
  RepoRecord,
  StatusRecord,
  UserRecord,
} from "./model.js";
import { isoNow } from "./model.js";
import type { OperationKey } from "./operations.js";
import { ACTIONS_BOT, type Credential, type StandInState } from "./state.js";

export interface Ctx {
  key: OperationKey;
  params: Record<string, string>;
  query: URLSearchParams;
  // biome-ignore lint/suspicious/noExplicitAny: request bodies are checked against the spec, not typed
  body: any;
  headers: IncomingHttpHeaders;
  links: Links;
  /** Path of the request without prefix and query, as sent (still encoded). */
  rawPath: string;
  credential: Credential;
  actor: UserRecord;
}

export interface Reply {
  status: number;
  body?: unknown;
  /** A non-JSON body (the raw media type of the contents API). */
  raw?: { contentType: string; data: Buffer };
  headers?: Record<string, string>;
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export type Handler = (s: StandInState, ctx: Ctx) => Promise<Reply>;

/** Routes that take the app's JWT instead of an installation or personal token. */
export const JWT_ROUTES = new Set<OperationKey>([
  "GET /app",
  "GET /app/installations/{installation_id}",
  "POST /app/installations/{installation_id}/access_tokens",
  "GET /repos/{owner}/{repo}/installation",
]);

const notFound = () => new HttpError(404, "Not Found");

function repoOf(s: StandInState, ctx: Ctx): RepoRecord {
  const repo = s.getRepo(ctx.params.owner ?? "", ctx.params.repo ?? "");
  // GitHub answers 404, not 403, for repositories outside the token's reach.
  if (!repo || !s.repoCovered(ctx.credential, repo)) throw notFound();
  return repo;
}

function ownerOf(s: StandInState, repo: RepoRecord): UserRecord {
  return s.ensureUser(repo.owner);
}

function intParam(ctx: Ctx, name: string): number {
  const value = Number(ctx.params[name]);
  if (!Number.isInteger(value)) throw notFound();
  return value;
}

async function commitOr422(repo: RepoRecord, ref: string): Promise<string> {
  const sha = await repo.git.resolveCommit(ref);
  if (!sha) throw new HttpError(422, `No commit found for SHA: ${ref}`);
  return sha;
}

/** `per_page` (≤ 100) and `page`, with GitHub's Link header. */
function paginate<T>(ctx: Ctx, items: T[]): { items: T[]; headers: Record<string, string> } {
  const perPage = Math.min(100, Math.max(1, Number(ctx.query.get("per_page") ?? 30) || 30));
  const page = Math.max(1, Number(ctx.query.get("page") ?? 1) || 1);
  const last = Math.max(1, Math.ceil(items.length / perPage));
  const slice = items.slice((page - 1) * perPage, page * perPage);
  return { items: slice, headers: linkHeader(ctx, page, page < last, last) };
}

function linkHeader(
  ctx: Ctx,
  page: number,
  hasNext: boolean,
  last: number | undefined,
): Record<string, string> {
  const url = (p: number) => {
    const query = new URLSearchParams(ctx.query);
    query.set("page", String(p));
    return `<${ctx.links.api}${ctx.rawPath}?${query}>`;
  };
  const links: string[] = [];
  if (page > 1) links.push(`${url(page - 1)}; rel="prev"`);
  if (hasNext) links.push(`${url(page + 1)}; rel="next"`);
  if (last !== undefined && page < last) links.push(`${url(last)}; rel="last"`);
  if (page > 1) links.push(`${url(1)}; rel="first"`);
  return links.length ? { link: links.join(", ") } : {};
}

function identityFrom(
  value: { name?: unknown; email?: unknown; date?: unknown } | undefined,
  fallback: GitIdentity,
): GitIdentity {
  if (!value || typeof value.name !== "string" || typeof value.email !== "string") return fallback;
  const identity: GitIdentity = { name: value.name, email: value.email };
  if (typeof value.date === "string") identity.date = value.date;
  return identity;
}

function decodeBase64(content: unknown): Buffer {
  if (typeof content !== "string" || !/^[A-Za-z0-9+/=\s]*$/.test(content)) {
    throw new HttpError(422, "content is not valid Base64");
  }
  return Buffer.from(content, "base64");
}

/** GitHub shows a commit's author and committer as accounts when it knows the email. */
function commitUsers(s: StandInState, commit: CommitInfo) {
  return {
    author: s.userByEmail(commit.author.email),
    committer: s.userByEmail(commit.committer.email),
  };
}

const ATTEMPTS = 5;

/**
 * The contents API's write: check the blob sha against the branch head, commit, and move the
 * branch only if nobody else moved it meanwhile (git update-ref with the old value). When another
 * writer won, start over from the new head, so a stale sha still loses and an unrelated write
 * does not.
 */
async function writeFile(
  s: StandInState,
  ctx: Ctx,
  repo: RepoRecord,
  path: string,
  content: Buffer | null,
): Promise<Reply> {
  const body = ctx.body ?? {};
  if (typeof body.message !== "string") throw new HttpError(422, "message is required");
  const branch = typeof body.branch === "string" ? body.branch : repo.defaultBranch;
  const fallback = s.identityOf(ctx.actor);
  const committer = identityFrom(body.committer, fallback);
  const author = identityFrom(body.author, committer);
  const ref = `refs/heads/${branch}`;
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const head = await repo.git.refSha(ref);
    if (!head) throw new HttpError(404, `Branch ${branch} not found`);
    const existing = await repo.git.entryAt(head, path);
    if (existing && existing.type !== "blob") {
      throw new HttpError(422, `${path} is a directory`);
    }
    if (content === null && !existing) throw new HttpError(404, "Not Found");
    if (existing && typeof body.sha !== "string") {
      throw new HttpError(422, 'Invalid request.\n\n"sha" wasn\'t supplied.');
    }
    if (typeof body.sha === "string" && body.sha !== existing?.sha) {
      throw new HttpError(409, `${path} does not match ${body.sha}`);
    }
    const headCommit = await repo.git.readCommit(head);
    const change: TreeChange =
      content === null
        ? { path, mode: "100644", sha: null }
        : { path, mode: existing?.mode ?? "100644", sha: await repo.git.writeBlob(content) };
    const tree = await repo.git.writeTree(headCommit.tree, [change]);
    const sha = await repo.git.commitTree({
      tree,
      parents: [head],
      message: body.message,
      author,
      committer,
    });
    if (!(await repo.git.updateRef(ref, sha, head))) continue;
    const commit = await repo.git.readCommit(sha);
    const entry = content === null ? undefined : await repo.git.entryAt(sha, path);
    return {
      status: content !== null && !existing ? 201 : 200,
      body: {
        content: entry ? contentFileJson(repo, entry, path, branch, ctx.links) : null,
        commit: gitCommitJson(repo, commit, ctx.links),
      },
    };
  }
  throw new HttpError(409, `${path} could not be written: the branch kept moving`);
}

function reactionContent(value: unknown): ReactionContent {
  const allowed = ["+1", "-1", "laugh", "confused", "heart", "hooray", "rocket", "eyes"];
  if (typeof value !== "string" || !allowed.includes(value)) {
    throw new HttpError(422, "Validation Failed", {
      errors: [{ resource: "Reaction", code: "invalid", field: "content" }],
    });
  }
  return value as ReactionContent;
}

function commentOf(s: StandInState, ctx: Ctx, repo: RepoRecord): CommentRecord {
  const comment = s.comments.get(intParam(ctx, "comment_id"));
  if (!comment || s.repoKey(comment.owner, comment.repo) !== s.repoKey(repo.owner, repo.name)) {
    throw notFound();
  }
  return comment;
}

function issueOf(ctx: Ctx, repo: RepoRecord, param = "issue_number"): IssueRecord {
  const issue = repo.issues.get(intParam(ctx, param));
  if (!issue) throw notFound();
  return issue;
}

function commentReply(s: StandInState, repo: RepoRecord, comment: CommentRecord, l: Links) {
  return commentJson(
    repo,
    comment,
    s.ensureUser(comment.user),
    s.associationOf(repo, comment.user),
    l,
  );
}

/** A pull request's REST JSON; a merged one keeps the shas it had when merged. */
async function pullBody(
  s: StandInState,
  ctx: Ctx,
  repo: RepoRecord,
  issue: IssueRecord & { pull: PullRecord },
): Promise<Record<string, unknown> | undefined> {
  const pull = issue.pull;
  const headSha = pull.merged?.headSha ?? (await repo.git.resolveCommit(pull.head));
  const baseSha = pull.merged?.baseSha ?? (await repo.git.resolveCommit(pull.base));
  if (!headSha || !baseSha) return undefined;
  const mergeBase = await repo.git.mergeBase(baseSha, headSha);
  const files = await repo.git.diff(mergeBase, headSha);
  const commits = await repo.git.countCommits(mergeBase ? `${mergeBase}..${headSha}` : headSha);
  return pullJson(
    repo,
    issue,
    {
      user: s.ensureUser(issue.user),
      owner: ownerOf(s, repo),
      association: s.associationOf(repo, issue.user),
      headSha,
      baseSha,
      files,
      commits,
      comments: commentCount(s, repo, issue.number),
      ...(pull.merged ? { mergedBy: s.ensureUser(pull.merged.by) } : {}),
    },
    ctx.links,
  );
}

function commentCount(s: StandInState, repo: RepoRecord, issue: number): number {
  let n = 0;
  for (const c of s.comments.values()) {
    if (c.issueNumber === issue && s.repoKey(c.owner, c.repo) === s.repoKey(repo.owner, repo.name))
      n++;
  }
  return n;
}

/** Check runs made with `GITHUB_TOKEN` belong to GitHub Actions' own app. */
function actionsApp(s: StandInState) {
  return {
    ...s.app,
    id: 15368,
    slug: "github-actions",
    name: "GitHub Actions",
    owner: s.ensureUser("github", "Organization"),
  };
}

function appOfCredential(s: StandInState, ctx: Ctx) {
  return ctx.credential.kind === "installation" ? s.app : actionsApp(s);
}

async function pullsForSha(repo: RepoRecord, sha: string, l: Links) {
  const pulls: Record<string, unknown>[] = [];
  for (const issue of repo.issues.values()) {
    if (!issue.pull || issue.state !== "open") continue;
    const head = await repo.git.resolveCommit(issue.pull.head);
    const base = await repo.git.resolveCommit(issue.pull.base);
    if (head !== sha || !base) continue;
    const url = `${l.api}/repos/${repo.owner}/${repo.name}`;
    const mini = { id: repo.id, url, name: repo.name };
    pulls.push({
      id: issue.id,
      number: issue.number,
      url: `${url}/pulls/${issue.number}`,
      head: { ref: issue.pull.head, sha: head, repo: mini },
      base: { ref: issue.pull.base, sha: base, repo: mini },
    });
  }
  return pulls;
}

function checkRunReply(s: StandInState, ctx: Ctx, repo: RepoRecord, run: CheckRunRecord) {
  const app = run.appId === s.app.id ? s.app : actionsApp(s);
  return pullsForSha(repo, run.headSha, ctx.links).then((pulls) =>
    checkRunJson(repo, run, appJson(app, ctx.links), pulls, ctx.links),
  );
}

function applyCheckRunFields(run: CheckRunRecord, body: Record<string, unknown>) {
  const str = (v: unknown) => (typeof v === "string" ? v : null);
  if ("name" in body && typeof body.name === "string") run.name = body.name;
  if ("details_url" in body) run.detailsUrl = str(body.details_url);
  if ("external_id" in body) run.externalId = str(body.external_id);
  if ("started_at" in body) run.startedAt = str(body.started_at);
  if (typeof body.status === "string") run.status = body.status as CheckRunRecord["status"];
  if ("conclusion" in body && typeof body.conclusion === "string") {
    run.conclusion = body.conclusion;
    run.status = "completed";
  }
  if ("completed_at" in body) run.completedAt = str(body.completed_at);
  if (run.status === "completed" && !run.completedAt) run.completedAt = isoNow();
  const output = body.output as Record<string, unknown> | undefined;
  if (output) {
    run.output = {
      title: str(output.title) ?? run.output.title,
      summary: str(output.summary) ?? run.output.summary,
      text: str(output.text) ?? run.output.text,
    };
  }
}

/** Latest status per context, newest first, as the combined status reports them. */
function latestPerContext(statuses: StatusRecord[], sha: string): StatusRecord[] {
  const seen = new Set<string>();
  const latest: StatusRecord[] = [];
  for (const status of statuses.filter((st) => st.sha === sha).reverse()) {
    if (seen.has(status.context)) continue;
    seen.add(status.context);
    latest.push(status);
  }
  return latest;
}

function deploymentOf(s: StandInState, ctx: Ctx, repo: RepoRecord): DeploymentRecord {
  const id = intParam(ctx, "deployment_id");
  const deployment = s.deployments.find(
    (d) => d.id === id && s.repoKey(d.owner, d.repo) === s.repoKey(repo.owner, repo.name),
  );
  if (!deployment) throw notFound();
  return deployment;
}

export const ROUTES: Record<OperationKey, Handler> = {
  async "GET /app"(s, ctx) {
    return { status: 200, body: appJson(s.app, ctx.links) };
  },

  async "GET /app/installations/{installation_id}"(s, ctx) {
    const installation = s.installations.get(intParam(ctx, "installation_id"));
    if (!installation) throw notFound();
    return { status: 200, body: installationJson(installation, s.app, ctx.links) };
  },

  async "POST /app/installations/{installation_id}/access_tokens"(s, ctx) {
    const installation = s.installations.get(intParam(ctx, "installation_id"));
    if (!installation) throw notFound();
    const body = ctx.body ?? {};
    let repositories: Set<string> | undefined;
    if (Array.isArray(body.repositories) || Array.isArray(body.repository_ids)) {
      repositories = new Set();
      for (const repo of s.repos.values()) {
        if (repo.owner.toLowerCase() !== installation.account.login.toLowerCase()) continue;
        const byName = (body.repositories ?? []).some(
          (n: unknown) => typeof n === "string" && n.toLowerCase() === repo.name.toLowerCase(),
        );
        const byId = (body.repository_ids ?? []).includes(repo.id);
        if (byName || byId) repositories.add(repo.name.toLowerCase());
      }
    }
    const expiresAt = Date.now() + 3600_000;
    const token = s.issueToken(
      { kind: "installation", installationId: installation.id, repositories, expiresAt },
      "ghs",
    );
    return {
      status: 201,
      body: {
        token,
        expires_at: isoNow(new Date(expiresAt)),
        permissions: s.app.permissions,
        repository_selection: repositories ? "selected" : "all",
      },
    };
  },

  async "GET /repos/{owner}/{repo}/installation"(s, ctx) {
    const repo = s.getRepo(ctx.params.owner ?? "", ctx.params.repo ?? "");
    const installation = repo && s.installationFor(repo.owner);
    if (!installation) throw notFound();
    return { status: 200, body: installationJson(installation, s.app, ctx.links) };
  },

  async "GET /repos/{owner}/{repo}"(s, ctx) {
    const repo = repoOf(s, ctx);
    const openIssues = [...repo.issues.values()].filter((i) => i.state === "open").length;
    const permissions =
      ctx.credential.kind === "token" && ctx.actor !== ACTIONS_BOT
        ? s.roleOf(repo, ctx.actor.login)
        : "admin";
    return {
      status: 200,
      body: repoJson(repo, ownerOf(s, repo), ctx.links, { permissions, openIssues }),
    };
  },

  async "GET /repos/{owner}/{repo}/contents/{path}"(s, ctx) {
    const repo = repoOf(s, ctx);
    const ref = ctx.query.get("ref") ?? repo.defaultBranch;
    const sha = await repo.git.resolveCommit(ref);
    if (!sha) throw new HttpError(404, `No commit found for the ref ${ref}`);
    const path = (ctx.params.path ?? "").replace(/^\/+|\/+$/g, "");
    const entry = await repo.git.entryAt(sha, path);
    if (!entry) throw notFound();
    if (entry.type === "tree") {
      const children = await repo.git.lsTree(sha, { path });
      return {
        status: 200,
        body: children.map((child) => {
          const childPath = path ? `${path}/${child.path}` : child.path;
          return contentFileJson(repo, child, childPath, ref, ctx.links);
        }),
      };
    }
    const content = entry.type === "blob" ? await repo.git.readBlob(entry.sha) : Buffer.alloc(0);
    if (/raw/.test(String(ctx.headers.accept ?? ""))) {
      return { status: 200, raw: { contentType: "text/plain; charset=utf-8", data: content } };
    }
    return { status: 200, body: contentFileJson(repo, entry, path, ref, ctx.links, content) };
  },

  async "PUT /repos/{owner}/{repo}/contents/{path}"(s, ctx) {
    const repo = repoOf(s, ctx);
    const content = decodeBase64(ctx.body?.content);
    return writeFile(s, ctx, repo, ctx.params.path ?? "", content);
  },

  async "DELETE /repos/{owner}/{repo}/contents/{path}"(s, ctx) {
    const repo = repoOf(s, ctx);
    return writeFile(s, ctx, repo, ctx.params.path ?? "", null);
  },

  async "POST /repos/{owner}/{repo}/git/blobs"(s, ctx) {
    const repo = repoOf(s, ctx);
    const { content, encoding = "utf-8" } = ctx.body ?? {};
    if (typeof content !== "string") throw new HttpError(422, "content is required");
    const data = encoding === "base64" ? decodeBase64(content) : Buffer.from(content, "utf8");
    const sha = await repo.git.writeBlob(data);
    const url = `${ctx.links.api}/repos/${repo.owner}/${repo.name}/git/blobs/${sha}`;
    return { status: 201, body: { sha, url }, headers: { location: url } };
  },

  async "GET /repos/{owner}/{repo}/git/blobs/{file_sha}"(s, ctx) {
    const repo = repoOf(s, ctx);
    const sha = ctx.params.file_sha ?? "";
    if ((await repo.git.objectType(sha)) !== "blob") throw notFound();
    const data = await repo.git.readBlob(sha);
    return {
      status: 200,
      body: {
        sha,
        node_id: nodeId("Blob", sha),
        size: data.length,
        url: `${ctx.links.api}/repos/${repo.owner}/${repo.name}/git/blobs/${sha}`,
        content: data.toString("base64").replace(/(.{60})/g, "$1\n"),
        encoding: "base64",
      },
    };
  },

  async "POST /repos/{owner}/{repo}/git/trees"(s, ctx) {
    const repo = repoOf(s, ctx);
    const body = ctx.body ?? {};
    const base = typeof body.base_tree === "string" ? body.base_tree : undefined;
    if (base && (await repo.git.objectType(base)) !== "tree") {
      throw new HttpError(422, "base_tree is not a valid tree oid");
    }
    if (!Array.isArray(body.tree)) throw new HttpError(422, "tree is required");
    const changes: TreeChange[] = [];
    for (const item of body.tree as Record<string, unknown>[]) {
      const path = String(item.path ?? "");
      const mode = String(item.mode ?? "100644");
      if (typeof item.content === "string") {
        changes.push({ path, mode, sha: await repo.git.writeBlob(item.content) });
      } else if (item.sha === null) {
        changes.push({ path, mode, sha: null });
      } else {
        const sha = String(item.sha ?? "");
        const type = String(item.type ?? (mode === "040000" ? "tree" : "blob"));
        if ((await repo.git.objectType(sha)) !== type) {
          throw new HttpError(422, `tree.sha ${sha} is not a valid ${type}`);
        }
        changes.push({ path, mode, sha });
      }
    }
    const sha = await repo.git.writeTree(base, changes);
    const entries = await repo.git.lsTree(sha);
    return {
      status: 201,
      body: {
        sha,
        url: `${ctx.links.api}/repos/${repo.owner}/${repo.name}/git/trees/${sha}`,
        tree: entries.map((e) => treeEntryJson(repo, e, ctx.links)),
        truncated: false,
      },
    };
  },

  async "GET /repos/{owner}/{repo}/git/trees/{tree_sha}"(s, ctx) {
    const repo = repoOf(s, ctx);
    const wanted = ctx.params.tree_sha ?? "";
    const sha =
      (await repo.git.treeOf(wanted)) ??
      (await repo.git.treeOf((await repo.git.resolveCommit(wanted)) ?? ""));
    if (!sha) throw notFound();
    const entries = await repo.git.lsTree(sha, { recursive: ctx.query.has("recursive") });
    return {
      status: 200,
      body: {
        sha,
        url: `${ctx.links.api}/repos/${repo.owner}/${repo.name}/git/trees/${sha}`,
        tree: entries.map((e) => treeEntryJson(repo, e, ctx.links)),
        truncated: false,
      },
    };
  },

  async "POST /repos/{owner}/{repo}/git/commits"(s, ctx) {
    const repo = repoOf(s, ctx);
    const body = ctx.body ?? {};
    if (typeof body.message !== "string") throw new HttpError(422, "message is required");
    if ((await repo.git.objectType(String(body.tree))) !== "tree") {
      throw new HttpError(422, "Tree SHA does not exist");
    }
    const parents: string[] = Array.isArray(body.parents) ? body.parents.map(String) : [];
    for (const parent of parents) {
      if ((await repo.git.objectType(parent)) !== "commit") {
        throw new HttpError(422, "Parent SHA does not exist or is not a commit object");
      }
    }
    const author = identityFrom(body.author, s.identityOf(ctx.actor));
    const committer = identityFrom(body.committer, author);
    const sha = await repo.git.commitTree({
      tree: String(body.tree),
      parents,
      message: body.message,
      author,
      committer,
    });
    const commit = await repo.git.readCommit(sha);
    const json = gitCommitJson(repo, commit, ctx.links);
    return { status: 201, body: json, headers: { location: String(json.url) } };
  },

  async "GET /repos/{owner}/{repo}/git/commits/{commit_sha}"(s, ctx) {
    const repo = repoOf(s, ctx);
    const sha = ctx.params.commit_sha ?? "";
    if ((await repo.git.objectType(sha)) !== "commit") throw notFound();
    const commit = await repo.git.readCommit((await repo.git.resolveCommit(sha)) ?? sha);
    return { status: 200, body: gitCommitJson(repo, commit, ctx.links) };
  },

  async "GET /repos/{owner}/{repo}/git/ref/{ref}"(s, ctx) {
    const repo = repoOf(s, ctx);
    const ref = `refs/${ctx.params.ref}`;
    const sha = await repo.git.refSha(ref);
    if (!sha) throw notFound();
    const type = (await repo.git.objectType(sha)) ?? "commit";
    return { status: 200, body: refJson(repo, ref, sha, type, ctx.links) };
  },

  async "GET /repos/{owner}/{repo}/git/matching-refs/{ref}"(s, ctx) {
    const repo = repoOf(s, ctx);
    const prefix = `refs/${ctx.params.ref}`;
    const refs = (await repo.git.listRefs("refs/")).filter((r) => r.ref.startsWith(prefix));
    return {
      status: 200,
      body: refs.map((r) => refJson(repo, r.ref, r.sha, r.type, ctx.links)),
    };
  },

  async "POST /repos/{owner}/{repo}/git/refs"(s, ctx) {
    const repo = repoOf(s, ctx);
    const { ref, sha } = ctx.body ?? {};
    if (typeof ref !== "string" || !/^refs\/[^/]+\/.+/.test(ref)) {
      throw new HttpError(
        422,
        "Reference name must start with 'refs/' and have at least two slashes.",
      );
    }
    const type = typeof sha === "string" ? await repo.git.objectType(sha) : undefined;
    if (!type) throw new HttpError(422, "Object does not exist");
    if (!(await repo.git.updateRef(ref, sha, null))) {
      throw new HttpError(422, "Reference already exists");
    }
    const json = refJson(repo, ref, sha, type, ctx.links);
    return { status: 201, body: json, headers: { location: String(json.url) } };
  },

  async "PATCH /repos/{owner}/{repo}/git/refs/{ref}"(s, ctx) {
    const repo = repoOf(s, ctx);
    const ref = `refs/${ctx.params.ref}`;
    const { sha, force } = ctx.body ?? {};
    const type = typeof sha === "string" ? await repo.git.objectType(sha) : undefined;
    if (!type) throw new HttpError(422, "Object does not exist");
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const current = await repo.git.refSha(ref);
      if (!current) throw new HttpError(422, "Reference does not exist");
      if (force !== true && current !== sha && !(await repo.git.isAncestor(current, sha))) {
        throw new HttpError(422, "Update is not a fast forward");
      }
      if (await repo.git.updateRef(ref, sha, current)) {
        return { status: 200, body: refJson(repo, ref, sha, type, ctx.links) };
      }
    }
    throw new HttpError(422, "Update is not a fast forward");
  },

  async "DELETE /repos/{owner}/{repo}/git/refs/{ref}"(s, ctx) {
    const repo = repoOf(s, ctx);
    const ref = `refs/${ctx.params.ref}`;
    const current = await repo.git.refSha(ref);
    if (!current || !(await repo.git.deleteRef(ref, current))) {
      throw new HttpError(422, "Reference does not exist");
    }
    return { status: 204 };
  },

  async "GET /repos/{owner}/{repo}/commits"(s, ctx) {
    const repo = repoOf(s, ctx);
    const ref = ctx.query.get("sha") ?? repo.defaultBranch;
    const head = await repo.git.resolveCommit(ref);
    if (!head) throw new HttpError(404, `No commit found for SHA: ${ref}`);
    const perPage = Math.min(100, Math.max(1, Number(ctx.query.get("per_page") ?? 30) || 30));
    const page = Math.max(1, Number(ctx.query.get("page") ?? 1) || 1);
    const options: Parameters<typeof repo.git.log>[0] = {
      ref: head,
      skip: (page - 1) * perPage,
      max: perPage + 1,
    };
    const path = ctx.query.get("path");
    if (path) options.path = path;
    const since = ctx.query.get("since");
    if (since) options.since = since;
    const until = ctx.query.get("until");
    if (until) options.until = until;
    let commits = await repo.git.log(options);
    const author = ctx.query.get("author");
    if (author) {
      const wanted = author.toLowerCase();
      commits = commits.filter(
        (c) =>
          c.author.email.toLowerCase() === wanted ||
          s.userByEmail(c.author.email)?.login.toLowerCase() === wanted,
      );
    }
    const hasNext = commits.length > perPage;
    return {
      status: 200,
      body: commits.slice(0, perPage).map((c) => commitJson(repo, c, ctx.links, commitUsers(s, c))),
      headers: linkHeader(ctx, page, hasNext, undefined),
    };
  },

  async "GET /repos/{owner}/{repo}/commits/{ref}"(s, ctx) {
    const repo = repoOf(s, ctx);
    const sha = await commitOr422(repo, ctx.params.ref ?? "");
    const commit = await repo.git.readCommit(sha);
    const files = await repo.git.diff(commit.parents[0], sha);
    return {
      status: 200,
      body: commitJson(repo, commit, ctx.links, commitUsers(s, commit), files),
    };
  },

  async "GET /repos/{owner}/{repo}/commits/{ref}/status"(s, ctx) {
    const repo = repoOf(s, ctx);
    const sha = await repo.git.resolveCommit(ctx.params.ref ?? "");
    if (!sha) throw new HttpError(404, `No commit found for SHA: ${ctx.params.ref}`);
    const latest = latestPerContext(repo.statuses, sha);
    const page = paginate(ctx, latest);
    const base = `${ctx.links.api}/repos/${repo.owner}/${repo.name}`;
    return {
      status: 200,
      body: {
        state: combinedState(latest),
        statuses: page.items.map((st) => statusJson(repo, st, s.ensureUser(st.creator), ctx.links)),
        sha,
        total_count: latest.length,
        repository: repoJson(repo, ownerOf(s, repo), ctx.links),
        commit_url: `${base}/commits/${sha}`,
        url: `${base}/commits/${sha}/status`,
      },
      headers: page.headers,
    };
  },

  async "GET /repos/{owner}/{repo}/commits/{ref}/statuses"(s, ctx) {
    const repo = repoOf(s, ctx);
    const sha = await repo.git.resolveCommit(ctx.params.ref ?? "");
    const statuses = sha ? repo.statuses.filter((st) => st.sha === sha).reverse() : [];
    const page = paginate(ctx, statuses);
    return {
      status: 200,
      body: page.items.map((st) => statusJson(repo, st, s.ensureUser(st.creator), ctx.links)),
      headers: page.headers,
    };
  },

  async "GET /repos/{owner}/{repo}/commits/{ref}/check-runs"(s, ctx) {
    const repo = repoOf(s, ctx);
    const sha = await commitOr422(repo, ctx.params.ref ?? "");
    let runs = repo.checkRuns.filter((r) => r.headSha === sha).reverse();
    const name = ctx.query.get("check_name");
    if (name) runs = runs.filter((r) => r.name === name);
    const status = ctx.query.get("status");
    if (status) runs = runs.filter((r) => r.status === status);
    const appId = ctx.query.get("app_id");
    if (appId) runs = runs.filter((r) => String(r.appId) === appId);
    if ((ctx.query.get("filter") ?? "latest") === "latest") {
      const seen = new Set<string>();
      runs = runs.filter((r) => !seen.has(r.name) && seen.add(r.name));
    }
    const page = paginate(ctx, runs);
    return {
      status: 200,
      body: {
        total_count: runs.length,
        check_runs: await Promise.all(page.items.map((r) => checkRunReply(s, ctx, repo, r))),
      },
      headers: page.headers,
    };
  },

  async "POST /repos/{owner}/{repo}/statuses/{sha}"(s, ctx) {
    const repo = repoOf(s, ctx);
    const sha = await commitOr422(repo, ctx.params.sha ?? "");
    const body = ctx.body ?? {};
    const states: CommitState[] = ["error", "failure", "pending", "success"];
    if (!states.includes(body.state)) throw new HttpError(422, "Validation Failed");
    const status: StatusRecord = {
      id: s.nextId(),
      sha,
      state: body.state,
      context: typeof body.context === "string" ? body.context : "default",
      description: typeof body.description === "string" ? body.description : null,
      targetUrl: typeof body.target_url === "string" ? body.target_url : null,
      creator: ctx.actor.login,
      createdAt: isoNow(),
    };
    repo.statuses.push(status);
    return { status: 201, body: statusJson(repo, status, ctx.actor, ctx.links) };
  },

  async "POST /repos/{owner}/{repo}/check-runs"(s, ctx) {
    const repo = repoOf(s, ctx);
    const body = ctx.body ?? {};
    if (typeof body.name !== "string") throw new HttpError(422, "name is required");
    const sha = await commitOr422(repo, String(body.head_sha ?? ""));
    const run: CheckRunRecord = {
      id: s.nextId(),
      headSha: sha,
      name: body.name,
      status: "queued",
      conclusion: null,
      startedAt: isoNow(),
      completedAt: null,
      externalId: null,
      detailsUrl: null,
      output: { title: null, summary: null, text: null },
      appId: appOfCredential(s, ctx).id,
    };
    applyCheckRunFields(run, body);
    repo.checkRuns.push(run);
    return { status: 201, body: await checkRunReply(s, ctx, repo, run) };
  },

  async "GET /repos/{owner}/{repo}/check-runs/{check_run_id}"(s, ctx) {
    const repo = repoOf(s, ctx);
    const run = repo.checkRuns.find((r) => r.id === intParam(ctx, "check_run_id"));
    if (!run) throw notFound();
    return { status: 200, body: await checkRunReply(s, ctx, repo, run) };
  },

  async "PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}"(s, ctx) {
    const repo = repoOf(s, ctx);
    const run = repo.checkRuns.find((r) => r.id === intParam(ctx, "check_run_id"));
    if (!run) throw notFound();
    applyCheckRunFields(run, ctx.body ?? {});
    return { status: 200, body: await checkRunReply(s, ctx, repo, run) };
  },

  // Open issues by default, filtered by `labels` (all of them, comma-separated); pull requests
  // are issues too and listed, as GitHub does.
  async "GET /repos/{owner}/{repo}/issues"(s, ctx) {
    const repo = repoOf(s, ctx);
    const state = ctx.query.get("state") ?? "open";
    const labels = (ctx.query.get("labels") ?? "").split(",").filter(Boolean);
    const desc = (ctx.query.get("direction") ?? "desc") === "desc";
    const all = [...repo.issues.values()]
      .filter((i) => state === "all" || i.state === state)
      .filter((i) => labels.every((l) => (i.labels ?? []).includes(l)))
      .sort((a, b) => (desc ? b.number - a.number : a.number - b.number));
    const page = paginate(ctx, all);
    return {
      status: 200,
      body: page.items.map((issue) =>
        issueJson(
          repo,
          issue,
          s.ensureUser(issue.user),
          s.associationOf(repo, issue.user),
          commentCount(s, repo, issue.number),
          ctx.links,
        ),
      ),
      headers: page.headers,
    };
  },

  async "POST /repos/{owner}/{repo}/issues"(s, ctx) {
    const repo = repoOf(s, ctx);
    const title = ctx.body?.title;
    if (typeof title !== "string" || title === "") throw new HttpError(422, "title is required");
    const body = ctx.body?.body;
    const labels = Array.isArray(ctx.body?.labels)
      ? (ctx.body.labels as unknown[]).map((l) =>
          typeof l === "string" ? l : String((l as { name?: unknown }).name ?? ""),
        )
      : [];
    const now = isoNow();
    const issue: IssueRecord = {
      number: repo.nextNumber++,
      id: s.nextId(),
      title,
      body: typeof body === "string" ? body : null,
      user: ctx.actor.login,
      state: "open",
      locked: false,
      labels,
      createdAt: now,
      updatedAt: now,
    };
    repo.issues.set(issue.number, issue);
    const json = issueJson(
      repo,
      issue,
      s.ensureUser(issue.user),
      s.associationOf(repo, issue.user),
      0,
      ctx.links,
    );
    return { status: 201, body: json, headers: { location: String(json.url) } };
  },

  async "GET /repos/{owner}/{repo}/issues/{issue_number}"(s, ctx) {
    const repo = repoOf(s, ctx);
    const issue = issueOf(ctx, repo);
    return {
      status: 200,
      body: issueJson(
        repo,
        issue,
        s.ensureUser(issue.user),
        s.associationOf(repo, issue.user),
        commentCount(s, repo, issue.number),
        ctx.links,
      ),
    };
  },

  async "GET /repos/{owner}/{repo}/issues/{issue_number}/comments"(s, ctx) {
    const repo = repoOf(s, ctx);
    const issue = issueOf(ctx, repo);
    const since = ctx.query.get("since");
    const all = [...s.comments.values()]
      .filter(
        (c) =>
          c.issueNumber === issue.number &&
          s.repoKey(c.owner, c.repo) === s.repoKey(repo.owner, repo.name) &&
          (!since || c.updatedAt >= since),
      )
      .sort((a, b) => a.id - b.id);
    const page = paginate(ctx, all);
    return {
      status: 200,
      body: page.items.map((c) => commentReply(s, repo, c, ctx.links)),
      headers: page.headers,
    };
  },

  async "POST /repos/{owner}/{repo}/issues/{issue_number}/comments"(s, ctx) {
    const repo = repoOf(s, ctx);
    const issue = issueOf(ctx, repo);
    const body = ctx.body?.body;
    if (typeof body !== "string") throw new HttpError(422, "body is required");
    if (issue.locked && ctx.credential.kind === "token" && ctx.actor !== ACTIONS_BOT) {
      const role = s.roleOf(repo, ctx.actor.login);
      if (role !== "admin" && role !== "maintain" && role !== "write") {
        throw new HttpError(403, "Unable to create comment because issue is locked.");
      }
    }
    const now = isoNow();
    const comment: CommentRecord = {
      id: s.nextId(),
      owner: repo.owner,
      repo: repo.name,
      issueNumber: issue.number,
      body,
      user: ctx.actor.login,
      createdAt: now,
      updatedAt: now,
      reactions: [],
    };
    s.comments.set(comment.id, comment);
    const json = commentReply(s, repo, comment, ctx.links);
    return { status: 201, body: json, headers: { location: String(json.url) } };
  },

  async "GET /repos/{owner}/{repo}/issues/comments/{comment_id}"(s, ctx) {
    const repo = repoOf(s, ctx);
    return { status: 200, body: commentReply(s, repo, commentOf(s, ctx, repo), ctx.links) };
  },

  async "PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}"(s, ctx) {
    const repo = repoOf(s, ctx);
    const comment = commentOf(s, ctx, repo);
    if (typeof ctx.body?.body !== "string") throw new HttpError(422, "body is required");
    comment.body = ctx.body.body;
    comment.updatedAt = isoNow();
    return { status: 200, body: commentReply(s, repo, comment, ctx.links) };
  },

  async "DELETE /repos/{owner}/{repo}/issues/comments/{comment_id}"(s, ctx) {
    const repo = repoOf(s, ctx);
    s.comments.delete(commentOf(s, ctx, repo).id);
    return { status: 204 };
  },

  async "GET /repos/{owner}/{repo}/issues/comments/{comment_id}/reactions"(s, ctx) {
    const repo = repoOf(s, ctx);
    const comment = commentOf(s, ctx, repo);
    const content = ctx.query.get("content");
    const list = comment.reactions.filter((r) => !content || r.content === content);
    const page = paginate(ctx, list);
    return {
      status: 200,
      body: page.items.map((r) => reactionJson(r, s.ensureUser(r.user), ctx.links)),
      headers: page.headers,
    };
  },

  async "POST /repos/{owner}/{repo}/issues/comments/{comment_id}/reactions"(s, ctx) {
    const repo = repoOf(s, ctx);
    const comment = commentOf(s, ctx, repo);
    const content = reactionContent(ctx.body?.content);
    const existing = comment.reactions.find(
      (r) => r.content === content && r.user.toLowerCase() === ctx.actor.login.toLowerCase(),
    );
    if (existing) return { status: 200, body: reactionJson(existing, ctx.actor, ctx.links) };
    const reaction = { id: s.nextId(), content, user: ctx.actor.login, createdAt: isoNow() };
    comment.reactions.push(reaction);
    return { status: 201, body: reactionJson(reaction, ctx.actor, ctx.links) };
  },

  async "DELETE /repos/{owner}/{repo}/issues/comments/{comment_id}/reactions/{reaction_id}"(
    s,
    ctx,
  ) {
    const repo = repoOf(s, ctx);
    const comment = commentOf(s, ctx, repo);
    const id = intParam(ctx, "reaction_id");
    const index = comment.reactions.findIndex((r) => r.id === id);
    if (index < 0) throw notFound();
    comment.reactions.splice(index, 1);
    return { status: 204 };
  },

  async "GET /repos/{owner}/{repo}/pulls/{pull_number}"(s, ctx) {
    const repo = repoOf(s, ctx);
    const issue = issueOf(ctx, repo, "pull_number");
    if (!issue.pull) throw notFound();
    const body = await pullBody(s, ctx, repo, { ...issue, pull: issue.pull });
    if (!body) throw notFound();
    return { status: 200, body };
  },

  async "GET /repos/{owner}/{repo}/commits/{commit_sha}/pulls"(s, ctx) {
    const repo = repoOf(s, ctx);
    const sha = await commitOr422(repo, ctx.params.commit_sha ?? "");
    // GitHub's association: the pull request whose merge made this commit, and those whose
    // branch carries (or carried, when merged) it.
    const found: Record<string, unknown>[] = [];
    for (const issue of repo.issues.values()) {
      const pull = issue.pull;
      if (!pull) continue;
      let carries = pull.merged?.commitSha === sha;
      if (!carries && (pull.merged || issue.state === "open")) {
        const head = pull.merged?.headSha ?? (await repo.git.resolveCommit(pull.head));
        const base = pull.merged?.baseSha ?? (await repo.git.resolveCommit(pull.base));
        carries =
          head !== undefined &&
          (await repo.git.isAncestor(sha, head)) &&
          !(base !== undefined && (await repo.git.isAncestor(sha, base)));
      }
      if (!carries) continue;
      const body = await pullBody(s, ctx, repo, { ...issue, pull });
      if (body) found.push(body);
    }
    const page = paginate(ctx, found);
    return { status: 200, body: page.items, headers: page.headers };
  },

  async "GET /repos/{owner}/{repo}/pulls/{pull_number}/files"(s, ctx) {
    const repo = repoOf(s, ctx);
    const issue = issueOf(ctx, repo, "pull_number");
    if (!issue.pull) throw notFound();
    const headSha = await repo.git.resolveCommit(issue.pull.head);
    const baseSha = await repo.git.resolveCommit(issue.pull.base);
    if (!headSha || !baseSha) throw notFound();
    const mergeBase = await repo.git.mergeBase(baseSha, headSha);
    // GitHub lists at most 3000 files of a pull request.
    const files = (await repo.git.diff(mergeBase, headSha)).slice(0, 3000);
    const page = paginate(ctx, files);
    return {
      status: 200,
      body: page.items.map((f) => diffEntryJson(repo, f, headSha, ctx.links)),
      headers: page.headers,
    };
  },

  async "GET /repos/{owner}/{repo}/collaborators/{username}/permission"(s, ctx) {
    const repo = repoOf(s, ctx);
    const user = s.ensureUser(ctx.params.username ?? "");
    const role = s.roleOf(repo, user.login);
    return {
      status: 200,
      body: {
        permission: legacyPermission(role),
        role_name: role,
        user: {
          ...userJson(user, ctx.links),
          permissions: rolePermissions(role),
          role_name: role,
        },
      },
    };
  },

  async "GET /orgs/{org}/teams/{team_slug}/memberships/{username}"(s, ctx) {
    const org = ctx.params.org ?? "";
    const team = s.teams.get(`${org}/${ctx.params.team_slug}`.toLowerCase());
    const installation = s.installationFor(org);
    if (
      ctx.credential.kind === "installation" &&
      installation?.id !== ctx.credential.installationId
    )
      throw notFound();
    const login = (ctx.params.username ?? "").toLowerCase();
    const membership = team?.members.get(login);
    if (!team || !membership) throw notFound();
    return {
      status: 200,
      body: {
        url: `${ctx.links.api}/teams/${team.id}/memberships/${encodeURIComponent(login)}`,
        role: membership.role,
        state: membership.state,
      },
    };
  },

  async "GET /repos/{owner}/{repo}/deployments"(s, ctx) {
    const repo = repoOf(s, ctx);
    const filters = ["sha", "ref", "task", "environment"] as const;
    const list = s.deployments
      .filter((d) => s.repoKey(d.owner, d.repo) === s.repoKey(repo.owner, repo.name))
      .filter((d) =>
        filters.every((f) => {
          const wanted = ctx.query.get(f);
          return wanted === null || wanted === "none" || d[f] === wanted;
        }),
      )
      .reverse();
    const page = paginate(ctx, list);
    return {
      status: 200,
      body: page.items.map((d) => deploymentJson(repo, d, s.ensureUser(d.creator), ctx.links)),
      headers: page.headers,
    };
  },

  async "POST /repos/{owner}/{repo}/deployments"(s, ctx) {
    const repo = repoOf(s, ctx);
    const body = ctx.body ?? {};
    const ref = String(body.ref ?? "");
    const sha = await repo.git.resolveCommit(ref);
    if (!sha) throw new HttpError(422, `No ref found for: ${ref}`);
    // Without required_contexts GitHub verifies every context on the commit.
    const latest = latestPerContext(repo.statuses, sha);
    const required: string[] = Array.isArray(body.required_contexts)
      ? body.required_contexts
      : latest.map((st) => st.context);
    const failing = required.filter(
      (context) => latest.find((st) => st.context === context)?.state !== "success",
    );
    if (failing.length > 0) {
      throw new HttpError(409, `Conflict: Commit status checks failed for ${ref}.`, {
        errors: failing.map((context) => ({ contexts: [{ context, state: "missing" }] })),
      });
    }
    const environment = typeof body.environment === "string" ? body.environment : "production";
    const now = isoNow();
    const deployment: DeploymentRecord = {
      id: s.nextId(),
      owner: repo.owner,
      repo: repo.name,
      sha,
      ref,
      task: typeof body.task === "string" ? body.task : "deploy",
      environment,
      payload: body.payload === undefined || body.payload === "" ? {} : body.payload,
      description: typeof body.description === "string" ? body.description : null,
      creator: ctx.actor.login,
      createdAt: now,
      updatedAt: now,
      transientEnvironment: body.transient_environment === true,
      productionEnvironment:
        typeof body.production_environment === "boolean"
          ? body.production_environment
          : environment === "production",
      statuses: [],
    };
    s.deployments.push(deployment);
    return { status: 201, body: deploymentJson(repo, deployment, ctx.actor, ctx.links) };
  },

  async "GET /repos/{owner}/{repo}/deployments/{deployment_id}"(s, ctx) {
    const repo = repoOf(s, ctx);
    const deployment = deploymentOf(s, ctx, repo);
    return {
      status: 200,
      body: deploymentJson(repo, deployment, s.ensureUser(deployment.creator), ctx.links),
    };
  },

  async "GET /repos/{owner}/{repo}/deployments/{deployment_id}/statuses"(s, ctx) {
    const repo = repoOf(s, ctx);
    const deployment = deploymentOf(s, ctx, repo);
    const page = paginate(ctx, [...deployment.statuses].reverse());
    return {
      status: 200,
      body: page.items.map((st) =>
        deploymentStatusJson(repo, deployment, st, s.ensureUser(st.creator), ctx.links),
      ),
      headers: page.headers,
    };
  },

  async "POST /repos/{owner}/{repo}/deployments/{deployment_id}/statuses"(s, ctx) {
    const repo = repoOf(s, ctx);
    const deployment = deploymentOf(s, ctx, repo);
    const body = ctx.body ?? {};
    const states: DeploymentState[] = [
      "error",
      "failure",
      "inactive",
      "in_progress",
      "queued",
      "pending",
      "success",
    ];
    if (!states.includes(body.state)) throw new HttpError(422, "Validation Failed");
    const str = (v: unknown, d: string) => (typeof v === "string" ? v : d);
    const targetUrl = str(body.target_url, "");
    if (typeof body.environment === "string") deployment.environment = body.environment;
    const status = {
      id: s.nextId(),
      state: body.state as DeploymentState,
      description: str(body.description, ""),
      environment: deployment.environment,
      targetUrl,
      logUrl: str(body.log_url, targetUrl),
      environmentUrl: str(body.environment_url, ""),
      creator: ctx.actor.login,
      createdAt: isoNow(),
    };
    deployment.statuses.push(status);
    deployment.updatedAt = status.createdAt;
    if (status.state === "success" && body.auto_inactive !== false) {
      for (const other of s.deployments) {
        const last = other.statuses.at(-1);
        if (
          other !== deployment &&
          s.repoKey(other.owner, other.repo) === s.repoKey(repo.owner, repo.name) &&
          other.environment === deployment.environment &&
          last?.state === "success"
        ) {
          other.statuses.push({ ...last, id: s.nextId(), state: "inactive", createdAt: isoNow() });
        }
      }
    }
    return {
      status: 201,
      body: deploymentStatusJson(repo, deployment, status, ctx.actor, ctx.links),
    };
  },

  async "POST /repos/{owner}/{repo}/dispatches"(s, ctx) {
    const repo = repoOf(s, ctx);
    const body = ctx.body ?? {};
    const eventType = body.event_type;
    if (typeof eventType !== "string" || eventType.length < 1 || eventType.length > 100) {
      throw new HttpError(422, "event_type must be between 1 and 100 characters");
    }
    const payload = body.client_payload;
    if (payload && typeof payload === "object" && Object.keys(payload).length > 10) {
      throw new HttpError(422, "client_payload can have at most 10 top-level properties");
    }
    s.dispatches.push({
      owner: repo.owner,
      repo: repo.name,
      eventType,
      clientPayload: payload,
      actor: ctx.actor.login,
      at: isoNow(),
    });
    return { status: 204 };
  },
};
