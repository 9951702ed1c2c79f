import { diffArrays } from "diff";
import { describe, expect, test } from "vitest";
import { type Environments, parseEnvironments } from "../../../src/formats/environments.js";
import { defaultSettings } from "../../../src/formats/settings.js";
import { parseCommand, type RollbackCommand } from "../../../src/rollout/command.js";
import { planCommand } from "../../../src/rollout/plan.js";
import { applyPlanToYaml } from "../../../src/rollout/yaml-edit.js";

/** The example of formats.md §4, with more comments, alignment and a mix of styles. */
const FILE = `# Which prompt version each environment serves.
# Edited by the promptgate bot: one commit per change.
environments:
  staging:
    prompts:
      support-answer: { version: v5, model: gpt-4o-mini-2024-07-18 }
  canary:
    traffic: 5                 # percent of production requests served by canary's pins
    prompts:
      support-answer: { version: v5, model: gpt-4o-mini-2024-07-18 }

  production:
    # the live one; never edit by hand during an incident
    prompts:
      support-answer: { version: v4, model: gpt-4o-2024-08-06 }   # moved to 4o in March
      title: {version: v2}     # tight braces on purpose
      summary:
        version: v1
        model: "gpt-4o-mini-2024-07-18"
freezes: {}                    # env -> { by, reason, since }, written by /promptgate freeze
`;

function edit(text: string, change: (e: Environments) => void): string {
  const next = structuredClone(parseEnvironments(text));
  change(next);
  const out = applyPlanToYaml(text, { next });
  expect(parseEnvironments(out)).toEqual(next);
  return out;
}

function lineChanges(before: string, after: string) {
  const removed: string[] = [];
  const added: string[] = [];
  for (const part of diffArrays(before.split("\n"), after.split("\n"))) {
    if (part.removed) removed.push(...part.value);
    if (part.added) added.push(...part.value);
  }
  return { removed, added };
}

describe("applyPlanToYaml changes only the lines that change", () => {
  test("a version, keeping the line's comment and alignment", () => {
    const out = edit(FILE, (e) => {
      e.environments.production!.prompts["support-answer"]!.version = "v5";
    });
    expect(lineChanges(FILE, out)).toEqual({
      removed: [
        "      support-answer: { version: v4, model: gpt-4o-2024-08-06 }   # moved to 4o in March",
      ],
      added: [
        "      support-answer: { version: v5, model: gpt-4o-2024-08-06 }   # moved to 4o in March",
      ],
    });
  });

  test("a version, keeping the pin's fallback list", () => {
    const withFallback = FILE.replace(
      '        model: "gpt-4o-mini-2024-07-18"\n',
      '        model: "gpt-4o-mini-2024-07-18"\n        fallback:\n          - { model: gpt-4.1-mini, base-url: "https://eu.example.com/v1" }\n',
    );
    const out = edit(withFallback, (e) => {
      e.environments.production!.prompts.summary!.version = "v0";
    });
    expect(lineChanges(withFallback, out)).toEqual({
      removed: ["        version: v1"],
      added: ["        version: v0"],
    });
    expect(parseEnvironments(out).environments.production?.prompts.summary?.fallback).toEqual([
      { model: "gpt-4.1-mini", "base-url": "https://eu.example.com/v1" },
    ]);
  });

  test("a new pin with its fallbacks", () => {
    const out = edit(FILE, (e) => {
      e.environments.staging!.prompts.title = {
        version: "v3",
        fallback: [{ model: "gpt-4.1-mini" }],
      };
    });
    expect(parseEnvironments(out).environments.staging?.prompts.title?.fallback).toEqual([
      { model: "gpt-4.1-mini" },
    ]);
  });

  test("the rollback plan of a real command", () => {
    const envs = parseEnvironments(FILE);
    const command = parseCommand("/rollback production title to v1") as RollbackCommand;
    // A rollback goes only to a value production held before: title was on v1 one commit ago.
    const before = structuredClone(envs);
    before.environments.production!.prompts.title = { version: "v1" };
    const plan = planCommand({
      command,
      environments: envs,
      settings: defaultSettings(),
      history: [
        {
          sha: "a".repeat(40),
          environments: envs,
          trailers: {},
          author: "x",
          date: "",
          subject: "s",
        },
        {
          sha: "b".repeat(40),
          environments: before,
          trailers: {},
          author: "x",
          date: "",
          subject: "r",
        },
      ],
      availableVersions: new Map([["title", ["v1", "v2"]]]),
      actor: "alice",
      now: "2025-01-01T00:00:00Z",
    });
    if (plan.kind !== "change") throw new Error(JSON.stringify(plan));
    const out = applyPlanToYaml(FILE, plan);
    expect(lineChanges(FILE, out)).toEqual({
      removed: ["      title: {version: v2}     # tight braces on purpose"],
      added: ["      title: {version: v1}     # tight braces on purpose"],
    });
  });

  test("canary traffic keeps the aligned comment", () => {
    const out = edit(FILE, (e) => {
      e.environments.canary!.traffic = 0;
    });
    expect(lineChanges(FILE, out)).toEqual({
      removed: [
        "    traffic: 5                 # percent of production requests served by canary's pins",
      ],
      added: [
        "    traffic: 0                 # percent of production requests served by canary's pins",
      ],
    });
  });

  test("a model swap and a dropped model", () => {
    const out = edit(FILE, (e) => {
      e.environments.production!.prompts["support-answer"] = {
        version: "v4",
        model: "gpt-4.1-2025-04-14",
      };
      e.environments.production!.prompts.summary = { version: "v2" };
    });
    expect(lineChanges(FILE, out)).toEqual({
      removed: [
        "      support-answer: { version: v4, model: gpt-4o-2024-08-06 }   # moved to 4o in March",
        "        version: v1",
        '        model: "gpt-4o-mini-2024-07-18"',
      ],
      added: [
        "      support-answer: { version: v4, model: gpt-4.1-2025-04-14 }   # moved to 4o in March",
        "        version: v2",
      ],
    });
  });

  test("a new pin is one new line in the file's flow style", () => {
    const out = edit(FILE, (e) => {
      e.environments.canary!.prompts.title = { version: "v2" };
    });
    expect(lineChanges(FILE, out)).toEqual({
      removed: [],
      added: ["      title: { version: v2 }"],
    });
  });

  test("freeze then unfreeze: the entry comes and goes, the comment stays", () => {
    const frozen = edit(FILE, (e) => {
      e.freezes.production = {
        by: "alice",
        reason: "incident #42: refunds",
        since: "2025-01-01T03:00:00Z",
      };
    });
    expect(lineChanges(FILE, frozen)).toEqual({
      removed: [
        "freezes: {}                    # env -> { by, reason, since }, written by /promptgate freeze",
      ],
      added: [
        "freezes: # env -> { by, reason, since }, written by /promptgate freeze",
        '  production: { by: alice, reason: "incident #42: refunds", since: 2025-01-01T03:00:00Z }',
      ],
    });
    const twice = edit(frozen, (e) => {
      e.freezes.canary = { by: "bob", reason: "", since: "2025-01-02T00:00:00Z" };
    });
    expect(lineChanges(frozen, twice)).toEqual({
      removed: [],
      added: ['  canary: { by: bob, reason: "", since: 2025-01-02T00:00:00Z }'],
    });
    const thawed = edit(twice, (e) => {
      e.freezes = {};
    });
    expect(thawed).toContain(
      "\nfreezes: {} # env -> { by, reason, since }, written by /promptgate freeze\n",
    );
    expect(lineChanges(FILE, thawed).removed).toHaveLength(1);
  });

  test("traffic added to an environment that had none goes first", () => {
    const out = edit(FILE, (e) => {
      e.environments.staging!.traffic = 100;
    });
    expect(out).toContain("  staging:\n    traffic: 100\n    prompts:\n");
    expect(lineChanges(FILE, out)).toEqual({ removed: [], added: ["    traffic: 100"] });
  });

  test("nothing to change gives the same text", () => {
    expect(applyPlanToYaml(FILE, { next: parseEnvironments(FILE) })).toBe(FILE);
  });

  test("four-space indentation, CRLF line endings and a BOM survive", () => {
    const text =
      "\ufeff" +
      [
        "environments:",
        "    canary:",
        "        traffic: 10   # ramp",
        "        prompts:",
        "            support-answer: {version: v5}",
        "freezes: {}",
        "",
      ].join("\r\n");
    const out = edit(text, (e) => {
      e.environments.canary!.traffic = 0;
      e.environments.canary!.prompts.title = { version: "v1" };
    });
    expect(out.startsWith("\ufeff")).toBe(true);
    expect(out).not.toMatch(/[^\r]\n/);
    expect(lineChanges(text, out)).toEqual({
      removed: ["        traffic: 10   # ramp\r"],
      added: ["        traffic: 0   # ramp\r", "            title: {version: v1}\r"],
    });
  });

  test("a multi-line flow map the renderer would join is still edited correctly", () => {
    const text = [
      "environments:",
      "  production:",
      "    prompts:",
      "      support-answer: {",
      "        version: v4 }",
      "      title: { version: v1 }  # keep",
      "",
    ].join("\n");
    const out = edit(text, (e) => {
      e.environments.production!.prompts.title = { version: "v2" };
    });
    expect(out).toContain("      title: { version: v2 }  # keep\n");
    expect(out).toContain("      support-answer: {\n        version: v4 }\n");
  });
});
