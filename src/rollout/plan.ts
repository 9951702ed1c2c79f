import type { Environments, Freeze, Pin } from "../formats/environments.js";
import { compareVersions } from "../formats/prompt-file.js";
import type { Settings } from "../formats/settings.js";
import { suggestClosest } from "../suggest.js";
import {
  type ActionCommand,
  CANARY,
  type CanaryTrafficCommand,
  type FreezeCommand,
  type PromoteCommand,
  type RollbackCommand,
  type UnfreezeCommand,
} from "./command.js";
import {
  findIntroducingCommit,
  findPreviousGood,
  findRolledBackValues,
  type HistoryEntry,
  isRolledBack,
  listRecentGoodValues,
  type SkippedValue,
} from "./history.js";
import { canaryShareSetBy } from "./permissions.js";
import { cloneEnvironments, describeMove, pinLabel, pinValue, samePin, shortSha } from "./pins.js";
import { quoteActor, quoteText } from "./quote.js";

/**
 * Transitions of `environments.yaml`: a command plus the files and the file's history in, a planned
 * change (the next file content and what moved) or a refusal out. Nothing here reads or writes:
 * the bot and the CLI own the I/O and call this again after a lost compare-and-swap.
 */

export type PlanAction = "rollback" | "promote" | "traffic" | "freeze" | "unfreeze";

export type PinChange =
  | { kind: "pin"; env: string; prompt: string; before: Pin | null; after: Pin | null }
  | { kind: "traffic"; env: string; before: number | null; after: number }
  | { kind: "freeze"; env: string; before: Freeze | null; after: Freeze | null };

export interface ChangePlan {
  kind: "change";
  action: PlanAction;
  /** The environment the commit is about: its subject's scope and `Promptgate-Env`. */
  env: string;
  next: Environments;
  changes: PinChange[];
  /** The commit subject, e.g. "promptgate(production): rollback support-answer v5 → v4". */
  summary: string;
  /** The commit that introduced what a rollback undoes (`Promptgate-Rolls-Back`). */
  rollsBack?: string;
  skipped: SkippedValue[];
  warnings: string[];
  bypassedFreeze?: boolean;
  /** Eval gates overridden with `--force`, e.g. "support-answer@v5 (failure)". */
  forcedGates?: string[];
}

export interface NoopPlan {
  kind: "noop";
  action: PlanAction;
  env: string;
  message: string;
}

export type RefusalCode =
  | "unknown-env"
  | "unknown-prompt"
  | "unknown-version"
  | "unknown-sha"
  | "ambiguous-prompt"
  | "no-previous"
  /** An explicit rollback target the environment never held: that is a promotion. */
  | "never-held"
  | "frozen"
  | "order"
  | "gate";

export interface RefusedPlan {
  kind: "refused";
  code: RefusalCode;
  reason: string;
  hint?: string;
}

export type Plan = ChangePlan | NoopPlan | RefusedPlan;

export interface PlanInput {
  command: ActionCommand;
  environments: Environments;
  settings: Settings;
  /** Commits of `environments.yaml`, newest first; the first one holds `environments`. */
  history: readonly HistoryEntry[];
  /** Versions present under `prompts/`, per prompt. */
  availableVersions: ReadonlyMap<string, readonly string[]>;
  actor: string;
  /** ISO time, recorded in freezes. */
  now: string;
}

export function planCommand(input: PlanInput): Plan {
  const { command } = input;
  switch (command.kind) {
    case "rollback":
      return planRollback(input, command);
    case "promote":
      return planPromote(input, command);
    case "canary-traffic":
      return planCanaryTraffic(input, command);
    case "freeze":
      return planFreeze(input, command);
    case "unfreeze":
      return planUnfreeze(input, command);
  }
}

// ---------------------------------------------------------------------------------------------
// Shared checks

const code = (s: string) => `\`${s}\``;
const list = (items: readonly string[]) => items.map(code).join(", ");

function unknownEnv(envs: Environments, env: string): RefusedPlan | undefined {
  if (envs.environments[env]) return undefined;
  const names = Object.keys(envs.environments);
  // `prod` for production, `prodution` for production; never a far guess.
  const near = suggestClosest(env, names, { abbreviationsFrom: 3 });
  return {
    kind: "refused",
    code: "unknown-env",
    reason: `there is no environment ${code(env)}; the environments are ${list(names)}`,
    ...(near ? { hint: `did you mean ${code(near)}?` } : {}),
  };
}

function unknownPrompt(envs: Environments, env: string, prompt: string): RefusedPlan | undefined {
  const pins = envs.environments[env]?.prompts ?? {};
  if (pins[prompt]) return undefined;
  const names = Object.keys(pins);
  return {
    kind: "refused",
    code: "unknown-prompt",
    reason:
      names.length > 0
        ? `${env} does not pin ${code(prompt)}; it pins ${list(names)}`
        : `${env} pins no prompts`,
  };
}

function freezeOf(envs: Environments, env: string): Freeze | undefined {
  return envs.freezes[env];
}

function describeFreeze(env: string, f: Freeze): string {
  // The reason is text from environments.yaml: quoted like the status reply quotes it.
  return `${env} is frozen by ${quoteActor(f.by)} since ${f.since}${f.reason ? ` (${quoteText(f.reason)})` : ""}`;
}

/**
 * Canary's share is production traffic: a production freeze lets it shrink, never grow, whichever
 * command form sets it (see {@link canaryShareSetBy}).
 */
function refuseCanaryGrowth(input: PlanInput): RefusedPlan | undefined {
  const share = canaryShareSetBy(input.command);
  if (share === undefined || share <= trafficOf(input.environments, CANARY)) return undefined;
  const productionEnv = input.settings.rollout.production;
  const productionFreeze = freezeOf(input.environments, productionEnv);
  if (!productionFreeze) return undefined;
  return {
    kind: "refused",
    code: "frozen",
    reason: `${describeFreeze(productionEnv, productionFreeze)}: ${CANARY}'s share of its traffic may shrink but not grow`,
    hint: `\`/promptgate unfreeze ${productionEnv}\` lifts it; \`/rollback ${CANARY}\` still sets ${CANARY}'s traffic to 0`,
  };
}

function versionExists(input: PlanInput) {
  return (prompt: string, version: string): boolean =>
    input.availableVersions.get(prompt)?.includes(version) ?? false;
}

function trafficOf(envs: Environments, env: string): number {
  return envs.environments[env]?.traffic ?? 0;
}

function commitSubject(env: string, text: string): string {
  return `promptgate(${env}): ${text}`;
}

function describeChange(c: PinChange): string {
  switch (c.kind) {
    case "pin":
      return describeMove(c.prompt, c.before, c.after);
    case "traffic":
      return `${c.env} traffic ${c.before ?? 0}% → ${c.after}%`;
    case "freeze":
      return c.after ? `freeze ${c.env}` : `unfreeze ${c.env}`;
  }
}

function joinMoves(changes: PinChange[]): string {
  const parts = changes.map(describeChange);
  if (parts.length <= 3) return parts.join(", ");
  return `${parts.slice(0, 3).join(", ")} and ${parts.length - 3} more`;
}

/** Prompts of canary (at non-zero traffic) that still serve a value a rollback moved away from. */
function canaryStillServes(envs: Environments, moved: PinChange[]): string[] {
  const canary = envs.environments[CANARY];
  const traffic = canary?.traffic ?? 0;
  if (!canary || traffic === 0) return [];
  const out: string[] = [];
  for (const c of moved) {
    if (c.kind !== "pin" || c.env === CANARY || !c.before) continue;
    if (samePin(canary.prompts[c.prompt], c.before)) {
      out.push(
        `${CANARY} still serves ${pinLabel(c.prompt, c.before)} at ${traffic}%: \`/rollback ${CANARY}\` stops it`,
      );
    }
  }
  return out;
}

function refuseUnknownVersion(
  input: PlanInput,
  env: string,
  prompt: string,
  version: string,
): RefusedPlan {
  const exists = versionExists(input);
  const current = input.environments.environments[env]?.prompts[prompt];
  const recent = listRecentGoodValues(input.history, env, prompt, current, exists).map(pinValue);
  const available = [...(input.availableVersions.get(prompt) ?? [])]
    .sort(compareVersions)
    .reverse()
    .slice(0, 5);
  const offer =
    recent.length > 0
      ? `recent good values in ${env}: ${list(recent)}`
      : available.length > 0
        ? `the newest versions are ${list(available)}`
        : `there are no versions of ${code(prompt)} under ${input.settings.paths.prompts}/`;
  return {
    kind: "refused",
    code: "unknown-version",
    reason: `${code(`${prompt}@${version}`)} does not exist in ${input.settings.paths.prompts}/${prompt}/; ${offer}`,
  };
}

/**
 * An explicit rollback target `env` never held (per the history read): a rollback only goes back,
 * so the reply points to `/promote`, which checks the eval gate, and lists what it may go back to.
 */
function refuseNeverHeld(
  input: PlanInput,
  env: string,
  prompt: string,
  target: { version: string; model?: string },
): RefusedPlan {
  const exists = versionExists(input);
  const current = input.environments.environments[env]?.prompts[prompt];
  const recent = listRecentGoodValues(input.history, env, prompt, current, exists).map(pinValue);
  const label = pinLabel(prompt, target);
  const otherModels =
    target.model === undefined
      ? []
      : [
          ...new Set(
            input.history
              .map((h) => h.environments.environments[env]?.prompts[prompt])
              .filter((p): p is Pin => p?.version === target.version)
              .map(pinValue),
          ),
        ];
  // The promotion that would do it names the prompt (without one, /promote moves every prompt
  // of the source) and says what the source would put live.
  const order = input.settings.rollout.order;
  const at = order.indexOf(env);
  const from = at > 0 ? order[at - 1] : undefined;
  const source = from ? input.environments.environments[from]?.prompts[prompt] : undefined;
  const promote =
    from && source
      ? `\`/promote ${from} to ${env} ${prompt}\` puts ${from}'s ${code(pinValue(source))} live`
      : `\`/promote <env> to ${env} ${prompt}\` puts another environment's value live`;
  return {
    kind: "refused",
    code: "never-held",
    reason: `${env} never served ${code(label)} according to the history of ${input.settings.paths.environments}${
      otherModels.length > 0 ? ` (it served ${list(otherModels)})` : ""
    }: a rollback only returns ${env} to a value it held before`,
    hint: `to put a new value live, promote it: ${promote}, checking its eval gate${
      recent.length > 0
        ? `; ${env} can roll back to ${list(recent)}`
        : `; ${env} held no other value that still exists`
    }`,
  };
}

// ---------------------------------------------------------------------------------------------
// Rollback: never blocked by order, gates or freezes; it must always work.

function planRollback(input: PlanInput, cmd: RollbackCommand): Plan {
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
        const what = prompts.length === 1 ? code(prompts[0]!) : env;
        return {
          kind: "refused",
          code: "no-previous",
          reason: `the history of ${input.settings.paths.environments} holds no earlier good value of ${what} in ${env}${
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

// ---------------------------------------------------------------------------------------------
// Promote: follows rollout.order, blocked by a freeze of the target (and, for canary's share, of
// production).

function planPromote(input: PlanInput, cmd: PromoteCommand): Plan {
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
function planCanaryTraffic(input: PlanInput, cmd: CanaryTrafficCommand): Plan {
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

// ---------------------------------------------------------------------------------------------
// Freeze

function planFreeze(input: PlanInput, cmd: FreezeCommand): Plan {
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

function planUnfreeze(input: PlanInput, cmd: UnfreezeCommand): Plan {
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

// ---------------------------------------------------------------------------------------------
// Eval gates (the statuses live on GitHub; the bot fetches them and decides here)

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
    return {
      kind: "refused",
      code: "gate",
      reason: `no passing eval gate for ${described.join(", ")} on the commit that introduced ${failing.length === 1 ? "it" : "them"}`,
      hint: "fix and re-run the eval in a pull request; an admin can override with `--force`",
    };
  }
  return {
    ...plan,
    forcedGates: described,
    warnings: [...plan.warnings, `eval gate overridden with \`--force\`: ${described.join(", ")}`],
  };
}

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
