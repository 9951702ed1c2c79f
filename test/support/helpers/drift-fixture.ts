import type { Responder } from "../stand-ins/openai/index.js";
import { textOf } from "../stand-ins/openai/index.js";

/**
 * A repository for the drift check: production pins support-answer v1, whose golden set has 20
 * questions; the stand-in's model answers the first `answeredWell()` of them well, so a test
 * moves quality without a commit, as a provider's model update would.
 */
export const CASES = 20;
export const MODEL = "gpt-4o-mini-2024-07-18";
export const FILES: Record<string, string> = {
  "promptgate.yaml": "version: 1\nrepeats: 2\ngates: { max-regression: 0.02 }\n",
  "environments.yaml": `environments:\n  production:\n    prompts:\n      support-answer: { version: v1, model: ${MODEL} }\n`,
  "prompts/support-answer/v1.prompt": `---\nmodel: ${MODEL}\nconfig: { temperature: 0 }\ninput:\n  schema: { question: string }\n---\nAnswer the customer: {{question}}\n`,
  "evals/support-answer.yaml": `cases:\n${Array.from(
    { length: CASES },
    (_, i) =>
      `  - id: q${String(i + 1).padStart(2, "0")}\n    vars: { question: "question ${i + 1}" }\n    assert: [{ type: icontains, value: "resolved" }]`,
  ).join("\n")}\n`,
};

export function driftResponder(answeredWell: () => number): Responder {
  return (req) => {
    const text = textOf(req.messages.at(-1)?.content);
    const n = Number(/question (\d+)/.exec(text)?.[1] ?? 0);
    return { content: n <= answeredWell() ? "Your issue is resolved." : "Please wait." };
  };
}
