import { isAbsolute, relative, resolve } from "node:path";
import type { Progress } from "../src/engine/run-eval.js";
import {
  describeError,
  PromptgateError,
  PromptgateErrors,
  type SourceLocation,
} from "../src/errors.js";
import { formatDuration } from "../src/numbers.js";

/**
 * What the Actions log shows beyond plain lines: a folded group for the progress, and annotations,
 * which GitHub pins to a file's line on the pull request's diff when they carry `file` and `line`.
 */
export interface Annotation {
  level: "error" | "warning" | "notice";
  message: string;
  title?: string;
  /** Relative to the repository root (the workspace), as GitHub matches it against the diff. */
  file?: string;
  line?: number;
  col?: number;
}

/**
 * Progress lines for a CI log: one per 10 % of the samples or every few seconds, whichever comes
 * first, so a 20-minute eval is never silent and a fast one is not a wall of lines.
 */
export function createProgressLines(
  log: (line: string) => void,
  options: { everyMs?: number; now?: () => number } = {},
): (p: Progress) => void {
  const everyMs = options.everyMs ?? 5000;
  const now = options.now ?? (() => performance.now());
  const started = now();
  let lastAt = started;
  let lastTenth = -1;
  return (p) => {
    const t = now();
    const tenth = p.total > 0 ? Math.floor((p.done / p.total) * 10) : 0;
    if (tenth === lastTenth && t - lastAt < everyMs && p.done < p.total) return;
    lastTenth = tenth;
    lastAt = t;
    const pct = p.total > 0 ? Math.floor((p.done / p.total) * 100) : 0;
    const extras = [
      p.cacheHits > 0 ? `${p.cacheHits} cached` : "",
      p.errors > 0 ? `${p.errors} errors` : "",
    ].filter(Boolean);
    log(
      `${p.done}/${p.total} samples (${pct}%), ${formatDuration(t - started)}${extras.length > 0 ? `, ${extras.join(", ")}` : ""}`,
    );
  };
}

/** A path the core reports relative to `root` (the working-directory), relative to the workspace. */
export function toRepoPath(workspace: string, root: string, file: string): string {
  const path = relative(workspace, isAbsolute(file) ? file : resolve(root, file));
  return path.split("\\").join("/");
}

/**
 * The errors a run ended with, as annotations: a located one (a YAML key, a golden-set line) with
 * file, line and column, so GitHub shows it on that line of the diff; an unlocated one as is.
 */
export function annotationsOfError(
  error: unknown,
  paths: { workspace: string; root: string },
): Annotation[] | undefined {
  const errors =
    error instanceof PromptgateErrors
      ? error.errors
      : error instanceof PromptgateError
        ? [error]
        : [];
  if (!errors.some((e) => e.location)) return undefined;
  return errors.map((e) => ({
    level: "error",
    title: `promptgate ${e.code}`,
    message: describeError(e),
    ...(e.location ? locate(e.location, paths) : {}),
  }));
}

/**
 * Warnings (the model-alias lint) as annotations, each on its file and line relative to the
 * repository root, so GitHub shows it on that line of the pull request's diff.
 */
export function annotationsOfWarnings(
  warnings: readonly PromptgateError[],
  paths: { workspace: string; root: string },
): Annotation[] {
  return warnings.map((w) => ({
    level: "warning",
    title: `promptgate ${w.code}`,
    message: w.hint ? `${w.message}\n  hint: ${w.hint}` : w.message,
    ...(w.location ? locate(w.location, paths) : {}),
  }));
}

function locate(
  loc: SourceLocation,
  paths: { workspace: string; root: string },
): Pick<Annotation, "file" | "line" | "col"> {
  return {
    file: toRepoPath(paths.workspace, paths.root, loc.file),
    ...(loc.line === undefined ? {} : { line: loc.line }),
    ...(loc.column === undefined ? {} : { col: loc.column }),
  };
}
