import { describeError, PromptgateError, PromptgateErrors } from "../errors.js";
import { scrubberFor } from "../io/model-stack.js";
import { suggestClosest } from "../suggest.js";
import { costCommand } from "./commands/cost.js";
import { diffCommand } from "./commands/diff.js";
import { driftCommand } from "./commands/drift.js";
import { evalCommand } from "./commands/eval.js";
import { importCommand } from "./commands/import.js";
import { reportCommand } from "./commands/report.js";
import { promoteCommand, rollbackCommand, statusCommand } from "./commands/rollout.js";
import { shadowCommand } from "./commands/shadow.js";
import { validateCommand } from "./commands/validate.js";
import { type CliIo, type Command, EXIT, type ExitCode } from "./io.js";

const commands: Command[] = [
  evalCommand,
  diffCommand,
  costCommand,
  validateCommand,
  reportCommand,
  rollbackCommand,
  promoteCommand,
  statusCommand,
  importCommand,
  driftCommand,
  shadowCommand,
];

export function registerCommand(command: Command): void {
  commands.push(command);
}

function renderHelp(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return `promptgate — evals, cost deltas and safe rollouts for LLM prompts

usage: promptgate <command> [options]     (promptgate <command> --help for its options)

${commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join("\n")}

exit codes: 0 ok, 1 a gate blocked or files are invalid, 2 bad usage or configuration,
            3 too many samples errored to decide, 4 unexpected failure (a bug)
`;
}

/** The CLI's one error boundary: every command's failure becomes a message and an exit code. */
export async function runCli(argv: string[], io: CliIo): Promise<ExitCode> {
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    io.stdout.write(renderHelp());
    return name ? EXIT.ok : EXIT.usage;
  }
  if (name === "--version") {
    io.stdout.write("promptgate 0.1.0\n");
    return EXIT.ok;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    // The same near-miss rule as the bot's commands: `promptgate evl` is a slip of `eval`.
    const near = suggestClosest(
      name,
      commands.map((c) => c.name),
    );
    const hint = near ? `; did you mean \`promptgate ${near}\`?` : "";
    io.stderr.write(`error E_USAGE: unknown command "${name}"${hint}\n\n${renderHelp()}`);
    return EXIT.usage;
  }
  try {
    return await command.run(rest, io);
  } catch (e) {
    // The one error boundary is also the last writer before a CI log.
    const error = asInputFileError(e) ?? e;
    io.stderr.write(`${scrubberFor(io.env)(describeError(error))}\n`);
    return exitCodeFor(error);
  }
}

/**
 * A file the user named that cannot be read is their input, not our bug: exit 2 with the path
 * (`report --merge missing.json` once exited 4, "please report it").
 */
function asInputFileError(e: unknown): PromptgateError | undefined {
  const err = e as NodeJS.ErrnoException;
  if (!(e instanceof Error) || typeof err.path !== "string") return undefined;
  const why: Record<string, string> = {
    ENOENT: "no such file",
    EACCES: "permission denied",
    EPERM: "permission denied",
    EISDIR: "is a directory, not a file",
    ENOTDIR: "a parent of it is not a directory",
  };
  const reason = err.code ? why[err.code] : undefined;
  if (!reason) return undefined;
  return new PromptgateError("E_NOT_FOUND", `cannot read ${err.path}: ${reason}`, {
    hint: "check the path (relative paths are resolved from the current directory)",
    cause: e,
  });
}

function exitCodeFor(e: unknown): ExitCode {
  const first =
    e instanceof PromptgateErrors ? e.errors[0] : e instanceof PromptgateError ? e : undefined;
  const code = first?.code;
  switch (code) {
    case undefined:
      return EXIT.internal;
    case "E_USAGE":
    case "E_CONFIG":
    case "E_NOT_FOUND":
    case "E_GIT":
      return EXIT.usage;
    case "E_LLM":
      return EXIT.errors;
    case "E_LIMIT":
      // A file over a size or depth limit is an invalid file (1); a run over its limits
      // (`limits:`, the --max-* flags) names no file: it is the run's configuration (2).
      return first?.location ? EXIT.blocked : EXIT.usage;
    default:
      // Invalid files (YAML, schema, prompt, live edit) block like a failed gate: fix and re-run.
      return EXIT.blocked;
  }
}
