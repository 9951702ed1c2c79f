import { describe, expect, it } from "vitest";
import { parseEnvironments } from "../../../src/formats/environments.js";
import { parseSettings } from "../../../src/formats/settings.js";
import {
  decideSignal,
  findSignalCommit,
  formatCommitMessage,
  type HistoryEntry,
  parseSignal,
  parseTrailers,
  renderSignalRecord,
  type Signal,
  signalKey,
} from "../../../src/rollout/index.js";

const ENVS = parseEnvironments(
  `environments:
  canary:
    traffic: 10
    prompts:
      support-answer: { version: v5 }
  production:
    prompts:
      support-answer: { version: v4 }
`,
  "environments.yaml",
);

const SETTINGS = parseSettings(`version: 1
auto-rollback:
  environments: [canary, production]
  metrics: [error-rate]
`);

const ALERT = {
  id: 17,
  environment: "production",
  prompt: "support-answer",
  metric: "error-rate",
  value: 0.12,
  source: "grafana",
  link: "https://grafana.example.com/a/17",
};

function parsed(payload: unknown): Signal {
  const p = parseSignal(payload);
  if (!p.ok) throw new Error(p.problem);
  return p.signal;
}

describe("parseSignal", () => {
  it("reads a signal, the id as a string", () => {
    expect(parsed(ALERT)).toEqual({ ...ALERT, id: "17" });
    expect(signalKey(parsed(ALERT))).toBe("grafana/17");
  });

  it("refuses what is not a signal, saying which field", () => {
    for (const [payload, field] of [
      [{ ...ALERT, id: undefined }, "id"],
      [{ ...ALERT, source: "a b" }, "source"],
      [{ ...ALERT, environment: "Prod uction" }, "environment"],
      [{ ...ALERT, link: "javascript:alert(1)" }, "link"],
      [{ ...ALERT, extra: 1 }, "extra"],
      [null, "id"],
    ] as const) {
      const p = parseSignal(payload);
      expect(p.ok, JSON.stringify(payload)).toBe(false);
      if (!p.ok) expect(p.problem).toContain(field);
    }
  });
});

describe("decideSignal", () => {
  it("runs `/rollback <env> <prompt>` for an allowed environment and metric", () => {
    const d = decideSignal(parsed(ALERT), SETTINGS, ENVS);
    expect(d).toMatchObject({
      allowed: true,
      command: {
        kind: "rollback",
        env: "production",
        prompt: "support-answer",
        target: { kind: "previous" },
        dryRun: false,
        reason: "error-rate = 0.12 (grafana alert 17, https://grafana.example.com/a/17)",
      },
    });
  });

  it("stops the canary whatever prompt it names", () => {
    const d = decideSignal(parsed({ ...ALERT, environment: "canary" }), SETTINGS, ENVS);
    expect(d).toMatchObject({ allowed: true, command: { env: "canary" } });
    expect(d.allowed && "prompt" in d.command).toBe(false);
  });

  it("refuses, with a reason and the setting that would allow it", () => {
    const codes = [
      [parsed(ALERT), parseSettings("version: 1\n"), "not-configured"],
      [parsed({ ...ALERT, metric: "latency" }), SETTINGS, "metric-not-allowed"],
      [parsed({ ...ALERT, environment: "staging" }), SETTINGS, "unknown-environment"],
      [parsed({ ...ALERT, prompt: "other" }), SETTINGS, "unknown-prompt"],
    ] as const;
    for (const [signal, settings, code] of codes) {
      const d = decideSignal(signal, settings, ENVS);
      expect(d).toMatchObject({ allowed: false, code });
    }
    const withStaging = parseEnvironments(
      "environments:\n  staging:\n    prompts: {}\n  production:\n    prompts: {}\n",
      "environments.yaml",
    );
    expect(
      decideSignal(parsed({ ...ALERT, environment: "staging" }), SETTINGS, withStaging),
    ).toMatchObject({ allowed: false, code: "environment-not-allowed" });
  });
});

describe("the signal's audit trail", () => {
  it("is the rollback's commit message with a Promptgate-Signal trailer, found again by its key", () => {
    const signal = parsed(ALERT);
    const message = formatCommitMessage(
      {
        kind: "change",
        action: "rollback",
        env: "production",
        next: ENVS,
        changes: [],
        summary: "promptgate(production): rollback support-answer v4 → v3",
        skipped: [],
        warnings: [],
        rollsBack: "abc1234",
      },
      {
        action: "rollback",
        env: "production",
        actor: "signal:grafana",
        actorIsLogin: false,
        signal: signalKey(signal),
      },
    );
    expect(message).toContain("Requested by signal:grafana\n");
    const trailers = parseTrailers(message);
    expect(trailers["Promptgate-Signal"]).toBe("grafana/17");
    const entry: HistoryEntry = {
      sha: "f".repeat(40),
      environments: ENVS,
      trailers,
      author: "bot",
      date: "2026-01-01T00:00:00Z",
      subject: "",
    };
    expect(findSignalCommit([entry], "grafana/17")).toBe(entry);
    expect(findSignalCommit([entry], "grafana/18")).toBeUndefined();
  });

  it("renders a record that quotes what monitoring sent", () => {
    const body = renderSignalRecord({
      signal: parsed({ ...ALERT, metric: "error-rate", value: "`@everyone`" }),
      ignored: { allowed: false, code: "metric-not-allowed", reason: "r", hint: "h" },
    });
    // Inside a code span, where it mentions nobody and cannot close the span.
    expect(body).toContain("= `'@everyone'` on production");
    expect(body.split("\n").at(-1)).toBe("<!-- promptgate:signal grafana/17 -->");
  });
});
