import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  type BotServer,
  createFixture,
  type Fixture,
  gitLog,
  startBot,
  typedAfterReading,
} from "../support/bot-harness.js";
import { renderedOutsideCode } from "../support/helpers/markdown-spans.js";
import { type GitHubStandIn, startGitHubStandIn } from "../support/stand-ins/github/index.js";

/**
 * Issue 9, attack 8, through the real Probot server and the GitHub stand-in: a command comment
 * cannot make the bot say a link in its own voice, and a huge comment gets a short reply.
 */

let gh: GitHubStandIn;
let bot: BotServer;
let repoCount = 0;

beforeAll(async () => {
  gh = await startGitHubStandIn();
  bot = await startBot(gh);
});

afterAll(async () => {
  await bot?.close();
  await gh?.close();
});

afterEach(() => {
  expect(gh.violations.splice(0)).toEqual([]);
});

async function setup(): Promise<Fixture> {
  const f = await createFixture(gh, bot, `bounds-${++repoCount}`, {});
  const post: Fixture["post"] = (body, user, extra) => typedAfterReading(f.post(body, user, extra));
  return { ...f, post, say: (body, user, extra) => f.send(post(body, user, extra)) };
}

/** GitHub refuses a comment body longer than this. */
const GITHUB_LIMIT = 65_536;

describe("bot replies are escaped and bounded", () => {
  it("a link smuggled into a command stays quoted text in the reply", async () => {
    const f = await setup();
    const before = await gitLog(f.path);
    const said = await f.say(
      "/rollback production to previous x`[Re-authenticate](https://evil.example)`",
    );
    expect(said.outcome).toBe("invalid");
    expect(said.reply).toContain("Re-authenticate](https://evil.example)");
    const live = renderedOutsideCode(said.reply!);
    expect(live).not.toContain("evil.example");
    expect(live).not.toContain("](");
    expect(await gitLog(f.path)).toEqual(before);
  });

  it("a 60 KB command comment gets a reply of a few hundred characters", async () => {
    const f = await setup();
    const words = "a`<b>[c](https://evil.example) ".repeat(2_000);
    const comment = `/rollback production to previous ${words}`;
    expect(comment.length).toBeGreaterThan(60_000);
    const said = await f.say(comment);
    expect(said.outcome).toBe("invalid");
    expect(said.reply!.length).toBeLessThan(2_000);
    expect(renderedOutsideCode(said.reply!)).not.toContain("evil.example");
  });

  it("a 60 KB reason on a dry run is echoed cut, and the reply stays well under GitHub's limit", async () => {
    const f = await setup();
    const reason = "`[c](https://evil.example)` @everyone ".repeat(1_600);
    const said = await f.say(`/rollback production --dry-run --reason "${reason}"`);
    expect(reason.length).toBeGreaterThan(60_000);
    expect(said.outcome).toBe("dry-run");
    expect(said.reply).toContain("**Reason:**");
    expect(said.reply!.length).toBeLessThan(GITHUB_LIMIT / 10);
    const live = renderedOutsideCode(said.reply!);
    expect(live).not.toContain("evil.example");
    expect(live).not.toContain("@everyone");
  });
});
