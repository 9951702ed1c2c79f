/**
 * `promptgate rollback|promote|status` on a local checkout: the bot's transitions, the same commit
 * message and trailers, committed with git (never pushed).
 */
import { afterEach, describe, expect, it } from "vitest";
import { promoteCommand, rollbackCommand, statusCommand } from "../../src/cli/commands/rollout.js";
import type { Command } from "../../src/cli/io.js";
import { registerCommand } from "../../src/cli/main.js";
import { environmentsYaml, gitLog, SETTINGS, VERSIONS } from "../support/bot-harness.js";
import { createGitRepo, type GitRepo } from "../support/helpers/git-repo.js";
import { runCliCaptured } from "../support/helpers/run-cli.js";

const repos: GitRepo[] = [];

afterEach(async () => {
  await Promise.all(repos.splice(0).map((r) => r.remove()));
});

async function checkout(): Promise<GitRepo> {
  const repo = await createGitRepo();
  repos.push(repo);
  const prompts = Object.fromEntries(
    VERSIONS.map((v) => [
      `prompts/support-answer/${v}.prompt`,
      `---\nmodel: gpt-4o-mini-2024-07-18\n---\n${v}\n`,
    ]),
  );
  await repo.commit("prompts", prompts);
  await repo.commit("Put support-answer v3 live", {
    "promptgate.yaml": SETTINGS,
    "environments.yaml": environmentsYaml({ production: "v3" }),
  });
  await repo.commit("Ship support-answer v4", {
    "environments.yaml": environmentsYaml({ production: "v4" }),
  });
  return repo;
}

function run(command: Command, argv: string[], cwd: string) {
  // Through main.ts, the CLI's error boundary, for its exit codes and messages.
  return runCliCaptured([command.name, ...argv], { cwd });
}

for (const c of [rollbackCommand, promoteCommand, statusCommand]) registerCommand(c);

describe("promptgate rollback", () => {
  it("commits the same change, message and trailers as the bot", async () => {
    const repo = await checkout();
    const v4 = (await repo.git("rev-parse", "HEAD")).trim();
    const res = await run(
      rollbackCommand,
      ["production", "--reason", "answers quote the wrong policy", "--actor", "alice"],
      repo.root,
    );
    expect(res.code).toBe(0);
    expect(res.out).toContain("promptgate(production): rollback support-answer v4 → v3");
    const sha = (await repo.git("rev-parse", "--short=7", "HEAD")).trim();
    // Said in the CLI's words: the commit is local, and how to put it back.
    expect(res.out).toContain(`committed locally at ${sha}; push to apply`);
    expect(res.out).toMatch(
      /^to undo: promptgate rollback production to support-answer@v4\+gpt-4o-2024-08-06$/m,
    );
    const [head] = await gitLog(repo.root);
    expect(head!.subject).toBe("promptgate(production): rollback support-answer v4 → v3");
    expect(head!.body).toContain("Requested by @alice");
    expect(head!.trailers).toEqual({
      "Promptgate-Action": "rollback",
      "Promptgate-Env": "production",
      "Promptgate-Actor": "alice",
      "Promptgate-Reason": "answers quote the wrong policy",
      "Promptgate-Rolls-Back": v4,
    });
    expect(await repo.git("show", "HEAD:environments.yaml")).toBe(
      environmentsYaml({ production: "v3" }),
    );
    expect((await repo.git("status", "--porcelain")).trim()).toBe("");
  });

  it("skips what was rolled back from, as the bot does", async () => {
    const repo = await checkout();
    expect((await run(rollbackCommand, ["production", "--actor", "a"], repo.root)).code).toBe(0);
    await repo.commit("Ship v5", { "environments.yaml": environmentsYaml({ production: "v5" }) });
    expect((await run(rollbackCommand, ["production", "--actor", "a"], repo.root)).code).toBe(0);
    expect(await repo.git("show", "HEAD:environments.yaml")).toBe(
      environmentsYaml({ production: "v3" }),
    );
    const third = await run(rollbackCommand, ["production", "--actor", "a"], repo.root);
    expect(third.code).toBe(1);
    expect(third.err).toContain("rolled back in");
    // The hint names the CLI's command, not the bot's slash command.
    expect(third.err).toContain("`promptgate rollback production <prompt> to <version>`");
    expect(third.err).not.toContain("`/rollback");
  });

  it("records git's user.name as a name, never as an @mention", async () => {
    const repo = await checkout();
    expect((await run(rollbackCommand, ["production"], repo.root)).code).toBe(0);
    const [head] = await gitLog(repo.root);
    expect(head!.body).toContain("Requested by Promptgate Tests");
    expect(head!.body).not.toContain("@Promptgate");
    expect(head!.trailers["Promptgate-Actor"]).toBe("Promptgate Tests");
  });

  it("--dry-run commits nothing; a dirty environments.yaml is refused", async () => {
    const repo = await checkout();
    const before = await gitLog(repo.root);
    const dry = await run(rollbackCommand, ["production", "--dry-run"], repo.root);
    expect(dry.code).toBe(0);
    expect(dry.out).toContain(
      "would commit: promptgate(production): rollback support-answer v4 → v3",
    );
    expect(await gitLog(repo.root)).toEqual(before);

    await repo.write({ "environments.yaml": `${environmentsYaml({ production: "v4" })}# wip\n` });
    const dirty = await run(rollbackCommand, ["production"], repo.root);
    expect(dirty.code).toBe(2);
    expect(dirty.err).toContain("environments.yaml has uncommitted changes");
    expect(await gitLog(repo.root)).toEqual(before);
  });

  it("speaks the bot's grammar, with its suggestions", async () => {
    const repo = await checkout();
    const res = await run(rollbackCommand, ["production", "--dryrun"], repo.root);
    expect(res.code).toBe(2);
    expect(res.err).toContain("unknown option `--dryrun`");
    expect(res.err).toContain("--dry-run");
  });
});

describe("promptgate promote", () => {
  it("needs --force, since a checkout cannot see the eval gates, and records it", async () => {
    const repo = await checkout();
    const refused = await run(promoteCommand, ["staging", "to", "canary"], repo.root);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain("cannot see the eval gates");

    const forced = await run(
      promoteCommand,
      ["staging", "to", "canary", "--force", "--actor", "bob"],
      repo.root,
    );
    expect(forced.code).toBe(0);
    const [head] = await gitLog(repo.root);
    expect(head!.subject).toBe("promptgate(canary): promote support-answer v5 → v6 from staging");
    expect(head!.body).toContain("Eval gate overridden with --force: support-answer@v6 (missing)");
    expect(head!.trailers).toMatchObject({
      "Promptgate-Action": "promote",
      "Promptgate-Env": "canary",
    });
  });

  it("ramps canary traffic without gates", async () => {
    const repo = await checkout();
    expect(
      (await run(promoteCommand, ["canary", "--traffic", "25", "--actor", "c"], repo.root)).code,
    ).toBe(0);
    expect(await repo.git("show", "HEAD:environments.yaml")).toBe(
      environmentsYaml({ canaryTraffic: 25 }),
    );
    const [head] = await gitLog(repo.root);
    expect(head!.subject).toBe("promptgate(canary): traffic 0% → 25%");
  });
});

describe("promptgate status", () => {
  it("prints what each environment pins", async () => {
    const repo = await checkout();
    const res = await run(statusCommand, [], repo.root);
    expect(res.code).toBe(0);
    expect(res.out).toMatch(/production +support-answer +v4 +gpt-4o-2024-08-06/);
    const v4 = (await repo.git("rev-parse", "--short=7", "HEAD")).trim();
    expect(res.out).toMatch(
      new RegExp(
        `^production: since \\S+, by Promptgate Tests, commit ${v4} \\(Ship support-answer v4\\)$`,
        "m",
      ),
    );
    const json = await run(statusCommand, ["canary", "--json"], repo.root);
    expect(JSON.parse(json.out)).toEqual({
      environments: {
        canary: {
          traffic: 0,
          prompts: { "support-answer": { version: "v5", model: "gpt-4o-mini-2024-07-18" } },
        },
      },
      freezes: {},
    });
  });
});
