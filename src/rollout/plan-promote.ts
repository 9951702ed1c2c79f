import { CANARY, type CanaryTrafficCommand, type PromoteCommand } from "./command.js";
import { cloneEnvironments, pinLabel, samePin } from "./pins.js";
import type { PinChange, Plan, PlanInput } from "./plan.js";
import {
  code,
  commitSubject,
  describeFreeze,
  freezeOf,
  joinMoves,
  list,
  refuseCanaryGrowth,
  refuseUnknownVersion,
  trafficOf,
  unknownEnv,
  unknownPrompt,
  versionExists,
} from "./plan-checks.js";

/**
 * Promote: follows rollout.order, blocked by a freeze of the target (and, for canary's share, of
 * production); and `/promote canary --traffic N`, the ramp.
 */

export function planPromote(input: PlanInput, cmd: PromoteCommand): Plan {
  const { environments: envs, settings } = input;
  for (const env of [cmd.from, cmd.to]) {
    const missing = unknownEnv(envs, env);
    if (missing) return missing;
  }
  const warnings: string[] = [];
  const order = settings.rollout.order;
  const fromAt = order.indexOf(cmd.from);
  const toAt = order.indexOf(cmd.to);
  const inOrder = fromAt >= 0 && toAt === fromAt + 1;
  if (!inOrder) {
    const path = order.join(" → ");
    const why =
      fromAt < 0 || toAt < 0
        ? `${code(fromAt < 0 ? cmd.from : cmd.to)} is not in rollout.order (${path})`
        : toAt <= fromAt
          ? `${cmd.to} comes before ${cmd.from} in rollout.order (${path})`
          : `${cmd.from} → ${cmd.to} skips ${list(order.slice(fromAt + 1, toAt))} in rollout.order (${path})`;
    if (!cmd.forceOrder) {
      const nextStage = fromAt >= 0 ? order[fromAt + 1] : undefined;
      return {
        kind: "refused",
        code: "order",
        reason: why,
        hint: `${nextStage ? `promote to the next stage with \`/promote ${cmd.from} to ${nextStage}\`, or ` : ""}an admin can add \`--force-order\``,
      };
    }
    warnings.push(`${why}; order overridden with \`--force-order\``);
  }
  const freeze = freezeOf(envs, cmd.to);
  if (freeze) {
    return {
      kind: "refused",
      code: "frozen",
      reason: `${describeFreeze(cmd.to, freeze)}: promotions wait until it is lifted`,
      hint: `\`/promptgate unfreeze ${cmd.to}\` lifts it; \`/rollback ${cmd.to}\` still works`,
    };
  }
  const growth = refuseCanaryGrowth(input);
  if (growth) return growth;

  const source = envs.environments[cmd.from]!.prompts;
  if (cmd.prompt !== undefined) {
    const notPinned = unknownPrompt(envs, cmd.from, cmd.prompt);
    if (notPinned) return notPinned;
  } else if (Object.keys(source).length === 0) {
    return { kind: "refused", code: "unknown-prompt", reason: `${cmd.from} pins no prompts` };
  }
  const prompts = cmd.prompt !== undefined ? [cmd.prompt] : Object.keys(source);
  const exists = versionExists(input);
  const target = envs.environments[cmd.to]!.prompts;
  const next = cloneEnvironments(envs);
  const changes: PinChange[] = [];
  for (const p of prompts) {
    const pin = source[p]!;
    if (samePin(pin, target[p])) continue;
    if (!exists(p, pin.version)) return refuseUnknownVersion(input, cmd.from, p, pin.version);
    changes.push({ kind: "pin", env: cmd.to, prompt: p, before: target[p] ?? null, after: pin });
    next.environments[cmd.to]!.prompts[p] = { ...pin };
  }

  if (cmd.traffic !== undefined && trafficOf(envs, cmd.to) !== cmd.traffic) {
    changes.push({
      kind: "traffic",
      env: cmd.to,
      before: envs.environments[cmd.to]!.traffic ?? null,
      after: cmd.traffic,
    });
    next.environments[cmd.to]!.traffic = cmd.traffic;
  }
  const stopsCanary = cmd.from === CANARY && cmd.to === settings.rollout.production;
  if (stopsCanary && trafficOf(envs, CANARY) !== 0) {
    changes.push({
      kind: "traffic",
      env: CANARY,
      before: envs.environments[CANARY]!.traffic ?? null,
      after: 0,
    });
    next.environments[CANARY]!.traffic = 0;
  }

  if (changes.length === 0) {
    const message =
      prompts.length === 1
        ? `${cmd.to} is already on ${pinLabel(prompts[0]!, source[prompts[0]!]!)}`
        : `${cmd.to} already has the pins of ${cmd.from} (${prompts.map((p) => pinLabel(p, source[p]!)).join(", ")})`;
    return { kind: "noop", action: "promote", env: cmd.to, message };
  }

  const pinMoved = changes.some((c) => c.kind === "pin");
  if (cmd.to === CANARY && pinMoved) {
    const traffic = trafficOf(next, CANARY);
    warnings.push(
      traffic === 0
        ? `${CANARY} serves no traffic: \`/promote ${CANARY} --traffic 5\` starts it`
        : `${CANARY} serves ${traffic}% of production requests: the new pins are live for them now`,
    );
  }
  if (cmd.force) warnings.push("`--force`: eval gates are not enforced for this promotion");

  const canaryStop = changes.find(
    (c) => c.env === CANARY && c.kind === "traffic" && cmd.to !== CANARY,
  );
  const moves = joinMoves(changes.filter((c) => c !== canaryStop));
  const text =
    (moves ? `promote ${moves} from ${cmd.from}` : `promote from ${cmd.from}`) +
    (canaryStop && canaryStop.kind === "traffic"
      ? `; ${CANARY} traffic ${canaryStop.before ?? 0}% → 0%`
      : "");
  return {
    kind: "change",
    action: "promote",
    env: cmd.to,
    next,
    changes,
    summary: commitSubject(cmd.to, text),
    skipped: [],
    warnings,
  };
}

/** `/promote canary --traffic N`: the ramp. */
export function planCanaryTraffic(input: PlanInput, cmd: CanaryTrafficCommand): Plan {
  const envs = input.environments;
  const missing = unknownEnv(envs, CANARY);
  if (missing) return missing;
  const freeze = freezeOf(envs, CANARY);
  if (freeze) {
    return {
      kind: "refused",
      code: "frozen",
      reason: `${describeFreeze(CANARY, freeze)}: its traffic stays until the freeze is lifted`,
      hint: `\`/promptgate unfreeze ${CANARY}\` lifts it; \`/rollback ${CANARY}\` still sets its traffic to 0`,
    };
  }
  const growth = refuseCanaryGrowth(input);
  if (growth) return growth;
  const before = trafficOf(envs, CANARY);
  if (before === cmd.traffic) {
    return {
      kind: "noop",
      action: "traffic",
      env: CANARY,
      message: `${CANARY} already serves ${cmd.traffic}% of production requests`,
    };
  }
  const next = cloneEnvironments(envs);
  next.environments[CANARY]!.traffic = cmd.traffic;
  const warnings: string[] = [];
  const production = envs.environments[input.settings.rollout.production]?.prompts;
  const canaryPins = envs.environments[CANARY]!.prompts;
  if (production && Object.entries(canaryPins).every(([p, pin]) => samePin(pin, production[p]))) {
    warnings.push(
      `${CANARY} pins the same versions as ${input.settings.rollout.production}: the split changes nothing users see`,
    );
  }
  return {
    kind: "change",
    action: "traffic",
    env: CANARY,
    next,
    changes: [
      {
        kind: "traffic",
        env: CANARY,
        before: envs.environments[CANARY]!.traffic ?? null,
        after: cmd.traffic,
      },
    ],
    summary: commitSubject(CANARY, `traffic ${before}% → ${cmd.traffic}%`),
    skipped: [],
    warnings,
  };
}
