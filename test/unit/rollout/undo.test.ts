import { describe, expect, it } from "vitest";
import type { ChangePlan } from "../../../src/rollout/plan.js";
import { listUndoCommands, toCliCommand } from "../../../src/rollout/undo.js";

function plan(
  changes: ChangePlan["changes"],
  action: ChangePlan["action"] = "promote",
): ChangePlan {
  return {
    kind: "change",
    action,
    env: "production",
    next: { environments: {}, freezes: {} } as unknown as ChangePlan["next"],
    changes,
    summary: "promptgate(production): …",
    skipped: [],
    warnings: [],
  };
}

describe("listUndoCommands", () => {
  it("puts each pin back by name, the model included; a pin that was not there is done by hand", () => {
    const undo = listUndoCommands(
      plan([
        {
          kind: "pin",
          env: "production",
          prompt: "a",
          before: { version: "v4" },
          after: { version: "v5" },
        },
        {
          kind: "pin",
          env: "production",
          prompt: "b",
          before: { version: "v2", model: "gpt-4o-2024-08-06" },
          after: { version: "v3" },
        },
        { kind: "pin", env: "production", prompt: "c", before: null, after: { version: "v1" } },
      ]),
    );
    expect(undo.commands).toEqual([
      "/rollback production to a@v4",
      "/rollback production to b@v2+gpt-4o-2024-08-06",
    ]);
    expect(undo.manual).toEqual(["remove the pin of c from production in environments.yaml"]);
  });

  it("sets canary traffic back, and freezes what was unfrozen", () => {
    expect(
      listUndoCommands(
        plan([{ kind: "traffic", env: "canary", before: null, after: 20 }], "traffic"),
      ).commands,
    ).toEqual(["/promote canary --traffic 0"]);
    const freeze = { by: "carol", since: "2025-01-31T00:00:00Z", reason: "" };
    expect(
      listUndoCommands(
        plan([{ kind: "freeze", env: "production", before: freeze, after: null }], "unfreeze"),
      ).commands,
    ).toEqual(["/promptgate freeze production"]);
    expect(
      listUndoCommands(
        plan([{ kind: "freeze", env: "production", before: null, after: freeze }], "freeze"),
      ).commands,
    ).toEqual(["/promptgate unfreeze production"]);
  });

  it("speaks CLI for the CLI twin", () => {
    expect(toCliCommand("/rollback production to a@v4")).toBe(
      "promptgate rollback production to a@v4",
    );
    expect(toCliCommand("/promptgate freeze production")).toBe("promptgate freeze production");
  });
});
