import { describe, expect, it } from "vitest";
import { defaultSettings, parseSettings } from "../../../src/formats/settings.js";
import {
  decideTrustedGate,
  describeIgnoredGate,
  noteIgnoredGates,
  type PostedGate,
} from "../../../src/rollout/gate-trust.js";
import type { ChangePlan, RefusedPlan } from "../../../src/rollout/index.js";

const ACTIONS = "github-actions[bot]";
const status = (state: PostedGate["state"], creator: string | undefined): PostedGate => ({
  kind: "status",
  state,
  creator,
});

describe("decideTrustedGate", () => {
  it("takes the newest verdict of the trusted identity and names the others posted after it", () => {
    const decided = decideTrustedGate(
      [status("success", "mallory"), status("failure", ACTIONS), status("success", ACTIONS)],
      ACTIONS,
    );
    expect(decided).toEqual({ state: "failure", ignored: [status("success", "mallory")] });
  });

  it("is missing when only others posted, and names them all (fail closed)", () => {
    const decided = decideTrustedGate(
      [status("success", "mallory"), status("success", undefined)],
      ACTIONS,
    );
    expect(decided.state).toBe("missing");
    expect(decided.ignored).toHaveLength(2);
  });

  it("compares logins case-insensitively, as GitHub does", () => {
    expect(decideTrustedGate([status("success", "GitHub-Actions[bot]")], ACTIONS).state).toBe(
      "success",
    );
  });

  it("leaves verdicts older than the trusted one unnamed: they never counted", () => {
    const decided = decideTrustedGate(
      [status("success", ACTIONS), status("failure", "mallory")],
      ACTIONS,
    );
    expect(decided).toEqual({ state: "success", ignored: [] });
  });
});

describe("noteIgnoredGates", () => {
  const ignored = [{ ...status("success", "mallory"), gate: "support-answer@v5" }];

  it("adds the ignored verdicts to a refusal's reason", () => {
    const refused: RefusedPlan = { kind: "refused", code: "gate", reason: "no passing eval gate" };
    const noted = noteIgnoredGates(refused, ignored, ACTIONS);
    // The gate's name is code, its `@` kept from mentioning anyone.
    expect(noted.kind === "refused" && noted.reason).toMatch(
      /^no passing eval gate; <code>support-answer@\u200bv5<\/code>: a success by @mallory was ignored: only github-actions\[bot\] can pass a gate$/,
    );
  });

  it("adds them to the warnings of a change that goes ahead", () => {
    const plan = { kind: "change", warnings: ["w"] } as unknown as ChangePlan;
    const noted = noteIgnoredGates(plan, [...ignored, ...ignored], ACTIONS);
    expect(noted.kind === "change" && noted.warnings).toHaveLength(2);
  });

  it("shows a login that is not one as code, so it cannot write Markdown", () => {
    const text = describeIgnoredGate(
      { kind: "check run", state: "success", creator: "[x](https://evil.example)", gate: "a@v1" },
      ACTIONS,
    );
    expect(text).not.toContain("](https://");
    expect(text).toContain("a success (check run) by <code>");
  });
});

describe("rollout.gate-creator", () => {
  it("defaults to github-actions[bot] and takes an app's bot login", () => {
    expect(defaultSettings().rollout.gateCreator).toBe(ACTIONS);
    const settings = parseSettings("version: 1\nrollout:\n  gate-creator: my-app[bot]\n");
    expect(settings.rollout.gateCreator).toBe("my-app[bot]");
  });

  it("refuses what is not a GitHub login", () => {
    expect(() => parseSettings("version: 1\nrollout:\n  gate-creator: 'a b'\n")).toThrow(
      /must be a GitHub login/,
    );
  });
});
