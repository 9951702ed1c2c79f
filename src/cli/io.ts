/** What a command may touch: passed in so tests run commands in-process with captured output. */
export interface CliIo {
  cwd: string;
  env: Record<string, string | undefined>;
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WriteStream;
}

/** Exit codes, documented in the README. */
export const EXIT = {
  ok: 0,
  /** a gate blocked, or validation found errors */
  blocked: 1,
  /** bad command line or configuration */
  usage: 2,
  /** too many samples errored to give a verdict */
  errors: 3,
  /** an unexpected failure (a bug: please report it) */
  internal: 4,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export interface Command {
  name: string;
  summary: string;
  usage: string;
  run(argv: string[], io: CliIo): Promise<ExitCode>;
}
