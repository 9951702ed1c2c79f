import { PromptgateError } from "../errors.js";
import { type PromptVersion, parsePromptFile } from "./prompt-file.js";

/**
 * A judge prompt file (`judge.prompt` in promptgate.yaml, or promptgate's own
 * prompts/llm-rubric/v1.prompt): a Dotprompt file with two inputs, `{{rubric}}` and `{{output}}`.
 * Its front matter's `config` is sent with every grading request; its `model` is only what the
 * file is evaluated with on its own: runs grade with `judge.model`.
 */
export function parseJudgePrompt(source: string, file: string): PromptVersion {
  const prompt = parsePromptFile(source, file, "judge", "v1");
  // A judge that never sees the output (or the rubric) grades nothing: refuse it before any run.
  for (const name of ["rubric", "output"]) {
    if (!new RegExp(`\\{\\{\\s*${name}\\s*\\}\\}`).test(source)) {
      throw new PromptgateError("E_PROMPT", `a judge prompt must use {{${name}}}`, {
        location: { file },
        hint: "the llm-rubric grader's prompt gets two inputs, {{rubric}} and {{output}}; start from promptgate's prompts/llm-rubric/v1.prompt",
      });
    }
  }
  return prompt;
}
