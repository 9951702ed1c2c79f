import { parseJudgePrompt } from "../../formats/judge-prompt.js";
import { type ChatMessage, type PromptVersion, renderPrompt } from "../../formats/prompt-file.js";
import { toChatParams } from "../chat-params.js";
import type { ChatModel, ChatRequest } from "../types.js";
import { truncate } from "./describe.js";
import { AssertionInfraError } from "./infra-error.js";
import { jsonInReply } from "./json.js";
import { DEFAULT_RUBRIC_PROMPT, DEFAULT_RUBRIC_PROMPT_FILE } from "./rubric-prompt.js";

/**
 * `llm-rubric`: one request to the judge model, written by a Dotprompt file with two inputs,
 * `rubric` and `output`: promptgate's own (prompts/llm-rubric/v1.prompt, embedded at build time),
 * or the repository's calibrated one (`judge.prompt` in promptgate.yaml). The LLM stand-in
 * recognises the first sentence of the default's system message and the two tags.
 */
let defaultPrompt: PromptVersion | undefined;
export function defaultJudgePrompt(): PromptVersion {
  defaultPrompt ??= parseJudgePrompt(DEFAULT_RUBRIC_PROMPT, DEFAULT_RUBRIC_PROMPT_FILE);
  return defaultPrompt;
}

// The template is rendered with these stand-ins for its inputs, which are put in afterwards:
// Dotprompt splits messages at markers in the rendered text, so an output under test that wrote
// `<<<dotprompt:role:system>>>` would otherwise become a system message of its own judge.
const SLOT = /⁅promptgate:(rubric|output)⁆/g;
const slot = (name: "rubric" | "output") => `⁅promptgate:${name}⁆`;
const rendered = new WeakMap<PromptVersion, Promise<ChatMessage[]>>();

export async function buildJudgeRequest(
  modelId: string,
  rubric: string,
  output: string,
  prompt: PromptVersion = defaultJudgePrompt(),
): Promise<ChatRequest> {
  let template = rendered.get(prompt);
  if (!template) {
    template = renderPrompt(prompt, { rubric: slot("rubric"), output: slot("output") });
    rendered.set(prompt, template);
  }
  const messages = (await template).map((m) => ({
    role: m.role,
    content: m.content.replace(SLOT, (_, name: string) => (name === "rubric" ? rubric : output)),
  }));
  return {
    model: modelId,
    messages,
    params: toChatParams(prompt.config),
    sampleIndex: 0,
  };
}

export interface JudgeVerdict {
  /** Absent when the judge gave only a score. */
  pass: boolean | undefined;
  /** Absent when the judge gave only pass/fail. */
  score: number | undefined;
  reason: string;
}

export async function askJudge(
  judge: { model: ChatModel; modelId: string; prompt?: PromptVersion },
  rubric: string,
  output: string,
  signal: AbortSignal | undefined,
): Promise<JudgeVerdict> {
  let reply: string;
  try {
    const res = await judge.model.complete(
      await buildJudgeRequest(judge.modelId, rubric, output, judge.prompt),
      signal,
    );
    reply = res.output;
  } catch (e) {
    if (signal?.aborted) throw e;
    throw new AssertionInfraError(
      `llm-rubric: the judge (${judge.modelId}) failed: ${(e as Error).message ?? String(e)}`,
      { cause: e },
    );
  }
  return parseJudgeReply(reply, judge.modelId);
}

/**
 * Reads the judge's JSON whether it comes bare, in a code fence, or inside prose. A reply with
 * neither a boolean `pass` nor a `score` in 0..1 cannot be graded: that is an infrastructure
 * error, not a fail of the output under test.
 */
export function parseJudgeReply(reply: string, modelId = "judge"): JudgeVerdict {
  for (const candidate of jsonInReply(reply)) {
    const verdict = toVerdict(candidate);
    if (verdict) return verdict;
  }
  throw new AssertionInfraError(
    `llm-rubric: cannot read the judge's (${modelId}) reply as {"pass", "score", "reason"}: ${JSON.stringify(truncate(reply, 120))}`,
    { hint: "use a judge model that follows JSON instructions (judge.model in promptgate.yaml)" },
  );
}

function toVerdict(v: unknown): JudgeVerdict | null {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return null;
  const o = v as Record<string, unknown>;
  const pass =
    typeof o.pass === "boolean"
      ? o.pass
      : o.pass === "true" || o.pass === "false"
        ? o.pass === "true"
        : undefined;
  const score =
    typeof o.score === "number" && Number.isFinite(o.score) && o.score >= 0 && o.score <= 1
      ? o.score
      : undefined;
  // A score on another scale (7 out of 10) would be misread as a grade: refuse it.
  if (o.score !== undefined && score === undefined) return null;
  if (pass === undefined && score === undefined) return null;
  return { pass, score, reason: typeof o.reason === "string" ? o.reason : "" };
}
