import { PromptgateError } from "../../errors.js";

/**
 * The judge or the embeddings endpoint failed, or the judge's reply could not be read. The output
 * was never graded, so the engine records the sample as an error (missing data), never as a fail.
 */
export class AssertionInfraError extends PromptgateError {
  constructor(message: string, options: { hint?: string; cause?: unknown } = {}) {
    super("E_LLM", message, options);
    this.name = "AssertionInfraError";
  }
}
