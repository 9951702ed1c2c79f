import { describe, expect, test } from "vitest";
import type { Environments, Pin } from "../../../src/formats/environments.js";
import { type ActionCommand, parseCommand } from "../../../src/rollout/command.js";
import {
  FUTURE_DATE_TOLERANCE_S,
  findChangeSince,
  findLastChange,
  listChangedEnvironments,
  UNSEEN_MARGIN_S,
} from "../../../src/rollout/conflicts.js";
import type { HistoryEntry } from "../../../src/rollout/history.js";

const pin = (version: string): Pin => ({ version });

function envs(production: string, canaryTraffic = 0, frozen = false): Environments {
  return {
    environments: {
      canary: { traffic: canaryTraffic, prompts: { "support-answer": pin("v9") } },
      production: { prompts: { "support-answer": pin(production) } },
    },
    freezes: frozen ? { production: { by: "carol", reason: "incident", since: "x" } } : {},
  };
}

const entry = (sha: string, environments: Environments, date: string): HistoryEntry => ({
  sha: sha.padEnd(40, "0"),
  environments,
  trailers: {},
  author: "bob",
  date,
  subject: `commit ${sha}`,
});

const command = (text: string) => parseCommand(text) as ActionCommand;
const POSTED = "2025-03-01T12:00:00Z";
const at = (offsetS: number) => new Date(Date.parse(POSTED) + offsetS * 1000).toISOString();
const HANDLED = Date.parse(POSTED) + 30_000;

describe("listChangedEnvironments", () => {
  test("names what a command makes serve differently; a freeze serves the same", () => {
    expect(listChangedEnvironments(command("/rollback production"))).toEqual(["production"]);
    expect(listChangedEnvironments(command("/promote staging to production"))).toEqual([
      "production",
    ]);
    expect(listChangedEnvironments(command("/promote canary --traffic 5"))).toEqual(["canary"]);
    expect(listChangedEnvironments(command("/promptgate freeze production"))).toEqual([]);
  });
});

describe("findChangeSince", () => {
  const envNames = ["production"];

  test("a change dated after the command was posted is one its author never saw", () => {
    const history = [entry("b", envs("v5"), at(10)), entry("a", envs("v4"), at(-3600))];
    expect(findChangeSince(history, POSTED, envNames, HANDLED)).toEqual({
      env: "production",
      entry: history[0],
    });
  });

  test("so is one dated less than the margin before it; one older was seen", () => {
    const within = [
      entry("b", envs("v5"), at(-(UNSEEN_MARGIN_S - 1))),
      entry("a", envs("v4"), at(-3600)),
    ];
    expect(findChangeSince(within, POSTED, envNames, HANDLED)?.entry.sha).toMatch(/^b/);
    const seen = [
      entry("b", envs("v5"), at(-(UNSEEN_MARGIN_S + 1))),
      entry("a", envs("v4"), at(-3600)),
    ];
    expect(findChangeSince(seen, POSTED, envNames, HANDLED)).toBeUndefined();
  });

  test("a freeze or another environment's change is no conflict", () => {
    const history = [
      entry("c", envs("v4", 10, true), at(10)),
      entry("b", envs("v4", 0, true), at(5)),
      entry("a", envs("v4"), at(-3600)),
    ];
    expect(findChangeSince(history, POSTED, envNames, HANDLED)).toBeUndefined();
    expect(findChangeSince(history, POSTED, ["canary"], HANDLED)?.env).toBe("canary");
  });

  test("an entry dated in the past does not hide a newer one under it", () => {
    const history = [
      entry("c", envs("v5"), at(-7200)),
      entry("b", envs("v6"), at(20)),
      entry("a", envs("v4"), at(-3600)),
    ];
    expect(findChangeSince(history, POSTED, envNames, HANDLED)?.entry.sha).toMatch(/^b/);
  });

  test("a date far in the future (a skewed clock) is not believed", () => {
    const future = (HANDLED - Date.parse(POSTED)) / 1000 + FUTURE_DATE_TOLERANCE_S + 60;
    const history = [entry("b", envs("v5"), at(future)), entry("a", envs("v4"), at(-3600))];
    expect(findChangeSince(history, POSTED, envNames, HANDLED)).toBeUndefined();
  });

  test("without a posting time nothing can be judged unseen", () => {
    const history = [entry("b", envs("v5"), at(10)), entry("a", envs("v4"), at(-3600))];
    expect(findChangeSince(history, undefined, envNames, HANDLED)).toBeUndefined();
    expect(findChangeSince(history, "not a date", envNames, HANDLED)).toBeUndefined();
  });
});

describe("findLastChange", () => {
  test("the newest commit that changed the environment, a freeze included", () => {
    const history = [
      entry("d", envs("v5", 20, true), at(30)),
      entry("c", envs("v5", 10, true), at(20)),
      entry("b", envs("v5"), at(10)),
      entry("a", envs("v4"), at(0)),
    ];
    expect(findLastChange(history, "production").sha).toMatch(/^c/);
    expect(findLastChange(history, "canary").sha).toMatch(/^d/);
  });

  test("the oldest entry read when nothing changed it", () => {
    const history = [entry("b", envs("v4"), at(10)), entry("a", envs("v4"), at(0))];
    expect(findLastChange(history, "production").sha).toMatch(/^a/);
  });
});
