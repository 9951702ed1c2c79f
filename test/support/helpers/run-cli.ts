import { PassThrough } from "node:stream";
import type { ExitCode } from "../../../src/cli/io.js";
import { runCli } from "../../../src/cli/main.js";
import { readDemo } from "./demo-pull-request.js";
import { createGitRepo, type GitRepo } from "./git-repo.js";

/**
 * The CLI in process, for the tests: `promptgate <argv>` through main.ts (the CLI's error
 * boundary, its exit codes and messages), with what it printed captured as text.
 *
 *   const { code, out, err } = await runCliCaptured(["validate"], { cwd: repo.root });
 *
 * Why one helper: the capture is plumbing every CLI test needs, and it was copied into each of
 * them. What a test runs the CLI with (its folder, its environment, its flags) stays in the test,
 * where it is what the test is about; a file's own wrapper, when it has one, adds only that.
 */
export interface CliRun {
  code: ExitCode;
  /** Everything written to stdout: the command's result (tables, JSON, the `ok:` line). */
  out: string;
  /** Everything written to stderr: errors, warnings, progress. */
  err: string;
}

export interface CliRunOptions {
  cwd: string;
  /** The whole environment the CLI sees: nothing of the test process's leaks in (default: none). */
  env?: Record<string, string | undefined>;
}

export async function runCliCaptured(argv: string[], options: CliRunOptions): Promise<CliRun> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  // Decoded by the stream, not chunk by chunk: a character written in two pieces comes out whole.
  stdout.setEncoding("utf8");
  stderr.setEncoding("utf8");
  let out = "";
  let err = "";
  stdout.on("data", (chunk: string) => {
    out += chunk;
  });
  stderr.on("data", (chunk: string) => {
    err += chunk;
  });
  const code = await runCli(argv, {
    cwd: options.cwd,
    env: options.env ?? {},
    stdout,
    // CliIo wants a WriteStream (the progress line asks it for isTTY); a PassThrough has none,
    // which is what a CI log is.
    stderr: stderr as unknown as NodeJS.WriteStream,
  });
  return { code, out, err };
}

/**
 * The demo (examples/) as a local git repository for the CLI to run on: `main` as
 * demo-pull-request.ts splits it for the action (without `prFiles` and the stand-in's script),
 * with a .gitignore for the CLI's own .promptgate/ output; and, given `branch`, `prFiles`
 * committed on it, left checked out. Why here: the CLI's tests on the demo must agree with each
 * other, and with the action's, on what main holds.
 */
export async function createDemoRepo(
  prFiles: readonly string[],
  branch?: string,
): Promise<GitRepo> {
  const demo = await readDemo(prFiles);
  const repo = await createGitRepo();
  await repo.commit("base", { ...demo.main, ".gitignore": ".promptgate/\n" });
  if (branch) {
    await repo.branch(branch);
    await repo.commit("the pull request", demo.pr);
  }
  return repo;
}
