import { PromptgateError } from "../../../src/errors.js";

/** The PromptgateError `fn` throws, to assert its code, message and hint; anything else fails. */
export function errorOf(fn: () => unknown): PromptgateError {
  try {
    fn();
  } catch (e) {
    if (e instanceof PromptgateError) return e;
    throw e;
  }
  throw new Error("expected a PromptgateError");
}
