import { describeError, PromptgateError, PromptgateErrors } from "../src/errors.js";
import { code, escapeMarkdownInline, fence, safeUrl, truncate } from "../src/report/escape.js";
import { COMMENT_MARKER } from "../src/report/index.js";
import { createScrubber, type Scrub } from "../src/scrub.js";

/**
 * A run that failed with an error rather than a verdict, after saying so on the pull request
 * (when it could) and in the job summary. `main.ts` unwraps it: the step fails with the error.
 */
export class ActionFailure extends Error {
  readonly error: unknown;
  /** The comment that now shows the error; undefined when none could be written. */
  readonly commentUrl: string | undefined;

  constructor(error: unknown, commentUrl: string | undefined) {
    super(describeError(error), { cause: error });
    this.name = "ActionFailure";
    this.error = error;
    this.commentUrl = commentUrl;
  }
}

/** Enough for several located errors; the log has them all. */
const DETAILS_LIMIT = 6_000;
const HEADLINE_LIMIT = 300;

/** The error in one line, for the `summary` output and the comment's headline. */
export function describeFailure(error: unknown): string {
  if (error instanceof PromptgateErrors) {
    const [first, ...rest] = error.errors;
    const line = firstLine(first ? first.message : error.message);
    return rest.length > 0 ? `${line} (and ${rest.length} more)` : line;
  }
  return firstLine(error instanceof Error ? error.message : String(error));
}

/**
 * What the pull request comment (with the marker, replacing "⏳ evaluating…" in place) and the job
 * summary say when the run failed: what failed and, from the error's hint, how to fix it.
 */
export function renderFailure(
  error: unknown,
  options: { marker: boolean; runUrl?: string | undefined; scrub?: Scrub },
): string {
  // Scrubbed before it is cut and escaped: a secret cut in half or escaped no longer matches.
  const scrub = options.scrub ?? createScrubber();
  const headline = `### ⚠️ errors: promptgate could not evaluate this change: ${escapeMarkdownInline(
    truncate(scrub(describeFailure(error)), HEADLINE_LIMIT),
  )}`;
  const parts = [options.marker ? `${COMMENT_MARKER}\n${headline}` : headline];
  // As the log says it, less the hints: they follow, as the fix.
  const details = scrub(describeError(error))
    .split("\n")
    .filter((line) => !line.startsWith("  hint: "))
    .join("\n");
  parts.push(fence(truncate(details, DETAILS_LIMIT)));
  const hints = hintsOf(error).map(scrub);
  parts.push(
    hints.length > 0
      ? `**How to fix:** ${hints.map(renderHint).join("; ")}.`
      : "The run's log has the details.",
  );
  const url = options.runUrl ? safeUrl(options.runUrl) : null;
  if (url) parts.push(`<sub>[the run](${url})</sub>`);
  return parts.join("\n\n");
}

function hintsOf(error: unknown): string[] {
  const errors =
    error instanceof PromptgateErrors
      ? error.errors
      : error instanceof PromptgateError
        ? [error]
        : [];
  const hints = errors.flatMap((e) => (e.hint ? [e.hint.replace(/[.\s]+$/, "")] : []));
  return [...new Set(hints)];
}

/** A hint's `code` spans as code, the rest as escaped text. */
function renderHint(hint: string): string {
  return hint
    .split("`")
    .map((part, i) => (i % 2 === 1 ? code(part) : escapeMarkdownInline(part)))
    .join("");
}

function firstLine(text: string): string {
  return text.trim().split("\n", 1)[0] ?? "";
}
