import type { Environments, Pin } from "../formats/environments.js";
import { CANARY, type RollbackCommand } from "./command.js";
import {
  findIntroducingCommit,
  findPreviousGood,
  findRolledBackValues,
  isRolledBack,
  type SkippedValue,
} from "./history.js";
import { cloneEnvironments, pinLabel, pinValue, samePin, shortSha } from "./pins.js";
import type { PinChange, Plan, PlanInput } from "./plan.js";
import {
  canaryStillServes,
  code,
  commitSubject,
  describeFreeze,
  freezeOf,
  joinMoves,
  list,
  refuseNeverHeld,
  refuseUnknownVersion,
  trafficOf,
  unknownEnv,
  unknownPrompt,
  versionExists,
} from "./plan-checks.js";

/** Rollback: never blocked by order, gates or freezes; it must always work. */

export function planRollback(input: PlanInput, cmd: RollbackCommand): Plan {
  const { environments: envs, history } = input;
  const env = cmd.env;
  const missing = unknownEnv(envs, env);
  if (missing) return missing;

  const warnings: string[] = [];
  const freeze = freezeOf(envs, env);
  const bypassedFreeze = freeze !== undefined;
  if (freeze)
    warnings.push(
      `freeze bypassed: ${describeFreeze(env, freeze)}, and a freeze never blocks a rollback`,
    );

  if (env === CANARY && cmd.prompt === undefined && cmd.target.kind === "previous") {
    return planCanaryStop(input, warnings, bypassedFreeze);
  }

  const pins = envs.environments[env]!.prompts;
  if (cmd.prompt !== undefined) {
    const notPinned = unknownPrompt(envs, env, cmd.prompt);
    if (notPinned) return notPinned;
  }
  const exists = versionExists(input);

  let moves: Record<string, Pin>;
  let skipped: SkippedValue[] = [];
  let rollsBack: string | undefined;

  switch (cmd.target.kind) {
    case "previous": {
      const prompts = cmd.prompt !== undefined ? [cmd.prompt] : Object.keys(pins);
      if (prompts.length === 0) {
        return { kind: "refused", code: "unknown-prompt", reason: `${env} pins no prompts` };
      }
      const current = Object.fromEntries(prompts.map((p) => [p, pins[p]!]));
      const walk = findPreviousGood({
        history,
        env,
        current,
        exists,
        promptsDir: input.settings.paths.prompts,
      });
      skipped = walk.skipped;
      rollsBack = walk.introducedBy;
      if (!walk.target) {
        // "of production in production" read as a slip: a whole environment has a value *for* it.
        const what = prompts.length === 1 ? `of ${code(prompts[0]!)} in ${env}` : `for ${env}`;
        return {
          kind: "refused",
          code: "no-previous",
          reason: `the history of ${input.settings.paths.environments} holds no earlier good value ${what}${
            skipped.length > 0
              ? ` (skipped: ${skipped.map((s) => `${s.value}, ${s.why}`).join("; ")})`
              : ""
          }`,
          hint: `name a target: \`/rollback ${env}${cmd.prompt ? ` ${cmd.prompt}` : " <prompt>"} to <version>\``,
        };
      }
      moves = walk.target.pins;
      for (const p of walk.target.unpinned) {
        warnings.push(
          `${code(p)} was not pinned in ${env} at ${shortSha(walk.target.entry.sha)}; it stays on ${pinValue(pins[p]!)}`,
        );
      }
      break;
    }
    case "version": {
      const t = cmd.target;
      const prompt = cmd.prompt ?? t.prompt ?? soleprompt(pins);
      if (prompt === undefined) {
        return {
          kind: "refused",
          code: "ambiguous-prompt",
          reason: `${env} pins ${list(Object.keys(pins))}: say which one goes to ${code(t.version)}`,
          hint: `\`/rollback ${env} <prompt> to ${t.version}\``,
        };
      }
      const notPinned = unknownPrompt(envs, env, prompt);
      if (notPinned) return notPinned;
      if (!exists(prompt, t.version)) return refuseUnknownVersion(input, env, prompt, t.version);
      // Only a value this environment held before, per the history: anything else would put a
      // never-gated version live past a freeze with the rollback permission. That is `/promote`.
      // Without a model, the model it last ran with here, so a rollback restores what was live.
      const held = history
        .map((h) => h.environments.environments[env]?.prompts[prompt])
        .find((p) =>
          t.model !== undefined
            ? samePin(p, { version: t.version, model: t.model })
            : p?.version === t.version,
        );
      if (!held) return refuseNeverHeld(input, env, prompt, t);
      const pin: Pin = { ...held };
      moves = samePin(pins[prompt], pin) ? {} : { [prompt]: pin };
      rollsBack = findIntroducingCommit(history, (e) =>
        samePin(e.environments[env]?.prompts[prompt], pins[prompt]),
      );
      break;
    }
    case "sha": {
      const sha = cmd.target.sha;
      const matches = history.filter((h) => h.sha.toLowerCase().startsWith(sha));
      if (matches.length !== 1) {
        const recent = history
          .slice(0, 5)
          .map((h) => `${shortSha(h.sha)} ${h.subject}`)
          .join("; ");
        return {
          kind: "refused",
          code: "unknown-sha",
          reason:
            matches.length === 0
              ? `${code(sha)} is not a commit in the history of ${input.settings.paths.environments}${recent ? `; recent commits: ${recent}` : ""}`
              : `${code(sha)} matches ${matches.length} commits; give more digits`,
        };
      }
      const entry = matches[0]!;
      const then = entry.environments.environments[env]?.prompts;
      if (!then) {
        return {
          kind: "refused",
          code: "unknown-env",
          reason: `${env} did not exist at ${shortSha(entry.sha)}`,
        };
      }
      const prompts = cmd.prompt !== undefined ? [cmd.prompt] : Object.keys(pins);
      moves = {};
      for (const p of prompts) {
        const pin = then[p];
        if (!pin) {
          warnings.push(
            `${code(p)} was not pinned in ${env} at ${shortSha(entry.sha)}; it stays on ${pinValue(pins[p]!)}`,
          );
        } else if (!samePin(pin, pins[p])) {
          if (!exists(p, pin.version)) return refuseUnknownVersion(input, env, p, pin.version);
          moves[p] = pin;
        }
      }
      rollsBack = findIntroducingCommit(history, (e) =>
        prompts.every((p) => samePin(e.environments[env]?.prompts[p], pins[p])),
      );
      break;
    }
  }

  const moved = Object.entries(moves);
  if (moved.length === 0) {
    const which = cmd.prompt ?? (cmd.target.kind === "version" ? cmd.target.prompt : undefined);
    return {
      kind: "noop",
      action: "rollback",
      env,
      message: describeCurrent(envs, env, which ?? soleprompt(pins)),
    };
  }

  if (cmd.target.kind !== "previous") {
    const bad = findRolledBackValues(history, env);
    for (const [p, pin] of moved) {
      const rb = isRolledBack(bad, p, pin);
      if (rb) {
        warnings.push(
          `${pinLabel(p, pin)} was rolled back in ${shortSha(rb)}; it is pinned again because you named it`,
        );
      }
    }
  }

  const next = cloneEnvironments(envs);
  const changes: PinChange[] = [];
  for (const [p, pin] of moved) {
    changes.push({ kind: "pin", env, prompt: p, before: pins[p] ?? null, after: pin });
    next.environments[env]!.prompts[p] = { ...pin };
  }
  warnings.push(...canaryStillServes(envs, changes));
  return {
    kind: "change",
    action: "rollback",
    env,
    next,
    changes,
    summary: commitSubject(env, `rollback ${joinMoves(changes)}`),
    ...(rollsBack ? { rollsBack } : {}),
    skipped,
    warnings,
    ...(bypassedFreeze ? { bypassedFreeze } : {}),
  };
}

function soleprompt(pins: Record<string, Pin>): string | undefined {
  const names = Object.keys(pins);
  return names.length === 1 ? names[0] : undefined;
}

function describeCurrent(envs: Environments, env: string, prompt: string | undefined): string {
  const pins = envs.environments[env]?.prompts ?? {};
  if (prompt !== undefined && pins[prompt]) {
    return `${env} is already on ${pinLabel(prompt, pins[prompt])}`;
  }
  const all = Object.entries(pins).map(([p, pin]) => pinLabel(p, pin));
  return `${env} is already on ${all.join(", ")}`;
}

/** `/rollback canary`: stop serving canary, keep its pins for forensics. */
function planCanaryStop(input: PlanInput, warnings: string[], bypassedFreeze: boolean): Plan {
  const envs = input.environments;
  const before = trafficOf(envs, CANARY);
  if (before === 0) {
    return {
      kind: "noop",
      action: "rollback",
      env: CANARY,
      message: `${CANARY} already serves no traffic (0%)`,
    };
  }
  const next = cloneEnvironments(envs);
  next.environments[CANARY]!.traffic = 0;
  const changes: PinChange[] = [
    { kind: "traffic", env: CANARY, before: envs.environments[CANARY]!.traffic ?? null, after: 0 },
  ];
  const rollsBack = findIntroducingCommit(input.history, (e) => trafficOf(e, CANARY) === before);
  return {
    kind: "change",
    action: "rollback",
    env: CANARY,
    next,
    changes,
    summary: commitSubject(CANARY, `rollback traffic ${before}% → 0%`),
    ...(rollsBack ? { rollsBack } : {}),
    skipped: [],
    warnings: [
      ...warnings,
      `${CANARY} keeps its pins for forensics; production serves all requests`,
    ],
    ...(bypassedFreeze ? { bypassedFreeze } : {}),
  };
}
