import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  type BotServer,
  createFixture,
  environmentsYaml,
  type Fixture,
  gitLog,
  reactionsOf,
  readFileAt,
  startBot,
  typedAfterReading,
} from "../support/bot-harness.js";
import { type GitHubStandIn, startGitHubStandIn } from "../support/stand-ins/github/index.js";

let gh: GitHubStandIn;
let bot: BotServer;
let count = 0;

beforeAll(async () => {
  gh = await startGitHubStandIn();
  bot = await startBot(gh);
});

afterAll(async () => {
  await bot?.close();
  await gh?.close();
});

afterEach(() => {
  gh.setFaults([]);
  expect(gh.violations.splice(0)).toEqual([]);
});

async function setup(on: BotServer = bot): Promise<Fixture> {
  const f = await createFixture(gh, on, `faults-${++count}`);
  const post: Fixture["post"] = (body, user, extra) => typedAfterReading(f.post(body, user, extra));
  return { ...f, post, say: (body, user, extra) => f.send(post(body, user, extra)) };
}

/** The reply of an API failure: not applied, safe to retry. */
const NOT_APPLIED = /^\*\*Not applied:\*\* .+\. Nothing was changed; it is safe to retry\.$/m;

const PUT_ENVIRONMENTS = /\/contents\/environments\.yaml$/;

/** Resolves once the bot's write of environments.yaml has reached the stand-in. */
async function waitForWrite(f: Fixture, from: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const seen = gh.requests
      .slice(from)
      .some((r) => r.method === "PUT" && r.path.includes(`/${f.name}/contents/environments.yaml`));
    if (seen) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error("the bot never wrote environments.yaml");
}

function writesOf(f: Fixture, from = 0) {
  return gh.requests
    .slice(from)
    .filter((r) => r.method === "PUT" && r.path.includes(`/${f.name}/contents/`))
    .map((r) => r.status);
}

function botReplies(f: Fixture) {
  return gh.comments(f.owner, f.name, f.issue).filter((c) => c.user === gh.botLogin);
}

describe("idempotency", () => {
  it("applies a redelivered comment once and replies once", async () => {
    const f = await setup();
    const payload = f.post("/rollback production");
    const first = await f.send(payload);
    const again = await f.send(payload);
    expect([first.outcome, again.outcome]).toEqual(["applied", "duplicate"]);
    const commits = await gitLog(f.path);
    expect(
      commits.filter((c) => c.trailers["Promptgate-Comment-Id"] === String(first.commentId)),
    ).toHaveLength(1);
    expect(botReplies(f)).toHaveLength(1);
    expect(reactionsOf(gh, f, first.commentId)).toEqual(["rocket"]);
  });

  it("replies once to a redelivered comment whose commit exists but whose reply was lost", async () => {
    const f = await setup();
    const payload = f.post("/rollback production");
    // The first delivery commits, then GitHub refuses its reply.
    gh.setFaults([
      {
        kind: "status",
        status: 403,
        method: "POST",
        path: new RegExp(`/${f.name}/issues/${f.issue}/comments$`),
        times: 1,
      },
    ]);
    const first = await f.send(payload);
    expect(first.outcome).toBe("applied");
    expect(first.reply).toBeUndefined();
    expect(botReplies(f)).toHaveLength(0);
    const commits = await gitLog(f.path);

    // Redelivered (GitHub's "Redeliver", or the Actions job re-run): the reply it never got.
    const again = await f.send(payload);
    expect(again.outcome).toBe("applied");
    expect(again.reply).toContain("@writer rolled back **production**.");
    expect(again.reply).toContain("| production  | support-answer | v4 → v3");
    expect(again.reply).toContain("this reply comes late");
    expect(again.result).toMatchObject({ outcome: "applied", commit: commits[0]!.sha });
    expect(await gitLog(f.path)).toEqual(commits);

    // Once: a third delivery finds that reply and stays silent.
    const third = await f.send(payload);
    expect(third.outcome).toBe("duplicate");
    expect(botReplies(f)).toHaveLength(1);
    expect(await gitLog(f.path)).toEqual(commits);
    expect(reactionsOf(gh, f, first.commentId)).toEqual(["rocket"]);
  });

  it("applies two simultaneous deliveries of one comment once", async () => {
    const f = await setup();
    const payload = f.post("/rollback production");
    const id = (payload.comment as { id: number }).id;
    const statuses = (await Promise.all([f.send(payload), f.send(payload)])).map((s) => s.status);
    expect(statuses).toEqual([200, 200]);
    const outcomes = bot.results.filter((r) => r.commentId === id).map((r) => r.outcome);
    expect(outcomes.sort()).toEqual(["applied", "duplicate"]);
    const commits = await gitLog(f.path);
    expect(commits[0]!.subject).toBe("promptgate(production): rollback support-answer v4 → v3");
    expect(commits[1]!.sha).toBe(f.productionCommits.v4);
    expect(botReplies(f)).toHaveLength(1);
    expect(reactionsOf(gh, f, id)).toEqual(["rocket"]);
  });
});

describe("compare-and-swap", () => {
  it("a stale sha (409) re-reads and re-plans when the environment still holds what was seen", async () => {
    const f = await setup();
    gh.setFaults([{ kind: "delay", ms: 700, method: "PUT", path: PUT_ENVIRONMENTS, times: 1 }]);
    const from = gh.requests.length;
    const pending = f.say("/rollback production");
    await waitForWrite(f, from);
    // Someone moves staging while the bot's write is in flight: the file's blob changes.
    const staging = await gh.commitFiles(
      f.owner,
      f.name,
      { "environments.yaml": environmentsYaml({ staging: "v5" }) },
      { message: "Staging back to v5", author: "dave" },
    );
    const said = await pending;
    expect(said.outcome).toBe("applied");
    expect(writesOf(f, from)).toEqual([409, 200]);
    const [head, parent] = await gitLog(f.path);
    expect(parent!.sha).toBe(staging);
    expect(head!.parents).toEqual([staging]);
    expect(await readFileAt(f.path, "environments.yaml")).toBe(
      environmentsYaml({ staging: "v5", production: "v3" }),
    );
  });

  it("stops with the explanation when the environment itself changed, and applies nothing", async () => {
    const f = await setup();
    gh.setFaults([{ kind: "delay", ms: 700, method: "PUT", path: PUT_ENVIRONMENTS, times: 1 }]);
    const from = gh.requests.length;
    const pending = f.say("/rollback production");
    await waitForWrite(f, from);
    const bobs = await gh.commitFiles(
      f.owner,
      f.name,
      { "environments.yaml": environmentsYaml({ production: "v5" }) },
      { message: "Ship support-answer v5", author: "bob" },
    );
    const said = await pending;
    expect(said.outcome).toBe("conflict");
    expect(said.reply).toContain(
      `production changed while your command ran (now support-answer@v5+gpt-4o-2024-08-06, by @bob, commit ${bobs.slice(0, 7)}); nothing was applied.`,
    );
    expect(reactionsOf(gh, f, said.commentId)).toEqual(["confused"]);
    expect((await gitLog(f.path))[0]!.sha).toBe(bobs);
    expect(await readFileAt(f.path, "environments.yaml")).toBe(
      environmentsYaml({ production: "v5" }),
    );
  });
});

describe("GitHub failing", () => {
  it.each([
    ["a 502 while reading", { kind: "status", status: 502, method: "GET", path: /\/git\/trees\// }],
    ["a 503 on the write", { kind: "status", status: 503, method: "PUT", path: PUT_ENVIRONMENTS }],
  ] as const)(
    "%s replies 'not applied, safe to retry' and leaves the file untouched",
    async (_, fault) => {
      const f = await setup();
      const before = await gitLog(f.path);
      gh.setFaults([fault]);
      const said = await f.say("/rollback production");
      gh.setFaults([]);
      expect(said.outcome).toBe("failed");
      expect(said.reply).toMatch(NOT_APPLIED);
      expect(said.reply).toMatch(/GitHub answered 50[23]/);
      expect(reactionsOf(gh, f, said.commentId)).toEqual(["-1"]);
      expect(await gitLog(f.path)).toEqual(before);
      expect(await readFileAt(f.path, "environments.yaml")).toBe(
        environmentsYaml({ production: "v4" }),
      );
    },
  );

  it("a hang times out into 'not applied, safe to retry', file untouched", async () => {
    const quick = await startBot(gh, { client: { timeoutMs: 600, retries: 0 } });
    try {
      const f = await setup(quick);
      const before = await gitLog(f.path);
      gh.setFaults([{ kind: "hang", method: "PUT", path: PUT_ENVIRONMENTS, times: 1 }]);
      const said = await f.say("/rollback production");
      expect(said.outcome).toBe("failed");
      expect(said.reply).toContain("did not answer `PUT /repos/acme/");
      expect(said.reply).toMatch(NOT_APPLIED);
      expect(await gitLog(f.path)).toEqual(before);
      expect(await readFileAt(f.path, "environments.yaml")).toBe(
        environmentsYaml({ production: "v4" }),
      );
    } finally {
      await quick.close();
    }
  });

  it("a lost write answer with a failed re-read replies 'outcome unknown', never 'safe to retry'", async () => {
    const quick = await startBot(gh, { client: { timeoutMs: 600, retries: 0 } });
    try {
      const f = await setup(quick);
      // The write lands after the bot gave up waiting for its answer, and the re-read that would
      // have found it fails: a "safe to retry" now would roll production back a second time.
      gh.setFaults([{ kind: "delay", ms: 1_200, method: "PUT", path: PUT_ENVIRONMENTS, times: 1 }]);
      const from = gh.requests.length;
      const pending = f.say("/rollback production");
      await waitForWrite(f, from);
      gh.setFaults([
        { kind: "status", status: 502, method: "GET", path: new RegExp(`^/repos/acme/${f.name}/`) },
      ]);
      const said = await pending;
      gh.setFaults([]);
      expect(said.outcome).toBe("failed");
      expect(said.reply).toMatch(
        /^\*\*Outcome unknown:\*\* the write of the environments file got no clear answer \(GitHub did not answer `PUT \/repos\/acme\/.+` in time\), and checking whether it landed failed too \(GitHub answered 502 .+\)\. The change may have been applied: check `\/promptgate status` or the history of the environments file on the default branch before running the command again, which could otherwise apply it twice\.$/m,
      );
      expect(said.reply).not.toContain("safe to retry");
      expect(said.reply).not.toContain("Nothing was changed");
      expect(said.result).toMatchObject({ outcome: "failed", failure: "outcome-unknown" });
      expect(reactionsOf(gh, f, said.commentId)).toEqual(["confused"]);
      // And it was applied after all.
      const deadline = Date.now() + 5_000;
      while ((await gitLog(f.path))[0]!.sha === f.productionCommits.v4 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const [head] = await gitLog(f.path);
      expect(head!.trailers["Promptgate-Comment-Id"]).toBe(String(said.commentId));
    } finally {
      await quick.close();
    }
  });

  it("a failure after the commit still reports the change as applied, with a warning", async () => {
    const f = await setup();
    gh.setFaults([{ kind: "status", status: 500, method: "POST", path: /\/deployments$/ }]);
    const said = await f.say("/rollback production");
    expect(said.outcome).toBe("applied");
    expect(said.reply).toContain("the deployment record of production could not be created");
    expect(await readFileAt(f.path, "environments.yaml")).toBe(
      environmentsYaml({ production: "v3" }),
    );
  });
});
