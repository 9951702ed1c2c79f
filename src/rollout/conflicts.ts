import type { Environments } from "../formats/environments.js";
import { samePin } from "./pins.js";
import type { ChangePlan } from "./plan.js";

/** The environments a plan writes, for the compare-and-swap check after a conflict. */
export function listTouchedEnvironments(plan: ChangePlan): string[] {
  return [...new Set([plan.env, ...plan.changes.map((c) => c.env)])];
}

/** Whether `envs` still holds what the actor saw in the environments a plan touches. */
export function isSameState(
  a: Environments,
  b: Environments,
  envNames: readonly string[],
): boolean {
  return (
    isSameServing(a, b, envNames) &&
    envNames.every((env) => (a.freezes[env] === undefined) === (b.freezes[env] === undefined))
  );
}

/** Whether the environments serve the same: pins and traffic, freezes aside. */
export function isSameServing(
  a: Environments,
  b: Environments,
  envNames: readonly string[],
): boolean {
  return envNames.every((env) => {
    const x = a.environments[env];
    const y = b.environments[env];
    if (!x || !y) return !x && !y;
    if ((x.traffic ?? null) !== (y.traffic ?? null)) return false;
    const prompts = new Set([...Object.keys(x.prompts), ...Object.keys(y.prompts)]);
    for (const p of prompts) if (!samePin(x.prompts[p], y.prompts[p])) return false;
    return true;
  });
}
