import { describe, expect, test } from "vitest";
import { diffEnvironments } from "../../../src/compare/change-environments.js";
import type { Environments, Pin } from "../../../src/formats/environments.js";
import { type ActionCommand, parseCommand } from "../../../src/rollout/command.js";
import { UNSEEN_MARGIN_S } from "../../../src/rollout/conflicts.js";
import type { HistoryEntry } from "../../../src/rollout/history.js";
import {
  planLateReplyCheck,
  REPLY_GRACE_S,
  rebuildLateReply,
  toPinChanges,
} from "../../../src/rollout/late-reply.js";
import { renderReply } from "../../../src/rollout/reply.js";

const pin = (version: string, model?: string): Pin => (model ? { version, model } : { version });

function envs(production: Pin, canaryTraffic: number, frozen = false): Environments {
  return {
    environments: {
      canary: { traffic: canaryTraffic, prompts: { "support-answer": pin("v5") } },
      production: { prompts: { "support-answer": production } },
    },
    freezes: frozen
      ? { production: { by: "carol", reason: "incident 42", since: "2025-01-31T00:00:00Z" } }
      : {},
  };
}

const entry = (
  sha: string,
  environments: Environments,
  subject: string,
  trailers: Record<string, string> = {},
): HistoryEntry => ({
  sha: sha.padEnd(40, "0"),
  environments,
  trailers,
  author: "promptgate[bot]",
  date: "2025-03-01T12:00:00Z",
  subject,
});

describe("rebuildLateReply", () => {
  const rollback = entry(
    "c3c3c3c",
    envs(pin("v4"), 0),
    "promptgate(production): rollback support-answer v5 → v4",
    {
      "Promptgate-Action": "rollback",
      "Promptgate-Env": "production",
      "Promptgate-Rolls-Back": "c2c2c2c".padEnd(40, "0"),
    },
  );
  const history = [rollback, entry("c2c2c2c", envs(pin("v5"), 0), "deploy v5")];

  test("rebuilds the applied reply from the commit and its parent, saying it comes late", () => {
    const result = rebuildLateReply({
      command: parseCommand("/rollback production") as ActionCommand,
      commit: rollback,
      history,
      actor: "alice",
      repoUrl: "https://github.com/acme/prompts",
    });
    expect(result.plan).toMatchObject({
      action: "rollback",
      env: "production",
      rollsBack: "c2c2c2c".padEnd(40, "0"),
      summary: rollback.subject,
      changes: [
        {
          kind: "pin",
          env: "production",
          prompt: "support-answer",
          before: pin("v5"),
          after: pin("v4"),
        },
      ],
    });
    expect(result.commit).toEqual({
      sha: rollback.sha,
      url: `https://github.com/acme/prompts/commit/${rollback.sha}`,
    });
    const body = renderReply(result);
    expect(body).toContain("@alice rolled back **production**.");
    expect(body).toContain("this reply comes late: the change was committed in c3c3c3c");
  });

  test("without the trailers, the command says what was done; without a parent, no changes", () => {
    const bare = entry("d4d4d4d", envs(pin("v4"), 25), "hand-written subject");
    const result = rebuildLateReply({
      command: parseCommand("/promote canary --traffic 25") as ActionCommand,
      commit: bare,
      history: [bare],
      actor: "alice",
      repoUrl: undefined,
    });
    expect(result.plan).toMatchObject({ action: "traffic", env: "canary", changes: [] });
    expect(result.commit).toEqual({ sha: bare.sha });
  });
});

describe("toPinChanges", () => {
  test("pins, traffic and freezes as a plan states them; what no command does is left out", () => {
    const before = envs(pin("v5", "gpt-4o"), 10);
    const after = envs(pin("v4"), 0, true);
    after.environments.staging = { prompts: {} };
    delete after.environments.canary!.traffic;
    const changes = toPinChanges(diffEnvironments(before, after), before, after);
    expect(changes).toEqual([
      {
        kind: "pin",
        env: "production",
        prompt: "support-answer",
        before: pin("v5", "gpt-4o"),
        after: pin("v4"),
      },
      { kind: "freeze", env: "production", before: null, after: after.freezes.production },
    ]);
    const back = toPinChanges(diffEnvironments(after, before), after, before);
    expect(back).toContainEqual({ kind: "traffic", env: "canary", before: null, after: 10 });
    expect(back).toContainEqual({
      kind: "freeze",
      env: "production",
      before: after.freezes.production,
      after: null,
    });
  });
});

describe("planLateReplyCheck", () => {
  const committed = "2025-03-01T12:00:00Z";
  const ms = (s: number) => Date.parse(committed) + s * 1000;

  test("while another delivery may still be replying, it does not look", () => {
    expect(planLateReplyCheck({ commitDate: committed, now: ms(10), addedEyes: false })).toEqual({
      look: false,
    });
  });

  test("after the grace period, or when no other delivery is at work, it looks from the commit", () => {
    const since = new Date(ms(-UNSEEN_MARGIN_S)).toISOString().replace(/\.\d{3}Z$/, "Z");
    expect(
      planLateReplyCheck({ commitDate: committed, now: ms(REPLY_GRACE_S + 1), addedEyes: false }),
    ).toEqual({ look: true, since });
    expect(planLateReplyCheck({ commitDate: committed, now: ms(10), addedEyes: true })).toEqual({
      look: true,
      since,
    });
  });

  test("an unreadable commit date counts as recent, and the search has no lower bound", () => {
    expect(planLateReplyCheck({ commitDate: "", now: ms(9999), addedEyes: false })).toEqual({
      look: false,
    });
    expect(planLateReplyCheck({ commitDate: "", now: ms(9999), addedEyes: true })).toEqual({
      look: true,
    });
  });
});
