import type { Environments, Pin } from "../formats/environments.js";
import { formatTrafficShare } from "../numbers.js";

/**
 * A pin's identity is its version and model: a model swap is a deploy too, so `v4` with two
 * different models are two values for rollback and for the audit trail.
 */
export function samePin(a: Pin | undefined | null, b: Pin | undefined | null): boolean {
  if (!a || !b) return !a && !b;
  return a.version === b.version && (a.model ?? "") === (b.model ?? "");
}

/** `v5` or `v5+gpt-4o-2024-08-06`. */
export function pinValue(pin: Pin): string {
  return pin.model ? `${pin.version}+${pin.model}` : pin.version;
}

/** `support-answer@v5` or `support-answer@v5+gpt-4o-2024-08-06`. */
export function pinLabel(prompt: string, pin: Pin): string {
  return `${prompt}@${pinValue(pin)}`;
}

/** Short form for subjects: the model only when it is what changed or differs. */
export function describeMove(prompt: string, before: Pin | null, after: Pin | null): string {
  if (!after) return `${prompt} ${before ? pinValue(before) : "none"} → removed`;
  if (!before) return `${prompt} ${pinValue(after)} (new)`;
  const showModel = (before.model ?? "") !== (after.model ?? "");
  const fmt = (p: Pin) => (showModel ? `${p.version}+${p.model ?? "default"}` : p.version);
  return `${prompt} ${fmt(before)} → ${fmt(after)}`;
}

export function pinOf(envs: Environments, env: string, prompt: string): Pin | undefined {
  return envs.environments[env]?.prompts[prompt];
}

export function shortSha(sha: string): string {
  return sha.slice(0, 7);
}

export function cloneEnvironments(envs: Environments): Environments {
  return structuredClone(envs);
}

/**
 * The rows of a status table, one per pin (environment, prompt, version, model, traffic): the
 * same for the bot's reply and the CLI's `promptgate status`, which only lay them out differently.
 */
export function listStatusRows(envs: Environments, names: readonly string[]): string[][] {
  const rows: string[][] = [];
  for (const name of names) {
    const e = envs.environments[name]!;
    const traffic = e.traffic === undefined ? "—" : formatTrafficShare(e.traffic);
    const pins = Object.entries(e.prompts);
    if (pins.length === 0) rows.push([name, "(no pins)", "", "", traffic]);
    for (const [prompt, pin] of pins) {
      rows.push([name, prompt, pin.version, pin.model ?? "(front matter)", traffic]);
    }
  }
  return rows;
}
