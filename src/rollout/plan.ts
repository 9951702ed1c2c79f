import type { Environments, Freeze, Pin } from "../formats/environments.js";
import type { Settings } from "../formats/settings.js";
import type { ActionCommand } from "./command.js";
import type { HistoryEntry, SkippedValue } from "./history.js";
import { planFreeze, planUnfreeze } from "./plan-freeze.js";
import { planCanaryTraffic, planPromote } from "./plan-promote.js";
import { planRollback } from "./plan-rollback.js";

/**
 * Transitions of `environments.yaml`: a command plus the files and the file's history in, a planned
 * change (the next file content and what moved) or a refusal out. Nothing here reads or writes:
 * the bot and the CLI own the I/O and call this again after a lost compare-and-swap.
 *
 * One file per command family: plan-rollback.ts, plan-promote.ts (with canary traffic),
 * plan-freeze.ts, and plan-checks.ts for the refusals and wording they share. The eval gate of a
 * promotion is decided in eval-gates.ts, the compare-and-swap rule in conflicts.ts.
 */

// Callers (the action among them) have imported the gate's status name from here.
export { gateContext } from "./eval-gates.js";

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
