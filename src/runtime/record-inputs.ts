import { PromptgateError } from "../errors.js";

/**
 * Recording a share of requests' vars for `promptgate shadow`: each recorded request becomes one
 * JSON line, the format `shadow --inputs` reads. Where lines go (a file, a log pipeline) is the
 * application's: this only decides which requests are recorded and what a line is.
 */
export interface InputRecorderOptions {
  /** The share of requests recorded, 0 to 1 (0.01: one in a hundred). */
  rate: number;
  /** Receives one line, newline included. */
  write: (line: string) => void;
  /** Uniform in [0, 1); default Math.random. */
  random?: () => number;
  /** A line that could not be made or written; recording never fails the request it watches. */
  onError?: (error: unknown) => void;
}

/** Returns `record(vars)`, true when these vars were written. */
export function createInputRecorder(
  options: InputRecorderOptions,
): (vars: Record<string, unknown>) => boolean {
  const { rate, write, onError } = options;
  if (!(rate >= 0 && rate <= 1)) {
    throw new PromptgateError("E_CONFIG", `the recording rate must be from 0 to 1, got ${rate}`, {
      hint: "0.01 records one request in a hundred",
    });
  }
  const random = options.random ?? Math.random;
  return (vars) => {
    if (rate === 0 || random() >= rate) return false;
    try {
      // A cycle or a BigInt in the vars throws here: that request is not recorded, and served.
      write(`${JSON.stringify(vars)}\n`);
      return true;
    } catch (e) {
      onError?.(e);
      return false;
    }
  };
}
