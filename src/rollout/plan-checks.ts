import type { Environments, Freeze, Pin } from "../formats/environments.js";
import { compareVersions } from "../formats/prompt-file.js";
import { suggestClosest } from "../suggest.js";
import { CANARY } from "./command.js";
import { listRecentGoodValues } from "./history.js";
import { canaryShareSetBy } from "./permissions.js";
import { describeMove, pinLabel, pinValue, samePin } from "./pins.js";
import type { PinChange, PlanInput, RefusedPlan } from "./plan.js";
import { limitList, quoteActor, quoteText } from "./quote.js";

/** The refusals and wording every command's plan shares. */

export const code = quoteText;
export const list = (items: readonly string[]) => limitList(items.map(code)).join(", ");

export function unknownEnv(envs: Environments, env: string): RefusedPlan | undefined {
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

export function unknownPrompt(
  envs: Environments,
  env: string,
  prompt: string,
): RefusedPlan | undefined {
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

export function freezeOf(envs: Environments, env: string): Freeze | undefined {
  return envs.freezes[env];
}

export function describeFreeze(env: string, f: Freeze): string {
  // The reason is text from environments.yaml: quoted like the status reply quotes it.
  return `${env} is frozen by ${quoteActor(f.by)} since ${f.since}${f.reason ? ` (${quoteText(f.reason)})` : ""}`;
}

/**
 * Canary's share is production traffic: a production freeze lets it shrink, never grow, whichever
 * command form sets it (see {@link canaryShareSetBy}).
 */
export function refuseCanaryGrowth(input: PlanInput): RefusedPlan | undefined {
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

export function versionExists(input: PlanInput) {
  return (prompt: string, version: string): boolean =>
    input.availableVersions.get(prompt)?.includes(version) ?? false;
}

export function trafficOf(envs: Environments, env: string): number {
  return envs.environments[env]?.traffic ?? 0;
}

export function commitSubject(env: string, text: string): string {
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

export function joinMoves(changes: PinChange[]): string {
  const parts = changes.map(describeChange);
  if (parts.length <= 3) return parts.join(", ");
  return `${parts.slice(0, 3).join(", ")} and ${parts.length - 3} more`;
}

/** Prompts of canary (at non-zero traffic) that still serve a value a rollback moved away from. */
export function canaryStillServes(envs: Environments, moved: PinChange[]): string[] {
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

export function refuseUnknownVersion(
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
export function refuseNeverHeld(
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
