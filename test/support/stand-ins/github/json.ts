/**
 * Response bodies shaped like GitHub's: the ids, node ids, URLs and user objects that GitHub's
 * schemas require, built from the stand-in's records. `api` is the REST base the request used
 * (with `/api/v3` when the client sent it), `web` the HTML base.
 */
import type { CommitInfo, FileDiff, TreeEntry } from "./git.js";
import type {
  CheckRunRecord,
  CommentRecord,
  CommitState,
  DeploymentRecord,
  DeploymentStatusRecord,
  IssueRecord,
  PullRecord,
  ReactionRecord,
  RepoRecord,
  Role,
  StatusRecord,
  UserRecord,
} from "./model.js";

export interface Links {
  api: string;
  web: string;
}

export interface AppInfo {
  id: number;
  slug: string;
  name: string;
  owner: UserRecord;
  permissions: Record<string, string>;
  events: string[];
  createdAt: string;
}

type Obj = Record<string, unknown>;

export function nodeId(kind: string, id: number | string): string {
  return Buffer.from(`${kind}:${id}`).toString("base64").replace(/=+$/, "");
}

export function userJson(user: UserRecord, l: Links): Obj {
  const login = encodeURIComponent(user.login);
  const api = `${l.api}/users/${login}`;
  return {
    login: user.login,
    id: user.id,
    node_id: nodeId(user.type, user.id),
    avatar_url: `${l.web}/avatars/u/${user.id}?v=4`,
    gravatar_id: "",
    url: api,
    html_url:
      user.type === "Bot"
        ? `${l.web}/apps/${user.login.replace(/\[bot\]$/, "")}`
        : `${l.web}/${login}`,
    followers_url: `${api}/followers`,
    following_url: `${api}/following{/other_user}`,
    gists_url: `${api}/gists{/gist_id}`,
    starred_url: `${api}/starred{/owner}{/repo}`,
    subscriptions_url: `${api}/subscriptions`,
    organizations_url: `${api}/orgs`,
    repos_url: `${api}/repos`,
    events_url: `${api}/events{/privacy}`,
    received_events_url: `${api}/received_events`,
    type: user.type,
    site_admin: false,
    user_view_type: "public",
  };
}

export function repoJson(
  repo: RepoRecord,
  owner: UserRecord,
  l: Links,
  extra: { permissions?: Role; openIssues?: number } = {},
): Obj {
  const full = `${repo.owner}/${repo.name}`;
  const base = `${l.api}/repos/${full}`;
  const host = new URL(l.web).host;
  const openIssues = extra.openIssues ?? 0;
  const json: Obj = {
    id: repo.id,
    node_id: nodeId("Repository", repo.id),
    name: repo.name,
    full_name: full,
    private: repo.private,
    owner: userJson(owner, l),
    html_url: `${l.web}/${full}`,
    description: null,
    fork: false,
    url: base,
    archive_url: `${base}/{archive_format}{/ref}`,
    assignees_url: `${base}/assignees{/user}`,
    blobs_url: `${base}/git/blobs{/sha}`,
    branches_url: `${base}/branches{/branch}`,
    collaborators_url: `${base}/collaborators{/collaborator}`,
    comments_url: `${base}/comments{/number}`,
    commits_url: `${base}/commits{/sha}`,
    compare_url: `${base}/compare/{base}...{head}`,
    contents_url: `${base}/contents/{+path}`,
    contributors_url: `${base}/contributors`,
    deployments_url: `${base}/deployments`,
    downloads_url: `${base}/downloads`,
    events_url: `${base}/events`,
    forks_url: `${base}/forks`,
    git_commits_url: `${base}/git/commits{/sha}`,
    git_refs_url: `${base}/git/refs{/sha}`,
    git_tags_url: `${base}/git/tags{/sha}`,
    git_url: `git://${host}/${full}.git`,
    hooks_url: `${base}/hooks`,
    issue_comment_url: `${base}/issues/comments{/number}`,
    issue_events_url: `${base}/issues/events{/number}`,
    issues_url: `${base}/issues{/number}`,
    keys_url: `${base}/keys{/key_id}`,
    labels_url: `${base}/labels{/name}`,
    languages_url: `${base}/languages`,
    merges_url: `${base}/merges`,
    milestones_url: `${base}/milestones{/number}`,
    notifications_url: `${base}/notifications{?since,all,participating}`,
    pulls_url: `${base}/pulls{/number}`,
    releases_url: `${base}/releases{/id}`,
    ssh_url: `git@${host}:${full}.git`,
    stargazers_url: `${base}/stargazers`,
    statuses_url: `${base}/statuses/{sha}`,
    subscribers_url: `${base}/subscribers`,
    subscription_url: `${base}/subscription`,
    tags_url: `${base}/tags`,
    teams_url: `${base}/teams`,
    trees_url: `${base}/git/trees{/sha}`,
    clone_url: `${l.web}/${full}.git`,
    mirror_url: null,
    svn_url: `${l.web}/${full}`,
    homepage: null,
    language: null,
    size: 0,
    forks: 0,
    forks_count: 0,
    stargazers_count: 0,
    watchers: 0,
    watchers_count: 0,
    open_issues: openIssues,
    open_issues_count: openIssues,
    network_count: 0,
    subscribers_count: 0,
    default_branch: repo.defaultBranch,
    is_template: false,
    topics: [],
    has_issues: true,
    has_projects: true,
    has_wiki: true,
    has_pages: false,
    has_downloads: true,
    has_discussions: false,
    archived: false,
    disabled: false,
    visibility: repo.private ? "private" : "public",
    allow_forking: true,
    web_commit_signoff_required: false,
    license: null,
    pushed_at: repo.createdAt,
    created_at: repo.createdAt,
    updated_at: repo.createdAt,
  };
  if (extra.permissions) json.permissions = rolePermissions(extra.permissions);
  return json;
}

/** `user.permissions` as GitHub computes it from a role. */
export function rolePermissions(role: Role): Record<string, boolean> {
  const rank = ROLE_RANK[role];
  return {
    admin: rank >= ROLE_RANK.admin,
    maintain: rank >= ROLE_RANK.maintain,
    push: rank >= ROLE_RANK.write,
    triage: rank >= ROLE_RANK.triage,
    pull: rank >= ROLE_RANK.read,
  };
}

export const ROLE_RANK: Record<Role, number> = {
  none: 0,
  read: 1,
  triage: 2,
  write: 3,
  maintain: 4,
  admin: 5,
};

/** The legacy `permission` field: maintain reads as write, triage as read. */
export function legacyPermission(role: Role): string {
  return (
    { admin: "admin", maintain: "write", write: "write", triage: "read", read: "read" }[
      role as Exclude<Role, "none">
    ] ?? "none"
  );
}

export function appJson(app: AppInfo, l: Links): Obj {
  return {
    id: app.id,
    slug: app.slug,
    node_id: nodeId("Integration", app.id),
    client_id: `Iv1.${app.id.toString(16).padStart(16, "0")}`,
    owner: userJson(app.owner, l),
    name: app.name,
    description: "promptgate test app",
    external_url: `${l.web}/${app.owner.login}`,
    html_url: `${l.web}/apps/${app.slug}`,
    created_at: app.createdAt,
    updated_at: app.createdAt,
    permissions: app.permissions,
    events: app.events,
  };
}

export function installationJson(
  installation: { id: number; account: UserRecord; createdAt: string },
  app: AppInfo,
  l: Links,
): Obj {
  return {
    id: installation.id,
    account: userJson(installation.account, l),
    repository_selection: "all",
    access_tokens_url: `${l.api}/app/installations/${installation.id}/access_tokens`,
    repositories_url: `${l.api}/installation/repositories`,
    html_url: `${l.web}/organizations/${installation.account.login}/settings/installations/${installation.id}`,
    app_id: app.id,
    app_slug: app.slug,
    target_id: installation.account.id,
    target_type: installation.account.type === "Organization" ? "Organization" : "User",
    permissions: app.permissions,
    events: app.events,
    created_at: installation.createdAt,
    updated_at: installation.createdAt,
    single_file_name: null,
    has_multiple_single_files: false,
    single_file_paths: [],
    suspended_by: null,
    suspended_at: null,
  };
}

function repoBase(repo: RepoRecord, l: Links): string {
  return `${l.api}/repos/${repo.owner}/${repo.name}`;
}

function webBase(repo: RepoRecord, l: Links): string {
  return `${l.web}/${repo.owner}/${repo.name}`;
}

function encodePath(path: string): string {
  return path.split("/").map(encodeURIComponent).join("/");
}

export function contentFileJson(
  repo: RepoRecord,
  entry: TreeEntry,
  path: string,
  ref: string,
  l: Links,
  content?: Buffer,
): Obj {
  const base = repoBase(repo, l);
  const encoded = encodePath(path);
  const type = entry.type === "tree" ? "dir" : entry.type === "commit" ? "submodule" : "file";
  const self = `${base}/contents/${encoded}?ref=${encodeURIComponent(ref)}`;
  const git =
    entry.type === "tree" ? `${base}/git/trees/${entry.sha}` : `${base}/git/blobs/${entry.sha}`;
  const html = `${webBase(repo, l)}/${type === "dir" ? "tree" : "blob"}/${ref}/${encoded}`;
  const json: Obj = {
    type,
    name: path.split("/").pop() ?? path,
    path,
    sha: entry.sha,
    size: entry.size ?? 0,
    url: self,
    html_url: html,
    git_url: git,
    download_url:
      type === "file" ? `${l.web}/raw/${repo.owner}/${repo.name}/${ref}/${encoded}` : null,
    _links: { self, git, html },
  };
  if (content !== undefined) {
    json.content = wrapBase64(content);
    json.encoding = "base64";
  }
  return json;
}

/** GitHub wraps base64 content at 60 characters. */
export function wrapBase64(content: Buffer): string {
  const flat = content.toString("base64");
  const lines: string[] = [];
  for (let i = 0; i < flat.length; i += 60) lines.push(flat.slice(i, i + 60));
  return lines.length ? `${lines.join("\n")}\n` : "";
}

function identityJson(identity: { name: string; email: string; date: string }): Obj {
  return { name: identity.name, email: identity.email, date: identity.date };
}

/** Commit messages read back without git's trailing newline, as GitHub shows them. */
function messageOf(commit: CommitInfo): string {
  return commit.message.replace(/\n+$/, "");
}

export function gitCommitJson(repo: RepoRecord, commit: CommitInfo, l: Links): Obj {
  const base = repoBase(repo, l);
  return {
    sha: commit.sha,
    node_id: nodeId("Commit", commit.sha),
    url: `${base}/git/commits/${commit.sha}`,
    html_url: `${webBase(repo, l)}/commit/${commit.sha}`,
    author: identityJson(commit.author),
    committer: identityJson(commit.committer),
    tree: { sha: commit.tree, url: `${base}/git/trees/${commit.tree}` },
    message: messageOf(commit),
    parents: commit.parents.map((sha) => ({
      sha,
      url: `${base}/git/commits/${sha}`,
      html_url: `${webBase(repo, l)}/commit/${sha}`,
    })),
    verification: unverified(),
  };
}

function unverified(): Obj {
  return { verified: false, reason: "unsigned", signature: null, payload: null, verified_at: null };
}

export function commitJson(
  repo: RepoRecord,
  commit: CommitInfo,
  l: Links,
  users: { author: UserRecord | undefined; committer: UserRecord | undefined },
  files?: FileDiff[],
): Obj {
  const base = repoBase(repo, l);
  const json: Obj = {
    url: `${base}/commits/${commit.sha}`,
    sha: commit.sha,
    node_id: nodeId("Commit", commit.sha),
    html_url: `${webBase(repo, l)}/commit/${commit.sha}`,
    comments_url: `${base}/commits/${commit.sha}/comments`,
    commit: {
      url: `${base}/git/commits/${commit.sha}`,
      author: identityJson(commit.author),
      committer: identityJson(commit.committer),
      message: messageOf(commit),
      tree: { sha: commit.tree, url: `${base}/git/trees/${commit.tree}` },
      comment_count: 0,
      verification: unverified(),
    },
    author: users.author ? userJson(users.author, l) : null,
    committer: users.committer ? userJson(users.committer, l) : null,
    parents: commit.parents.map((sha) => ({
      sha,
      url: `${base}/commits/${sha}`,
      html_url: `${webBase(repo, l)}/commit/${sha}`,
    })),
  };
  if (files) {
    const additions = files.reduce((n, f) => n + f.additions, 0);
    const deletions = files.reduce((n, f) => n + f.deletions, 0);
    json.stats = { total: additions + deletions, additions, deletions };
    json.files = files.map((f) => diffEntryJson(repo, f, commit.sha, l));
  }
  return json;
}

export function diffEntryJson(repo: RepoRecord, file: FileDiff, ref: string, l: Links): Obj {
  const encoded = encodePath(file.filename);
  const json: Obj = {
    sha: file.sha,
    filename: file.filename,
    status: file.status,
    additions: file.additions,
    deletions: file.deletions,
    changes: file.additions + file.deletions,
    blob_url: `${webBase(repo, l)}/blob/${ref}/${encoded}`,
    raw_url: `${webBase(repo, l)}/raw/${ref}/${encoded}`,
    contents_url: `${repoBase(repo, l)}/contents/${encoded}?ref=${ref}`,
  };
  if (file.patch !== undefined) json.patch = file.patch;
  if (file.previousFilename !== undefined) json.previous_filename = file.previousFilename;
  return json;
}

export function treeEntryJson(repo: RepoRecord, entry: TreeEntry, l: Links): Obj {
  const kind = entry.type === "tree" ? "trees" : "blobs";
  const json: Obj = {
    path: entry.path,
    mode: entry.mode,
    type: entry.type,
    sha: entry.sha,
    url: `${repoBase(repo, l)}/git/${kind}/${entry.sha}`,
  };
  if (entry.size !== undefined) json.size = entry.size;
  return json;
}

export function refJson(repo: RepoRecord, ref: string, sha: string, type: string, l: Links): Obj {
  const base = repoBase(repo, l);
  return {
    ref,
    node_id: nodeId("Ref", `${repo.id}:${ref}`),
    url: `${base}/git/${ref}`,
    object: { type, sha, url: `${base}/git/${type}s/${sha}` },
  };
}

const REACTION_KEYS = ["+1", "-1", "laugh", "confused", "heart", "hooray", "eyes", "rocket"];

export function commentJson(
  repo: RepoRecord,
  comment: CommentRecord,
  user: UserRecord,
  association: string,
  l: Links,
): Obj {
  const base = repoBase(repo, l);
  const issue = repo.issues.get(comment.issueNumber);
  const kind = issue?.pull ? "pull" : "issues";
  const rollup: Obj = {
    url: `${base}/issues/comments/${comment.id}/reactions`,
    total_count: comment.reactions.length,
  };
  for (const key of REACTION_KEYS) {
    rollup[key] = comment.reactions.filter((r) => r.content === key).length;
  }
  return {
    id: comment.id,
    node_id: nodeId("IssueComment", comment.id),
    url: `${base}/issues/comments/${comment.id}`,
    html_url: `${webBase(repo, l)}/${kind}/${comment.issueNumber}#issuecomment-${comment.id}`,
    issue_url: `${base}/issues/${comment.issueNumber}`,
    body: comment.body,
    user: userJson(user, l),
    created_at: comment.createdAt,
    updated_at: comment.updatedAt,
    author_association: association,
    performed_via_github_app: null,
    reactions: rollup,
  };
}

export function reactionJson(reaction: ReactionRecord, user: UserRecord, l: Links): Obj {
  return {
    id: reaction.id,
    node_id: nodeId("Reaction", reaction.id),
    user: userJson(user, l),
    content: reaction.content,
    created_at: reaction.createdAt,
  };
}

/** Labels have no record of their own: id and colour are derived from the name. */
function labelJson(repo: RepoRecord, name: string, l: Links): Obj {
  let id = 7;
  for (const ch of name) id = (id * 31 + ch.charCodeAt(0)) % 2_000_000_000;
  return {
    id,
    node_id: nodeId("Label", id),
    url: `${repoBase(repo, l)}/labels/${encodeURIComponent(name)}`,
    name,
    description: null,
    color: "ededed",
    default: false,
  };
}

export function issueJson(
  repo: RepoRecord,
  issue: IssueRecord,
  user: UserRecord,
  association: string,
  comments: number,
  l: Links,
): Obj {
  const base = repoBase(repo, l);
  const web = webBase(repo, l);
  const json: Obj = {
    id: issue.id,
    node_id: nodeId("Issue", issue.id),
    url: `${base}/issues/${issue.number}`,
    repository_url: base,
    labels_url: `${base}/issues/${issue.number}/labels{/name}`,
    comments_url: `${base}/issues/${issue.number}/comments`,
    events_url: `${base}/issues/${issue.number}/events`,
    html_url: `${web}/${issue.pull ? "pull" : "issues"}/${issue.number}`,
    number: issue.number,
    state: issue.state,
    title: issue.title,
    body: issue.body,
    user: userJson(user, l),
    labels: (issue.labels ?? []).map((name) => labelJson(repo, name, l)),
    assignee: null,
    assignees: [],
    milestone: null,
    locked: issue.locked,
    active_lock_reason: null,
    comments,
    closed_at: null,
    created_at: issue.createdAt,
    updated_at: issue.updatedAt,
    author_association: association,
  };
  if (issue.pull) {
    json.pull_request = {
      url: `${base}/pulls/${issue.number}`,
      html_url: `${web}/pull/${issue.number}`,
      diff_url: `${web}/pull/${issue.number}.diff`,
      patch_url: `${web}/pull/${issue.number}.patch`,
      merged_at: null,
    };
  }
  return json;
}

export function pullJson(
  repo: RepoRecord,
  issue: IssueRecord & { pull: PullRecord },
  parts: {
    user: UserRecord;
    owner: UserRecord;
    association: string;
    headSha: string;
    baseSha: string;
    files: FileDiff[];
    commits: number;
    comments: number;
    mergedBy?: UserRecord;
  },
  l: Links,
): Obj {
  const base = repoBase(repo, l);
  const web = webBase(repo, l);
  const n = issue.number;
  const merged = issue.pull.merged;
  const side = (ref: string, sha: string): Obj => ({
    label: `${repo.owner}:${ref}`,
    ref,
    sha,
    user: userJson(parts.owner, l),
    repo: repoJson(repo, parts.owner, l),
  });
  const link = (href: string) => ({ href });
  return {
    url: `${base}/pulls/${n}`,
    id: issue.id,
    node_id: nodeId("PullRequest", issue.id),
    html_url: `${web}/pull/${n}`,
    diff_url: `${web}/pull/${n}.diff`,
    patch_url: `${web}/pull/${n}.patch`,
    issue_url: `${base}/issues/${n}`,
    commits_url: `${base}/pulls/${n}/commits`,
    review_comments_url: `${base}/pulls/${n}/comments`,
    review_comment_url: `${base}/pulls/comments{/number}`,
    comments_url: `${base}/issues/${n}/comments`,
    statuses_url: `${base}/statuses/${parts.headSha}`,
    number: n,
    state: issue.state,
    locked: issue.locked,
    title: issue.title,
    user: userJson(parts.user, l),
    body: issue.body,
    labels: [],
    milestone: null,
    active_lock_reason: null,
    created_at: issue.createdAt,
    updated_at: issue.updatedAt,
    closed_at: merged?.at ?? null,
    merged_at: merged?.at ?? null,
    merge_commit_sha: merged?.commitSha ?? null,
    assignee: null,
    assignees: [],
    requested_reviewers: [],
    requested_teams: [],
    head: side(issue.pull.head, parts.headSha),
    base: side(issue.pull.base, parts.baseSha),
    _links: {
      self: link(`${base}/pulls/${n}`),
      html: link(`${web}/pull/${n}`),
      issue: link(`${base}/issues/${n}`),
      comments: link(`${base}/issues/${n}/comments`),
      review_comments: link(`${base}/pulls/${n}/comments`),
      review_comment: link(`${base}/pulls/comments{/number}`),
      commits: link(`${base}/pulls/${n}/commits`),
      statuses: link(`${base}/statuses/${parts.headSha}`),
    },
    author_association: parts.association,
    auto_merge: null,
    draft: false,
    merged: merged !== undefined,
    mergeable: null,
    rebaseable: null,
    mergeable_state: "unknown",
    merged_by: merged ? userJson(parts.mergedBy ?? parts.owner, l) : null,
    comments: parts.comments,
    review_comments: 0,
    maintainer_can_modify: false,
    commits: parts.commits,
    additions: parts.files.reduce((s, f) => s + f.additions, 0),
    deletions: parts.files.reduce((s, f) => s + f.deletions, 0),
    changed_files: parts.files.length,
  };
}

export function statusJson(repo: RepoRecord, status: StatusRecord, creator: UserRecord, l: Links) {
  return {
    url: `${repoBase(repo, l)}/statuses/${status.sha}`,
    avatar_url: `${l.web}/avatars/u/${creator.id}?v=4`,
    id: status.id,
    node_id: nodeId("StatusContext", status.id),
    state: status.state,
    description: status.description,
    target_url: status.targetUrl,
    context: status.context,
    created_at: status.createdAt,
    updated_at: status.createdAt,
    creator: userJson(creator, l),
  };
}

/** GitHub's rule: any error or failure fails; otherwise any pending, or nothing at all, pends. */
export function combinedState(statuses: StatusRecord[]): CommitState {
  if (statuses.some((s) => s.state === "error" || s.state === "failure")) return "failure";
  if (statuses.length === 0 || statuses.some((s) => s.state === "pending")) return "pending";
  return "success";
}

export function checkRunJson(
  repo: RepoRecord,
  run: CheckRunRecord,
  app: Obj,
  pulls: Obj[],
  l: Links,
): Obj {
  const base = repoBase(repo, l);
  return {
    id: run.id,
    node_id: nodeId("CheckRun", run.id),
    head_sha: run.headSha,
    external_id: run.externalId,
    url: `${base}/check-runs/${run.id}`,
    html_url: `${webBase(repo, l)}/runs/${run.id}`,
    details_url: run.detailsUrl,
    status: run.status,
    conclusion: run.conclusion,
    started_at: run.startedAt,
    completed_at: run.completedAt,
    output: {
      title: run.output.title,
      summary: run.output.summary,
      text: run.output.text,
      annotations_count: 0,
      annotations_url: `${base}/check-runs/${run.id}/annotations`,
    },
    name: run.name,
    check_suite: { id: run.id + 1 },
    app,
    pull_requests: pulls,
  };
}

export function deploymentJson(
  repo: RepoRecord,
  deployment: DeploymentRecord,
  creator: UserRecord,
  l: Links,
): Obj {
  const base = repoBase(repo, l);
  return {
    url: `${base}/deployments/${deployment.id}`,
    id: deployment.id,
    node_id: nodeId("Deployment", deployment.id),
    sha: deployment.sha,
    ref: deployment.ref,
    task: deployment.task,
    payload: deployment.payload,
    original_environment: deployment.environment,
    environment: deployment.environment,
    description: deployment.description,
    creator: userJson(creator, l),
    created_at: deployment.createdAt,
    updated_at: deployment.updatedAt,
    statuses_url: `${base}/deployments/${deployment.id}/statuses`,
    repository_url: base,
    transient_environment: deployment.transientEnvironment,
    production_environment: deployment.productionEnvironment,
  };
}

export function deploymentStatusJson(
  repo: RepoRecord,
  deployment: DeploymentRecord,
  status: DeploymentStatusRecord,
  creator: UserRecord,
  l: Links,
): Obj {
  const base = repoBase(repo, l);
  return {
    url: `${base}/deployments/${deployment.id}/statuses/${status.id}`,
    id: status.id,
    node_id: nodeId("DeploymentStatus", status.id),
    state: status.state,
    creator: userJson(creator, l),
    description: status.description,
    environment: status.environment,
    target_url: status.targetUrl,
    log_url: status.logUrl,
    environment_url: status.environmentUrl,
    created_at: status.createdAt,
    updated_at: status.createdAt,
    deployment_url: `${base}/deployments/${deployment.id}`,
    repository_url: base,
  };
}
