/**
 * The bot started the ways README.md tells users to: the built `dist/bot.js` with Probot's
 * environment variables (built here into a temporary folder with the project's build script, so
 * the test never runs a stale bundle), and the workflow entry with the variables a runner sets.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import {
  buildPayload,
  createRolloutRepo,
  DEFAULT_ROLES,
  deliver,
  environmentsYaml,
  gitLog,
  ROOT,
  reactionsOf,
  readFileAt,
  runNode,
  spawnBotProcess,
  typedAfterReading,
} from "../support/bot-harness.js";
import {
  DEFAULT_APP_EVENTS,
  DEFAULT_APP_PERMISSIONS,
  type GitHubStandIn,
  startGitHubStandIn,
} from "../support/stand-ins/github/index.js";

let gh: GitHubStandIn;
let dist: string;

beforeAll(async () => {
  dist = await mkdtemp(join(tmpdir(), "promptgate-dist-"));
  const [standIn, build] = await Promise.all([
    startGitHubStandIn(),
    runNode(["scripts/build.mjs", "--outdir", dist], {}),
  ]);
  gh = standIn;
  expect(build.code, build.output).toBe(0);
}, 60_000);

afterAll(async () => {
  await gh?.close();
  await rm(dist, { recursive: true, force: true });
});

afterEach(() => {
  expect(gh.violations.splice(0)).toEqual([]);
});

async function repoWithIssue(name: string) {
  const repo = await createRolloutRepo(gh, "acme", name);
  for (const [user, role] of Object.entries(DEFAULT_ROLES)) gh.setRole("acme", name, user, role);
  const issue = gh.createIssue("acme", name, { title: "Incident" });
  return { ...repo, issue };
}

describe("what the docs promise", () => {
  it("docs/app.yml asks for exactly the permissions the tests run the app with", async () => {
    const manifest = parse(await readFile(join(ROOT, "docs/app.yml"), "utf8")) as Record<
      string,
      unknown
    >;
    expect(manifest.default_events).toEqual(DEFAULT_APP_EVENTS);
    expect(manifest.default_permissions).toEqual(DEFAULT_APP_PERMISSIONS);
  });

  it("README.md shows docs/app.yml as it is, and names its events", async () => {
    const manifest = await readFile(join(ROOT, "docs/app.yml"), "utf8");
    const readme = await readFile(join(ROOT, "README.md"), "utf8");
    expect(readme).toContain(`\`\`\`yaml\n${manifest}\`\`\``);
    expect(readme).toContain("events `issue_comment` and\n   `repository_dispatch`");
  });

  it("npm run bot is node dist/bot.js, as README.md says", async () => {
    const pkg = JSON.parse(await readFile(join(ROOT, "package.json"), "utf8")) as {
      scripts: Record<string, string>;
    };
    expect(pkg.scripts.bot).toBe("node dist/bot.js");
    expect(await readFile(join(ROOT, "README.md"), "utf8")).toContain(
      "npm ci && npm run build && npm run bot",
    );
  });
});

describe("npm run bot (node dist/bot.js)", () => {
  it("serves /rollback with Probot's variables, throttling and all", async () => {
    const repo = await repoWithIssue("served");
    const bot = await spawnBotProcess(gh, [join(dist, "bot.js")]);
    try {
      const payload = typedAfterReading(
        buildPayload(gh, repo, {
          body: "/rollback production",
          user: "writer",
          issueNumber: repo.issue,
        }),
      );
      const res = await deliver(bot.url, payload);
      expect([200, 202]).toContain(res.status);
      const id = (payload.comment as { id: number }).id;
      const deadline = Date.now() + 30_000;
      while (!reactionsOf(gh, repo, id).includes("rocket") && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(reactionsOf(gh, repo, id), bot.output()).toEqual(["rocket"]);
      const [head] = await gitLog(repo.path);
      expect(head!.subject).toBe("promptgate(production): rollback support-answer v4 → v3");
      expect(head!.trailers["Promptgate-Comment-Id"]).toBe(String(id));
      expect(await readFileAt(repo.path, "environments.yaml")).toBe(
        environmentsYaml({ production: "v3" }),
      );

      // A forged delivery is turned away by the running server.
      const forged = buildPayload(gh, repo, {
        body: "/rollback production",
        user: "writer",
        issueNumber: repo.issue,
      });
      expect((await deliver(bot.url, forged, { secret: "guess" })).status).toBe(400);
      expect((await gitLog(repo.path))[0]!.sha).toBe(head!.sha);
    } finally {
      await bot.stop();
    }
  });

  it("refuses to start without WEBHOOK_SECRET, saying why, with exit code 2", async () => {
    const run = await runNode([join(dist, "bot.js")], {
      APP_ID: String(gh.appId),
      PRIVATE_KEY: gh.privateKey,
      PORT: "0",
    });
    expect(run.code).toBe(2);
    expect(run.output).toContain("WEBHOOK_SECRET is not set");
    expect(run.output).not.toContain("APP_ID is not set");
  });
});

describe("the workflow entry (bot/action-entry.ts)", () => {
  it("runs the same handler from an issue_comment event with GITHUB_TOKEN", async () => {
    const repo = await repoWithIssue("workflow");
    const tmp = await mkdtemp(join(tmpdir(), "promptgate-runner-"));
    try {
      const payload = typedAfterReading(
        buildPayload(gh, repo, {
          body: '/rollback production --reason "from a workflow"',
          user: "writer",
          issueNumber: repo.issue,
        }),
      );
      const eventPath = join(tmp, "event.json");
      const outputPath = join(tmp, "output");
      await writeFile(eventPath, JSON.stringify(payload));
      await writeFile(outputPath, "");
      // Not an esbuild entry (yet): run through tsx, as the bundle would run it.
      const run = await runNode(["--import", "tsx", "bot/action-entry.ts"], {
        GITHUB_EVENT_NAME: "issue_comment",
        GITHUB_EVENT_PATH: eventPath,
        GITHUB_TOKEN: gh.githubToken,
        GITHUB_API_URL: gh.url,
        GITHUB_REPOSITORY: `acme/${repo.name}`,
        GITHUB_OUTPUT: outputPath,
        PROMPTGATE_THROTTLE: "off",
      });
      expect(run.code, run.output).toBe(0);
      const [head] = await gitLog(repo.path);
      expect(head!.author).toBe("github-actions[bot]");
      expect(head!.trailers).toMatchObject({
        "Promptgate-Action": "rollback",
        "Promptgate-Actor": "writer",
        "Promptgate-Reason": "from a workflow",
      });
      expect(await readFile(outputPath, "utf8")).toBe(`outcome=applied\ncommit=${head!.sha}\n`);
      const replies = gh
        .comments("acme", repo.name, repo.issue)
        .filter((c) => c.user === "github-actions[bot]");
      expect(replies).toHaveLength(1);
      expect(replies[0]!.body).toContain("rolled back **production**");
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  });

  it("refuses an event about another repository", async () => {
    const repo = await repoWithIssue("elsewhere");
    const tmp = await mkdtemp(join(tmpdir(), "promptgate-runner-"));
    try {
      const payload = buildPayload(gh, repo, {
        body: "/rollback production",
        user: "writer",
        issueNumber: repo.issue,
      });
      const eventPath = join(tmp, "event.json");
      await writeFile(eventPath, JSON.stringify(payload));
      const run = await runNode(["--import", "tsx", "bot/action-entry.ts"], {
        GITHUB_EVENT_NAME: "issue_comment",
        GITHUB_EVENT_PATH: eventPath,
        GITHUB_TOKEN: gh.githubToken,
        GITHUB_API_URL: gh.url,
        GITHUB_REPOSITORY: "acme/other",
      });
      expect(run.code).toBe(2);
      expect(run.output).toContain("GITHUB_REPOSITORY is acme/other");
      expect(await readFileAt(repo.path, "environments.yaml")).toBe(
        environmentsYaml({ production: "v4" }),
      );
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  });
});
