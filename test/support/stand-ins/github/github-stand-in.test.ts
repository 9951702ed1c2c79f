import { execFile } from "node:child_process";
import { createSign, generateKeyPairSync } from "node:crypto";
import { promisify } from "node:util";
import { ProbotOctokit } from "probot";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type GitHubStandIn, startGitHubStandIn } from "./index.js";
import { loadSpecValidator } from "./openapi.js";

const exec = promisify(execFile);

async function gitIn(path: string, ...args: string[]): Promise<string> {
  return (await exec("git", ["-C", path, ...args])).stdout;
}

type Octokit = InstanceType<typeof ProbotOctokit>;

function appClient(gh: GitHubStandIn, owner: string, options: { prefix?: string } = {}): Octokit {
  return new ProbotOctokit({
    auth: { appId: gh.appId, privateKey: gh.privateKey, installationId: gh.installationId(owner) },
    baseUrl: `${gh.url}${options.prefix ?? ""}`,
    throttle: { enabled: false },
    retry: { enabled: false },
  });
}

function tokenClient(gh: GitHubStandIn, token: string): Octokit {
  return new ProbotOctokit({
    auth: { token },
    baseUrl: gh.url,
    throttle: { enabled: false },
    retry: { enabled: false },
  });
}

/** A GitHub App JWT signed by hand, so tests can vary the key and the claims. */
function signJwt(appId: number, privateKey: string, claims: { iat?: number; exp?: number } = {}) {
  const now = Math.floor(Date.now() / 1000);
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const body = `${encode({ alg: "RS256", typ: "JWT" })}.${encode({
    iat: claims.iat ?? now - 30,
    exp: claims.exp ?? now + 540,
    iss: appId,
  })}`;
  const signature = createSign("RSA-SHA256").update(body).sign(privateKey).toString("base64url");
  return `${body}.${signature}`;
}

async function statusOf(promise: Promise<unknown>): Promise<number> {
  try {
    await promise;
    return 200;
  } catch (e) {
    return (e as { status?: number }).status ?? -1;
  }
}

function b64(text: string): string {
  return Buffer.from(text).toString("base64");
}

let gh: GitHubStandIn;

beforeAll(async () => {
  gh = await startGitHubStandIn();
});

afterAll(async () => {
  await gh?.close();
});

afterEach(() => {
  // Every request we sent and every answer the stand-in gave matched GitHub's description.
  expect(gh.violations.splice(0)).toEqual([]);
});

describe("app authentication", () => {
  it("exchanges the app's JWT for an installation token and uses it", async () => {
    await gh.createRepo("auth-org", "repo", { "README.md": "hi\n" });
    const octokit = appClient(gh, "auth-org");
    const { data } = await octokit.rest.repos.get({ owner: "auth-org", repo: "repo" });
    expect(data.full_name).toBe("auth-org/repo");
    expect(data.default_branch).toBe("main");
    const calls = gh.requests.map((r) => `${r.method} ${r.path} ${r.status}`);
    expect(calls).toContain(
      `POST /app/installations/${gh.installationId("auth-org")}/access_tokens 201`,
    );
    expect(gh.requests.at(-1)?.actor).toBe(gh.botLogin);
  });

  it("rejects a JWT signed with another key, an overlong one, and bad tokens with 401", async () => {
    const other = generateKeyPairSync("rsa", { modulusLength: 2048 })
      .privateKey.export({ type: "pkcs1", format: "pem" })
      .toString();
    const now = Math.floor(Date.now() / 1000);
    const installation = gh.installationId("auth-org");
    const tokenRequest = (jwt: string) =>
      fetch(`${gh.url}/app/installations/${installation}/access_tokens`, {
        method: "POST",
        headers: { authorization: `Bearer ${jwt}`, accept: "application/vnd.github+json" },
      });

    const forged = await tokenRequest(signJwt(gh.appId, other));
    expect(forged.status).toBe(401);
    expect(await forged.json()).toMatchObject({ message: "A JSON web token could not be decoded" });
    const tooLong = await tokenRequest(signJwt(gh.appId, gh.privateKey, { exp: now + 3600 }));
    expect(tooLong.status).toBe(401);
    const expired = await tokenRequest(
      signJwt(gh.appId, gh.privateKey, { iat: now - 700, exp: now - 100 }),
    );
    expect(expired.status).toBe(401);
    const wrongApp = await tokenRequest(signJwt(gh.appId + 1, gh.privateKey));
    expect(wrongApp.status).toBe(401);
    const good = await tokenRequest(signJwt(gh.appId, gh.privateKey));
    expect(good.status).toBe(201);
    expect(((await good.json()) as { token: string }).token).toMatch(/^ghs_/);

    expect(
      await statusOf(
        tokenClient(gh, "ghs_nope").rest.repos.get({ owner: "auth-org", repo: "repo" }),
      ),
    ).toBe(401);
    const anonymous = await fetch(`${gh.url}/repos/auth-org/repo`);
    expect(anonymous.status).toBe(401);
  });

  it("keeps installation tokens to their own account: other owners' repositories are 404", async () => {
    await gh.createRepo("other-org", "secret", { "a.txt": "a" });
    const octokit = appClient(gh, "auth-org");
    expect(await statusOf(octokit.rest.repos.get({ owner: "other-org", repo: "secret" }))).toBe(
      404,
    );
  });

  it("serves the /api/v3 prefix Probot uses for GHE_HOST, and links keep it", async () => {
    const octokit = appClient(gh, "auth-org", { prefix: "/api/v3" });
    for (let i = 0; i < 3; i++) gh.createIssue("auth-org", "repo", { title: `issue ${i}` });
    gh.createIssue("auth-org", "repo", { title: "paged" });
    for (let i = 0; i < 3; i++)
      gh.addComment("auth-org", "repo", 4, { body: `c${i}`, user: "ann" });
    const first = await octokit.rest.issues.listComments({
      owner: "auth-org",
      repo: "repo",
      issue_number: 4,
      per_page: 2,
    });
    expect(first.headers.link).toContain(`${gh.url}/api/v3/repos/auth-org/repo/issues/4/comments?`);
    const all = await octokit.paginate(octokit.rest.issues.listComments, {
      owner: "auth-org",
      repo: "repo",
      issue_number: 4,
      per_page: 2,
    });
    expect(all.map((c) => c.body)).toEqual(["c0", "c1", "c2"]);
    const app = await octokit.request("GET /app", {
      headers: { authorization: `Bearer ${signJwt(gh.appId, gh.privateKey)}` },
    });
    expect(app.data?.slug).toBe(gh.appSlug);
  });
});

describe("contents API on a real git repository", () => {
  const owner = "contents-org";
  let octokit: Octokit;
  let path: string;

  beforeAll(async () => {
    path = await gh.createRepo(owner, "prompts", {
      "environments.yaml": "production:\n  support-answer: v1\n",
      "prompts/support-answer/v1.prompt": "Answer politely.\n",
    });
    octokit = appClient(gh, owner);
  });

  it("reads a file from git and writes a real commit with the trailers intact", async () => {
    const { data } = await octokit.rest.repos.getContent({
      owner,
      repo: "prompts",
      path: "environments.yaml",
    });
    if (Array.isArray(data) || data.type !== "file") throw new Error("expected a file");
    expect(Buffer.from(data.content, "base64").toString()).toBe(
      "production:\n  support-answer: v1\n",
    );
    expect(data.sha).toBe((await gitIn(path, "rev-parse", "main:environments.yaml")).trim());

    const message =
      "promptgate(production): rollback support-answer v2 → v1\n\nPromptgate-Action: rollback\nPromptgate-Comment-Id: 42";
    const put = await octokit.rest.repos.createOrUpdateFileContents({
      owner,
      repo: "prompts",
      path: "environments.yaml",
      message,
      content: b64("production:\n  support-answer: v2\n"),
      sha: data.sha,
    });
    expect(put.status).toBe(200);
    const head = (await gitIn(path, "rev-parse", "main")).trim();
    expect(put.data.commit.sha).toBe(head);
    expect(await gitIn(path, "show", "main:environments.yaml")).toBe(
      "production:\n  support-answer: v2\n",
    );
    expect(await gitIn(path, "log", "-1", "--format=%B", "main")).toBe(`${message}\n\n`);
    expect(put.data.commit.message).toBe(message);
    const trailers = await gitIn(
      path,
      "log",
      "-1",
      "--format=%(trailers:key=Promptgate-Comment-Id,valueonly)",
      "main",
    );
    expect(trailers.trim()).toBe("42");
    expect(await gitIn(path, "log", "-1", "--format=%an <%ae>", "main")).toContain(
      `${gh.botLogin} <`,
    );
    // The contents API now reads the new commit's blob.
    const again = await octokit.rest.repos.getContent({
      owner,
      repo: "prompts",
      path: "environments.yaml",
      mediaType: { format: "raw" },
    });
    expect(String(again.data)).toBe("production:\n  support-answer: v2\n");
    // The objects the stand-in wrote itself are well-formed for git.
    await gitIn(path, "fsck", "--strict", "--no-dangling");
  });

  it("answers a stale sha with 409 and a missing sha with 422, committing nothing", async () => {
    const before = (await gitIn(path, "rev-parse", "main")).trim();
    const stale = (await gitIn(path, "rev-parse", `${before}~1:environments.yaml`)).trim();
    const update = (sha?: string) =>
      octokit.rest.repos.createOrUpdateFileContents({
        owner,
        repo: "prompts",
        path: "environments.yaml",
        message: "stale write",
        content: b64("production:\n  support-answer: v9\n"),
        ...(sha ? { sha } : {}),
      });
    expect(await statusOf(update(stale))).toBe(409);
    expect(await statusOf(update())).toBe(422);
    expect((await gitIn(path, "rev-parse", "main")).trim()).toBe(before);
  });

  it("lets exactly one of several concurrent writes with the same sha win", async () => {
    const before = (await gitIn(path, "rev-parse", "main")).trim();
    const sha = (await gitIn(path, "rev-parse", "main:environments.yaml")).trim();
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        statusOf(
          octokit.rest.repos.createOrUpdateFileContents({
            owner,
            repo: "prompts",
            path: "environments.yaml",
            message: `racer ${i}`,
            content: b64(`production:\n  support-answer: v${10 + i}\n`),
            sha,
          }),
        ),
      ),
    );
    expect(results.filter((s) => s === 200)).toHaveLength(1);
    expect(results.filter((s) => s === 409)).toHaveLength(7);
    expect(await gitIn(path, "rev-list", "--count", `${before}..main`)).toBe("1\n");
    const winner = results.indexOf(200);
    expect(await gitIn(path, "log", "-1", "--format=%s", "main")).toBe(`racer ${winner}\n`);
  });

  it("lets concurrent writes to different files all land, one after another", async () => {
    const before = (await gitIn(path, "rev-parse", "main")).trim();
    const results = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        octokit.rest.repos.createOrUpdateFileContents({
          owner,
          repo: "prompts",
          path: `notes/${i}.md`,
          message: `note ${i}`,
          content: b64(`note ${i}\n`),
        }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual([201, 201, 201, 201, 201]);
    expect(await gitIn(path, "rev-list", "--count", `${before}..main`)).toBe("5\n");
    expect(await gitIn(path, "rev-list", "--merges", "--count", "main")).toBe("0\n");
    expect(
      (await gitIn(path, "ls-tree", "--name-only", "main", "notes/")).split("\n"),
    ).toHaveLength(6);
  });

  it("lists a file's commits newest first with full messages, paginated", async () => {
    const commits = await octokit.paginate(octokit.rest.repos.listCommits, {
      owner,
      repo: "prompts",
      path: "environments.yaml",
      per_page: 2,
    });
    const log = await gitIn(path, "log", "--format=%H", "main", "--", "environments.yaml");
    expect(commits.map((c) => c.sha)).toEqual(log.trim().split("\n"));
    expect(commits).toHaveLength(3);
    expect(commits[1]?.commit.message).toContain("Promptgate-Comment-Id: 42");
    expect(commits[1]?.author?.login).toBe(gh.botLogin);
    const one = await octokit.rest.repos.getCommit({
      owner,
      repo: "prompts",
      ref: commits[1]!.sha,
    });
    expect(one.data.files?.map((f) => [f.filename, f.status, f.patch])).toEqual([
      [
        "environments.yaml",
        "modified",
        "@@ -1,2 +1,2 @@\n production:\n-  support-answer: v1\n+  support-answer: v2",
      ],
    ]);
  });

  it("lists a directory and decodes %2F-encoded paths", async () => {
    const { data } = await octokit.request("GET /repos/{owner}/{repo}/contents/{path}", {
      owner,
      repo: "prompts",
      path: "prompts/support-answer",
    });
    expect(Array.isArray(data) && data.map((e: { path: string }) => e.path)).toEqual([
      "prompts/support-answer/v1.prompt",
    ]);
    const encoded = await fetch(
      `${gh.url}/repos/${owner}/prompts/contents/prompts%2Fsupport-answer%2Fv1.prompt`,
      {
        headers: { authorization: `token ${gh.githubToken}` },
      },
    );
    expect(encoded.status).toBe(200);
  });
});

describe("Git Data API", () => {
  const owner = "gitdata-org";
  let octokit: Octokit;
  let path: string;

  beforeAll(async () => {
    path = await gh.createRepo(owner, "repo", { "environments.yaml": "a: 1\n", "keep.txt": "k\n" });
    octokit = appClient(gh, owner);
  });

  it("builds blob → tree → commit and moves the ref only forward", async () => {
    const ref = await octokit.rest.git.getRef({ owner, repo: "repo", ref: "heads/main" });
    const base = ref.data.object.sha;
    expect(gh.requests.at(-1)?.path).toBe(`/repos/${owner}/repo/git/ref/heads/main`);
    const baseCommit = await octokit.rest.git.getCommit({ owner, repo: "repo", commit_sha: base });
    const blob = await octokit.rest.git.createBlob({ owner, repo: "repo", content: "a: 2\n" });
    const tree = await octokit.rest.git.createTree({
      owner,
      repo: "repo",
      base_tree: baseCommit.data.tree.sha,
      tree: [{ path: "environments.yaml", mode: "100644", type: "blob", sha: blob.data.sha }],
    });
    expect(tree.data.tree.map((e) => e.path).sort()).toEqual(["environments.yaml", "keep.txt"]);
    const commit = await octokit.rest.git.createCommit({
      owner,
      repo: "repo",
      message: "promptgate(production): promote\n\nPromptgate-Action: promote",
      tree: tree.data.sha,
      parents: [base],
    });
    const moved = await octokit.rest.git.updateRef({
      owner,
      repo: "repo",
      ref: "heads/main",
      sha: commit.data.sha,
    });
    expect(moved.data.object.sha).toBe(commit.data.sha);
    expect(await gitIn(path, "show", "main:environments.yaml")).toBe("a: 2\n");

    // A sibling of the new head (built on the old base) is not a fast forward.
    const sibling = await octokit.rest.git.createCommit({
      owner,
      repo: "repo",
      message: "lost race",
      tree: baseCommit.data.tree.sha,
      parents: [base],
    });
    const refused = octokit.rest.git.updateRef({
      owner,
      repo: "repo",
      ref: "heads/main",
      sha: sibling.data.sha,
    });
    await expect(refused).rejects.toMatchObject({
      status: 422,
      response: { data: { message: "Update is not a fast forward" } },
    });
    expect((await gitIn(path, "rev-parse", "main")).trim()).toBe(commit.data.sha);
    const forced = await octokit.rest.git.updateRef({
      owner,
      repo: "repo",
      ref: "heads/main",
      sha: sibling.data.sha,
      force: true,
    });
    expect(forced.data.object.sha).toBe(sibling.data.sha);
  });

  it("lets one of two concurrent fast-forwards from the same base win", async () => {
    const base = (await gitIn(path, "rev-parse", "main")).trim();
    const tree = (await gitIn(path, "rev-parse", "main^{tree}")).trim();
    const commits = await Promise.all(
      [1, 2].map((i) =>
        octokit.rest.git.createCommit({
          owner,
          repo: "repo",
          message: `racer ${i}`,
          tree,
          parents: [base],
        }),
      ),
    );
    const results = await Promise.all(
      commits.map((c) =>
        statusOf(
          octokit.rest.git.updateRef({ owner, repo: "repo", ref: "heads/main", sha: c.data.sha }),
        ),
      ),
    );
    expect(results.sort()).toEqual([200, 422]);
  });
});

describe("issues, comments and reactions", () => {
  const owner = "issues-org";
  let octokit: Octokit;

  beforeAll(async () => {
    await gh.createRepo(owner, "repo", { "a.txt": "a" });
    octokit = appClient(gh, owner);
  });

  it("creates, lists by label and state, and closes issues", async () => {
    const owner = "drift-issues-org";
    await gh.createRepo(owner, "repo", { "a.txt": "a\n" });
    const repo = { owner, repo: "repo" };
    const octokit = tokenClient(gh, gh.githubToken);
    const a = await octokit.rest.issues.create({ ...repo, title: "a", labels: ["drift"] });
    await octokit.rest.issues.create({ ...repo, title: "b" });
    expect(a.data.labels).toMatchObject([{ name: "drift" }]);
    expect(a.data.user?.login).toBe("github-actions[bot]");
    const labelled = await octokit.rest.issues.listForRepo({ ...repo, labels: "drift" });
    expect(labelled.data.map((i) => i.title)).toEqual(["a"]);
    const closed = await octokit.rest.issues.update({
      ...repo,
      issue_number: a.data.number,
      state: "closed",
      state_reason: "not_planned",
    });
    expect(closed.data).toMatchObject({ state: "closed", state_reason: "not_planned" });
    expect(closed.data.closed_at).not.toBeNull();
    expect((await octokit.rest.issues.listForRepo({ ...repo, labels: "drift" })).data).toEqual([]);
    const all = await octokit.rest.issues.listForRepo({ ...repo, state: "all", direction: "asc" });
    expect(all.data.map((i) => [i.title, i.state])).toEqual([
      ["a", "closed"],
      ["b", "open"],
    ]);
  });

  it("paginates comments with Link headers and keeps them in order", async () => {
    const issue = gh.createIssue(owner, "repo", { title: "rollback please", user: "oncall" });
    for (let i = 0; i < 65; i++)
      gh.addComment(owner, "repo", issue, { body: `#${i}`, user: "ann" });
    const page = await octokit.rest.issues.listComments({
      owner,
      repo: "repo",
      issue_number: issue,
      per_page: 30,
      page: 2,
    });
    expect(page.data.map((c) => c.body)[0]).toBe("#30");
    expect(page.headers.link).toMatch(/page=3>; rel="next"/);
    expect(page.headers.link).toMatch(/page=3>; rel="last"/);
    expect(page.headers.link).toMatch(/page=1>; rel="prev"/);
    const all = await octokit.paginate(octokit.rest.issues.listComments, {
      owner,
      repo: "repo",
      issue_number: issue,
      per_page: 30,
    });
    expect(all.map((c) => c.body)).toEqual(Array.from({ length: 65 }, (_, i) => `#${i}`));
  });

  it("creates and edits the bot's reply and swaps reactions on the command", async () => {
    const issue = gh.createIssue(owner, "repo", { title: "deploys" });
    const command = gh.addComment(owner, "repo", issue, {
      body: "/rollback production",
      user: "ann",
    });
    const commentId = command.id as number;
    const eyes = await octokit.rest.reactions.createForIssueComment({
      owner,
      repo: "repo",
      comment_id: commentId,
      content: "eyes",
    });
    expect(eyes.status).toBe(201);
    const twice = await octokit.rest.reactions.createForIssueComment({
      owner,
      repo: "repo",
      comment_id: commentId,
      content: "eyes",
    });
    expect(twice.status).toBe(200);
    expect(twice.data.id).toBe(eyes.data.id);
    await octokit.rest.reactions.deleteForIssueComment({
      owner,
      repo: "repo",
      comment_id: commentId,
      reaction_id: eyes.data.id,
    });
    await octokit.rest.reactions.createForIssueComment({
      owner,
      repo: "repo",
      comment_id: commentId,
      content: "rocket",
    });
    expect(gh.reactions(owner, "repo", commentId).map((r) => [r.content, r.user])).toEqual([
      ["rocket", gh.botLogin],
    ]);
    const listed = await octokit.rest.reactions.listForIssueComment({
      owner,
      repo: "repo",
      comment_id: commentId,
    });
    expect(listed.data.map((r) => r.content)).toEqual(["rocket"]);

    const reply = await octokit.rest.issues.createComment({
      owner,
      repo: "repo",
      issue_number: issue,
      body: "working on it",
    });
    await octokit.rest.issues.updateComment({
      owner,
      repo: "repo",
      comment_id: reply.data.id,
      body: "done",
    });
    expect(gh.comments(owner, "repo", issue).map((c) => [c.user, c.body])).toEqual([
      ["ann", "/rollback production"],
      [gh.botLogin, "done"],
    ]);
    const got = await octokit.rest.issues.getComment({
      owner,
      repo: "repo",
      comment_id: commentId,
    });
    expect(got.data.reactions?.rocket).toBe(1);
    expect(
      await statusOf(
        octokit.rest.issues.getComment({ owner, repo: "repo", comment_id: 999_999_999 }),
      ),
    ).toBe(404);
  });
});

describe("permissions and teams", () => {
  const owner = "perm-org";
  let octokit: Octokit;

  beforeAll(async () => {
    await gh.createRepo(owner, "public", { "a.txt": "a" });
    await gh.createRepo(owner, "private", { "a.txt": "a" }, { private: true });
    octokit = appClient(gh, owner);
  });

  it("reports role_name and user.permissions beside the legacy permission", async () => {
    const cases = [
      ["admin", "admin", { admin: true, maintain: true, push: true, triage: true, pull: true }],
      ["maintain", "write", { admin: false, maintain: true, push: true, triage: true, pull: true }],
      ["write", "write", { admin: false, maintain: false, push: true, triage: true, pull: true }],
      ["triage", "read", { admin: false, maintain: false, push: false, triage: true, pull: true }],
      ["read", "read", { admin: false, maintain: false, push: false, triage: false, pull: true }],
    ] as const;
    for (const [role, legacy, permissions] of cases) {
      const user = `${role}-person`;
      gh.setRole(owner, "public", user, role);
      const { data } = await octokit.rest.repos.getCollaboratorPermissionLevel({
        owner,
        repo: "public",
        username: user,
      });
      expect([data.role_name, data.permission]).toEqual([role, legacy]);
      expect(data.user?.permissions).toEqual(permissions);
    }
    const outsider = async (repo: string) =>
      (
        await octokit.rest.repos.getCollaboratorPermissionLevel({
          owner,
          repo,
          username: "stranger",
        })
      ).data;
    expect((await outsider("public")).role_name).toBe("read");
    expect((await outsider("private")).permission).toBe("none");
  });

  it("answers team membership: active, pending, and 404 for non-members", async () => {
    gh.addTeamMember(owner, "oncall", "olga");
    gh.addTeamMember(owner, "oncall", "pete", "pending");
    const membership = (username: string) =>
      octokit.rest.teams.getMembershipForUserInOrg({ org: owner, team_slug: "oncall", username });
    expect((await membership("olga")).data.state).toBe("active");
    expect((await membership("pete")).data.state).toBe("pending");
    expect(await statusOf(membership("mallory"))).toBe(404);
    expect(
      await statusOf(
        octokit.rest.teams.getMembershipForUserInOrg({
          org: owner,
          team_slug: "nope",
          username: "olga",
        }),
      ),
    ).toBe(404);
  });
});

describe("pull requests, statuses, checks, deployments, dispatches", () => {
  const owner = "pr-org";
  let octokit: Octokit;

  beforeAll(async () => {
    const files: Record<string, string> = { "old-name.txt": "same content\nline two\n" };
    for (let i = 0; i < 40; i++) files[`cases/${String(i).padStart(2, "0")}.yaml`] = `id: ${i}\n`;
    await gh.createRepo(owner, "repo", files);
    octokit = appClient(gh, owner);
  });

  it("computes pull request files from the git diff, paginated", async () => {
    await gh.createBranch(owner, "repo", "feature");
    const changes: Record<string, string | null> = {
      "old-name.txt": null,
      "new-name.txt": "same content\nline two\n",
      "added.txt": "new\n",
    };
    for (let i = 0; i < 35; i++)
      changes[`cases/${String(i).padStart(2, "0")}.yaml`] = `id: ${i}\nx: 1\n`;
    const head = await gh.commitFiles(owner, "repo", changes, { branch: "feature", author: "dev" });
    const number = gh.createPull(owner, "repo", { head: "feature", title: "change", user: "dev" });
    const pull = await octokit.rest.pulls.get({ owner, repo: "repo", pull_number: number });
    expect(pull.data.head.sha).toBe(head);
    expect(pull.data.changed_files).toBe(37);
    const files = await octokit.paginate(octokit.rest.pulls.listFiles, {
      owner,
      repo: "repo",
      pull_number: number,
      per_page: 30,
    });
    expect(files).toHaveLength(37);
    expect(files.find((f) => f.filename === "new-name.txt")).toMatchObject({
      status: "renamed",
      previous_filename: "old-name.txt",
    });
    expect(files.find((f) => f.filename === "added.txt")?.status).toBe("added");
    expect(files.find((f) => f.filename === "cases/00.yaml")).toMatchObject({
      status: "modified",
      additions: 1,
      deletions: 0,
    });
  });

  it("merges a pull request with a merge commit or a squash, and lists the pull requests of a commit", async () => {
    const repo = { owner, repo: "repo" };
    await gh.createBranch(owner, "repo", "merge-me");
    const branchCommit = await gh.commitFiles(
      owner,
      "repo",
      { "m.txt": "m\n" },
      { branch: "merge-me" },
    );
    const open = gh.createPull(owner, "repo", { head: "merge-me", title: "add m" });
    const associated = (sha: string) =>
      octokit.rest.repos
        .listPullRequestsAssociatedWithCommit({ ...repo, commit_sha: sha })
        .then((r) => r.data.map((p) => [p.number, p.state, p.merge_commit_sha]));
    // An open pull request is associated with the commits its branch carries, not with main's.
    expect(await associated(branchCommit)).toEqual([[open, "open", null]]);
    const base = (await gh.resolve(owner, "repo", "main")) as string;
    expect(await associated(base)).toEqual([]);

    const mergeCommit = await gh.mergePull(owner, "repo", open, { method: "merge" });
    const parents = (
      await gitIn(gh.repoPath(owner, "repo"), "rev-list", "--parents", "-n1", mergeCommit)
    )
      .trim()
      .split(" ");
    expect(parents.slice(1)).toEqual([base, branchCommit]);
    expect(await gh.readFile(owner, "repo", "m.txt")).toBe("m\n");
    const pull = await octokit.rest.pulls.get({ ...repo, pull_number: open });
    expect(pull.data).toMatchObject({
      merged: true,
      state: "closed",
      merge_commit_sha: mergeCommit,
    });
    expect(await associated(mergeCommit)).toEqual([[open, "closed", mergeCommit]]);
    // A merged branch's commits stay associated with the pull request that brought them.
    expect(await associated(branchCommit)).toEqual([[open, "closed", mergeCommit]]);

    await gh.createBranch(owner, "repo", "squash-me");
    const squashHead = await gh.commitFiles(
      owner,
      "repo",
      { "s.txt": "s\n" },
      { branch: "squash-me" },
    );
    const second = gh.createPull(owner, "repo", { head: "squash-me", title: "add s" });
    const squashed = await gh.mergePull(owner, "repo", second, {
      method: "squash",
      deleteBranch: true,
    });
    expect((await gh.log(owner, "repo"))[0]).toMatchObject({
      sha: squashed,
      parents: [mergeCommit],
    });
    expect((await gh.log(owner, "repo"))[0]!.message).toContain("add s (#");
    // The branch is gone, yet the merged pull request still names the head it had.
    const gone = await octokit.rest.pulls.get({ ...repo, pull_number: second });
    expect(gone.data.head.sha).toBe(squashHead);
    expect(await associated(squashed)).toEqual([[second, "closed", squashed]]);
    await expect(gh.mergePull(owner, "repo", second)).rejects.toThrow(/not open/);
  });

  it("combines commit statuses and lists check runs", async () => {
    const sha = (await gh.resolve(owner, "repo", "main")) as string;
    // The action posts statuses with GITHUB_TOKEN; the bot's app may only read them.
    const action = tokenClient(gh, gh.githubToken);
    const denied = octokit.rest.repos.createCommitStatus({
      owner,
      repo: "repo",
      sha,
      state: "success",
    });
    await expect(denied).rejects.toMatchObject({
      status: 403,
      response: { data: { message: "Resource not accessible by integration" } },
    });
    await action.rest.repos.createCommitStatus({
      owner,
      repo: "repo",
      sha,
      state: "pending",
      context: "promptgate: support-answer@v2",
    });
    await action.rest.repos.createCommitStatus({
      owner,
      repo: "repo",
      sha,
      state: "success",
      context: "promptgate: support-answer@v2",
    });
    let combined = await octokit.rest.repos.getCombinedStatusForRef({
      owner,
      repo: "repo",
      ref: "main",
    });
    expect([combined.data.state, combined.data.total_count]).toEqual(["success", 1]);
    await gh.setStatus(owner, "repo", sha, { state: "failure", context: "ci/tests" });
    combined = await octokit.rest.repos.getCombinedStatusForRef({ owner, repo: "repo", ref: sha });
    expect(combined.data.state).toBe("failure");
    const listed = await octokit.rest.repos.listCommitStatusesForRef({
      owner,
      repo: "repo",
      ref: sha,
    });
    expect(listed.data.map((s) => s.state)).toEqual(["failure", "success", "pending"]);

    await action.rest.checks.create({
      owner,
      repo: "repo",
      name: "promptgate",
      head_sha: sha,
      conclusion: "success",
      output: { title: "2 prompts evaluated", summary: "no regressions" },
    });
    const runs = await action.rest.checks.listForRef({ owner, repo: "repo", ref: sha });
    expect(runs.data.check_runs.map((r) => [r.name, r.status, r.conclusion])).toEqual([
      ["promptgate", "completed", "success"],
    ]);
  });

  it("records each status's creator from the token that posted it, as the list shows it", async () => {
    const sha = (await gh.resolve(owner, "repo", "main")) as string;
    const context = "promptgate: creator@v1";
    const post = (token: string, state: "success" | "failure") =>
      tokenClient(gh, token).rest.repos.createCommitStatus({
        owner,
        repo: "repo",
        sha,
        state,
        context,
      });
    // GITHUB_TOKEN writes as github-actions[bot]; a person's token as the person.
    const posted = await post(gh.githubToken, "failure");
    expect(posted.data.creator?.login).toBe("github-actions[bot]");
    expect(posted.data.creator?.type).toBe("Bot");
    await post(gh.createToken("mallory"), "success");
    const listed = await octokit.rest.repos.listCommitStatusesForRef({
      owner,
      repo: "repo",
      ref: sha,
    });
    expect(
      listed.data.filter((st) => st.context === context).map((st) => [st.creator?.login, st.state]),
    ).toEqual([
      ["mallory", "success"],
      ["github-actions[bot]", "failure"],
    ]);
    expect(gh.statuses(owner, "repo", sha).at(-1)?.creator).toBe("mallory");
  });

  it("refuses a deployment whose statuses fail unless contexts are given, then records it", async () => {
    const sha = (await gh.resolve(owner, "repo", "main")) as string;
    expect(
      await statusOf(
        octokit.rest.repos.createDeployment({
          owner,
          repo: "repo",
          ref: sha,
          environment: "promptgate-production",
        }),
      ),
    ).toBe(409);
    const created = await octokit.rest.repos.createDeployment({
      owner,
      repo: "repo",
      ref: sha,
      environment: "promptgate-production",
      payload: { "support-answer": "v1" },
      required_contexts: [],
      auto_merge: false,
    });
    expect(created.status).toBe(201);
    const id = (created.data as { id: number }).id;
    await octokit.rest.repos.createDeploymentStatus({
      owner,
      repo: "repo",
      deployment_id: id,
      state: "success",
    });
    const listed = await octokit.rest.repos.listDeployments({
      owner,
      repo: "repo",
      environment: "promptgate-production",
    });
    expect(listed.data.map((d) => d.payload)).toEqual([{ "support-answer": "v1" }]);
    expect(gh.deployments.at(-1)?.statuses.map((s) => s.state)).toEqual(["success"]);

    await octokit.rest.repos.createDispatchEvent({
      owner,
      repo: "repo",
      event_type: "promptgate-environments-changed",
      client_payload: { before: "v2", after: "v1" },
    });
    expect(gh.dispatches.at(-1)).toMatchObject({
      eventType: "promptgate-environments-changed",
      clientPayload: { before: "v2", after: "v1" },
      actor: gh.botLogin,
    });
  });
});

describe("fault injection", () => {
  const owner = "fault-org";
  let octokit: Octokit;

  beforeAll(async () => {
    await gh.createRepo(owner, "repo", { "a.txt": "a\n" });
    octokit = appClient(gh, owner);
    // Fetch the installation token before faults target repository routes.
    await octokit.rest.repos.get({ owner, repo: "repo" });
  });

  afterEach(() => gh.setFaults([]));

  it("delays a request and then answers it normally", async () => {
    gh.setFaults([{ kind: "delay", ms: 50, path: /\/contents\/a\.txt$/, times: 1 }]);
    const { data } = await octokit.rest.repos.getContent({ owner, repo: "repo", path: "a.txt" });
    expect((data as { path: string }).path).toBe("a.txt");
    expect(gh.requests.at(-1)).toMatchObject({ fault: "delay", status: 200 });
  });

  it("holds requests at a barrier until enough have arrived, then answers them all", async () => {
    gh.setFaults([
      { kind: "barrier", count: 2, timeoutMs: 60_000, path: /\/contents\/a\.txt$/, times: 2 },
    ]);
    const since = gh.requests.length;
    const get = () => octokit.rest.repos.getContent({ owner, repo: "repo", path: "a.txt" });
    let answered = 0;
    const first = get().then(() => answered++);
    while (!gh.requests.slice(since).some((r) => r.fault === "barrier")) {
      await new Promise((resolve) => setImmediate(resolve));
    }
    // Held: nothing answered it, and it waits for a second request, not for time.
    expect(answered).toBe(0);
    await Promise.all([first, get()]);
    expect(gh.requests.slice(since).map((r) => [r.fault, r.status])).toEqual([
      ["barrier", 200],
      ["barrier", 200],
    ]);
  });

  it("answers 500 the given number of times, then normally", async () => {
    gh.setFaults([{ kind: "status", status: 502, method: "GET", path: /\/contents\//, times: 1 }]);
    const get = () => octokit.rest.repos.getContent({ owner, repo: "repo", path: "a.txt" });
    expect(await statusOf(get())).toBe(502);
    expect(await statusOf(get())).toBe(200);
    expect(gh.requests.filter((r) => r.fault === "status")).toHaveLength(1);
  });

  it("sends 403 with retry-after as a secondary rate limit, which Octokit's throttling honours", async () => {
    gh.setFaults([
      { kind: "status", status: 403, retryAfterS: 1, path: /\/repos\/fault-org\/repo$/, times: 1 },
    ]);
    const error = await octokit.rest.repos.get({ owner, repo: "repo" }).catch((e) => e);
    expect(error.status).toBe(403);
    expect(error.response.headers["retry-after"]).toBe("1");
    expect(error.response.data.message).toMatch(/secondary rate limit/);

    gh.setFaults([
      { kind: "status", status: 403, retryAfterS: 1, path: /\/repos\/fault-org\/repo$/, times: 1 },
    ]);
    const waits: number[] = [];
    const throttled = new ProbotOctokit({
      auth: { token: gh.githubToken },
      baseUrl: gh.url,
      retry: { enabled: false },
      throttle: {
        enabled: true,
        onSecondaryRateLimit: (retryAfter: number) => {
          waits.push(retryAfter);
          return true;
        },
        onRateLimit: () => false,
      },
    });
    const { data } = await throttled.rest.repos.get({ owner, repo: "repo" });
    expect(data.name).toBe("repo");
    expect(waits).toEqual([1]);
  });

  it("hangs a request until the client gives up, and still closes cleanly", async () => {
    const hanger = await startGitHubStandIn({ app: { privateKey: gh.privateKey } });
    await hanger.createRepo(owner, "repo", { "a.txt": "a" });
    hanger.setFaults([{ kind: "hang", path: /\/contents\// }]);
    const client = tokenClient(hanger, hanger.githubToken);
    const started = client.rest.repos.getContent({
      owner,
      repo: "repo",
      path: "a.txt",
      request: { signal: AbortSignal.timeout(300) },
    });
    await expect(started).rejects.toThrow(/abort|timeout/i);
    expect(hanger.requests.at(-1)?.fault).toBe("hang");
    // A hung request still open does not keep close() waiting.
    hanger.setFaults([{ kind: "hang", path: /\/repos\// }]);
    void fetch(`${hanger.url}/repos/${owner}/repo`).catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await hanger.close();
    expect(hanger.violations).toEqual([]);
  });
});

describe("validation against GitHub's OpenAPI description", () => {
  it("reads OpenAPI's nullable and required the way GitHub means them", async () => {
    const validator = await loadSpecValidator();
    const op = "GET /repos/{owner}/{repo}/issues/comments/{comment_id}" as const;
    await gh.createRepo("schema-org", "repo", { "a.txt": "a" });
    const issue = gh.createIssue("schema-org", "repo", { title: "t" });
    const comment = gh.addComment("schema-org", "repo", issue, { body: "hi", user: "ann" });
    expect(validator.checkResponse(op, 200, comment)).toEqual([]);
    expect(validator.checkResponse(op, 200, { ...comment, user: null })).toEqual([]);
    expect(validator.checkResponse(op, 200, { ...comment, user: 5 })).not.toEqual([]);
    const { node_id: _, ...withoutNodeId } = comment;
    expect(validator.checkResponse(op, 200, withoutNodeId).join("\n")).toMatch(
      /must have required property 'node_id'/,
    );
    expect(validator.checkResponse(op, 200, { ...comment, created_at: "yesterday" })).not.toEqual(
      [],
    );
    expect(validator.checkResponse(op, 418, comment)).toEqual([
      `${op} (issues/get-comment) response 418: status is not documented`,
    ]);
  });

  it("records requests that break the description and calls to unserved endpoints", async () => {
    await gh.createRepo("valid-org", "repo", { "a.txt": "a" });
    const octokit = tokenClient(gh, gh.githubToken);
    await statusOf(
      octokit.request("PUT /repos/{owner}/{repo}/contents/{path}", {
        owner: "valid-org",
        repo: "repo",
        path: "a.txt",
        content: 42 as unknown as string,
      } as Parameters<typeof octokit.rest.repos.createOrUpdateFileContents>[0]),
    );
    await statusOf(
      octokit.request("GET /repos/{owner}/{repo}/branches", { owner: "valid-org", repo: "repo" }),
    );
    await statusOf(
      octokit.request("GET /repos/{owner}/{repo}/issues/{issue_number}/comments", {
        owner: "valid-org",
        repo: "repo",
        issue_number: 1,
        per_pgae: 5,
      }),
    );
    const found = gh.violations.splice(0);
    expect(found).toEqual([
      expect.stringMatching(/PUT .*contents.* request: \/ must have required property 'message'/),
      expect.stringMatching(/PUT .*contents.* request: \/content must be string/),
      "GET /repos/valid-org/repo/branches: no served operation matches",
      expect.stringMatching(/query parameter per_pgae is not defined/),
    ]);
  });
});

describe("every served operation", () => {
  it("answers each one in the shape GitHub documents", async () => {
    const owner = "tour-org";
    await gh.createRepo(owner, "repo", { "dir/a.txt": "a\n", "b.txt": "b\n" });
    const octokit = appClient(gh, owner);
    const repo = { owner, repo: "repo" };
    const jwt = { headers: { authorization: `Bearer ${signJwt(gh.appId, gh.privateKey)}` } };
    const installationId = gh.installationId(owner);

    await octokit.request("GET /app", jwt);
    await octokit.request("GET /app/installations/{installation_id}", {
      installation_id: installationId,
      ...jwt,
    });
    await octokit.request("GET /repos/{owner}/{repo}/installation", { ...repo, ...jwt });
    await octokit.rest.repos.get(repo);

    const file = await octokit.rest.repos.getContent({ ...repo, path: "b.txt" });
    await octokit.rest.repos.getContent({ ...repo, path: "dir" });
    const created = await octokit.rest.repos.createOrUpdateFileContents({
      ...repo,
      path: "c.txt",
      message: "add c",
      content: b64("c\n"),
    });
    await octokit.rest.repos.deleteFile({
      ...repo,
      path: "b.txt",
      message: "drop b",
      sha: (file.data as { sha: string }).sha,
    });

    const blob = await octokit.rest.git.createBlob({
      ...repo,
      content: b64("d\n"),
      encoding: "base64",
    });
    await octokit.rest.git.getBlob({ ...repo, file_sha: blob.data.sha });
    const head = await octokit.rest.git.getRef({ ...repo, ref: "heads/main" });
    const headCommit = await octokit.rest.git.getCommit({
      ...repo,
      commit_sha: head.data.object.sha,
    });
    await octokit.rest.git.getTree({ ...repo, tree_sha: headCommit.data.tree.sha, recursive: "1" });
    const tree = await octokit.rest.git.createTree({
      ...repo,
      base_tree: headCommit.data.tree.sha,
      tree: [
        { path: "dir/d.txt", mode: "100644", type: "blob", sha: blob.data.sha },
        { path: "c.txt", mode: "100644", type: "blob", sha: null },
      ],
    });
    const commit = await octokit.rest.git.createCommit({
      ...repo,
      message: "tree edit",
      tree: tree.data.sha,
      parents: [head.data.object.sha],
    });
    await octokit.rest.git.createRef({ ...repo, ref: "refs/heads/topic", sha: commit.data.sha });
    await octokit.rest.git.listMatchingRefs({ ...repo, ref: "heads/t" });
    await octokit.rest.git.updateRef({ ...repo, ref: "heads/main", sha: commit.data.sha });
    await octokit.rest.git.deleteRef({ ...repo, ref: "heads/topic" });
    expect(await gh.readFile(owner, "repo", "dir/d.txt")).toBe("d\n");
    expect(await gh.readFile(owner, "repo", "c.txt")).toBeUndefined();

    await octokit.rest.repos.listCommits({ ...repo, sha: "main", per_page: 2 });
    await octokit.rest.repos.getCommit({ ...repo, ref: created.data.commit.sha as string });
    const action = tokenClient(gh, gh.githubToken);
    await action.rest.repos.createCommitStatus({
      ...repo,
      sha: commit.data.sha,
      state: "success",
    });
    await octokit.rest.repos.getCombinedStatusForRef({ ...repo, ref: "main" });
    await octokit.rest.repos.listCommitStatusesForRef({ ...repo, ref: "main" });
    const run = await action.rest.checks.create({
      ...repo,
      name: "eval",
      head_sha: commit.data.sha,
    });
    await action.rest.checks.update({ ...repo, check_run_id: run.data.id, conclusion: "neutral" });
    await action.rest.checks.get({ ...repo, check_run_id: run.data.id });
    await action.rest.checks.listForRef({ ...repo, ref: "main" });

    const issue = gh.createIssue(owner, "repo", { title: "t", user: "ann" });
    await octokit.rest.issues.get({ ...repo, issue_number: issue });
    const opened = await octokit.rest.issues.create({ ...repo, title: "o", labels: ["l"] });
    const labelled = await octokit.rest.issues.listForRepo({ ...repo, labels: "l", state: "open" });
    expect(labelled.data.map((i) => i.number)).toEqual([opened.data.number]);
    const comment = await octokit.rest.issues.createComment({
      ...repo,
      issue_number: issue,
      body: "x",
    });
    await octokit.rest.issues.listComments({ ...repo, issue_number: issue });
    await octokit.rest.issues.getComment({ ...repo, comment_id: comment.data.id });
    await octokit.rest.issues.updateComment({ ...repo, comment_id: comment.data.id, body: "y" });
    const reaction = await octokit.rest.reactions.createForIssueComment({
      ...repo,
      comment_id: comment.data.id,
      content: "+1",
    });
    await octokit.rest.reactions.listForIssueComment({ ...repo, comment_id: comment.data.id });
    await octokit.rest.reactions.deleteForIssueComment({
      ...repo,
      comment_id: comment.data.id,
      reaction_id: reaction.data.id,
    });
    await octokit.rest.issues.deleteComment({ ...repo, comment_id: comment.data.id });
    const drift = await octokit.rest.issues.create({
      ...repo,
      title: "drift",
      body: "b",
      labels: ["promptgate-drift"],
    });
    await octokit.rest.issues.listForRepo({ ...repo, labels: "promptgate-drift", state: "open" });
    await octokit.rest.issues.update({
      ...repo,
      issue_number: drift.data.number,
      state: "closed",
      state_reason: "completed",
    });

    await gh.commitFiles(owner, "repo", { "e.txt": "e\n" }, { branch: "feature" });
    const pull = gh.createPull(owner, "repo", { head: "feature", user: "ann" });
    await octokit.rest.pulls.get({ ...repo, pull_number: pull });
    await octokit.rest.pulls.listFiles({ ...repo, pull_number: pull });
    await octokit.rest.issues.get({ ...repo, issue_number: pull });
    const merged = await gh.mergePull(owner, "repo", pull, { method: "squash" });
    await octokit.rest.repos.listPullRequestsAssociatedWithCommit({ ...repo, commit_sha: merged });

    await octokit.rest.repos.getCollaboratorPermissionLevel({ ...repo, username: "ann" });
    gh.addTeamMember(owner, "release", "ann");
    await octokit.rest.teams.getMembershipForUserInOrg({
      org: owner,
      team_slug: "release",
      username: "ann",
    });

    const deployment = await octokit.rest.repos.createDeployment({
      ...repo,
      ref: "main",
      environment: "promptgate-staging",
      required_contexts: [],
      payload: JSON.stringify({ a: 1 }),
    });
    const deploymentId = (deployment.data as { id: number }).id;
    await octokit.rest.repos.getDeployment({ ...repo, deployment_id: deploymentId });
    await octokit.rest.repos.listDeployments({ ...repo, sha: commit.data.sha });
    await octokit.rest.repos.createDeploymentStatus({
      ...repo,
      deployment_id: deploymentId,
      state: "success",
      environment_url: "https://example.com/staging",
    });
    await octokit.rest.repos.listDeploymentStatuses({ ...repo, deployment_id: deploymentId });
    await octokit.rest.repos.createDispatchEvent({ ...repo, event_type: "tour" });

    const served = new Set(gh.requests.map((r) => r.operation));
    const { SERVED_OPERATIONS } = await import("./index.js");
    expect(SERVED_OPERATIONS.filter((op) => !served.has(op))).toEqual([]);
    expect(
      gh.requests.filter((r) => r.status >= 400 && r.path.startsWith("/repos/tour-org")),
    ).toEqual([]);
    await gitIn(gh.repoPath(owner, "repo"), "fsck", "--strict", "--no-dangling");
  });
});
