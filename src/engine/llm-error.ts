import type { SampleErrorKind } from "./types.js";

/** A request that failed for good (after the SDK's retries); the engine records it as an error sample. */
export class LlmError extends Error {
  readonly kind: SampleErrorKind;
  readonly status: number | undefined;

  constructor(
    kind: SampleErrorKind,
    message: string,
    options: { status?: number; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = "LlmError";
    this.kind = kind;
    this.status = options.status;
  }
}
