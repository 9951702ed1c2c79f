/**
 * Every failure a user can act on is a PromptgateError: a stable code for scripts and tests,
 * a message that names the file and position when there is one, and a hint saying what to do.
 */
export type ErrorCode =
  | "E_YAML" // a file is not valid YAML
  | "E_SCHEMA" // valid YAML, wrong shape (unknown key, wrong type, missing field)
  | "E_PROMPT" // a prompt file cannot be parsed or rendered
  | "E_NOT_FOUND" // a referenced file, prompt, version or environment does not exist
  | "E_LIVE_EDIT" // a change edits a version that an environment pins
  | "E_GIT" // a git command failed
  | "E_CONFIG" // inconsistent settings across files
  | "E_USAGE" // bad command-line use
  | "E_LLM" // the model endpoint (or the judge) failed
  | "E_CONFLICT" // an optimistic write lost a race
  | "E_LIMIT" // over a size, depth or time limit (a hostile or runaway input)
  | "E_LINT" // a file works but is risky (a model alias), an error only where promptgate.yaml says so
  | "E_ENCODING" // a file is not UTF-8
  | "E_IO"; // a file promptgate writes could not be written

export interface SourceLocation {
  file: string;
  line?: number; // 1-based
  column?: number; // 1-based
}

export class PromptgateError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly location: SourceLocation | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options: { hint?: string; location?: SourceLocation; cause?: unknown } = {},
  ) {
    super(formatMessage(message, options.location), { cause: options.cause });
    this.name = "PromptgateError";
    this.code = code;
    this.hint = options.hint;
    this.location = options.location;
  }
}

export function formatLocation(loc: SourceLocation): string {
  if (loc.line === undefined) return loc.file;
  return loc.column === undefined
    ? `${loc.file}:${loc.line}`
    : `${loc.file}:${loc.line}:${loc.column}`;
}

function formatMessage(message: string, loc: SourceLocation | undefined): string {
  return loc ? `${formatLocation(loc)}: ${message}` : message;
}

/** Several located errors found in one pass (validate reports them all, not just the first). */
/** Errors in the order a reader fixes them: by file, then line, then column. */
export function compareByPlace(a: PromptgateError, b: PromptgateError): number {
  const x = a.location;
  const y = b.location;
  return (
    (x?.file ?? "").localeCompare(y?.file ?? "") ||
    (x?.line ?? 0) - (y?.line ?? 0) ||
    (x?.column ?? 0) - (y?.column ?? 0)
  );
}

export class PromptgateErrors extends Error {
  readonly errors: PromptgateError[];
  constructor(errors: PromptgateError[]) {
    super(errors.map((e) => e.message).join("\n"));
    this.name = "PromptgateErrors";
    this.errors = errors;
  }
}

/** Renders an error for a terminal or a log: message, then the hint on its own line. */
export function describeError(err: unknown): string {
  if (err instanceof PromptgateErrors) return err.errors.map(describeError).join("\n");
  if (err instanceof PromptgateError) {
    return err.hint
      ? `error ${err.code}: ${err.message}\n  hint: ${err.hint}`
      : `error ${err.code}: ${err.message}`;
  }
  if (err instanceof Error) return `error: ${err.message}`;
  return `error: ${String(err)}`;
}
