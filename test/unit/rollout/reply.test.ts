import { describe, expect, test } from "vitest";
import type { Environments, Pin } from "../../../src/formats/environments.js";
import { parseSettings } from "../../../src/formats/settings.js";
import { type ActionCommand, parseCommand } from "../../../src/rollout/command.js";
import type { HistoryEntry } from "../../../src/rollout/history.js";
import { decidePermission } from "../../../src/rollout/permissions.js";
import { type Plan, planCommand } from "../../../src/rollout/plan.js";
import {
  parseReplyResult,
  type ReplyResult,
  renderHelp,
  renderReply,
  renderStatus,
} from "../../../src/rollout/reply.js";

const settings = parseSettings(`
version: 1
rollout:
  order: [staging, canary, production]
  rules:
    rollback: { min-role: write, teams: [oncall] }
    promote-production: { min-role: maintain, teams: [ml-release] }
`);

const MINI = "gpt-4o-mini-2024-07-18";
const BIG = "gpt-4o-2024-08-06";
const pin = (version: string, model?: string): Pin => (model ? { version, model } : { version });

function state(production: Pin, canary: Pin, traffic: number, frozen = false): Environments {
  return {
    environments: {
      staging: { prompts: { "support-answer": pin("v6", MINI) } },
      canary: { traffic, prompts: { "support-answer": canary } },
      production: { prompts: { "support-answer": production } },
    },
    freezes: frozen
      ? { production: { by: "carol", reason: "incident 42", since: "2025-01-31T00:00:00Z" } }
      : {},
  };
}

const entry = (
  sha: string,
  envs: Environments,
  subject: string,
  trailers: Record<string, string> = {},
): HistoryEntry => ({
  sha: sha.padEnd(40, "0"),
  environments: envs,
  trailers,
  author: "bob",
  date: "2025-01-01T00:00:00Z",
  subject,
});

// Newest first: v3 good; v4 then v5 deployed; v5 rolled back to v4, which is bad too; canary
// serves v4 at 10%; production frozen during the incident.
const history: HistoryEntry[] = [
  entry(
    "c4c4c4c",
    state(pin("v4", BIG), pin("v4", BIG), 10, true),
    "promptgate(production): rollback support-answer v5 → v4",
    { "Promptgate-Rolls-Back": "c3c3c3c" },
  ),
  entry("c3c3c3c", state(pin("v5", BIG), pin("v4", BIG), 10), "deploy v5"),
  entry("c2c2c2c", state(pin("v4", BIG), pin("v4", BIG), 10), "deploy v4"),
  entry("c1c1c1c", state(pin("v3", BIG), pin("v3", BIG), 0), "initial"),
];
const current = history[0]!.environments;
const available = new Map([["support-answer", ["v1", "v2", "v3", "v4", "v5", "v6"]]]);

function plan(text: string, envs: Environments = current): { command: ActionCommand; plan: Plan } {
  const command = parseCommand(text) as ActionCommand;
  return {
    command,
    plan: planCommand({
      command,
      environments: envs,
      settings,
      history,
      availableVersions: available,
      actor: "alice",
      now: "2025-02-01T03:00:00Z",
    }),
  };
}

function reply(result: ReplyResult): string {
  const body = renderReply(result);
  // Quoting or copying the reply must never trigger the bot.
  expect(parseCommand(body)).toEqual({ kind: "none" });
  for (const line of body.split("\n")) expect(parseCommand(line)).toEqual({ kind: "none" });
  expect(parseReplyResult(body)).toMatchObject({ v: 1, outcome: result.outcome });
  return body;
}

describe("renderReply", () => {
  test("applied rollback: table, reason, commit, deployment, skipped, warnings", () => {
    const { command, plan: p } = plan('/rollback production --reason "v5 promises refunds"');
    if (p.kind !== "change") throw new Error(JSON.stringify(p));
    const body = reply({
      outcome: "applied",
      actor: "alice",
      command,
      plan: p,
      commit: { sha: "d".repeat(40), url: "https://github.com/acme/app/commit/dddd" },
      deployments: [
        { env: "production", url: "https://github.com/acme/app/deployments/promptgate-production" },
      ],
    });
    expect(body).toMatchInlineSnapshot(`
      "@alice rolled back **production**.

      | Environment | Prompt         | Version | Model             | Traffic |
      | ----------- | -------------- | ------- | ----------------- | ------- |
      | production  | support-answer | v4 → v3 | gpt-4o-2024-08-06 | —       |

      - **Reason:** \`v5 promises refunds\`
      - **Commit:** [\`ddddddd\`](https://github.com/acme/app/commit/dddd) — rollback support-answer v4 → v3
      - **Deployment:** [promptgate-production](https://github.com/acme/app/deployments/promptgate-production)

      Skipped on the way back:
      - \`support-answer@v5+gpt-4o-2024-08-06\` (at \`c3c3c3c\`): rolled back in c4c4c4c

      Warnings:
      - freeze bypassed: production is frozen by @carol since 2025-01-31T00:00:00Z (\`incident 42\`), and a freeze never blocks a rollback
      - canary still serves support-answer@v4+gpt-4o-2024-08-06 at 10%: \`/rollback canary\` stops it

      **To undo:** \`/rollback production to support-answer@v4+gpt-4o-2024-08-06\`.

      <!-- promptgate:result {"v":1,"outcome":"applied","actor":"alice","action":"rollback","env":"production","changes":[{"kind":"pin","env":"production","prompt":"support-answer","before":{"version":"v4","model":"gpt-4o-2024-08-06"},"after":{"version":"v3","model":"gpt-4o-2024-08-06"}}],"commit":"dddddddddddddddddddddddddddddddddddddddd","rollsBack":"c4c4c4c000000000000000000000000000000000","skipped":[{"value":"support-answer@v5+gpt-4o-2024-08-06","sha":"c3c3c3c000000000000000000000000000000000","why":"rolled back in c4c4c4c"}],"warnings":["freeze bypassed: production is frozen by @carol since 2025-01-31T00:00:00Z (\`incident 42\`), and a freeze never blocks a rollback","canary still serves support-answer@v4+gpt-4o-2024-08-06 at 10%: \`/rollback canary\` stops it"]} -->"
    `);
    expect(parseReplyResult(body)).toMatchObject({
      action: "rollback",
      env: "production",
      commit: "d".repeat(40),
      rollsBack: "c4c4c4c".padEnd(40, "0"),
    });
  });

  test("dry run says would and commits nothing", () => {
    // Production unfrozen: a production freeze would refuse growing canary's share to 20%.
    const { command, plan: p } = plan(
      "/promote staging to canary --traffic 20 --dry-run",
      state(pin("v4", BIG), pin("v4", BIG), 10),
    );
    if (p.kind !== "change") throw new Error(JSON.stringify(p));
    expect(reply({ outcome: "dry-run", actor: "alice", command, plan: p })).toMatchInlineSnapshot(`
      "**Dry run:** @alice would promote **staging** to **canary**. Nothing was committed.

      | Environment | Prompt         | Version | Model                                      | Traffic   |
      | ----------- | -------------- | ------- | ------------------------------------------ | --------- |
      | canary      | support-answer | v4 → v6 | gpt-4o-2024-08-06 → gpt-4o-mini-2024-07-18 | 10% → 20% |

      Warnings:
      - canary serves 20% of production requests: the new pins are live for them now

      Run it without \`--dry-run\` to apply.

      <!-- promptgate:result {"v":1,"outcome":"dry-run","actor":"alice","action":"promote","env":"canary","changes":[{"kind":"pin","env":"canary","prompt":"support-answer","before":{"version":"v4","model":"gpt-4o-2024-08-06"},"after":{"version":"v6","model":"gpt-4o-mini-2024-07-18"}},{"kind":"traffic","env":"canary","before":10,"after":20}],"skipped":[],"warnings":["canary serves 20% of production requests: the new pins are live for them now"]} -->"
    `);
  });

  test("canary ramp (down: production is frozen, so its canary share may only shrink)", () => {
    const { command, plan: p } = plan("/promote canary --traffic 5");
    if (p.kind !== "change") throw new Error(JSON.stringify(p));
    expect(
      reply({
        outcome: "applied",
        actor: "alice",
        command,
        plan: p,
        commit: { sha: "e".repeat(40) },
      }),
    ).toMatchInlineSnapshot(`
      "@alice set **canary** traffic to 5%.

      | Environment | Prompt      | Version   | Model     | Traffic  |
      | ----------- | ----------- | --------- | --------- | -------- |
      | canary      | all prompts | unchanged | unchanged | 10% → 5% |

      - **Commit:** \`eeeeeee\` — traffic 10% → 5%

      Warnings:
      - canary pins the same versions as production: the split changes nothing users see

      **To undo:** \`/promote canary --traffic 10\`.

      <!-- promptgate:result {"v":1,"outcome":"applied","actor":"alice","action":"traffic","env":"canary","changes":[{"kind":"traffic","env":"canary","before":10,"after":5}],"commit":"eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee","skipped":[],"warnings":["canary pins the same versions as production: the split changes nothing users see"]} -->"
    `);
  });

  test("no-op", () => {
    const { command, plan: p } = plan("/rollback production to v4");
    if (p.kind !== "noop") throw new Error(JSON.stringify(p));
    expect(reply({ outcome: "noop", actor: "alice", command, plan: p })).toMatchInlineSnapshot(`
      "@alice: production is already on support-answer@v4+gpt-4o-2024-08-06. Nothing to change.

      <!-- promptgate:result {"v":1,"outcome":"noop","actor":"alice","action":"rollback","env":"production","message":"production is already on support-answer@v4+gpt-4o-2024-08-06"} -->"
    `);
  });

  test("a rollback to a value never held points to /promote and lists what it may go back to", () => {
    const r = plan("/rollback production to v6");
    if (r.plan.kind !== "refused") throw new Error(JSON.stringify(r.plan));
    const body = reply({ outcome: "refused", actor: "alice", command: r.command, plan: r.plan });
    expect(body).toContain(
      "**Not applied:** production never served `support-answer@v6` according to the history of environments.yaml: a rollback only returns production to a value it held before.",
    );
    expect(body).toContain(
      "Hint: to put a new value live, promote it: `/promote canary to production support-answer` puts canary's `v4+gpt-4o-2024-08-06` live, checking its eval gate; production can roll back to `v3+gpt-4o-2024-08-06`",
    );
    expect(parseReplyResult(body)).toMatchObject({ outcome: "refused", code: "never-held" });
  });

  test("refusals explain and show usage", () => {
    const unknownEnv = plan("/rollback prod");
    const unknownVersion = plan("/rollback production to v9");
    const order = plan("/promote staging to production");
    for (const r of [unknownEnv, unknownVersion, order]) {
      if (r.plan.kind !== "refused") throw new Error(JSON.stringify(r.plan));
    }
    const render = (r: typeof unknownEnv) =>
      reply({
        outcome: "refused",
        actor: "alice",
        command: r.command,
        plan: r.plan as Extract<Plan, { kind: "refused" }>,
      });
    expect(render(unknownEnv)).toMatchInlineSnapshot(`
      "**Not applied:** there is no environment \`prod\`; the environments are \`staging\`, \`canary\`, \`production\`.

      Hint: did you mean \`production\`?

      Usage:
      - \`/rollback <env> [<prompt>] [to previous | to <version> | to @<sha>] [--dry-run] [--reason "…"]\`

      <!-- promptgate:result {"v":1,"outcome":"refused","actor":"alice","code":"unknown-env","reason":"there is no environment \`prod\`; the environments are \`staging\`, \`canary\`, \`production\`"} -->"
    `);
    expect(render(unknownVersion)).toMatchInlineSnapshot(`
      "**Not applied:** \`support-answer@v9\` does not exist in prompts/support-answer/; recent good values in production: \`v3+gpt-4o-2024-08-06\`.

      Usage:
      - \`/rollback <env> [<prompt>] [to previous | to <version> | to @<sha>] [--dry-run] [--reason "…"]\`

      <!-- promptgate:result {"v":1,"outcome":"refused","actor":"alice","code":"unknown-version","reason":"\`support-answer@v9\` does not exist in prompts/support-answer/; recent good values in production: \`v3+gpt-4o-2024-08-06\`"} -->"
    `);
    expect(render(order)).toMatchInlineSnapshot(`
      "**Not applied:** staging → production skips \`canary\` in rollout.order (staging → canary → production).

      Hint: promote to the next stage with \`/promote staging to canary\`, or an admin can add \`--force-order\`

      Usage:
      - \`/promote <env> to <env> [<prompt>] [--traffic N] [--dry-run] [--reason "…"] [--force-order] [--force]\`
      - \`/promote canary --traffic N [--dry-run] [--reason "…"]\`

      <!-- promptgate:result {"v":1,"outcome":"refused","actor":"alice","code":"order","reason":"staging → production skips \`canary\` in rollout.order (staging → canary → production)"} -->"
    `);
  });

  test("invalid: near-miss verb and bad traffic", () => {
    const nearMiss = parseCommand("/rolback production");
    const traffic = parseCommand("/promote canary --traffic 150");
    if (nearMiss.kind !== "invalid" || traffic.kind !== "invalid")
      throw new Error("expected invalid");
    expect(reply({ outcome: "invalid", actor: "alice", command: nearMiss })).toMatchInlineSnapshot(`
      "**Not a valid command:** \`/rolback\` is not a promptgate command. Did you mean \`/rollback\`?

      Usage:
      - \`/rollback <env> [<prompt>] [to previous | to <version> | to @<sha>] [--dry-run] [--reason "…"]\`

      <!-- promptgate:result {"v":1,"outcome":"invalid","actor":"alice","message":"\`/rolback\` is not a promptgate command","suggestion":"/rollback"} -->"
    `);
    expect(reply({ outcome: "invalid", actor: "alice", command: traffic })).toMatchInlineSnapshot(`
      "**Not a valid command:** \`--traffic 150\` is outside the range 0 to 100.

      Usage:
      - \`/promote <env> to <env> [<prompt>] [--traffic N] [--dry-run] [--reason "…"] [--force-order] [--force]\`
      - \`/promote canary --traffic N [--dry-run] [--reason "…"]\`

      <!-- promptgate:result {"v":1,"outcome":"invalid","actor":"alice","message":"\`--traffic 150\` is outside the range 0 to 100"} -->"
    `);
  });

  test("denied names the role needed and seen", () => {
    const command = parseCommand("/promote canary to production") as ActionCommand;
    const decision = decidePermission({ command, settings, role: "write", teams: [] });
    if (decision.allowed) throw new Error("expected a refusal");
    expect(reply({ outcome: "denied", actor: "bob", command, decision })).toMatchInlineSnapshot(`
      "**Not allowed:** @bob, promote to production needs the maintain role or membership of team ml-release; you have the write role. Nothing was changed.

      Needed: the maintain role or membership of team ml-release. Seen: the write role.

      <!-- promptgate:result {"v":1,"outcome":"denied","actor":"bob","needed":"the maintain role or membership of team ml-release","seen":"the write role"} -->"
    `);
  });

  test("conflict and API failure", () => {
    const command = parseCommand("/rollback production") as ActionCommand;
    const moved = entry(
      "abcdef1",
      state(pin("v11"), pin("v5", BIG), 10),
      "promptgate(production): promote",
      {
        "Promptgate-Actor": "bob",
        "Promptgate-Comment-Url": "https://github.com/acme/app/pull/123#issuecomment-9",
      },
    );
    expect(
      reply({ outcome: "conflict", actor: "alice", command, env: "production", entry: moved }),
    ).toMatchInlineSnapshot(`
      "**Not applied:** production changed while your command ran (now support-answer@v11, by @bob in #123, commit abcdef1); nothing was applied.

      Check the new state with \`/promptgate status\` and run \`/rollback production\` again if it still makes sense.

      <!-- promptgate:result {"v":1,"outcome":"conflict","actor":"alice","env":"production","sha":"abcdef1000000000000000000000000000000000"} -->"
    `);
    expect(
      reply({
        outcome: "failed",
        actor: "alice",
        command,
        error: "GitHub answered 502 Bad Gateway",
      }),
    ).toMatchInlineSnapshot(`
      "**Not applied:** GitHub answered 502 Bad Gateway. Nothing was changed; it is safe to retry.

      <!-- promptgate:result {"v":1,"outcome":"failed","actor":"alice","error":"GitHub answered 502 Bad Gateway"} -->"
    `);
  });

  test("user text cannot close the hidden line or mention people", () => {
    const { command, plan: p } = plan('/rollback production --reason "--> @everyone <b>"');
    if (p.kind !== "change") throw new Error(JSON.stringify(p));
    const body = reply({ outcome: "applied", actor: "alice", command, plan: p });
    expect(body).toContain("- **Reason:** `--> @everyone <b>`");
    const hidden = body.split("\n").at(-1)!;
    expect(hidden.indexOf("-->")).toBe(hidden.length - 3);
  });
});

describe("help and status from the live files", () => {
  test("help", () => {
    const body = renderHelp(settings);
    for (const line of body.split("\n")) expect(parseCommand(line)).toEqual({ kind: "none" });
    expect(body).toMatchInlineSnapshot(`
      "**promptgate** moves prompt versions between environments by editing \`environments.yaml\`, one commit per change. Write the command as the first line of a comment; quoted, indented or fenced commands are ignored.

      - \`/rollback <env> [<prompt>] [to previous | to <version> | to @<sha>] [--dry-run] [--reason "…"]\`: go back to the previous good value (skipping values that were rolled back), or to a value the environment held before, named by version or commit. Never blocked by the rollout order, eval gates or a freeze. \`/rollback canary\` sets canary traffic to 0 and keeps its pins.
      - \`/promote <env> to <env> [<prompt>] [--traffic N] [--dry-run] [--reason "…"] [--force-order] [--force]\`: copy the pins of one environment to the next one in the rollout order (staging → canary → production); the eval gate of each version must have passed.
      - \`/promote canary --traffic N [--dry-run] [--reason "…"]\`: the share of production requests canary serves, an integer from 0 to 100.
      - \`/promptgate status [<env>]\`: what each environment pins now.
      - \`/promptgate freeze <env> [--reason "…"]\`, \`/promptgate unfreeze <env>\`: stop and allow promotions.
      - \`/promptgate help\`: this message.

      Add \`--dry-run\` to see what would change without committing.

      Who may run them (\`promptgate.yaml\` on the default branch):
      - rollback: write role or above, or team oncall
      - promote: write role or above
      - promote to production: maintain role or above, or team ml-release
      - freeze and unfreeze: maintain role or above
      - \`--force\` (skip eval gates) and \`--force-order\`: admin role
      - help and status: anyone who can comment

      <!-- promptgate:result {"v":1,"outcome":"help"} -->"
    `);
  });

  test("status of all, of one, of an unknown environment", () => {
    const frozen: Environments = {
      ...current,
      freezes: {
        production: { by: "carol", reason: "incident 42", since: "2025-02-01T03:00:00Z" },
      },
    };
    expect(renderStatus(frozen)).toMatchInlineSnapshot(`
      "**Status of every environment**

      | Environment | Prompt         | Version | Model                  | Traffic |
      | ----------- | -------------- | ------- | ---------------------- | ------- |
      | staging     | support-answer | v6      | gpt-4o-mini-2024-07-18 | —       |
      | canary      | support-answer | v4      | gpt-4o-2024-08-06      | 10%     |
      | production  | support-answer | v4      | gpt-4o-2024-08-06      | —       |

      Frozen (promotions wait, rollbacks still work):
      - production: by @carol since 2025-02-01T03:00:00Z, \`incident 42\`

      <!-- promptgate:result {"v":1,"outcome":"status"} -->"
    `);
    expect(renderStatus(frozen, "canary")).toMatchInlineSnapshot(`
      "**Status of canary**

      | Environment | Prompt         | Version | Model             | Traffic |
      | ----------- | -------------- | ------- | ----------------- | ------- |
      | canary      | support-answer | v4      | gpt-4o-2024-08-06 | 10%     |

      <!-- promptgate:result {"v":1,"outcome":"status","env":"canary"} -->"
    `);
    expect(renderStatus(frozen, "qa")).toMatchInlineSnapshot(`
      "**Not a known environment:** \`qa\`; the environments are \`staging\`, \`canary\`, \`production\`.

      <!-- promptgate:result {"v":1,"outcome":"refused","code":"unknown-env"} -->"
    `);
  });
});
