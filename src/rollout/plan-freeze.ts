import type { Freeze } from "../formats/environments.js";
import type { FreezeCommand, UnfreezeCommand } from "./command.js";
import { cloneEnvironments } from "./pins.js";
import type { Plan, PlanInput } from "./plan.js";
import { commitSubject, describeFreeze, freezeOf, unknownEnv } from "./plan-checks.js";

/** Freeze and unfreeze: a freeze stops promotions to an environment, never a rollback. */

export function planFreeze(input: PlanInput, cmd: FreezeCommand): Plan {
  const envs = input.environments;
  const missing = unknownEnv(envs, cmd.env);
  if (missing) return missing;
  const current = freezeOf(envs, cmd.env);
  if (current) {
    return {
      kind: "noop",
      action: "freeze",
      env: cmd.env,
      message: describeFreeze(cmd.env, current),
    };
  }
  const freeze: Freeze = { by: input.actor, reason: cmd.reason ?? "", since: input.now };
  const next = cloneEnvironments(envs);
  next.freezes[cmd.env] = freeze;
  return {
    kind: "change",
    action: "freeze",
    env: cmd.env,
    next,
    changes: [{ kind: "freeze", env: cmd.env, before: null, after: freeze }],
    summary: commitSubject(cmd.env, "freeze"),
    skipped: [],
    warnings: [],
  };
}

export function planUnfreeze(input: PlanInput, cmd: UnfreezeCommand): Plan {
  const envs = input.environments;
  const missing = unknownEnv(envs, cmd.env);
  if (missing) return missing;
  const current = freezeOf(envs, cmd.env);
  if (!current) {
    return { kind: "noop", action: "unfreeze", env: cmd.env, message: `${cmd.env} is not frozen` };
  }
  const next = cloneEnvironments(envs);
  delete next.freezes[cmd.env];
  return {
    kind: "change",
    action: "unfreeze",
    env: cmd.env,
    next,
    changes: [{ kind: "freeze", env: cmd.env, before: current, after: null }],
    summary: commitSubject(cmd.env, "unfreeze"),
    skipped: [],
    warnings: [],
  };
}
