import type { Environments } from "../formats/environments.js";
import type { ChangePlan, RefusedPlan } from "./plan.js";

/**
 * The eval gate of a promotion: the statuses live on GitHub (the action posts them, the bot
 * fetches them); whether they let a promotion through is decided here.
 */

export type GateState = "success" | "failure" | "error" | "pending" | "missing";

/** The commit status the action posts for a version: `promptgate: support-answer@v5`. */
export function gateContext(prompt: string, version: string): string {
  return `promptgate: ${prompt}@${version}`;
}

/**
 * The status the action posts for a version run on another model than its pin's: a model swap or
 * a fallback (action/run.ts). It stays on the pull request that ran it and never becomes the
 * version's own gate, so a version with a fallback needs both.
 */
export function modelGateContext(prompt: string, version: string, model: string): string {
  return `${gateContext(prompt, version)} on ${model}`;
}

/** A fallback target a promotion puts live: the version, run on the fallback's model. */
export interface GatedFallback {
  prompt: string;
  version: string;
  model: string;
}

/** How a gate is named in `GateState` maps and replies: `p@v`, or `p@v on <model>`. */
export function gateLabel(gate: { prompt: string; version: string; model?: string }): string {
  const label = `${gate.prompt}@${gate.version}`;
  return gate.model === undefined ? label : `${label} on ${gate.model}`;
}

/**
 * The fallback targets a promotion puts live, each needing the passing status of its own run (a
 * fallback is a deploy target). The fallbacks are those the file will hold: an edited pin keeps
 * its environment's own, a new pin brings its source's (yaml-edit.ts). A fallback with its own
 * `base-url` is left out: the action never runs one (the run's endpoint and key come from the
 * base, changes.ts), so no status could ever pass it; a fallback on the pin's own model is the
 * pin, whose gate is the version's.
 */
export function listGatedFallbacks(plan: ChangePlan): GatedFallback[] {
  if (plan.action !== "promote") return [];
  const out: GatedFallback[] = [];
  for (const c of plan.changes) {
    if (c.kind !== "pin" || !c.after) continue;
    const fallbacks = (c.before ? c.before.fallback : c.after.fallback) ?? [];
    for (const f of fallbacks) {
      if (f["base-url"] !== undefined || f.model === c.after.model) continue;
      const g = { prompt: c.prompt, version: c.after.version, model: f.model };
      if (!out.some((o) => gateLabel(o) === gateLabel(g))) out.push(g);
    }
  }
  return out;
}

/**
 * Whether `env` pins `gate.version` of `gate.prompt` with `gate.model` as a fallback (on the
 * app's own endpoint): the state in which the action evaluates that fallback.
 */
export function pinsFallback(envs: Environments, env: string, gate: GatedFallback): boolean {
  const pin = envs.environments[env]?.prompts[gate.prompt];
  return (
    pin?.version === gate.version &&
    (pin.fallback ?? []).some((f) => f["base-url"] === undefined && f.model === gate.model)
  );
}

/** Versions a promotion puts live, each needing a passing gate. */
export function listGatedVersions(plan: ChangePlan): { prompt: string; version: string }[] {
  if (plan.action !== "promote") return [];
  const out: { prompt: string; version: string }[] = [];
  for (const c of plan.changes) {
    if (c.kind !== "pin" || !c.after) continue;
    const v = { prompt: c.prompt, version: c.after.version };
    if (!out.some((o) => o.prompt === v.prompt && o.version === v.version)) out.push(v);
  }
  return out;
}

/**
 * Fails closed: anything but `success` refuses the promotion unless `--force` (admin) was given,
 * in which case the plan carries the overrides so the reply and the commit say so.
 */
export function applyGateResults(
  plan: ChangePlan,
  states: Readonly<Record<string, GateState>>,
  force: boolean,
  /** By `prompt@version`: the run behind a gate, for "wait for the run". */
  links: Readonly<Record<string, string>> = {},
): ChangePlan | RefusedPlan {
  const check = (gates: { prompt: string; version: string; model?: string }[]) =>
    gates
      .map((g) => ({ label: gateLabel(g), state: states[gateLabel(g)] ?? "missing" }))
      .filter((g) => g.state !== "success");
  const versions = check(listGatedVersions(plan));
  const fallbacks = check(listGatedFallbacks(plan));
  const failing = [...versions, ...fallbacks];
  if (failing.length === 0) return plan;
  const described = failing.map((g) => `${g.label} (${g.state})`);
  if (!force) {
    // A pending gate is a run still going: the advice for a failed one (fix it) would be wrong.
    const pending = failing.filter((g) => g.state === "pending");
    const runs = pending.map((g) => links[g.label]).filter((u): u is string => u !== undefined);
    const wait =
      pending.length > 0
        ? `wait for the run${runs.length > 0 ? ` (${[...new Set(runs)].join(", ")})` : ""} to finish, then run the command again`
        : "";
    const fix =
      pending.length < failing.length
        ? "fix and re-run the eval in a pull request; an admin can override with `--force`"
        : "";
    // A fallback's run is not on the version's commit: the pull request that pinned the version
    // with that fallback ran it (changes.ts), so that is where to go for a missing one.
    const missingFallback = fallbacks.some((g) => g.state === "missing")
      ? "a fallback is evaluated by the pull request that adds it to a pin of that version (e.g. in the environment promoted from)"
      : "";
    const parts = [
      versions.length > 0
        ? `${versions.map((g) => `${g.label} (${g.state})`).join(", ")} on the commit that introduced ${versions.length === 1 ? "it" : "them"}`
        : "",
      fallbacks.length > 0
        ? `${fallbacks.map((g) => `${g.label} (${g.state})`).join(", ")}: the version on ${fallbacks.length === 1 ? "a fallback model" : "fallback models"} the target environment would fail over to`
        : "",
    ].filter(Boolean);
    return {
      kind: "refused",
      code: "gate",
      reason: `no passing eval gate for ${parts.join("; ")}`,
      hint: [wait, missingFallback, fix].filter(Boolean).join("; "),
    };
  }
  return {
    ...plan,
    forcedGates: described,
    warnings: [...plan.warnings, `eval gate overridden with \`--force\`: ${described.join(", ")}`],
  };
}
