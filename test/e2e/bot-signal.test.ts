import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  type BotServer,
  buildSignalPayload,
  createFixture,
  createRolloutRepo,
  environmentsYaml,
  type Fixture,
  gitLog,
  readFileAt,
  runNode,
  SETTINGS,
  startBot,
  typedAfterReading,
} from "../support/bot-harness.js";
import { type GitHubStandIn, startGitHubStandIn } from "../support/stand-ins/github/index.js";

/**
 * Rollback on an alert (issue 12 item 3): a `repository_dispatch` of type `promptgate-signal`,
 * delivered to the real Probot server, acting on the GitHub stand-in's real git repositories.
 */

let gh: GitHubStandIn;
let bot: BotServer;
let repoCount = 0;

const SIGNAL_SETTINGS = `${SETTINGS}auto-rollback:
  environments: [canary, production]
  metrics: [error-rate, thumbs-down-rate]
`;

const ALERT = {
  id: "a-1",
  environment: "production",
  prompt: "support-answer",
  metric: "error-rate",
  value: 0.12,
  source: "grafana",
  link: "https://grafana.example.com/alerting/a-1",
};

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

async function setup(settings = SIGNAL_SETTINGS): Promise<Fixture> {
  return createFixture(gh, bot, `signals-${++repoCount}`, {}, { settings });
}

function signalIssues(f: Fixture) {
  return gh.issues(f.owner, f.name).filter((i) => (i.labels ?? []).includes("promptgate-signal"));
}

function writesTo(f: Fixture, since: number) {
  return gh.requests
    .slice(since)
    .filter((r) => r.method !== "GET" && r.path.startsWith(`/repos/${f.owner}/${f.name}/`));
}

describe("an allowed signal", () => {
  it("rolls back once when delivered twice: one commit, one Deployment, one record on one issue", async () => {
    const f = await setup();
    // v3 → v4 → v5: a redelivery that rolled back again would land on v3 with a second commit.
    const v5 = await gh.commitFiles(
      f.owner,
      f.name,
      { "environments.yaml": environmentsYaml({ production: "v5" }) },
      { message: "Ship support-answer v5", author: "alice" },
    );
    const before = (await gitLog(f.path)).length;

    const first = await f.signal(ALERT);
    expect(first.status).toBe(200);
    expect(first.result).toMatchObject({ outcome: "applied", key: "grafana/a-1" });
    const again = await f.signal(ALERT);
    expect(again.result).toMatchObject({ outcome: "duplicate", key: "grafana/a-1" });

    const log = await gitLog(f.path);
    expect(log).toHaveLength(before + 1);
    const head = log[0]!;
    expect(head.sha).toBe(first.result!.commitSha);
    expect(head.subject).toBe("promptgate(production): rollback support-answer v5 → v4");
    expect(head.trailers).toMatchObject({
      "Promptgate-Action": "rollback",
      "Promptgate-Env": "production",
      "Promptgate-Actor": "signal:grafana",
      "Promptgate-Signal": "grafana/a-1",
      "Promptgate-Rolls-Back": v5,
    });
    expect(head.trailers["Promptgate-Reason"]).toContain("error-rate = 0.12");
    expect(await readFileAt(f.path, "environments.yaml")).toBe(
      environmentsYaml({ production: "v4" }),
    );
    expect(gh.deployments.filter((d) => d.sha === head.sha)).toHaveLength(1);
    expect(
      gh.dispatches.filter((d) => (d.clientPayload as { commit?: string }).commit === head.sha),
    ).toHaveLength(1);

    // One issue says what happened, the metric, the value, the link and how to undo it.
    const issues = signalIssues(f);
    expect(issues).toHaveLength(1);
    const body = issues[0]!.body ?? "";
    expect(body).toContain("<!-- promptgate:signal-issue production -->");
    expect(body).toContain("`error-rate` = `0.12` on production");
    expect(body).toContain(ALERT.link);
    expect(body).toContain(head.sha.slice(0, 7));
    expect(body).toContain("**To undo:**");
    expect(body).toContain("`/rollback production to support-answer@v5");
    expect(issues[0]!.user).toBe(gh.botLogin);
    // The redelivery recorded nothing more.
    expect(gh.comments(f.owner, f.name, issues[0]!.number)).toHaveLength(0);
  });

  it("a second alert comments on the open issue; with no earlier good value it changes nothing", async () => {
    const f = await setup(`${SIGNAL_SETTINGS}  cooldown-minutes: 0\n`);
    expect((await f.signal(ALERT)).result?.outcome).toBe("applied");
    const commits = (await gitLog(f.path)).length;

    // v4 was rolled back from, v3 is live: there is nothing good left to go back to.
    const second = await f.signal({ ...ALERT, id: "a-2", value: 0.2 });
    expect(second.result).toMatchObject({ outcome: "refused", key: "grafana/a-2" });
    expect(await gitLog(f.path)).toHaveLength(commits);

    const issues = signalIssues(f);
    expect(issues).toHaveLength(1);
    const comments = gh.comments(f.owner, f.name, issues[0]!.number);
    expect(comments).toHaveLength(1);
    expect(comments[0]!.body).toContain("`0.2`");
    expect(comments[0]!.body).toContain("holds no earlier good value");
  });

  it("a second alert without `at`, minutes after the first one's rollback, does not roll back again", async () => {
    const f = await setup();
    // Production went v3 → v4 → v5 by hand, so there is an earlier good value to go on to.
    await gh.commitFiles(
      f.owner,
      f.name,
      { "environments.yaml": environmentsYaml({ production: "v5" }) },
      { message: "Ship v5", author: "alice" },
    );
    expect((await f.signal({ ...ALERT, id: "e-1" })).result?.outcome).toBe("applied");
    expect(await readFileAt(f.path, "environments.yaml")).toBe(
      environmentsYaml({ production: "v4" }),
    );
    const commits = (await gitLog(f.path)).length;

    // The thumbs-down alert about v5 arrives after the rollback, and says nothing of when it fired.
    const second = await f.signal({ ...ALERT, id: "t-1", metric: "thumbs-down-rate" });
    expect(second.result).toMatchObject({ outcome: "refused", key: "grafana/t-1" });
    expect(await gitLog(f.path)).toHaveLength(commits);
    expect(await readFileAt(f.path, "environments.yaml")).toBe(
      environmentsYaml({ production: "v4" }),
    );
    const [issue] = signalIssues(f);
    const record = gh.comments(f.owner, f.name, issue!.number).at(-1)!.body;
    expect(record).toContain("production was rolled back less than a minute ago");
    expect(record).toContain("without `at` does not roll back again within 15 min");
    expect(record).toContain("send `at`");

    // The first alert delivered again is still answered as a duplicate, not as a cooldown.
    expect((await f.signal({ ...ALERT, id: "e-1" })).result?.outcome).toBe("duplicate");
    // An alert that says it fired after the rollback (past the few seconds a same-second change
    // is given) acts: it is about v4.
    const firedNow = new Date(Date.now() + 30_000).toISOString().replace(/\.\d{3}Z$/, "Z");
    const third = await f.signal({ ...ALERT, id: "e-2", at: firedNow });
    expect(third.result?.outcome).toBe("applied");
    expect(await readFileAt(f.path, "environments.yaml")).toBe(
      environmentsYaml({ production: "v3" }),
    );
  });

  it("a signal about canary stops the canary, as `/rollback canary` does", async () => {
    const f = await createFixture(
      gh,
      bot,
      `signals-${++repoCount}`,
      {},
      { settings: SIGNAL_SETTINGS, canaryTraffic: 10 },
    );
    const res = await f.signal({ ...ALERT, id: "c-1", environment: "canary" });
    expect(res.result?.outcome).toBe("applied");
    const [head] = await gitLog(f.path);
    expect(head!.subject).toBe("promptgate(canary): rollback traffic 10% → 0%");
    expect(await readFileAt(f.path, "environments.yaml")).toBe(
      environmentsYaml({ production: "v4", canaryTraffic: 0 }),
    );
  });

  it("an alert that fired before the environment last changed does not roll back on top of it", async () => {
    const f = await setup();
    const firedAt = new Date(Date.now() - 60_000).toISOString().replace(/\.\d{3}Z$/, "Z");
    // Someone fixed production by hand after the alert fired (v4 → v5).
    await gh.commitFiles(
      f.owner,
      f.name,
      { "environments.yaml": environmentsYaml({ production: "v5" }) },
      { message: "Ship v5", author: "alice" },
    );
    const commits = (await gitLog(f.path)).length;
    const res = await f.signal({ ...ALERT, id: "late-1", at: firedAt });
    expect(res.result?.outcome).toBe("refused");
    expect(await gitLog(f.path)).toHaveLength(commits);
  });
});

describe("two first signals for one environment at the same moment", () => {
  it("end with one open issue: the younger is closed, both records are on the older", async () => {
    const f = await setup();
    const before = (await gitLog(f.path)).length;
    // Both deliveries find no issue and then create one: the window two alerts at once share.
    // The barrier holds each `POST …/issues` until both are in, whichever is handled first.
    gh.setFaults([
      {
        kind: "barrier",
        count: 2,
        method: "POST",
        path: new RegExp(`^/repos/${f.owner}/${f.name}/issues$`),
        times: 2,
      },
    ]);
    const start = bot.signals.length;
    try {
      await Promise.all([
        f.signal({ ...ALERT, id: "e-1" }),
        f.signal({ ...ALERT, id: "t-1", metric: "thumbs-down-rate", value: 0.4 }),
      ]);
    } finally {
      gh.setFaults([]);
    }
    const results = bot.signals.slice(start);
    const byKey = Object.fromEntries(results.map((r) => [r.key, r]));
    expect(Object.keys(byKey).sort()).toEqual(["grafana/e-1", "grafana/t-1"]);
    // One rollback between them: the other found production changed (or nothing earlier left).
    expect(results.map((r) => r.outcome).sort()).toEqual(["applied", "refused"]);
    expect(await gitLog(f.path)).toHaveLength(before + 1);

    const issues = signalIssues(f);
    // Two were opened (so the race did happen), and one stays open: the older.
    expect(issues.map((i) => i.state)).toEqual(["open", "closed"]);
    const [kept, younger] = issues as [(typeof issues)[0], (typeof issues)[0]];
    expect(kept.number).toBeLessThan(younger.number);
    expect(younger.stateReason).toBe("not_planned");
    expect(results.map((r) => r.issue?.number)).toEqual([kept.number, kept.number]);
    // Both signals are recorded on the issue that stays, once each.
    const texts = [
      kept.body ?? "",
      ...gh.comments(f.owner, f.name, kept.number).map((c) => c.body),
    ].join("\n");
    for (const key of ["grafana/e-1", "grafana/t-1"]) {
      expect(texts.split(`<!-- promptgate:signal ${key} -->`)).toHaveLength(2);
    }

    // The next signal comments on the issue that stayed open.
    const next = await f.signal({ ...ALERT, id: "e-2" });
    expect(next.result?.issue?.number).toBe(kept.number);
    expect(signalIssues(f).filter((i) => i.state === "open")).toHaveLength(1);
  });
});

describe("a signal that may not act", () => {
  it("changes nothing and is recorded on the environment's signal issue", async () => {
    const f = await setup();
    const commits = (await gitLog(f.path)).length;
    const deployments = gh.deployments.length;

    const res = await f.signal({ ...ALERT, id: "l-1", metric: "latency-p99" });
    expect(res.result).toMatchObject({ outcome: "refused", key: "grafana/l-1" });
    expect(res.result?.reason).toContain("auto-rollback.metrics");
    const staging = await f.signal({ ...ALERT, id: "s-1", environment: "staging" });
    expect(staging.result?.outcome).toBe("refused");

    expect(await gitLog(f.path)).toHaveLength(commits);
    expect(await readFileAt(f.path, "environments.yaml")).toBe(
      environmentsYaml({ production: "v4" }),
    );
    expect(gh.deployments).toHaveLength(deployments);

    const issues = signalIssues(f);
    expect(issues.map((i) => i.title).sort()).toEqual([
      "promptgate: monitoring signals for production",
      "promptgate: monitoring signals for staging",
    ]);
    const production = issues.find((i) => i.title.endsWith("production"))!;
    expect(production.body).toContain("Signal ignored");
    expect(production.body).toContain("Nothing changed:");
    expect(production.body).toContain(
      "auto-rollback: { environments: [production], metrics: [latency-p99] }",
    );

    // Redelivered: recorded once.
    await f.signal({ ...ALERT, id: "l-1", metric: "latency-p99" });
    expect(gh.comments(f.owner, f.name, production.number)).toHaveLength(0);
  });

  it("is refused when promptgate.yaml sets no auto-rollback", async () => {
    const f = await setup(SETTINGS);
    const commits = (await gitLog(f.path)).length;
    const res = await f.signal(ALERT);
    expect(res.result).toMatchObject({ outcome: "refused" });
    expect(res.result?.reason).toContain("sets no `auto-rollback`");
    expect(await gitLog(f.path)).toHaveLength(commits);
    expect(signalIssues(f)).toHaveLength(1);
  });

  it("a malformed payload, an unknown environment or another dispatch type writes nothing", async () => {
    const f = await setup();
    const since = gh.requests.length;
    const malformed = await f.signal({ environment: "production", metric: "error-rate" });
    expect(malformed.result?.outcome).toBe("invalid");
    expect(malformed.result?.reason).toContain("id");
    const unknown = await f.signal({ ...ALERT, id: "u-1", environment: "qa" });
    expect(unknown.result?.outcome).toBe("refused");
    const other = await fetchDispatch(f, "promptgate-environments-changed");
    expect(other.result?.outcome).toBe("ignored");
    expect(writesTo(f, since)).toEqual([]);
    expect(signalIssues(f)).toHaveLength(0);
  });
});

async function fetchDispatch(f: Fixture, eventType: string) {
  const { deliver } = await import("../support/bot-harness.js");
  const start = bot.signals.length;
  const res = await deliver(bot.url, buildSignalPayload(gh, f, { x: 1 }, { eventType }), {
    event: "repository_dispatch",
  });
  return { status: res.status, result: bot.signals[start] };
}

describe("the audit trail", () => {
  it("matches a /rollback's: same plan, commit shape, Deployment, dispatch and history", async () => {
    const person = await setup();
    const said = await person.send(
      typedAfterReading(person.post("/rollback production support-answer")),
    );
    expect(said.outcome).toBe("applied");
    const monitor = await setup();
    expect((await monitor.signal(ALERT)).result?.outcome).toBe("applied");

    const [byPerson] = await gitLog(person.path);
    const [bySignal] = await gitLog(monitor.path);
    expect(bySignal!.subject).toBe(byPerson!.subject);
    expect(bySignal!.author).toBe(byPerson!.author);
    expect(await readFileAt(monitor.path, "environments.yaml")).toBe(
      await readFileAt(person.path, "environments.yaml"),
    );
    // The same trailers, but for who asked: a comment's id and url, or the signal's key.
    const shared = (t: Record<string, string>, rollsBackFrom: string) => {
      const {
        "Promptgate-Actor": _actor,
        "Promptgate-Comment-Id": _id,
        "Promptgate-Comment-Url": _url,
        "Promptgate-Signal": _signal,
        "Promptgate-Reason": _reason,
        ...rest
      } = t;
      return { ...rest, "Promptgate-Rolls-Back": rest["Promptgate-Rolls-Back"] === rollsBackFrom };
    };
    expect(shared(bySignal!.trailers, monitor.productionCommits.v4!)).toEqual(
      shared(byPerson!.trailers, person.productionCommits.v4!),
    );
    expect(shared(bySignal!.trailers, monitor.productionCommits.v4!)).toMatchObject({
      "Promptgate-Rolls-Back": true,
    });
    expect(Object.keys(bySignal!.trailers)).toEqual([
      "Promptgate-Action",
      "Promptgate-Env",
      "Promptgate-Actor",
      "Promptgate-Signal",
      "Promptgate-Reason",
      "Promptgate-Rolls-Back",
    ]);

    const deployment = (sha: string) => {
      const d = gh.deployments.find((x) => x.sha === sha)!;
      return {
        environment: d.environment,
        task: d.task,
        payload: d.payload,
        description: d.description,
        production: d.productionEnvironment,
        creator: d.creator,
        statuses: d.statuses.map((s) => s.state),
      };
    };
    expect(deployment(bySignal!.sha)).toEqual(deployment(byPerson!.sha));
    const dispatch = (sha: string) => {
      const d = gh.dispatches.find((x) => (x.clientPayload as { commit?: string }).commit === sha)!;
      const {
        commit: _c,
        actor: _a,
        comment_url: _u,
        ...rest
      } = d.clientPayload as Record<string, unknown>;
      return { eventType: d.eventType, ...rest };
    };
    expect(dispatch(bySignal!.sha)).toEqual(dispatch(byPerson!.sha));

    // The history the bot reads back names the signal as the requester, and its rollback counts
    // as one for the next walk: `/rollback production` now finds no earlier good value.
    const status = await monitor.say("/promptgate status production");
    expect(status.reply).toContain("signal:grafana");
    const next = await monitor.send(typedAfterReading(monitor.post("/rollback production")));
    expect(next.outcome).toBe("refused");
    expect(next.reply).toContain("holds no earlier good value");
  });
});

describe("the workflow entry (bot/action-entry.ts)", () => {
  it("handles `on: repository_dispatch: types: [promptgate-signal]` with GITHUB_TOKEN", async () => {
    const repo = await createRolloutRepo(gh, "acme", `signals-${++repoCount}`, {
      settings: SIGNAL_SETTINGS,
    });
    const tmp = await mkdtemp(join(tmpdir(), "promptgate-runner-"));
    try {
      const eventPath = join(tmp, "event.json");
      const outputPath = join(tmp, "output");
      await writeFile(eventPath, JSON.stringify(buildSignalPayload(gh, repo, ALERT)));
      await writeFile(outputPath, "");
      const env = {
        GITHUB_EVENT_NAME: "repository_dispatch",
        GITHUB_EVENT_PATH: eventPath,
        GITHUB_TOKEN: gh.githubToken,
        GITHUB_API_URL: gh.url,
        GITHUB_REPOSITORY: `acme/${repo.name}`,
        GITHUB_OUTPUT: outputPath,
        PROMPTGATE_THROTTLE: "off",
      };
      const run = await runNode(["--import", "tsx", "bot/action-entry.ts"], env);
      expect(run.code, run.output).toBe(0);
      const [head] = await gitLog(repo.path);
      expect(head!.author).toBe("github-actions[bot]");
      expect(head!.trailers).toMatchObject({
        "Promptgate-Actor": "signal:grafana",
        "Promptgate-Signal": "grafana/a-1",
      });
      expect(await readFile(outputPath, "utf8")).toBe(`outcome=applied\ncommit=${head!.sha}\n`);
      const rerun = await runNode(["--import", "tsx", "bot/action-entry.ts"], env);
      expect(rerun.code, rerun.output).toBe(0);
      expect((await gitLog(repo.path))[0]!.sha).toBe(head!.sha);
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  });
});
