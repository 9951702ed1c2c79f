import { readFile, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { PromptgateError } from "../../errors.js";
import { type Environments, parseEnvironments } from "../../formats/environments.js";
import { listPromptVersions } from "../../formats/prompt-path.js";
import { parseSettingsOrDefaults, SETTINGS_FILE, type Settings } from "../../formats/settings.js";
import { worktreeSource } from "../../io/file-sources.js";
import { commitFile, readGitUserName, requireCleanFile } from "../../io/git-commit.js";
import { readGitHistory } from "../../io/git-history.js";
import {
  type ActionCommand,
  applyGateResults,
  applyPlanToYaml,
  type ChangePlan,
  formatCommitMessage,
  type HistoryEntry,
  listGatedVersions,
  listLastChanges,
  listStatusRows,
  listUndoCommands,
  type Plan,
  parseCommand,
  pinValue,
  planCommand,
  toCliCommand,
  USAGE,
} from "../../rollout/index.js";
import { parseFlags } from "../args.js";
import { textTable } from "../format.js";
import { type CliIo, type Command, EXIT, type ExitCode } from "../io.js";

/**
 * `promptgate rollback|promote|status` on a local checkout: the bot's transitions without GitHub,
 * for a laptop or a pipeline without the app. The same grammar (the comment line without its
 * slash), the same plan, the same edit of `environments.yaml` and the same commit message and
 * trailers — committed locally with `git commit`, never pushed.
 */

/** A local `git log` and one `cat-file --batch` are cheap: read as far back as the bot may go. */
const HISTORY_DEPTH = 800;

const LOCAL_FLAGS = {
  root: { type: "string" },
  actor: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

const LOCAL_USAGE = `Options of the CLI only:
  --root DIR     the checkout (default: the current directory)
  --actor NAME   who is recorded in Promptgate-Actor (default: $GITHUB_ACTOR, then git's user.name)

Reads promptgate.yaml, environments.yaml and prompts/ from the working tree and the history of
environments.yaml from git, then commits the change to environments.yaml alone (nothing is pushed).
Eval gates live on GitHub as commit statuses, which a checkout cannot see: promote needs --force
here, and the commit records that the gate was not checked. Exit codes: 0 applied, no-op or dry
run; 1 refused; 2 bad usage.`;

export const rollbackCommand: Command = {
  name: "rollback",
  summary: "roll an environment back in environments.yaml (local commit)",
  usage: `promptgate ${USAGE.rollback.slice(1)}\n\n${LOCAL_USAGE}`,
  run: (argv, io) => runTransition("rollback", argv, io, rollbackCommand.usage),
};

export const promoteCommand: Command = {
  name: "promote",
  summary: "promote pins to the next environment, or set canary traffic (local commit)",
  usage: `${USAGE.promote
    .split("\n")
    .map((form) => `promptgate ${form.slice(1)}`)
    .join("\n")}\n\n${LOCAL_USAGE}`,
  run: (argv, io) => runTransition("promote", argv, io, promoteCommand.usage),
};

const statusUsage = `promptgate status [<env>] [--root DIR] [--json]

What each environment pins now (working tree), its traffic, and any freeze.`;

export const statusCommand: Command = {
  name: "status",
  summary: "what each environment pins now",
  usage: statusUsage,
  async run(argv, io) {
    const { values, positionals } = parseFlags(
      argv,
      {
        root: { type: "string" },
        json: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
      statusUsage,
      1,
    );
    if (values.help) {
      io.stdout.write(`${statusUsage}\n`);
      return EXIT.ok;
    }
    const root = resolve(io.cwd, values.root ?? ".");
    const { environments } = await readCheckout(root);
    const env = positionals[0];
    if (env !== undefined && !environments.environments[env]) {
      throw new PromptgateError("E_NOT_FOUND", `there is no environment "${env}"`, {
        hint: `the environments are ${Object.keys(environments.environments).join(", ")}`,
      });
    }
    const names = env !== undefined ? [env] : Object.keys(environments.environments);
    if (values.json) {
      const pick = Object.fromEntries(names.map((n) => [n, environments.environments[n]]));
      const freezes = Object.fromEntries(
        names.filter((n) => environments.freezes[n]).map((n) => [n, environments.freezes[n]]),
      );
      io.stdout.write(`${JSON.stringify({ environments: pick, freezes })}\n`);
      return EXIT.ok;
    }
    const { environmentsPath } = await readCheckout(root);
    const history = await readGitHistory(root, environmentsPath, STATUS_HISTORY_DEPTH).catch(
      // Not a git checkout (a copied folder): the pins still show, without their history.
      () => [],
    );
    io.stdout.write(`${renderStatusText(environments, names, history)}\n`);
    return EXIT.ok;
  },
};

/** Enough to find when each environment last changed, without reading the whole history. */
const STATUS_HISTORY_DEPTH = 50;

function renderStatusText(
  environments: Environments,
  names: string[],
  history: readonly HistoryEntry[],
): string {
  const rows = [
    ["environment", "prompt", "version", "model", "traffic"],
    ...listStatusRows(environments, names),
  ];
  const lines = [textTable(rows)];
  for (const c of listLastChanges(history, names)) {
    lines.push(
      `${c.env}: ${c.exact ? "since" : "at least since"} ${c.since}, by ${c.by}, commit ${c.sha.slice(0, 7)} (${c.subject})`,
    );
  }
  for (const name of names) {
    const f = environments.freezes[name];
    if (f)
      lines.push(`${name} is frozen by ${f.by} since ${f.since}${f.reason ? `: ${f.reason}` : ""}`);
  }
  return lines.join("\n");
}

// ---------------------------------------------------------------------------------------------

async function runTransition(
  verb: "rollback" | "promote",
  argv: string[],
  io: CliIo,
  usage: string,
): Promise<ExitCode> {
  const { local, rest } = splitLocalFlags(argv);
  const { values } = parseFlags(local, LOCAL_FLAGS, usage);
  if (values.help) {
    io.stdout.write(`${usage}\n`);
    return EXIT.ok;
  }
  const command = parseCliCommand(verb, rest);
  const root = resolve(io.cwd, values.root ?? ".");
  const checkout = await readCheckout(root);
  await requireCleanFile(root, checkout.environmentsPath);
  const history = await readGitHistory(root, checkout.environmentsPath, HISTORY_DEPTH);
  const login = values.actor ?? io.env.GITHUB_ACTOR;
  const actor = login ?? (await readGitUserName(root)) ?? "unknown";

  let plan: Plan = planCommand({
    command,
    environments: checkout.environments,
    settings: checkout.settings,
    history,
    availableVersions: checkout.availableVersions,
    actor,
    now: new Date().toISOString().replace(/\.\d{3}Z$/, "Z"),
  });
  if (plan.kind === "change" && listGatedVersions(plan).length > 0) {
    // No commit statuses here: every gate is unknown, so only --force may promote (fail closed).
    const force = command.kind === "promote" && command.force;
    plan = applyGateResults(plan, {}, force);
    if (plan.kind === "refused") {
      plan = {
        ...plan,
        reason: `${plan.reason}: a checkout cannot see the eval gates (commit statuses on GitHub)`,
        hint: "promote with the bot, or add --force after checking the gate yourself",
      };
    }
  }

  switch (plan.kind) {
    case "noop":
      io.stdout.write(`${plan.message}. Nothing to change.\n`);
      return EXIT.ok;
    case "refused":
      io.stderr.write(
        `refused: ${speakCli(plan.reason)}\n${plan.hint ? `  hint: ${speakCli(plan.hint)}\n` : ""}`,
      );
      return EXIT.blocked;
    case "change":
      break;
  }
  const dryRun = "dryRun" in command && command.dryRun;
  const text = applyPlanToYaml(checkout.environmentsText, plan, checkout.environmentsPath);
  if (dryRun) {
    io.stdout.write(
      `would commit: ${plan.summary}\n${renderPlanText(plan)}\nnothing was committed (--dry-run)\n`,
    );
    return EXIT.ok;
  }
  const message = formatCommitMessage(plan, {
    action: plan.action,
    env: plan.env,
    actor,
    actorIsLogin: login !== undefined,
    ...("reason" in command && command.reason ? { reason: command.reason } : {}),
  });
  await writeFile(join(root, checkout.environmentsPath), text);
  const sha = await commitFile(root, checkout.environmentsPath, message);
  const { commands, manual } = listUndoCommands(plan);
  const undo = [...commands.map(toCliCommand), ...manual.map((m) => `by hand: ${m}`)];
  io.stdout.write(
    `${sha.slice(0, 7)} ${plan.summary}\n${renderPlanText(plan)}\n` +
      `committed locally at ${sha.slice(0, 7)}; push to apply (git push)\n` +
      (undo.length > 0 ? `to undo: ${undo.join(", then ")}\n` : ""),
  );
  return EXIT.ok;
}

function renderPlanText(plan: ChangePlan): string {
  const rows = [["environment", "prompt", "before", "after"]];
  for (const c of plan.changes) {
    if (c.kind === "pin") {
      rows.push([
        c.env,
        c.prompt,
        c.before ? pinValue(c.before) : "none",
        c.after ? pinValue(c.after) : "removed",
      ]);
    } else if (c.kind === "traffic") {
      rows.push([c.env, "traffic", `${c.before ?? 0}%`, `${c.after}%`]);
    } else {
      rows.push([c.env, "freeze", c.before ? "frozen" : "open", c.after ? "frozen" : "open"]);
    }
  }
  const notes = [
    ...plan.skipped.map((s) => `skipped ${s.value} (${s.sha.slice(0, 7)}): ${s.why}`),
    ...plan.warnings.map((w) => `warning: ${speakCli(w).replace(/`/g, "")}`),
  ];
  return [textTable(rows), ...notes].join("\n");
}

/**
 * The plans speak the bot's grammar (`/rollback canary` stops it); the CLI twin says the command
 * a terminal takes.
 */
function speakCli(text: string): string {
  return text.replace(/`\/(?:promptgate )?/g, "`promptgate ");
}

/** `--root`/`--actor`/`--help` are the CLI's; everything else is the command's own grammar. */
function splitLocalFlags(argv: string[]): { local: string[]; rest: string[] } {
  const local: string[] = [];
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const name = arg.split("=")[0];
    if (name === "--root" || name === "--actor") {
      local.push(arg);
      if (!arg.includes("=") && i + 1 < argv.length) local.push(argv[++i]!);
    } else if (arg === "--help" || arg === "-h") {
      local.push(arg);
    } else {
      rest.push(arg);
    }
  }
  return { local, rest };
}

/** The argv as the comment line the bot would parse: `/rollback production --reason "…"`. */
export function toCommandLine(verb: "rollback" | "promote", args: readonly string[]): string {
  const quote = (arg: string) => {
    if (!/[\s"“”'‘’]/.test(arg) && arg !== "") return arg;
    const clean = arg.replace(/"/g, "'");
    const eq = /^(--[a-z-]+)=(.*)$/s.exec(clean);
    return eq ? `${eq[1]}="${eq[2]}"` : `"${clean}"`;
  };
  return `/${verb} ${args.map(quote).join(" ")}`.trimEnd();
}

function parseCliCommand(verb: "rollback" | "promote", args: readonly string[]): ActionCommand {
  const parsed = parseCommand(toCommandLine(verb, args));
  switch (parsed.kind) {
    case "rollback":
    case "promote":
    case "canary-traffic":
      return parsed;
    case "invalid":
      throw new PromptgateError("E_USAGE", parsed.message.replace(/`\//g, "`promptgate "), {
        hint: `${parsed.suggestion ? `did you mean ${parsed.suggestion.replace(/^\//, "promptgate ")}? ` : ""}usage: ${parsed.usage.replace(/(^|\n)\//g, "$1promptgate ")}`,
      });
    default:
      throw new PromptgateError("E_USAGE", `not a ${verb} command: ${args.join(" ")}`, {
        hint: `usage: ${USAGE[verb].replace(/(^|\n)\//g, "$1promptgate ")}`,
      });
  }
}

// ---------------------------------------------------------------------------------------------
// The checkout

interface Checkout {
  settings: Settings;
  environmentsPath: string;
  environmentsText: string;
  environments: Environments;
  availableVersions: Map<string, string[]>;
}

async function readCheckout(root: string): Promise<Checkout> {
  const source = worktreeSource(root);
  const settingsText = await source.read(SETTINGS_FILE);
  const settings = parseSettingsOrDefaults(settingsText);
  const environmentsPath = settings.paths.environments;
  let environmentsText: string;
  try {
    environmentsText = await readFile(join(root, environmentsPath), "utf8");
  } catch {
    throw new PromptgateError("E_NOT_FOUND", `${environmentsPath} does not exist in ${root}`, {
      hint: "run this in a checkout of the repository that holds your prompts (or pass --root)",
    });
  }
  const availableVersions = listPromptVersions(
    await source.list(settings.paths.prompts),
    settings.paths.prompts,
  );
  return {
    settings,
    environmentsPath,
    environmentsText,
    environments: parseEnvironments(environmentsText, environmentsPath),
    availableVersions,
  };
}
