import { CANARY } from "./command.js";
import { pinLabel } from "./pins.js";
import type { ChangePlan } from "./plan.js";

/**
 * The commands that put an applied change back, as the bot reads them (`/rollback …`); the CLI
 * says them as `promptgate rollback …`. An on-call engineer who just rolled back the wrong thing
 * at 3 a.m. copies the line, not the grammar. A rollback to a named value skips order, gates and
 * freezes, so it undoes a promotion as surely as a rollback.
 */
export interface Undo {
  commands: string[];
  /** What no command can put back (a pin that did not exist before): done by hand. */
  manual: string[];
}

export function listUndoCommands(plan: ChangePlan): Undo {
  const commands: string[] = [];
  const manual: string[] = [];
  for (const c of plan.changes) {
    switch (c.kind) {
      case "pin":
        if (c.before) commands.push(`/rollback ${c.env} to ${pinLabel(c.prompt, c.before)}`);
        else manual.push(`remove the pin of ${c.prompt} from ${c.env} in environments.yaml`);
        break;
      case "traffic":
        if (c.env === CANARY) commands.push(`/promote ${CANARY} --traffic ${c.before ?? 0}`);
        break;
      case "freeze":
        if (c.before && !c.after) commands.push(`/promptgate freeze ${c.env}`);
        else if (!c.before && c.after) commands.push(`/promptgate unfreeze ${c.env}`);
        break;
    }
  }
  return { commands: [...new Set(commands)], manual };
}

/** A command of the bot's grammar as the CLI twin takes it: `/rollback x` → `promptgate rollback x`. */
export function toCliCommand(command: string): string {
  return command.replace(/^\/(?:promptgate )?/, "promptgate ");
}
