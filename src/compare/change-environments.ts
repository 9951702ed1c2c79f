import { isDeepStrictEqual } from "node:util";
import type { Environments, Pin } from "../formats/environments.js";
import type { EnvironmentChange } from "./change-types.js";

/**
 * The before → after of `environments.yaml`, by meaning rather than by line: reordering keys or
 * editing comments is no change. Environments keep the head's order (the order the file shows),
 * then those removed; prompts are sorted by name.
 */
export function diffEnvironments(
  before: Environments | undefined,
  after: Environments | undefined,
): EnvironmentChange[] {
  const envsBefore = before?.environments ?? {};
  const envsAfter = after?.environments ?? {};
  const names = unique([...Object.keys(envsAfter), ...Object.keys(envsBefore)]);
  const changes: EnvironmentChange[] = [];

  for (const env of names) {
    const b = envsBefore[env];
    const a = envsAfter[env];
    if (!b || !a) changes.push({ kind: "environment", env, change: a ? "added" : "removed" });

    const trafficBefore = b?.traffic ?? null;
    const trafficAfter = a?.traffic ?? null;
    if (trafficBefore !== trafficAfter) {
      changes.push({ kind: "traffic", env, before: trafficBefore, after: trafficAfter });
    }

    const prompts = unique([...Object.keys(a?.prompts ?? {}), ...Object.keys(b?.prompts ?? {})]);
    for (const prompt of prompts.sort()) {
      const pinBefore: Pin | null = b?.prompts[prompt] ?? null;
      const pinAfter: Pin | null = a?.prompts[prompt] ?? null;
      if (isDeepStrictEqual(pinBefore, pinAfter)) continue;
      changes.push({
        kind: "pin",
        env,
        prompt,
        before: pinBefore,
        after: pinAfter,
        needsGate: pinAfter !== null && pinAfter.version !== pinBefore?.version,
      });
    }
  }

  const freezesBefore = before?.freezes ?? {};
  const freezesAfter = after?.freezes ?? {};
  for (const env of unique([...Object.keys(freezesAfter), ...Object.keys(freezesBefore)])) {
    const b = freezesBefore[env];
    const a = freezesAfter[env];
    if (a && !b)
      changes.push({ kind: "freeze", env, change: "frozen", by: a.by, reason: a.reason });
    else if (b && !a) changes.push({ kind: "freeze", env, change: "unfrozen" });
  }
  return changes;
}

function unique(items: string[]): string[] {
  return [...new Set(items)];
}
