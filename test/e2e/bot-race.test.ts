/**
 * Twenty `/rollback` and `/promote` comments on production, delivered at once to two bot
 * processes that share nothing but GitHub. Optimistic compare-and-swap must make the outcome
 * serializable: each command applied exactly once or refused with its reason, a linear history
 * in which every commit is exactly its command applied to its parent, and nothing lost.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { parseEnvironments } from "../../src/formats/environments.js";
import { parseSettings } from "../../src/formats/settings.js";
import { readGitHistory } from "../../src/io/git-history.js";
import { UNSEEN_MARGIN_S } from "../../src/rollout/conflicts.js";
import {
  type ActionCommand,
  applyGateResults,
  applyPlanToYaml,
  formatCommitMessage,
  parseCommand,
  parseReplyResult,
  planCommand,
} from "../../src/rollout/index.js";
import {
  type BotProcess,
  buildPayload,
  createRolloutRepo,
  DEFAULT_ROLES,
  deliver,
  git,
  gitLog,
  readFileAt,
  spawnBotProcess,
  VERSIONS,
} from "../support/bot-harness.js";
import { type GitHubStandIn, startGitHubStandIn } from "../support/stand-ins/github/index.js";

let gh: GitHubStandIn;
const bots: BotProcess[] = [];

beforeAll(async () => {
  gh = await startGitHubStandIn();
  // Two processes, as two replicas behind a load balancer would be.
  const args = ["--import", "tsx", "bot/index.ts"];
  bots.push(
    ...(await Promise.all([
      spawnBotProcess(gh, args, { PROMPTGATE_THROTTLE: "off" }),
      spawnBotProcess(gh, args, { PROMPTGATE_THROTTLE: "off" }),
    ])),
  );
}, 60_000);

afterAll(async () => {
  await Promise.all(bots.map((b) => b.stop()));
  await gh?.close();
});

const COMMANDS: [string, string][] = [
  ["/rollback production", "writer"],
  ["/promote canary to production", "maint"],
  // Explicit targets go only to values production held: v3 and v4 from the start, v5 once the
  // promotion landed (before that, `to v5` is refused and points to `/promote`).
  ["/rollback production to v3", "writer"],
  ["/rollback production to v4", "writer"],
  ["/rollback production to v5", "boss"],
];

it.each([
  ["at once", 0],
  // Spread over 9.5 s, longer than the margin within which a change counts as unseen by a
  // command's author, so later commands see earlier commits and apply too.
  ["within 9.5 s", 500],
])(
  "20 commands on one environment %s, two bot processes: serializable, linear, nothing lost",
  async (_, spreadMs) => {
    const name = `race-${spreadMs}`;
    const repo = await createRolloutRepo(gh, "acme", name);
    for (const [user, role] of Object.entries(DEFAULT_ROLES)) gh.setRole("acme", name, user, role);
    for (const v of VERSIONS) {
      await gh.setStatus("acme", name, repo.versionCommits[v]!, {
        state: "success",
        context: `promptgate: support-answer@${v}`,
      });
    }
    const issue = gh.createIssue("acme", name, { title: "Bad answers in production" });
    const start = (await gitLog(repo.path)).length;
    // People comment on what they have read: the set-up commits must be older than the margin.
    await new Promise((resolve) => setTimeout(resolve, (UNSEEN_MARGIN_S + 1) * 1000));

    // Each comment is posted when it is sent, so its created_at is when its author "typed" it.
    const sent = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const [body, user] = COMMANDS[i % COMMANDS.length]!;
        if (spreadMs > 0) await new Promise((resolve) => setTimeout(resolve, i * spreadMs));
        const payload = buildPayload(gh, repo, { body, user, issueNumber: issue });
        return { body, user, payload, status: (await deliver(bots[i % 2]!.url, payload)).status };
      }),
    );
    const statuses = sent.map((s) => s.status);
    // 200 when done, 202 when a delivery took longer than Probot's 9 s answer window.
    for (const status of statuses) expect([200, 202]).toContain(status);

    const ids = sent.map((s) => (s.payload.comment as { id: number }).id);
    const botReactions = (id: number) =>
      gh
        .reactions("acme", name, id)
        .filter((r) => r.user === gh.botLogin)
        .map((r) => r.content);
    const replies = () => gh.comments("acme", name, issue).filter((c) => c.user === gh.botLogin);
    const deadline = Date.now() + 60_000;
    while (
      (replies().length < 20 || ids.some((id) => botReactions(id).includes("eyes"))) &&
      Date.now() < deadline
    ) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }

    // Nothing lost: one reply per command, and every command ends with one final reaction.
    expect(replies()).toHaveLength(20);
    const results = replies().map((r) => parseReplyResult(r.body)!);
    const commits = (await gitLog(repo.path)).slice(0, -start).reverse(); // oldest first
    const applied = new Map<number, (typeof commits)[number]>();
    for (const c of commits) {
      const id = Number(c.trailers["Promptgate-Comment-Id"]);
      expect(applied.has(id), `comment ${id} applied twice`).toBe(false);
      applied.set(id, c);
    }
    for (const id of ids) {
      const reactions = botReactions(id);
      expect(reactions).toHaveLength(1);
      // Applied exactly once ⇔ 🚀; otherwise refused (😕) or already so (👍), never failed.
      expect(reactions[0] === "rocket").toBe(applied.has(id));
      expect(["rocket", "confused", "+1"]).toContain(reactions[0]);
    }
    const outcomes = results.map((r) => String(r.outcome));
    expect(outcomes.filter((o) => o === "applied")).toHaveLength(applied.size);
    expect(outcomes.every((o) => ["applied", "conflict", "noop", "refused"].includes(o))).toBe(
      true,
    );
    for (const r of replies()) {
      if (parseReplyResult(r.body)?.outcome === "conflict") {
        expect(r.body).toMatch(
          /production changed while your command ran \(now .+, by @.+, commit [0-9a-f]{7}\); nothing was applied\./,
        );
      }
    }
    expect(applied.size).toBeGreaterThan(0);
    // Typed at once, nobody saw anyone else's change: exactly one command applies.
    if (spreadMs === 0) expect(applied.size).toBe(1);
    if (spreadMs > 0) expect(applied.size).toBeGreaterThan(1);

    // Linear history: no merges, each commit's parent is the one before it.
    expect((await git(repo.path, "rev-list", "--merges", "main")).trim()).toBe("");
    const all = (await gitLog(repo.path)).reverse();
    for (let i = 1; i < all.length; i++) expect(all[i]!.parents).toEqual([all[i - 1]!.sha]);

    // Serializable: every commit is exactly its command planned on, and applied to, its parent.
    const bodies = new Map(sent.map((s, i) => [ids[i]!, s.body]));
    for (const c of commits) {
      const parent = c.parents[0]!;
      const before = await readFileAt(repo.path, "environments.yaml", parent);
      const settings = parseSettings(await readFileAt(repo.path, "promptgate.yaml", parent));
      const files = (
        await git(repo.path, "ls-tree", "-r", "--name-only", parent, "prompts/")
      ).split("\n");
      const availableVersions = new Map([
        ["support-answer", files.filter(Boolean).map((f) => f.replace(/^.*\/(.+)\.prompt$/, "$1"))],
      ]);
      const id = Number(c.trailers["Promptgate-Comment-Id"]);
      const command = parseCommand(bodies.get(id)!) as ActionCommand;
      let plan = planCommand({
        command,
        environments: parseEnvironments(before),
        settings,
        history: await readGitHistory(repo.path, "environments.yaml", 50, parent),
        availableVersions,
        actor: c.trailers["Promptgate-Actor"]!,
        now: "2025-01-01T00:00:00Z",
      });
      if (plan.kind === "change") {
        plan = applyGateResults(
          plan,
          Object.fromEntries(VERSIONS.map((v) => [`support-answer@${v}`, "success"])),
          false,
        );
      }
      expect(plan.kind, `${bodies.get(id)} on ${parent.slice(0, 7)}`).toBe("change");
      if (plan.kind !== "change") continue;
      expect(await readFileAt(repo.path, "environments.yaml", c.sha)).toBe(
        applyPlanToYaml(before, plan),
      );
      const message = formatCommitMessage(plan, {
        action: plan.action,
        env: plan.env,
        actor: c.trailers["Promptgate-Actor"]!,
        commentId: id,
        commentUrl: c.trailers["Promptgate-Comment-Url"]!,
      });
      expect((await git(repo.path, "log", "-1", "--format=%B", c.sha)).trim()).toBe(message.trim());
    }
    expect(gh.violations).toEqual([]);
  },
  120_000,
);
