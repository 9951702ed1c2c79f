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
  const failing = listGatedVersions(plan)
    .map(({ prompt, version }) => {
      const label = `${prompt}@${version}`;
      return { label, state: states[label] ?? "missing" };
    })
    .filter((g) => g.state !== "success");
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
    return {
      kind: "refused",
      code: "gate",
      reason: `no passing eval gate for ${described.join(", ")} on the commit that introduced ${failing.length === 1 ? "it" : "them"}`,
      hint: [wait, fix].filter(Boolean).join("; "),
    };
  }
  return {
    ...plan,
    forcedGates: described,
    warnings: [...plan.warnings, `eval gate overridden with \`--force\`: ${described.join(", ")}`],
  };
}
