import { ProbotOctokit } from "probot";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  type BotServer,
  buildPayload,
  createFixture,
  createRolloutRepo,
  deliver,
  environmentsYaml,
  type Fixture,
  gitLog,
  reactionsOf,
  readFileAt,
  SETTINGS,
  startBot,
  typedAfterReading,
} from "../support/bot-harness.js";
import {
  DEFAULT_APP_PERMISSIONS,
  type GitHubStandIn,
  type Role,
  startGitHubStandIn,
} from "../support/stand-ins/github/index.js";

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
  // Every request the bot sent, and every answer, matched GitHub's OpenAPI description.
  expect(gh.violations.splice(0)).toEqual([]);
});

async function setup(
  roles: Record<string, Role> = {},
  options: Parameters<typeof createRolloutRepo>[3] = {},
): Promise<Fixture> {
  const f = await createFixture(gh, bot, `prompts-${++repoCount}`, roles, options);
  const post: Fixture["post"] = (body, user, extra) => typedAfterReading(f.post(body, user, extra));
  return { ...f, post, say: (body, user, extra) => f.send(post(body, user, extra)) };
}

function reactionsOn(f: Fixture, commentId: number): string[] {
  return reactionsOf(gh, f, commentId);
}

describe("rollback", () => {
  it("rolls production back to the previous value with one commit, trailers, deployment and dispatch", async () => {
    const f = await setup();
    const said = await f.say('/rollback production --reason "answers quote the wrong policy"');
    expect(said.status).toBe(200);
    expect(said.outcome).toBe("applied");

    const [head, ...rest] = await gitLog(f.path);
    expect(rest[0]!.sha).toBe(f.productionCommits.v4);
    expect(head!.subject).toBe("promptgate(production): rollback support-answer v4 → v3");
    expect(head!.author).toBe(gh.botLogin);
    expect(head!.trailers).toEqual({
      "Promptgate-Action": "rollback",
      "Promptgate-Env": "production",
      "Promptgate-Actor": "writer",
      "Promptgate-Comment-Id": String(said.commentId),
      "Promptgate-Comment-Url": expect.stringContaining(
        `/acme/${f.name}/issues/${f.issue}#issuecomment-${said.commentId}`,
      ),
      "Promptgate-Reason": "answers quote the wrong policy",
      "Promptgate-Rolls-Back": f.productionCommits.v4,
    });

    // Only the pinned line changed; comments and layout are kept.
    const text = await readFileAt(f.path, "environments.yaml");
    expect(text).toBe(environmentsYaml({ production: "v3" }));

    expect(said.reply).toContain("rolled back **production**");
    expect(said.result).toMatchObject({
      outcome: "applied",
      action: "rollback",
      env: "production",
      commit: head!.sha,
    });
    expect(reactionsOn(f, said.commentId)).toEqual(["rocket"]);

    const deployment = gh.deployments.find((d) => d.sha === head!.sha);
    expect(deployment).toMatchObject({
      environment: "promptgate-production",
      payload: {
        env: "production",
        prompts: { "support-answer": { version: "v3", model: "gpt-4o-2024-08-06" } },
      },
    });
    expect(deployment!.statuses.map((s) => s.state)).toEqual(["success"]);
    const dispatch = gh.dispatches.find(
      (d) => (d.clientPayload as { commit?: string }).commit === head!.sha,
    );
    expect(dispatch).toMatchObject({
      eventType: "promptgate-environments-changed",
      clientPayload: {
        action: "rollback",
        before: { production: { prompts: { "support-answer": { version: "v4" } } } },
        after: { production: { prompts: { "support-answer": { version: "v3" } } } },
      },
    });
  });

  it("a command posted before the environment changed does not apply on top of the change", async () => {
    const f = await setup();
    // Two on-call engineers typed `/rollback production` a few seconds apart; the first one's
    // rollback (v4 → v3) landed before the second command was handled.
    const typedEarlier = buildPayload(gh, f, {
      body: "/rollback production",
      user: "writer",
      issueNumber: f.issue,
    });
    expect((await f.say("/rollback production")).outcome).toBe("applied");
    const comment = typedEarlier.comment as { id: number; created_at: string };
    comment.created_at = new Date(Date.now() - 60_000).toISOString().replace(/\.\d{3}Z$/, "Z");
    const commits = (await gitLog(f.path)).length;

    const late = await deliver(bot.url, typedEarlier);
    expect(late.status).toBe(200);
    const replies = gh.comments(f.owner, f.name, f.issue).filter((c) => c.user === gh.botLogin);
    const body = replies.at(-1)!.body;
    expect(body).toMatch(
      /production changed while your command ran \(now support-answer@v3.*by @writer.*commit [0-9a-f]{7}\); nothing was applied\./,
    );
    expect(await gitLog(f.path)).toHaveLength(commits);
    expect(await readFileAt(f.path, "environments.yaml")).toBe(
      environmentsYaml({ production: "v3" }),
    );
    expect(reactionsOn(f, comment.id)).toEqual(["confused"]);
  });

  it("looks further back than its first read for the previous good value", async () => {
    const f = await setup();
    // Sixty canary ramps since production last changed: v3 lies beyond the first 50 commits.
    for (let i = 1; i <= 60; i++) {
      await gh.commitFiles(
        f.owner,
        f.name,
        { "environments.yaml": environmentsYaml({ canaryTraffic: i % 50 }) },
        { message: `Canary at ${i % 50}%`, author: "alice" },
      );
    }
    const said = await f.say("/rollback production");
    expect(said.outcome).toBe("applied");
    expect(await readFileAt(f.path, "environments.yaml")).toBe(
      environmentsYaml({ production: "v3", canaryTraffic: 10 }),
    );
    const [head] = await gitLog(f.path);
    expect(head!.trailers["Promptgate-Rolls-Back"]).toBe(f.productionCommits.v4);
  }, 30_000);

  it("good → bad1 → rollback → bad2 → rollback lands on good", async () => {
    const f = await setup();
    // v4 is bad1 (production went v3 → v4): roll it back, then ship bad2 by hand and roll back again.
    expect((await f.say("/rollback production")).outcome).toBe("applied");
    const bad2 = await gh.commitFiles(
      f.owner,
      f.name,
      { "environments.yaml": environmentsYaml({ production: "v5" }) },
      { message: "Ship support-answer v5", author: "alice" },
    );
    const second = await f.say("/rollback production");
    expect(second.outcome).toBe("applied");
    expect(await readFileAt(f.path, "environments.yaml")).toBe(
      environmentsYaml({ production: "v3" }),
    );
    const [head] = await gitLog(f.path);
    expect(head!.subject).toBe("promptgate(production): rollback support-answer v5 → v3");
    expect(head!.trailers["Promptgate-Rolls-Back"]).toBe(bad2);

    // A third rollback must not go "back" to v5 or v4: both were rolled back from, and it says so.
    const commits = (await gitLog(f.path)).length;
    const third = await f.say("/rollback production");
    expect(third.outcome).toBe("refused");
    expect(third.result).toMatchObject({ outcome: "refused", code: "no-previous" });
    expect(third.reply).toContain("support-answer@v5+gpt-4o-2024-08-06, rolled back in");
    expect(third.reply).toContain("support-answer@v4+gpt-4o-2024-08-06, rolled back in");
    expect(reactionsOn(f, third.commentId)).toEqual(["confused"]);
    expect(await gitLog(f.path)).toHaveLength(commits);
  });
});

const MINI = "gpt-4o-mini-2024-07-18";
const FALLBACK = "gpt-4o-2024-08-06";

/** The harness's environments.yaml with `FALLBACK` as the fallback of these environments' pin. */
function withFallback(text: string, envs: string[]): string {
  let out = text;
  for (const env of envs) {
    out = out.replace(
      new RegExp(`(\\n  ${env}:[\\s\\S]*?model: ${MINI}) }`),
      `$1, fallback: [{ model: ${FALLBACK} }] }`,
    );
  }
  if (out === text) throw new Error("withFallback changed nothing");
  return out;
}
const GATE = (v: string) => `promptgate: support-answer@${v}`;

describe("promote", () => {
  it("promotes along rollout.order when the eval gate passed, and refuses to skip a stage", async () => {
    const f = await setup();
    await gh.setStatus(f.owner, f.name, f.versionCommits.v6!, {
      state: "success",
      context: GATE("v6"),
    });

    const skip = await f.say("/promote staging to production", "boss");
    expect(skip.outcome).toBe("refused");
    expect(skip.reply).toContain("skips `canary` in rollout.order");

    const toCanary = await f.say("/promote staging to canary");
    expect(toCanary.outcome).toBe("applied");
    const [head] = await gitLog(f.path);
    expect(head!.subject).toBe("promptgate(canary): promote support-answer v5 → v6 from staging");
    expect(head!.trailers).toMatchObject({
      "Promptgate-Action": "promote",
      "Promptgate-Env": "canary",
    });
    expect(await readFileAt(f.path, "environments.yaml")).toBe(environmentsYaml({ canary: "v6" }));
    expect(reactionsOn(f, toCanary.commentId)).toEqual(["rocket"]);
    expect(gh.deployments.find((d) => d.sha === head!.sha)?.environment).toBe("promptgate-canary");

    const toProduction = await f.say("/promote canary to production", "maint");
    expect(toProduction.outcome).toBe("applied");
    expect(await readFileAt(f.path, "environments.yaml")).toBe(
      environmentsYaml({ canary: "v6", production: "v6", productionModel: MINI }),
    );

    const again = await f.say("/promote canary to production", "maint");
    expect(again.outcome).toBe("noop");
    expect(again.reply).toContain("production is already on support-answer@v6");
    expect(reactionsOn(f, again.commentId)).toEqual(["+1"]);
  });

  it("gates each fallback the target environment fails over to: the version's run on that model", async () => {
    const f = await setup();
    await gh.setStatus(f.owner, f.name, f.versionCommits.v6!, {
      state: "success",
      context: GATE("v6"),
    });
    // Canary fails over to gpt-4o: `/promote staging to canary` puts v6 live on both models.
    await gh.commitFiles(
      f.owner,
      f.name,
      { "environments.yaml": withFallback(environmentsYaml({}), ["canary"]) },
      { message: "Canary fails over to gpt-4o", author: "alice" },
    );
    const commits = (await gitLog(f.path)).length;
    const unevaluated = await f.say("/promote staging to canary");
    expect(unevaluated.outcome).toBe("refused");
    expect(unevaluated.reply).toContain(`support-answer@v6 on ${FALLBACK} (missing)`);
    expect(unevaluated.reply).toContain("a fallback is evaluated by the pull request that adds it");
    expect(await gitLog(f.path)).toHaveLength(commits);

    // A pull request gives staging's v6 that fallback: the action runs v6 on gpt-4o there and
    // posts `… on gpt-4o` on its head. Squashed: the bot finds it through the pull request.
    await gh.createBranch(f.owner, f.name, "staging-fallback");
    const head = await gh.commitFiles(
      f.owner,
      f.name,
      { "environments.yaml": withFallback(environmentsYaml({}), ["staging", "canary"]) },
      { branch: "staging-fallback", message: "Staging fails over to gpt-4o", author: "carol" },
    );
    const pull = gh.createPull(f.owner, f.name, { head: "staging-fallback", title: "fallback" });
    const context = `${GATE("v6")} on ${FALLBACK}`;
    await gh.setStatus(f.owner, f.name, head, { state: "failure", context });
    await gh.setStatus(f.owner, f.name, head, { state: "success", context, creator: "mallory" });
    await gh.mergePull(f.owner, f.name, pull, { method: "squash" });

    const failing = await f.say("/promote staging to canary");
    expect(failing.outcome).toBe("refused");
    expect(failing.reply).toContain(`support-answer@v6 on ${FALLBACK} (failure)`);
    expect(failing.reply).toContain("only github-actions[bot] can pass a gate");

    await gh.setStatus(f.owner, f.name, head, { state: "success", context });
    const passed = await f.say("/promote staging to canary");
    expect(passed.outcome).toBe("applied");
    // Canary keeps its own fallback with the new version.
    expect(await readFileAt(f.path, "environments.yaml")).toBe(
      withFallback(environmentsYaml({ canary: "v6" }), ["staging", "canary"]),
    );
  });

  it("ramps canary traffic and /rollback canary stops it, keeping its pins", async () => {
    const f = await setup();
    expect((await f.say("/promote canary --traffic 10")).outcome).toBe("applied");
    expect(await readFileAt(f.path, "environments.yaml")).toBe(
      environmentsYaml({ canaryTraffic: 10 }),
    );
    expect((await f.say("/promote canary --traffic 50")).outcome).toBe("applied");
    expect(await readFileAt(f.path, "environments.yaml")).toBe(
      environmentsYaml({ canaryTraffic: 50 }),
    );
    const [ramp] = await gitLog(f.path);
    expect(ramp!.subject).toBe("promptgate(canary): traffic 10% → 50%");

    const bad = await f.say("/promote canary --traffic 150");
    expect(bad.outcome).toBe("invalid");
    expect(bad.reply).toContain("outside the range 0 to 100");

    const stop = await f.say("/rollback canary");
    expect(stop.outcome).toBe("applied");
    expect(await readFileAt(f.path, "environments.yaml")).toBe(
      environmentsYaml({ canaryTraffic: 0 }),
    );
  });

  it("promote to production is refused for write and allowed for maintain", async () => {
    const f = await setup();
    await gh.setStatus(f.owner, f.name, f.versionCommits.v5!, {
      state: "success",
      context: GATE("v5"),
    });
    const commits = (await gitLog(f.path)).length;

    const denied = await f.say("/promote canary to production", "writer");
    expect(denied.outcome).toBe("denied");
    expect(denied.reply).toContain(
      "promote to production needs the maintain role or membership of team ml-release; you have the write role",
    );
    expect(reactionsOn(f, denied.commentId)).toEqual(["confused"]);
    expect(await gitLog(f.path)).toHaveLength(commits);

    const allowed = await f.say("/promote canary to production", "maint");
    expect(allowed.outcome).toBe("applied");
    expect(await readFileAt(f.path, "environments.yaml")).toBe(
      environmentsYaml({ production: "v5", productionModel: MINI }),
    );
  });

  it("a team named by the rule grants what the role does not", async () => {
    const f = await setup({ pager: "read" });
    const denied = await f.say("/rollback production", "pager");
    expect(denied.outcome).toBe("denied");
    gh.addTeamMember(f.owner, "oncall", "pager");
    const allowed = await f.say("/rollback production", "pager");
    expect(allowed.outcome).toBe("applied");
  });

  it("says a team could not be checked when the token cannot read membership (403)", async () => {
    const f = await setup({ pager: "read" });
    gh.addTeamMember(f.owner, "oncall", "pager");
    // What GitHub answers a token without `members: read` (GITHUB_TOKEN in workflow mode).
    gh.setFaults([
      {
        kind: "status",
        status: 403,
        method: "GET",
        path: /^\/orgs\/acme\/teams\/oncall\/memberships\//,
        message: "Resource not accessible by integration",
      },
    ]);
    try {
      const commits = (await gitLog(f.path)).length;
      const said = await f.say("/rollback production", "pager");
      expect(said.outcome).toBe("denied");
      expect(said.reply).toContain(
        "could not check team oncall: the token cannot read team membership (needs `members: read`; see README)",
      );
      expect(said.result).toMatchObject({ seen: "the read role (team membership unreadable)" });
      expect(reactionsOn(f, said.commentId)).toEqual(["confused"]);
      expect(await gitLog(f.path)).toHaveLength(commits);
    } finally {
      gh.setFaults([]);
    }
  });

  it.each([
    ["missing", undefined],
    ["pending", "pending"],
    ["failure", "failure"],
  ] as const)("refuses a version whose eval gate is %s (fail closed)", async (label, state) => {
    const f = await setup();
    if (state) {
      await gh.setStatus(f.owner, f.name, f.versionCommits.v5!, { state, context: GATE("v5") });
    }
    // A passing status elsewhere (not on the commit that introduced v5) does not count.
    await gh.setStatus(f.owner, f.name, "main", { state: "success", context: GATE("v5") });
    const commits = (await gitLog(f.path)).length;
    const said = await f.say("/promote canary to production", "maint");
    expect(said.outcome).toBe("refused");
    expect(said.result).toMatchObject({ code: "gate" });
    expect(said.reply).toContain(`support-answer@v5 (${label})`);
    expect(await gitLog(f.path)).toHaveLength(commits);
  });

  it("a pending gate says to wait for its run, with the link, not to fix it", async () => {
    const f = await setup();
    const run = "https://github.com/acme/support-bot/actions/runs/77";
    await gh.setStatus(f.owner, f.name, f.versionCommits.v5!, {
      state: "pending",
      context: GATE("v5"),
      targetUrl: run,
    });
    const said = await f.say("/promote canary to production", "maint");
    expect(said.outcome).toBe("refused");
    expect(said.reply).toContain(`wait for the run (${run}) to finish, then run the command again`);
    expect(said.reply).not.toContain("fix and re-run");
  });

  it.each([
    ["success", "applied"],
    ["failure", "refused"],
  ] as const)(
    "reads the gate of a squash-merged version on its pull request's head (%s)",
    async (state, outcome) => {
      const f = await setup();
      // A pull request adds v7; the action posts the gate on its head; it is squash-merged, so
      // the commit that adds v7 to main is a new one that carries no status.
      await gh.createBranch(f.owner, f.name, "add-v7");
      const branchHead = await gh.commitFiles(
        f.owner,
        f.name,
        {
          "prompts/support-answer/v7.prompt": (
            await readFileAt(f.path, "prompts/support-answer/v5.prompt")
          ).replace("v5", "v7"),
        },
        { branch: "add-v7", message: "Add support-answer v7", author: "carol" },
      );
      const pull = gh.createPull(f.owner, f.name, { head: "add-v7", title: "support-answer v7" });
      await gh.setStatus(f.owner, f.name, branchHead, { state, context: GATE("v7") });
      const squashed = await gh.mergePull(f.owner, f.name, pull, {
        method: "squash",
        deleteBranch: true,
      });
      expect((await gitLog(f.path, "prompts/support-answer/v7.prompt"))[0]!.sha).toBe(squashed);
      await gh.commitFiles(
        f.owner,
        f.name,
        { "environments.yaml": environmentsYaml({ canary: "v7" }) },
        { message: "Canary support-answer v7", author: "alice" },
      );

      const said = await f.say("/promote canary to production", "maint");
      expect(said.outcome).toBe(outcome);
      if (outcome === "applied") {
        expect(await readFileAt(f.path, "environments.yaml")).toContain(
          "support-answer: { version: v7, model: gpt-4o-mini-2024-07-18 }  # live",
        );
      } else {
        expect(said.reply).toContain("support-answer@v7 (failure)");
      }
    },
  );

  it("reads the gate of a version merged with a merge commit on its pull request's head", async () => {
    const f = await setup();
    await gh.createBranch(f.owner, f.name, "add-v7");
    const v5 = await readFileAt(f.path, "prompts/support-answer/v5.prompt");
    await gh.commitFiles(
      f.owner,
      f.name,
      { "prompts/support-answer/v7.prompt": v5.replace("v5", "v7") },
      { branch: "add-v7", message: "Add support-answer v7", author: "carol" },
    );
    // A later commit of the branch touches something else: the action ran on this head.
    const head = await gh.commitFiles(
      f.owner,
      f.name,
      { "notes/v7.md": "why v7\n" },
      { branch: "add-v7", message: "Notes", author: "carol" },
    );
    const pull = gh.createPull(f.owner, f.name, { head: "add-v7", title: "support-answer v7" });
    await gh.setStatus(f.owner, f.name, head, { state: "success", context: GATE("v7") });
    await gh.mergePull(f.owner, f.name, pull, { method: "merge" });
    await gh.commitFiles(
      f.owner,
      f.name,
      { "environments.yaml": environmentsYaml({ canary: "v7" }) },
      { message: "Canary support-answer v7", author: "alice" },
    );
    expect((await f.say("/promote canary to production", "maint")).outcome).toBe("applied");
  });

  it("reads the gate of a draft's newest content: an edit after the gate passed needs its own", async () => {
    const f = await setup();
    await gh.setStatus(f.owner, f.name, f.versionCommits.v5!, {
      state: "success",
      context: GATE("v5"),
    });
    // v5 is not pinned in production yet, so it may still be edited: here by hand, unevaluated.
    const v5 = await readFileAt(f.path, "prompts/support-answer/v5.prompt");
    await gh.commitFiles(
      f.owner,
      f.name,
      { "prompts/support-answer/v5.prompt": v5.replace("billing", "any") },
      { message: "Widen v5", author: "carol" },
    );
    const said = await f.say("/promote canary to production", "maint");
    expect(said.outcome).toBe("refused");
    expect(said.reply).toContain("support-answer@v5 (missing)");
  });

  it("does not take the gate of an open pull request that merely contains the version's commit", async () => {
    const f = await setup();
    await gh.createBranch(f.owner, f.name, "later", f.versionCommits.v5!);
    const pull = gh.createPull(f.owner, f.name, { head: "later" });
    expect(pull).toBeGreaterThan(0);
    await gh.setStatus(f.owner, f.name, f.versionCommits.v5!, { state: "pending", context: "ci" });
    const laterHead = await gh.commitFiles(
      f.owner,
      f.name,
      { "notes.md": "x" },
      { branch: "later" },
    );
    await gh.setStatus(f.owner, f.name, laterHead, { state: "success", context: GATE("v5") });
    const said = await f.say("/promote canary to production", "maint");
    expect(said.outcome).toBe("refused");
    expect(said.reply).toContain("support-answer@v5 (missing)");
  });

  it("--force by an admin overrides a failing gate, and the reply and the commit say so", async () => {
    const f = await setup();
    await gh.setStatus(f.owner, f.name, f.versionCommits.v5!, {
      state: "failure",
      context: GATE("v5"),
    });
    const notAdmin = await f.say("/promote canary to production --force", "maint");
    expect(notAdmin.outcome).toBe("denied");
    expect(notAdmin.reply).toContain("`--force` needs the admin role");

    const forced = await f.say(
      '/promote canary to production --force --reason "hotfix for INC-7"',
      "boss",
    );
    expect(forced.outcome).toBe("applied");
    expect(forced.reply).toContain("Eval gate overridden");
    const [head] = await gitLog(f.path);
    expect(head!.body).toContain("Eval gate overridden with --force: support-answer@v5 (failure)");
    expect(head!.trailers["Promptgate-Reason"]).toBe("hotfix for INC-7");
  });

  describe("a gate only the gate can write", () => {
    /** A client as GitHub would see it: the token decides the status's creator. */
    function clientOf(token: string) {
      return new ProbotOctokit({
        auth: { token },
        baseUrl: gh.url,
        throttle: { enabled: false },
        retry: { enabled: false },
      });
    }
    async function postGate(
      f: Fixture,
      token: string,
      state: "success" | "failure",
      version = "v5",
    ): Promise<void> {
      await clientOf(token).request("POST /repos/{owner}/{repo}/statuses/{sha}", {
        owner: f.owner,
        repo: f.name,
        sha: f.versionCommits[version]!,
        state,
        context: GATE(version),
      });
    }

    it("ignores and names a writer's success over the action's failure, until the action passes it", async () => {
      const f = await setup();
      const writerToken = gh.createToken("writer");
      await postGate(f, gh.githubToken, "failure");
      await postGate(f, writerToken, "success");
      // The stand-in, like GitHub, records who posted each status from the token.
      expect(
        gh.statuses(f.owner, f.name, f.versionCommits.v5!).map((st) => [st.creator, st.state]),
      ).toEqual([
        ["github-actions[bot]", "failure"],
        ["writer", "success"],
      ]);
      const commits = (await gitLog(f.path)).length;

      const refused = await f.say("/promote canary to production", "maint");
      expect(refused.outcome).toBe("refused");
      expect(refused.result).toMatchObject({ code: "gate" });
      expect(refused.reply).toContain("support-answer@v5 (failure)");
      expect(refused.reply).toContain(
        "a success by @writer was ignored: only github-actions[bot] can pass a gate",
      );
      expect(await gitLog(f.path)).toHaveLength(commits);

      // A writer's success on a commit the action never judged is no gate either.
      await postGate(f, writerToken, "success", "v6");
      const staged = await f.say("/promote staging to canary", "maint");
      expect(staged.outcome).toBe("refused");
      expect(staged.reply).toContain("support-answer@v6 (missing)");
      expect(staged.reply).toContain("a success by @writer was ignored");

      // The action's newer run passes the gate.
      await postGate(f, gh.githubToken, "success");
      const applied = await f.say("/promote canary to production", "maint");
      expect(applied.outcome).toBe("applied");
      expect(await readFileAt(f.path, "environments.yaml")).toBe(
        environmentsYaml({ production: "v5", productionModel: MINI }),
      );
    });

    it("a failure of the trusted identity blocks a later writer's success; --force is the way past it, and says so", async () => {
      const f = await setup();
      await postGate(f, gh.githubToken, "success");
      await postGate(f, gh.githubToken, "failure");
      await postGate(f, gh.createToken("writer"), "success");
      const refused = await f.say("/promote canary to production", "maint");
      expect(refused.outcome).toBe("refused");
      expect(refused.reply).toContain("support-answer@v5 (failure)");

      const forced = await f.say(
        '/promote canary to production --force --reason "INC-8 hotfix"',
        "boss",
      );
      expect(forced.outcome).toBe("applied");
      expect(forced.reply).toContain("Eval gate overridden");
      expect(forced.reply).toContain("a success by @writer was ignored");
      const [head] = await gitLog(f.path);
      expect(head!.body).toContain(
        "Eval gate overridden with --force: support-answer@v5 (failure)",
      );
    });

    it("trusts the identity named by rollout.gate-creator on the default branch, and only it", async () => {
      const settings = SETTINGS.replace(
        "rollout:\n",
        "rollout:\n  gate-creator: release-app[bot]\n",
      );
      const f = await setup({}, { settings });
      await postGate(f, gh.githubToken, "success");
      const refused = await f.say("/promote canary to production", "maint");
      expect(refused.outcome).toBe("refused");
      expect(refused.reply).toContain(
        "a success by @github-actions[bot] was ignored: only release-app[bot] can pass a gate",
      );

      await postGate(f, gh.createToken("release-app[bot]"), "success");
      expect((await f.say("/promote canary to production", "maint")).outcome).toBe("applied");
    });
  });

  it("reads the gate from a check run when the app may read check runs, and fails closed when not", async () => {
    const f = await setup();
    // Posted the way the action posts it, with a GITHUB_TOKEN-style token.
    const octokit = new ProbotOctokit({
      auth: { token: gh.githubToken },
      baseUrl: gh.url,
      throttle: { enabled: false },
      retry: { enabled: false },
    });
    await octokit.request("POST /repos/{owner}/{repo}/check-runs", {
      owner: f.owner,
      repo: f.name,
      name: GATE("v5"),
      head_sha: f.versionCommits.v5!,
      status: "completed",
      conclusion: "success",
    });
    // The manifest of issue 4 grants statuses but not checks: the run is invisible, so no gate.
    const unseen = await f.say("/promote canary to production", "maint");
    expect(unseen.outcome).toBe("refused");
    expect(unseen.reply).toContain("support-answer@v5 (missing)");

    const gh2 = await startGitHubStandIn({
      app: { permissions: { ...DEFAULT_APP_PERMISSIONS, checks: "read" } },
    });
    const bot2 = await startBot(gh2);
    try {
      const repo = await createRolloutRepo(gh2, "acme", "checks");
      gh2.setRole("acme", "checks", "maint", "maintain");
      const issue = gh2.createIssue("acme", "checks", { title: "ship v5" });
      const client = new ProbotOctokit({
        auth: { token: gh2.githubToken },
        baseUrl: gh2.url,
        throttle: { enabled: false },
        retry: { enabled: false },
      });
      await client.request("POST /repos/{owner}/{repo}/check-runs", {
        owner: "acme",
        repo: "checks",
        name: GATE("v5"),
        head_sha: repo.versionCommits.v5!,
        status: "completed",
        conclusion: "success",
      });
      const payload = typedAfterReading(
        buildPayload(gh2, repo, {
          body: "/promote canary to production",
          user: "maint",
          issueNumber: issue,
        }),
      );
      expect((await deliver(bot2.url, payload)).status).toBe(200);
      expect(bot2.results.map((r) => r.outcome)).toEqual(["applied"]);
      expect(gh2.violations).toEqual([]);
    } finally {
      await bot2.close();
      await gh2.close();
    }
  });
});

describe("freeze", () => {
  it("blocks promote and never rollback", async () => {
    const f = await setup();
    await gh.setStatus(f.owner, f.name, f.versionCommits.v5!, {
      state: "success",
      context: GATE("v5"),
    });
    const byWriter = await f.say("/promptgate freeze production", "writer");
    expect(byWriter.outcome).toBe("denied");

    const freeze = await f.say('/promptgate freeze production --reason "INC-9 under way"', "maint");
    expect(freeze.outcome).toBe("applied");
    const frozen = await readFileAt(f.path, "environments.yaml");
    expect(frozen).toMatch(
      /freezes:\n {2}production: \{ by: maint, reason: INC-9 under way, since: /,
    );

    const promote = await f.say("/promote canary to production", "maint");
    expect(promote.outcome).toBe("refused");
    expect(promote.result).toMatchObject({ code: "frozen" });

    const rollback = await f.say("/rollback production");
    expect(rollback.outcome).toBe("applied");
    expect(rollback.reply).toContain("bypassed");
    const [head] = await gitLog(f.path);
    expect(head!.body).toContain("Freeze of production bypassed");

    expect((await f.say("/promptgate unfreeze production", "maint")).outcome).toBe("applied");
    expect(await readFileAt(f.path, "environments.yaml")).toBe(
      environmentsYaml({ production: "v3" }),
    );
  });

  it("a rollback never puts a version production did not serve live, frozen or not", async () => {
    const f = await setup();
    const freeze = await f.say("/promptgate freeze production", "maint");
    expect(freeze.outcome).toBe("applied");
    const commits = (await gitLog(f.path)).length;

    // v6 exists in prompts/ but was never live in production (nor gated): that is a promotion.
    const draft = await f.say("/rollback production to v6");
    expect(draft.outcome).toBe("refused");
    expect(draft.result).toMatchObject({ code: "never-held" });
    expect(draft.reply).toContain("production never served `support-answer@v6`");
    expect(draft.reply).toContain("`/promote canary to production support-answer` puts canary's");
    expect(draft.reply).toContain("production can roll back to `v3+gpt-4o-2024-08-06`");
    expect(reactionsOn(f, draft.commentId)).toEqual(["confused"]);
    expect(await gitLog(f.path)).toHaveLength(commits);

    // A value it served goes back at once, past the freeze, with the model it ran with.
    const back = await f.say("/rollback production to v3");
    expect(back.outcome).toBe("applied");
    expect(await readFileAt(f.path, "environments.yaml")).toContain(
      "support-answer: { version: v3, model: gpt-4o-2024-08-06 }",
    );
  });
});

describe("what changes nothing", () => {
  it("a dry run replies what would happen and commits nothing", async () => {
    const f = await setup();
    const commits = await gitLog(f.path);
    const said = await f.say("/rollback production --dry-run");
    expect(said.outcome).toBe("dry-run");
    expect(said.reply).toContain("would roll back **production**");
    expect(said.reply).toContain("v4 → v3");
    expect(reactionsOn(f, said.commentId)).toEqual(["+1"]);
    expect(await gitLog(f.path)).toEqual(commits);
    expect(gh.deployments.filter((d) => d.repo === f.name)).toEqual([]);
  });

  it("ignores edited comments, bot comments, locked conversations and plain talk, without a single API call", async () => {
    const f = await setup();
    const commits = await gitLog(f.path);
    const requests = gh.requests.length;
    const edited = await f.say("/rollback production", "writer", { action: "edited" });
    const byBot = await f.say("/rollback production", "deploy-bot[bot]", { userType: "Bot" });
    const locked = await f.say("/rollback production", "writer", { locked: true });
    const talk = await f.say("Should we /rollback production? Let me check.", "writer");
    const quoted = await f.say("> /rollback production\nNo, please don't.", "writer");
    for (const said of [edited, byBot, locked, talk, quoted]) {
      expect(said.status).toBe(200);
      expect(said.reply).toBeUndefined();
      expect(reactionsOn(f, said.commentId)).toEqual([]);
    }
    expect([byBot, locked, talk, quoted].map((s) => s.outcome)).toEqual([
      "ignored",
      "ignored",
      "ignored",
      "ignored",
    ]);
    expect(gh.requests.length).toBe(requests);
    expect(await gitLog(f.path)).toEqual(commits);
  });

  it("rejects a bad signature and does nothing", async () => {
    const f = await setup();
    const requests = gh.requests.length;
    const handled = bot.results.length;
    const payload = buildPayload(gh, f, {
      body: "/rollback production",
      user: "writer",
      issueNumber: f.issue,
    });
    const res = await deliver(bot.url, payload, { secret: "not-the-secret" });
    expect(res.status).toBe(400);
    expect(bot.results.length).toBe(handled);
    expect(gh.requests.length).toBe(requests);
    expect(await readFileAt(f.path, "environments.yaml")).toBe(
      environmentsYaml({ production: "v4" }),
    );
  });

  it("answers a near-miss verb with a suggestion and the usage", async () => {
    const f = await setup();
    const said = await f.say("/rolback production");
    expect(said.outcome).toBe("invalid");
    expect(said.reply).toContain("Did you mean `/rollback`?");
    expect(reactionsOn(f, said.commentId)).toEqual(["confused"]);
    const unknownEnv = await f.say("/rollback prod");
    expect(unknownEnv.outcome).toBe("refused");
    expect(unknownEnv.reply).toContain("the environments are `staging`, `canary`, `production`");
  });

  it("answers a missing `to` and a glued verb with the command meant, and reads PRODUCTION", async () => {
    const f = await setup();
    const commits = (await gitLog(f.path)).length;
    const noTo = await f.say("/rollback production v3");
    expect(noTo.outcome).toBe("invalid");
    expect(noTo.reply).toContain("Did you mean `/rollback production to v3`?");
    const glued = await f.say("/rollback-production");
    expect(glued.outcome).toBe("invalid");
    expect(glued.reply).toContain("Did you mean `/rollback production`?");
    expect(reactionsOn(f, glued.commentId)).toEqual(["confused"]);
    expect(await gitLog(f.path)).toHaveLength(commits);

    const shouted = await f.say("/rollback PRODUCTION");
    expect(shouted.outcome).toBe("applied");
    expect(shouted.reply).toContain("@writer rolled back **production**.");
    expect(await readFileAt(f.path, "environments.yaml")).toBe(
      environmentsYaml({ production: "v3" }),
    );
  });

  it("renders help and status from the live files", async () => {
    const f = await setup();
    const help = await f.say("/promptgate help", "someone");
    expect(help.outcome).toBe("help");
    expect(help.reply).toContain(
      "promote to production: maintain role or above, or team ml-release",
    );
    const status = await f.say("/promptgate status production", "someone");
    expect(status.outcome).toBe("status");
    expect(status.reply).toMatch(/\| production +\| support-answer \| v4 +\| gpt-4o-2024-08-06 \|/);
    expect(reactionsOn(f, status.commentId)).toEqual(["+1"]);
    // Since when, by whom, which commit: the commit that put v4 live.
    const [last] = await gitLog(f.path);
    expect(status.reply).toMatch(
      new RegExp(
        `^- production: since \\d{4}-\\d\\d-\\d\\dT[^,]+, by [^,]+, commit \`${last!.sha.slice(0, 7)}\``,
        "m",
      ),
    );
    // A rollback is then what status names.
    const rolled = await f.say("/rollback production");
    expect(rolled.reply).toMatch(
      /\*\*To undo:\*\* `\/rollback production to support-answer@v4\+gpt-4o-2024-08-06`\./,
    );
    const after = await f.say("/promptgate status production", "someone");
    expect(after.reply).toMatch(
      /^- production: since [^,]+, by @writer, commit `[0-9a-f]{7}` \(`promptgate\(production\): rollback/m,
    );
  });
});

describe("files the bot cannot use", () => {
  it("names the file, line and column of a broken environments.yaml and changes nothing", async () => {
    const f = await setup();
    const broken = environmentsYaml({}).replace("    traffic: 0", "    trafic: 0");
    await gh.commitFiles(
      f.owner,
      f.name,
      { "environments.yaml": broken },
      { message: "typo", author: "alice" },
    );
    const commits = (await gitLog(f.path)).length;
    const said = await f.say("/rollback production");
    expect(said.outcome).toBe("failed");
    expect(said.reply).toContain('environments.yaml:7:5: unknown key "trafic"');
    // Retrying cannot help until the file is fixed, and the reply says so.
    expect(said.reply).toContain("fix that file on the default branch, then run the command again");
    expect(said.reply).not.toContain("safe to retry");
    expect(reactionsOn(f, said.commentId)).toEqual(["confused"]);
    expect(await gitLog(f.path)).toHaveLength(commits);
  });
});

describe("a monorepo: promptgate.yaml in a folder, not at the top", () => {
  it("rolls back and promotes llm/environments.yaml, gated on llm/prompts/, and says so", async () => {
    const f = await setup({}, { root: "llm" });
    const rolled = await f.say("/rollback production");
    expect(rolled.outcome).toBe("applied");
    const [head] = await gitLog(f.path);
    expect(head!.subject).toBe("promptgate(production): rollback support-answer v4 → v3");
    expect(await readFileAt(f.path, "llm/environments.yaml")).toBe(
      environmentsYaml({ production: "v3" }),
    );
    expect(await readFileAt(f.path, "environments.yaml").catch(() => "absent")).toBe("absent");

    // The gate hangs on the commit that added llm/prompts/support-answer/v6.prompt.
    const ungated = await f.say("/promote staging to canary");
    expect(ungated.outcome).toBe("refused");
    await gh.setStatus(f.owner, f.name, f.versionCommits.v6!, {
      state: "success",
      context: GATE("v6"),
    });
    const promoted = await f.say("/promote staging to canary");
    expect(promoted.outcome).toBe("applied");
    expect(await readFileAt(f.path, "llm/environments.yaml")).toBe(
      environmentsYaml({ production: "v3", canary: "v6" }),
    );

    const unknown = await f.say("/rollback production support-answer to v9");
    expect(unknown.reply).toContain("llm/prompts/support-answer/");
  });

  it("refuses to guess between two promptgate.yaml folders, naming them", async () => {
    const f = await setup({}, { root: "llm" });
    await gh.commitFiles(
      f.owner,
      f.name,
      { "other/promptgate.yaml": SETTINGS },
      { message: "A second app", author: "alice" },
    );
    const said = await f.say("/rollback production");
    expect(said.outcome).not.toBe("applied");
    expect(said.reply).toContain("llm/promptgate.yaml, other/promptgate.yaml");
    expect(await readFileAt(f.path, "llm/environments.yaml")).toBe(
      environmentsYaml({ production: "v4" }),
    );
  });
});
