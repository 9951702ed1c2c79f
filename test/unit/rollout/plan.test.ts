import { createHash } from "node:crypto";
import { describe, expect, test } from "vitest";
import type { Environments, Pin } from "../../../src/formats/environments.js";
import { parseSettings } from "../../../src/formats/settings.js";
import { type ActionCommand, parseCommand } from "../../../src/rollout/command.js";
import { formatCommitMessage, parseTrailers } from "../../../src/rollout/commit-message.js";
import { isSameState, listTouchedEnvironments } from "../../../src/rollout/conflicts.js";
import {
  applyGateResults,
  listGatedFallbacks,
  listGatedVersions,
} from "../../../src/rollout/eval-gates.js";
import { findCommandCommit, type HistoryEntry } from "../../../src/rollout/history.js";
import { type ChangePlan, type Plan, planCommand } from "../../../src/rollout/plan.js";
import { quoteActor } from "../../../src/rollout/quote.js";
import { renderReply } from "../../../src/rollout/reply.js";

const settings = parseSettings(`
version: 1
rollout:
  order: [staging, canary, production]
  rules:
    rollback: { min-role: write, teams: [oncall] }
    promote: { min-role: write }
    promote-production: { min-role: maintain, teams: [ml-release] }
    freeze: { min-role: maintain }
`);

const MINI = "gpt-4o-mini-2024-07-18";
const BIG = "gpt-4o-2024-08-06";
const pin = (version: string, model?: string): Pin => (model ? { version, model } : { version });

function environments(
  envs: Record<string, { traffic?: number; prompts: Record<string, Pin> }>,
  freezes: Environments["freezes"] = {},
): Environments {
  return structuredClone({ environments: envs, freezes });
}

const available = new Map<string, string[]>([
  ["support-answer", ["v1", "v2", "v3", "v4", "v5", "v6"]],
  ["title", ["v1", "v2", "v3"]],
]);

const sha = (label: string) => createHash("sha1").update(label).digest("hex");

/**
 * A repository's history of environments.yaml: commands go through planCommand and are recorded
 * with the real commit message and trailers, hand edits (merged pull requests) without trailers.
 */
class Repo {
  history: HistoryEntry[] = [];
  private n = 0;
  constructor(public envs: Environments) {
    this.commit(envs, "initial pins", {});
  }

  private commit(envs: Environments, subject: string, trailers: Record<string, string>) {
    this.envs = structuredClone(envs);
    const entry: HistoryEntry = {
      sha: sha(`${this.n++}:${subject}`),
      environments: structuredClone(envs),
      trailers,
      author: "someone",
      date: new Date(Date.UTC(2025, 0, 1, this.n)).toISOString(),
      subject,
    };
    this.history.unshift(entry);
    return entry;
  }

  /** A pull request that edits the file by hand. */
  edit(subject: string, change: (e: Environments) => void): HistoryEntry {
    const next = structuredClone(this.envs);
    change(next);
    return this.commit(next, subject, {});
  }

  plan(text: string, actor = "alice"): Plan {
    const command = parseCommand(text);
    if (
      command.kind === "none" ||
      command.kind === "invalid" ||
      command.kind === "help" ||
      command.kind === "status"
    ) {
      throw new Error(`not an action: ${text} → ${JSON.stringify(command)}`);
    }
    return planCommand({
      command,
      environments: this.envs,
      settings,
      history: this.history,
      availableVersions: available,
      actor,
      now: "2025-02-01T03:00:00.000Z",
    });
  }

  /** Plans and, when it is a change, commits it the way the bot does. */
  run(text: string, actor = "alice"): Plan {
    const plan = this.plan(text, actor);
    if (plan.kind === "change") {
      const command = parseCommand(text) as ActionCommand;
      const message = formatCommitMessage(plan, {
        action: plan.action,
        env: plan.env,
        actor,
        commentId: 1000 + this.n,
        commentUrl: `https://github.com/acme/app/issues/7#issuecomment-${1000 + this.n}`,
        ...("reason" in command && command.reason ? { reason: command.reason } : {}),
      });
      this.commit(plan.next, message.split("\n")[0]!, parseTrailers(message));
    }
    return plan;
  }

  shaOf(subjectPart: string): string {
    const e = this.history.find((h) => h.subject.includes(subjectPart));
    if (!e) throw new Error(`no commit ${subjectPart}`);
    return e.sha;
  }
}

function change(plan: Plan): ChangePlan {
  if (plan.kind !== "change") throw new Error(`expected a change, got ${JSON.stringify(plan)}`);
  return plan;
}

const pinsOf = (plan: Plan, env: string) => change(plan).next.environments[env]!.prompts;

function startingRepo(): Repo {
  return new Repo(
    environments({
      staging: { prompts: { "support-answer": pin("v3", MINI) } },
      canary: { traffic: 0, prompts: { "support-answer": pin("v3", MINI) } },
      production: { prompts: { "support-answer": pin("v3", MINI) } },
    }),
  );
}

/** Deploys a version to production by hand, the way a merged pull request would. */
function deploy(repo: Repo, version: string, model = MINI) {
  return repo.edit(`deploy support-answer ${version}`, (e) => {
    e.environments.production!.prompts["support-answer"] = pin(version, model);
  });
}

describe("rollback to the previous good value", () => {
  test("good → bad1 → rollback → bad2 → rollback lands on good, not bad1", () => {
    const repo = startingRepo(); // v3 is good
    const bad1 = deploy(repo, "v4");
    const first = change(repo.run('/rollback production --reason "v4 promises refunds"'));
    expect(first.changes).toEqual([
      {
        kind: "pin",
        env: "production",
        prompt: "support-answer",
        before: pin("v4", MINI),
        after: pin("v3", MINI),
      },
    ]);
    expect(first.summary).toBe("promptgate(production): rollback support-answer v4 → v3");
    expect(first.rollsBack).toBe(bad1.sha);

    deploy(repo, "v5");
    const second = change(repo.run("/rollback production"));
    expect(pinsOf(second, "production")["support-answer"]).toEqual(pin("v3", MINI));
    expect(second.changes[0]).toMatchObject({ before: pin("v5", MINI), after: pin("v3", MINI) });
  });

  test("good → bad1 → bad2 → rollback (to bad1) → rollback skips bad2 and lands on good", () => {
    const repo = startingRepo();
    deploy(repo, "v4");
    const bad2 = deploy(repo, "v5");
    const first = change(repo.run("/rollback production"));
    expect(first.changes[0]).toMatchObject({ before: pin("v5", MINI), after: pin("v4", MINI) });
    expect(first.rollsBack).toBe(bad2.sha);
    const firstSha = repo.history[0]!.sha;

    // v4 turns out bad too.
    const second = change(repo.run("/rollback production"));
    expect(second.changes[0]).toMatchObject({ before: pin("v4", MINI), after: pin("v3", MINI) });
    expect(second.skipped).toEqual([
      {
        value: `support-answer@v5+${MINI}`,
        sha: bad2.sha,
        why: `rolled back in ${firstSha.slice(0, 7)}`,
      },
    ]);
    expect(second.rollsBack).toBe(firstSha);
  });

  test("rolling back twice in a row has nowhere to go and says what it skipped", () => {
    const repo = startingRepo();
    deploy(repo, "v4");
    change(repo.run("/rollback production"));
    const plan = repo.run("/rollback production");
    expect(plan).toMatchObject({ kind: "refused", code: "no-previous" });
    if (plan.kind !== "refused") return;
    expect(plan.reason).toContain(`support-answer@v4+${MINI}, rolled back in`);
    expect(plan.hint).toContain("`/rollback production <prompt> to <version>`");
    expect(plan.reason).toContain("holds no earlier good value of `support-answer` in production");
  });

  test("a model swap is a value of its own", () => {
    const repo = startingRepo();
    deploy(repo, "v3", BIG);
    const plan = change(repo.run("/rollback production"));
    expect(plan.changes[0]).toMatchObject({ before: pin("v3", BIG), after: pin("v3", MINI) });
    expect(plan.summary).toBe(
      `promptgate(production): rollback support-answer v3+${BIG} → v3+${MINI}`,
    );
  });

  test("without a prompt, only what the last change moved goes back", () => {
    const repo = new Repo(
      environments({
        production: { prompts: { "support-answer": pin("v1"), title: pin("v1") } },
      }),
    );
    repo.edit("title v2", (e) => {
      e.environments.production!.prompts.title = pin("v2");
    });
    repo.edit("support-answer v2", (e) => {
      e.environments.production!.prompts["support-answer"] = pin("v2");
    });
    const all = change(repo.plan("/rollback production"));
    expect(all.changes.map((c) => c.kind === "pin" && [c.prompt, c.after?.version])).toEqual([
      ["support-answer", "v1"],
    ]);
    const title = change(repo.plan("/rollback production title"));
    expect(title.changes.map((c) => c.kind === "pin" && [c.prompt, c.after?.version])).toEqual([
      ["title", "v1"],
    ]);
  });

  test("a prompt pinned later stays and is reported", () => {
    const repo = new Repo(
      environments({ production: { prompts: { "support-answer": pin("v1") } } }),
    );
    repo.edit("add title and support-answer v2", (e) => {
      e.environments.production!.prompts["support-answer"] = pin("v2");
      e.environments.production!.prompts.title = pin("v1");
    });
    const plan = change(repo.plan("/rollback production"));
    expect(pinsOf(plan, "production")).toEqual({ "support-answer": pin("v1"), title: pin("v1") });
    expect(plan.warnings).toContain(
      `\`title\` was not pinned in production at ${repo.history[1]!.sha.slice(0, 7)}; it stays on v1`,
    );
  });

  test("a value whose prompt file is gone is skipped", () => {
    const repo = new Repo(environments({ production: { prompts: { title: pin("v1") } } }));
    repo.edit("title v0", (e) => {
      e.environments.production!.prompts.title = pin("v0");
    });
    repo.edit("title v3", (e) => {
      e.environments.production!.prompts.title = pin("v3");
    });
    const plan = change(repo.plan("/rollback production"));
    expect(plan.changes[0]).toMatchObject({ after: pin("v1") });
    expect(plan.skipped).toEqual([
      {
        value: "title@v0",
        sha: repo.history[1]!.sha,
        why: "prompts/title/v0.prompt no longer exists",
      },
    ]);
  });

  test("a freeze never blocks a rollback, and the plan says it was bypassed", () => {
    const repo = startingRepo();
    deploy(repo, "v4");
    change(repo.run('/promptgate freeze production --reason "incident"', "carol"));
    const plan = change(repo.plan("/rollback production"));
    expect(plan.bypassedFreeze).toBe(true);
    expect(plan.warnings[0]).toMatch(
      /^freeze bypassed: production is frozen by @carol since .* \(`incident`\)/,
    );
    expect(plan.next.freezes.production).toBeDefined();
  });

  test("canary still serving the bad value is pointed out", () => {
    const repo = startingRepo();
    repo.run("/promote staging to canary"); // nothing to copy, canary already on v3
    repo.edit("canary v4 at 10%", (e) => {
      e.environments.canary = { traffic: 10, prompts: { "support-answer": pin("v4", MINI) } };
    });
    deploy(repo, "v4");
    const plan = change(repo.plan("/rollback production"));
    expect(plan.warnings).toContain(
      `canary still serves support-answer@v4+${MINI} at 10%: \`/rollback canary\` stops it`,
    );
  });

  test("unknown environment lists the valid ones and the nearest", () => {
    const plan = startingRepo().plan("/rollback prod");
    expect(plan).toEqual({
      kind: "refused",
      code: "unknown-env",
      reason:
        "there is no environment `prod`; the environments are `staging`, `canary`, `production`",
      hint: "did you mean `production`?",
    });
    expect(startingRepo().plan("/rollback prodution")).toMatchObject({
      hint: "did you mean `production`?",
    });
    expect(startingRepo().plan("/rollback qa")).not.toHaveProperty("hint");
  });

  test("a prompt the environment does not pin", () => {
    expect(startingRepo().plan("/rollback production title")).toEqual({
      kind: "refused",
      code: "unknown-prompt",
      reason: "production does not pin `title`; it pins `support-answer`",
    });
  });
});

describe("rollback to a named version or commit", () => {
  test("to a version restores the model it last ran with here", () => {
    const repo = startingRepo();
    deploy(repo, "v4", BIG);
    deploy(repo, "v5", BIG);
    const plan = change(repo.plan("/rollback production to v3"));
    expect(plan.changes).toEqual([
      {
        kind: "pin",
        env: "production",
        prompt: "support-answer",
        before: pin("v5", BIG),
        after: pin("v3", MINI),
      },
    ]);
    expect(plan.rollsBack).toBe(repo.history[0]!.sha);
  });

  test("to a version with an explicit model it held here", () => {
    const repo = startingRepo();
    deploy(repo, "v2", BIG);
    deploy(repo, "v4");
    const plan = change(repo.plan(`/rollback production support-answer to v2+${BIG}`));
    expect(plan.changes[0]).toMatchObject({ after: pin("v2", BIG) });
    expect(plan.warnings).toEqual([]);
  });

  test("a version the environment never held is refused: that is a promotion", () => {
    const repo = startingRepo();
    deploy(repo, "v4");
    // v6 exists in prompts/ (a draft, never gated, never live): a rollback must not put it live.
    for (const target of ["v6", "support-answer@v1", `v6+${BIG}`]) {
      const plan = repo.plan(`/rollback production to ${target}`);
      expect(plan).toEqual({
        kind: "refused",
        code: "never-held",
        reason: `production never served \`support-answer@${target.replace(/^support-answer@/, "")}\` according to the history of environments.yaml: a rollback only returns production to a value it held before`,
        hint: `to put a new value live, promote it: \`/promote canary to production support-answer\` puts canary's \`v3+${MINI}\` live, checking its eval gate; production can roll back to \`v3+${MINI}\``,
      });
    }
    // Neither a freeze nor --dry-run changes that.
    repo.run("/promptgate freeze production");
    expect(repo.plan("/rollback production to v6 --dry-run")).toMatchObject({
      code: "never-held",
    });
  });

  test("a version held here with another model names the models it ran with", () => {
    const repo = startingRepo();
    deploy(repo, "v4");
    expect(repo.plan(`/rollback production to v3+${BIG}`)).toMatchObject({
      kind: "refused",
      code: "never-held",
      reason: expect.stringContaining(`(it served \`v3+${MINI}\`)`),
    });
  });

  test("a version held only by another environment is refused too", () => {
    const repo = startingRepo();
    repo.edit("staging gets v5", (e) => {
      e.environments.staging!.prompts["support-answer"] = pin("v5", MINI);
    });
    expect(repo.plan("/rollback production to v5")).toMatchObject({ code: "never-held" });
    expect(change(repo.plan("/rollback staging to v3")).changes[0]).toMatchObject({
      after: pin("v3", MINI),
    });
  });

  test("to the current version is a no-op", () => {
    expect(startingRepo().plan("/rollback production to v3")).toEqual({
      kind: "noop",
      action: "rollback",
      env: "production",
      message: `production is already on support-answer@v3+${MINI}`,
    });
  });

  test("an unknown version lists the recent good values", () => {
    const repo = startingRepo();
    deploy(repo, "v4");
    deploy(repo, "v5");
    repo.run("/rollback production"); // v5 is bad
    deploy(repo, "v6");
    const plan = repo.plan("/rollback production to v9");
    expect(plan).toEqual({
      kind: "refused",
      code: "unknown-version",
      reason: `\`support-answer@v9\` does not exist in prompts/support-answer/; recent good values in production: \`v4+${MINI}\`, \`v3+${MINI}\``,
    });
  });

  test("an unknown version with no history offers the newest versions", () => {
    const repo = new Repo(environments({ production: { prompts: { title: pin("v3") } } }));
    expect(repo.plan("/rollback production title to v9")).toMatchObject({
      code: "unknown-version",
      reason: expect.stringContaining("the newest versions are `v3`, `v2`, `v1`"),
    });
  });

  test("a version needs a prompt when the environment pins several", () => {
    const repo = new Repo(
      environments({ production: { prompts: { "support-answer": pin("v2"), title: pin("v2") } } }),
    );
    expect(repo.plan("/rollback production to v1")).toMatchObject({
      kind: "refused",
      code: "ambiguous-prompt",
      hint: "`/rollback production <prompt> to v1`",
    });
  });

  test("naming a value that was rolled back pins it with a warning", () => {
    const repo = startingRepo();
    deploy(repo, "v4");
    repo.run("/rollback production");
    const plan = change(repo.plan("/rollback production to v4"));
    expect(plan.warnings[0]).toMatch(
      /^support-answer@v4\+.* was rolled back in [0-9a-f]{7}; it is pinned again because you named it$/,
    );
  });

  test("to @sha takes the value the environment had at that commit", () => {
    const repo = startingRepo();
    const v4 = deploy(repo, "v4", BIG);
    deploy(repo, "v5");
    const plan = change(repo.plan(`/rollback production to @${v4.sha.slice(0, 9)}`));
    expect(plan.changes[0]).toMatchObject({ before: pin("v5", MINI), after: pin("v4", BIG) });
  });

  test("an unknown sha lists recent commits", () => {
    const plan = startingRepo().plan("/rollback production to @deadbeef");
    expect(plan).toMatchObject({ kind: "refused", code: "unknown-sha" });
    if (plan.kind === "refused") expect(plan.reason).toContain("initial pins");
  });
});

describe("canary", () => {
  test("/rollback canary sets traffic to 0 and keeps the pins", () => {
    const repo = startingRepo();
    repo.run("/promote canary --traffic 10");
    const plan = change(repo.plan("/rollback canary"));
    expect(plan.changes).toEqual([{ kind: "traffic", env: "canary", before: 10, after: 0 }]);
    expect(plan.next.environments.canary!.prompts).toEqual(repo.envs.environments.canary!.prompts);
    expect(plan.summary).toBe("promptgate(canary): rollback traffic 10% → 0%");
    expect(plan.rollsBack).toBe(repo.history[0]!.sha);
  });

  test("/rollback canary at 0% is a no-op", () => {
    expect(startingRepo().plan("/rollback canary")).toMatchObject({
      kind: "noop",
      message: "canary already serves no traffic (0%)",
    });
  });

  test("the ramp", () => {
    const repo = startingRepo();
    repo.run("/promote staging to canary");
    const plan = change(repo.plan("/promote canary --traffic 25"));
    expect(plan.changes).toEqual([{ kind: "traffic", env: "canary", before: 0, after: 25 }]);
    expect(plan.summary).toBe("promptgate(canary): traffic 0% → 25%");
    // Canary pins what production pins: the split changes nothing.
    expect(plan.warnings[0]).toContain("pins the same versions as production");
  });

  test("ramping to the current share is a no-op; a frozen canary refuses", () => {
    const repo = startingRepo();
    expect(repo.plan("/promote canary --traffic 0")).toMatchObject({ kind: "noop" });
    repo.run("/promptgate freeze canary");
    expect(repo.plan("/promote canary --traffic 5")).toMatchObject({
      kind: "refused",
      code: "frozen",
    });
  });

  test("a production freeze lets canary's share shrink but not grow", () => {
    const repo = startingRepo();
    repo.run("/promote canary --traffic 20");
    repo.run('/promptgate freeze production --reason "incident"', "carol");
    const grow = repo.plan("/promote canary --traffic 30");
    expect(grow).toMatchObject({ kind: "refused", code: "frozen" });
    expect(grow.kind === "refused" && grow.reason).toContain(
      "canary's share of its traffic may shrink but not grow",
    );
    expect(repo.plan("/promote canary --traffic 5")).toMatchObject({ kind: "change" });
  });

  test.each(["/promote canary --traffic", "/promote staging to canary --traffic"])(
    "a production freeze: `%s N` may shrink canary's share but not grow it",
    (form) => {
      const repo = startingRepo();
      repo.run("/promote canary --traffic 20");
      repo.run('/promptgate freeze production --reason "incident"', "carol");
      for (const share of [21, 100]) {
        const grow = repo.plan(`${form} ${share}`);
        expect(grow).toMatchObject({
          kind: "refused",
          code: "frozen",
          reason: expect.stringContaining("canary's share of its traffic may shrink but not grow"),
          hint: expect.stringContaining("`/promptgate unfreeze production`"),
        });
        expect(grow.kind === "refused" && grow.reason).toMatch(/^production is frozen by @carol/);
      }
      for (const share of [20, 5, 0]) {
        const plan = repo.plan(`${form} ${share}`);
        expect(plan.kind, `${form} ${share}`).not.toBe("refused");
        if (plan.kind === "change") expect(plan.next.environments.canary!.traffic).toBe(share);
      }
      expect(change(repo.plan(`${form} 5`)).changes).toContainEqual({
        kind: "traffic",
        env: "canary",
        before: 20,
        after: 5,
      });
      // It is the freeze that refused: lifted, the share may grow again.
      repo.run("/promptgate unfreeze production", "carol");
      expect(change(repo.plan(`${form} 100`)).next.environments.canary!.traffic).toBe(100);
    },
  );

  test("a production freeze still lets pins move into canary without growing its share", () => {
    const repo = startingRepo();
    repo.run("/promote canary --traffic 20");
    repo.edit("staging v5", (e) => {
      e.environments.staging!.prompts["support-answer"] = pin("v5", MINI);
    });
    repo.run('/promptgate freeze production --reason "incident"', "carol");
    expect(repo.plan("/promote staging to canary --traffic 30")).toMatchObject({ code: "frozen" });
    const shrink = change(repo.plan("/promote staging to canary --traffic 10"));
    expect(pinsOf(shrink, "canary")["support-answer"]).toEqual(pin("v5", MINI));
    expect(shrink.next.environments.canary!.traffic).toBe(10);
  });
});

describe("a freeze's author is user text too", () => {
  test("mentions a login and quotes anything else", () => {
    expect(quoteActor("carol")).toBe("@carol");
    expect(quoteActor("promptgate[bot]")).toBe("@promptgate[bot]");
    expect(quoteActor("acme/everyone")).toBe("`acme/everyone`");
    expect(quoteActor("Carol Smith <c@x>")).toBe("`Carol Smith <c@x>`");
  });
});

describe("a freeze's reason is user text", () => {
  const REASON =
    "ping @acme/everyone <img src=x> [click](https://evil.example)\n# not a heading ` @acme/everyone";
  const RAW = ["@acme/everyone", "<img", "]("];
  /** What GitHub renders as markdown: everything outside code spans (and the hidden line). */
  const outsideCode = (text: string) =>
    text
      .split("\n")
      .filter((line) => !line.startsWith("<!-- promptgate:result "))
      .join("\n")
      .replace(/`[^`\n]*`/g, "");

  function frozenRepo(env: string): Repo {
    const repo = startingRepo();
    repo.run("/promote canary --traffic 20");
    deploy(repo, "v4");
    // Written by hand in environments.yaml, so no command parser ever saw it.
    repo.edit(`freeze ${env}`, (e) => {
      e.freezes[env] = { by: "carol", reason: REASON, since: "2025-01-31T00:00:00Z" };
    });
    return repo;
  }

  function expectQuoted(text: string) {
    expect(text).toContain(
      "(`ping @acme/everyone <img src=x> [click](https://evil.example) # not a heading ' @acme/everyone`)",
    );
    for (const raw of RAW) expect(outsideCode(text)).not.toContain(raw);
  }

  test.each([
    ["/promote staging to canary", "canary"],
    ["/promote canary --traffic 30", "canary"],
    ["/promote canary --traffic 30", "production"],
    ["/promote staging to canary --traffic 30", "production"],
    ["/promote canary to production", "production"],
  ])("`%s` refused by a freeze of %s", (text, env) => {
    const repo = frozenRepo(env);
    const plan = repo.plan(text);
    if (plan.kind !== "refused") throw new Error(JSON.stringify(plan));
    expect(plan.code).toBe("frozen");
    expectQuoted(plan.reason);
    expectQuoted(
      renderReply({
        outcome: "refused",
        actor: "alice",
        command: parseCommand(text) as ActionCommand,
        plan,
      }),
    );
  });

  test.each(["/rollback production", "/rollback canary"])("`%s` bypassing the freeze", (text) => {
    const env = text.split(" ")[1]!;
    const repo = frozenRepo(env);
    const plan = change(repo.plan(text));
    expect(plan.bypassedFreeze).toBe(true);
    const warning = plan.warnings.find((w) => w.startsWith("freeze bypassed"))!;
    expectQuoted(warning);
    expectQuoted(
      renderReply({
        outcome: "applied",
        actor: "alice",
        command: parseCommand(text) as ActionCommand,
        plan,
      }),
    );
  });

  test("freezing a frozen environment", () => {
    const plan = frozenRepo("production").plan("/promptgate freeze production");
    if (plan.kind !== "noop") throw new Error(JSON.stringify(plan));
    expectQuoted(plan.message);
  });
});

describe("promote along rollout.order", () => {
  function stagedRepo(): Repo {
    const repo = startingRepo();
    repo.edit("staging v5", (e) => {
      e.environments.staging!.prompts["support-answer"] = pin("v5", MINI);
      e.environments.staging!.prompts.title = pin("v2");
    });
    return repo;
  }

  test("staging to canary copies every pin", () => {
    const plan = change(stagedRepo().plan("/promote staging to canary --traffic 5"));
    expect(plan.changes).toEqual([
      {
        kind: "pin",
        env: "canary",
        prompt: "support-answer",
        before: pin("v3", MINI),
        after: pin("v5", MINI),
      },
      { kind: "pin", env: "canary", prompt: "title", before: null, after: pin("v2") },
      { kind: "traffic", env: "canary", before: 0, after: 5 },
    ]);
    expect(plan.summary).toBe(
      "promptgate(canary): promote support-answer v3 → v5, title v2 (new), canary traffic 0% → 5% from staging",
    );
    expect(plan.warnings).toEqual([
      "canary serves 5% of production requests: the new pins are live for them now",
    ]);
  });

  test("one prompt only, and canary at 0% gets a hint to start it", () => {
    const plan = change(stagedRepo().plan("/promote staging to canary title"));
    expect(plan.changes).toEqual([
      { kind: "pin", env: "canary", prompt: "title", before: null, after: pin("v2") },
    ]);
    expect(plan.warnings).toEqual([
      "canary serves no traffic: `/promote canary --traffic 5` starts it",
    ]);
  });

  test("canary to production sets canary traffic to 0", () => {
    const repo = stagedRepo();
    repo.run("/promote staging to canary --traffic 20");
    const plan = change(repo.plan("/promote canary to production"));
    expect(plan.changes).toEqual([
      {
        kind: "pin",
        env: "production",
        prompt: "support-answer",
        before: pin("v3", MINI),
        after: pin("v5", MINI),
      },
      { kind: "pin", env: "production", prompt: "title", before: null, after: pin("v2") },
      { kind: "traffic", env: "canary", before: 20, after: 0 },
    ]);
    expect(plan.summary).toBe(
      "promptgate(production): promote support-answer v3 → v5, title v2 (new) from canary; canary traffic 20% → 0%",
    );
    expect(plan.next.environments.canary!.traffic).toBe(0);
    expect(listTouchedEnvironments(plan)).toEqual(["production", "canary"]);
  });

  test("skipping a stage is refused unless --force-order", () => {
    const repo = stagedRepo();
    expect(repo.plan("/promote staging to production")).toEqual({
      kind: "refused",
      code: "order",
      reason:
        "staging → production skips `canary` in rollout.order (staging → canary → production)",
      hint: "promote to the next stage with `/promote staging to canary`, or an admin can add `--force-order`",
    });
    const forced = change(repo.plan("/promote staging to production --force-order"));
    expect(forced.warnings[0]).toContain("order overridden with `--force-order`");
    expect(pinsOf(forced, "production")["support-answer"]).toEqual(pin("v5", MINI));
  });

  test("backwards is out of order too", () => {
    expect(stagedRepo().plan("/promote production to canary")).toMatchObject({
      code: "order",
      reason: expect.stringContaining("canary comes before production"),
    });
  });

  test("a freeze of the target blocks promote", () => {
    const repo = stagedRepo();
    repo.run('/promptgate freeze canary --reason "holiday"', "carol");
    const plan = repo.plan("/promote staging to canary");
    expect(plan).toMatchObject({ kind: "refused", code: "frozen" });
    if (plan.kind !== "refused") return;
    expect(plan.reason).toBe(
      "canary is frozen by @carol since 2025-02-01T03:00:00.000Z (`holiday`): promotions wait until it is lifted",
    );
    expect(plan.hint).toContain("`/promptgate unfreeze canary`");
  });

  test("already there is a no-op", () => {
    const repo = startingRepo();
    expect(repo.plan("/promote staging to canary")).toEqual({
      kind: "noop",
      action: "promote",
      env: "canary",
      message: `canary is already on support-answer@v3+${MINI}`,
    });
  });

  test("a source pin whose file is gone refuses", () => {
    const repo = startingRepo();
    repo.edit("staging pins a deleted file", (e) => {
      e.environments.staging!.prompts["support-answer"] = pin("v0");
    });
    expect(repo.plan("/promote staging to canary")).toMatchObject({ code: "unknown-version" });
  });

  test("unknown environments and prompts", () => {
    const repo = stagedRepo();
    expect(repo.plan("/promote staging to qa")).toMatchObject({ code: "unknown-env" });
    expect(repo.plan("/promote staging to canary nope")).toMatchObject({ code: "unknown-prompt" });
  });
});

describe("freeze and unfreeze", () => {
  test("freeze records who, why and since when; unfreeze removes it", () => {
    const repo = startingRepo();
    const freeze = change(
      repo.run('/promptgate freeze production --reason "incident 42"', "carol"),
    );
    expect(freeze.next.freezes).toEqual({
      production: { by: "carol", reason: "incident 42", since: "2025-02-01T03:00:00.000Z" },
    });
    expect(freeze.summary).toBe("promptgate(production): freeze");
    expect(repo.plan("/promptgate freeze production")).toMatchObject({ kind: "noop" });
    const unfreeze = change(repo.run("/promptgate unfreeze production"));
    expect(unfreeze.next.freezes).toEqual({});
    expect(repo.plan("/promptgate unfreeze production")).toEqual({
      kind: "noop",
      action: "unfreeze",
      env: "production",
      message: "production is not frozen",
    });
  });
});

describe("eval gates", () => {
  function promotion(): ChangePlan {
    const repo = startingRepo();
    repo.edit("staging v5", (e) => {
      e.environments.staging!.prompts["support-answer"] = pin("v5", MINI);
    });
    return change(repo.plan("/promote staging to canary"));
  }

  test("the versions a promotion puts live", () => {
    expect(listGatedVersions(promotion())).toEqual([{ prompt: "support-answer", version: "v5" }]);
  });

  test("fails closed on failure, pending and missing; --force overrides and says so", () => {
    const plan = promotion();
    expect(applyGateResults(plan, { "support-answer@v5": "success" }, false)).toBe(plan);
    for (const state of ["failure", "pending", "error"] as const) {
      expect(applyGateResults(plan, { "support-answer@v5": state }, false)).toMatchObject({
        kind: "refused",
        code: "gate",
        reason: `no passing eval gate for support-answer@v5 (${state}) on the commit that introduced it`,
      });
    }
    expect(applyGateResults(plan, {}, false)).toMatchObject({
      reason: expect.stringContaining("(missing)"),
    });
    // A run still going is waited for, not fixed.
    const pending = applyGateResults(plan, { "support-answer@v5": "pending" }, false, {
      "support-answer@v5": "https://example.test/runs/7",
    });
    expect(pending).toMatchObject({
      hint: "wait for the run (https://example.test/runs/7) to finish, then run the command again",
    });
    expect(applyGateResults(plan, { "support-answer@v5": "failure" }, false)).toMatchObject({
      hint: expect.stringMatching(/^fix and re-run the eval/),
    });
    const forced = applyGateResults(plan, { "support-answer@v5": "failure" }, true);
    expect(forced).toMatchObject({ kind: "change", forcedGates: ["support-answer@v5 (failure)"] });
  });

  test("each fallback the promoted pin will have is a gate of its own; base-url ones are not run", () => {
    const repo = startingRepo();
    repo.edit("staging v5 with fallbacks, canary with its own", (e) => {
      e.environments.staging!.prompts["support-answer"] = {
        ...pin("v5", MINI),
        fallback: [{ model: "gpt-4.1-mini" }],
      };
      e.environments.canary!.prompts["support-answer"] = {
        ...pin("v4", MINI),
        fallback: [
          { model: "gpt-4o-2024-08-06" },
          { model: "gpt-4.1-mini", "base-url": "https://eu.llm.example.com/v1" },
        ],
      };
    });
    const plan = change(repo.plan("/promote staging to canary"));
    // Canary keeps its own fallbacks (yaml-edit.ts): those are the targets v5 goes live on.
    expect(listGatedFallbacks(plan)).toEqual([
      { prompt: "support-answer", version: "v5", model: "gpt-4o-2024-08-06" },
    ]);
    const versionOnly = { "support-answer@v5": "success" } as const;
    expect(applyGateResults(plan, versionOnly, false)).toMatchObject({
      kind: "refused",
      code: "gate",
      reason:
        "no passing eval gate for support-answer@v5 on gpt-4o-2024-08-06 (missing): the version on a fallback model the target environment would fail over to",
      hint: expect.stringContaining("the pull request that adds it to a pin of that version"),
    });
    const both = { ...versionOnly, "support-answer@v5 on gpt-4o-2024-08-06": "success" } as const;
    expect(applyGateResults(plan, both, false)).toBe(plan);
    expect(applyGateResults(plan, versionOnly, true)).toMatchObject({
      kind: "change",
      forcedGates: ["support-answer@v5 on gpt-4o-2024-08-06 (missing)"],
    });
    // A new pin brings its source's fallbacks.
    const fresh = startingRepo();
    fresh.edit("staging v5 with a fallback, canary without the prompt", (e) => {
      e.environments.staging!.prompts["support-answer"] = {
        ...pin("v5", MINI),
        fallback: [{ model: "gpt-4.1-mini" }],
      };
      delete e.environments.canary!.prompts["support-answer"];
    });
    expect(listGatedFallbacks(change(fresh.plan("/promote staging to canary")))).toEqual([
      { prompt: "support-answer", version: "v5", model: "gpt-4.1-mini" },
    ]);
  });

  test("a rollback is never gated", () => {
    const repo = startingRepo();
    deploy(repo, "v4");
    const plan = change(repo.plan("/rollback production"));
    expect(listGatedVersions(plan)).toEqual([]);
    expect(applyGateResults(plan, {}, false)).toBe(plan);
  });
});

describe("compare-and-swap helpers", () => {
  test("isSameState looks only at the environments a plan touches", () => {
    const repo = startingRepo();
    const before = structuredClone(repo.envs);
    deploy(repo, "v4");
    expect(isSameState(before, repo.envs, ["production"])).toBe(false);
    expect(isSameState(before, repo.envs, ["staging", "canary"])).toBe(true);
    repo.run("/promote canary --traffic 5");
    expect(isSameState(before, repo.envs, ["canary"])).toBe(false);
  });

  test("findCommandCommit finds the commit a comment already made", () => {
    const repo = startingRepo();
    deploy(repo, "v4");
    repo.run("/rollback production");
    const id = repo.history[0]!.trailers["Promptgate-Comment-Id"]!;
    expect(findCommandCommit(repo.history, Number(id))).toBe(repo.history[0]);
    expect(findCommandCommit(repo.history, 1)).toBeUndefined();
  });
});
