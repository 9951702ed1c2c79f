/**
 * Two people type `/rollback production` at once: exactly one rollback. GitHub dates comments and
 * git dates commits in whole seconds, so the first command's commit can carry the very second the
 * second command was posted in; that change was not seen by its author, and neither is one that
 * landed a moment before (nobody reads a reply and types a new command that fast).
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { UNSEEN_MARGIN_S } from "../../src/rollout/conflicts.js";
import {
  type BotServer,
  createFixture,
  environmentsYaml,
  type Fixture,
  git,
  gitLog,
  reactionsOf,
  readFileAt,
  startBot,
} from "../support/bot-harness.js";
import { type GitHubStandIn, startGitHubStandIn } from "../support/stand-ins/github/index.js";

let gh: GitHubStandIn;
let bot: BotServer;
const fixtures: Fixture[] = [];
/** Fixtures of the tests about commit dates, by name. */
const dated = new Map<string, Fixture>();
/** Each fixture's commit shipping v5, the value both commenters saw. */
const shipped: string[] = [];

const CASES = [
  ["in the same second", 0],
  ["two seconds apart", 2],
] as const;

beforeAll(async () => {
  gh = await startGitHubStandIn();
  bot = await startBot(gh);
  for (let i = 0; i < CASES.length; i++) {
    const f = await createFixture(gh, bot, `same-second-${i}`);
    shipped.push(
      await gh.commitFiles(
        f.owner,
        f.name,
        { "environments.yaml": environmentsYaml({ production: "v5" }) },
        { message: "Ship support-answer v5", author: "alice" },
      ),
    );
    fixtures.push(f);
  }
  for (const name of ["same-second-freeze", "future-dated", "past-dated-on-top"]) {
    const f = await createFixture(gh, bot, name);
    await gh.commitFiles(
      f.owner,
      f.name,
      { "environments.yaml": environmentsYaml({ production: "v5" }) },
      { message: "Ship support-answer v5", author: "alice" },
    );
    dated.set(name, f);
  }
  // Commits are dated now and cannot be backdated: wait until v5 is old enough to have been seen.
  await sleep((UNSEEN_MARGIN_S + 1) * 1000);
}, 30_000);

afterAll(async () => {
  await bot?.close();
  await gh?.close();
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

it.each(CASES.map(([label, apart], i) => [label, apart, i] as const))(
  "two `/rollback production` typed %s, delivered one after the other: one rollback, one conflict",
  async (_, apartS, i) => {
    const f = fixtures[i]!;
    const before = (await gitLog(f.path)).length;
    const first = f.post("/rollback production", "writer");
    const second = f.post("/rollback production", "maint");
    const a = await f.send(first);
    // The second command was posted in the second the first one's commit is dated (or `apartS`
    // later), before its author could have read the first reply: as GitHub would date it.
    const landed = Date.parse((await git(f.path, "log", "-1", "--format=%cI", "main")).trim());
    (second.comment as { created_at: string }).created_at = new Date(landed + apartS * 1000)
      .toISOString()
      .replace(/\.\d{3}Z$/, "Z");
    const b = await f.send(second);

    expect(a.outcome).toBe("applied");
    expect(b.outcome).toBe("conflict");
    const commits = await gitLog(f.path);
    expect(commits).toHaveLength(before + 1);
    expect(commits[0]!.subject).toBe("promptgate(production): rollback support-answer v5 → v4");
    expect(commits[0]!.trailers["Promptgate-Comment-Id"]).toBe(String(a.commentId));
    expect(commits[0]!.trailers["Promptgate-Rolls-Back"]).toBe(shipped[i]);
    expect(await readFileAt(f.path, "environments.yaml")).toBe(
      environmentsYaml({ production: "v4" }),
    );
    expect(b.reply).toContain(
      `production changed while your command ran (now support-answer@v4+gpt-4o-2024-08-06, by @writer in #${f.issue}, commit ${commits[0]!.sha.slice(0, 7)}); nothing was applied.`,
    );
    expect(b.result).toMatchObject({
      outcome: "conflict",
      env: "production",
      sha: commits[0]!.sha,
    });
    expect(reactionsOf(gh, f, a.commentId)).toEqual(["rocket"]);
    expect(reactionsOf(gh, f, b.commentId)).toEqual(["confused"]);
    const replies = gh.comments(f.owner, f.name, f.issue).filter((c) => c.user === gh.botLogin);
    expect(replies).toHaveLength(2);
    expect(gh.violations).toEqual([]);
  },
);

/** GitHub's comment date for `ms`: whole seconds. */
const isoSecond = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

it("a freeze in the same second does not stop a rollback: it changes nothing production serves", async () => {
  const f = dated.get("same-second-freeze")!;
  const freeze = await f.send(f.post('/promptgate freeze production --reason "incident"', "maint"));
  expect(freeze.outcome).toBe("applied");
  const rollback = f.post("/rollback production", "writer");
  const frozeAt = Date.parse((await git(f.path, "log", "-1", "--format=%cI", "main")).trim());
  (rollback.comment as { created_at: string }).created_at = isoSecond(frozeAt);
  const r = await f.send(rollback);
  expect(r.outcome).toBe("applied");
  expect((await gitLog(f.path))[0]!.subject).toBe(
    "promptgate(production): rollback support-answer v5 → v4",
  );
});

it("a hand-made commit dated in the future does not stop every command until its clock comes", async () => {
  const f = dated.get("future-dated")!;
  // Someone ships v6 by hand from a machine whose clock runs an hour ahead.
  await gh.commitFiles(
    f.owner,
    f.name,
    { "environments.yaml": environmentsYaml({ production: "v6" }) },
    { message: "Ship support-answer v6", author: "alice", date: isoSecond(Date.now() + 3_600_000) },
  );
  const r = await f.send(f.post("/rollback production", "writer"));
  expect(r.outcome).toBe("applied");
  expect((await gitLog(f.path))[0]!.subject).toBe(
    "promptgate(production): rollback support-answer v6 → v5",
  );
});

it("a commit dated in the past on top does not hide a change the author could not see", async () => {
  const f = dated.get("past-dated-on-top")!;
  const first = f.post("/rollback production", "writer");
  const second = f.post("/rollback production", "maint");
  expect((await f.send(first)).outcome).toBe("applied");
  const landed = Date.parse((await git(f.path, "log", "-1", "--format=%cI", "main")).trim());
  // Someone pushes a staging change made an hour ago on a machine with a slow clock.
  await gh.commitFiles(
    f.owner,
    f.name,
    { "environments.yaml": environmentsYaml({ production: "v4", staging: "v7" }) },
    { message: "staging v7", author: "alice", date: isoSecond(Date.now() - 3_600_000) },
  );
  (second.comment as { created_at: string }).created_at = isoSecond(landed);
  const b = await f.send(second);
  expect(b.outcome).toBe("conflict");
  expect(await readFileAt(f.path, "environments.yaml")).toBe(
    environmentsYaml({ production: "v4", staging: "v7" }),
  );
});
