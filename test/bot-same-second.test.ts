/**
 * Two people type `/rollback production` at once: exactly one rollback. GitHub dates comments and
 * git dates commits in whole seconds, so the first command's commit can carry the very second the
 * second command was posted in; that change was not seen by its author, and neither is one that
 * landed a moment before (nobody reads a reply and types a new command that fast).
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { UNSEEN_MARGIN_S } from "../bot/handle-comment.js";
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
} from "./bot-harness.js";
import { type GitHubStandIn, startGitHubStandIn } from "./stand-ins/github/index.js";

let gh: GitHubStandIn;
let bot: BotServer;
const fixtures: Fixture[] = [];
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
