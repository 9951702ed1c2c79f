import { type PromptVersion } from "./prompt-file.js";
/**
 * A judge prompt file (`judge.prompt` in promptgate.yaml, or promptgate's own
 * prompts/llm-rubric/v1.prompt): a Dotprompt file with two inputs, `{{rubric}}` and `{{output}}`.
 * Its front matter's `config` is sent with every grading request; its `model` is only what the
 * file is evaluated with on its own: runs grade with `judge.model`.
 */
export declare function parseJudgePrompt(source: string, file: string): PromptVersion;
