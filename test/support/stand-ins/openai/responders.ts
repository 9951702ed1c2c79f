import { readFile } from "node:fs/promises";
import type OpenAI from "openai";
import { parse as parseYaml } from "yaml";
import { z } from "zod";

/** A chat completion request as the stand-in received it (after a minimal shape check). */
export type ChatCompletionBody = OpenAI.Chat.Completions.ChatCompletionCreateParams;

export interface ResponderUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
  /** Reported as `usage.prompt_tokens_details.cached_tokens`. */
  cached_tokens?: number;
}

export interface ResponderResult {
  content: string;
  usage?: ResponderUsage;
}

/**
 * Decides the answer to one chat completion. `rand` is the request's own seeded stream: the same
 * body asked for the n-th time gets the same stream whatever else is in flight.
 */
export type Responder = (
  req: ChatCompletionBody,
  rand: () => number,
) => ResponderResult | Promise<ResponderResult>;

type MessageContent = OpenAI.Chat.Completions.ChatCompletionMessageParam["content"];

/** The text of a message, whether its content is a string or an array of parts. */
export function textOf(content: MessageContent | undefined): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content
    .map((part) => ("text" in part && typeof part.text === "string" ? part.text : ""))
    .join("");
}

function lastText(req: ChatCompletionBody, role: "user" | "system"): string {
  for (let i = req.messages.length - 1; i >= 0; i--) {
    const m = req.messages[i];
    if (m && (m.role === role || (role === "system" && m.role === "developer")))
      return textOf(m.content);
  }
  return "";
}

export const GRADER_MARKER = "You are promptgate's grader.";

/**
 * The `llm-rubric` judge: passes when at least half of the rubric's distinct words of five or more
 * letters occur in the output (case-insensitive). Crude, but deterministic and sensitive to what
 * the output says, which is what the engine's tests need.
 */
export function gradeRubric(
  rubric: string,
  output: string,
): { pass: boolean; score: number; reason: string } {
  const words = [...new Set(rubric.toLowerCase().match(/\p{L}{5,}/gu) ?? [])];
  if (words.length === 0)
    return { pass: true, score: 1, reason: "the rubric has no words to look for" };
  const haystack = output.toLowerCase();
  const found = words.filter((w) => haystack.includes(w));
  const score = found.length / words.length;
  const missing = words.filter((w) => !haystack.includes(w));
  return {
    pass: score >= 0.5,
    score,
    reason: `${found.length} of ${words.length} rubric words found${missing.length ? `; missing: ${missing.slice(0, 8).join(", ")}` : ""}`,
  };
}

/** A grader request's answer, or undefined when the request is not one. */
export function answerAsGrader(req: ChatCompletionBody): ResponderResult | undefined {
  if (!lastText(req, "system").includes(GRADER_MARKER)) return undefined;
  const user = lastText(req, "user");
  const rubric = /<rubric>([\s\S]*?)<\/rubric>/.exec(user)?.[1] ?? "";
  const start = user.indexOf("<output>");
  const end = user.lastIndexOf("</output>");
  const output = start >= 0 && end > start ? user.slice(start + "<output>".length, end) : "";
  return { content: JSON.stringify(gradeRubric(rubric, output)) };
}

/** Deterministic: grades grader requests, and otherwise answers with the last user message. */
export const defaultResponder: Responder = (req) =>
  answerAsGrader(req) ?? {
    content: `You asked: ${lastText(req, "user").trim()}. Here is my answer.`,
  };

export interface Rule {
  when: { system?: RegExp | string; user?: RegExp | string; model?: RegExp | string };
  /** Drawn by weight (default 1) with the request's seeded stream. `{{user}}` is the last user message. */
  answers: { text: string; weight?: number }[];
}

/**
 * The first rule whose patterns all match (string patterns are case-insensitive regular
 * expressions) picks an answer; requests no rule matches fall through to `fallback`, which by
 * default grades grader requests and echoes the rest.
 */
export function rulesResponder(rules: Rule[], fallback: Responder = defaultResponder): Responder {
  const compiled = rules.map((rule) => {
    if (rule.answers.length === 0) throw new Error("a rule needs at least one answer");
    const toRegExp = (p: RegExp | string | undefined) =>
      p === undefined ? undefined : typeof p === "string" ? new RegExp(p, "i") : p;
    return {
      system: toRegExp(rule.when.system),
      user: toRegExp(rule.when.user),
      model: toRegExp(rule.when.model),
      answers: rule.answers,
      total: rule.answers.reduce((sum, a) => sum + (a.weight ?? 1), 0),
    };
  });
  return (req, rand) => {
    const user = lastText(req, "user");
    const system = lastText(req, "system");
    const rule = compiled.find(
      (r) =>
        (!r.system || r.system.test(system)) &&
        (!r.user || r.user.test(user)) &&
        (!r.model || r.model.test(req.model)),
    );
    if (!rule) return fallback(req, rand);
    let pick = rand() * rule.total;
    let answer = rule.answers.at(-1)!;
    for (const a of rule.answers) {
      pick -= a.weight ?? 1;
      if (pick < 0) {
        answer = a;
        break;
      }
    }
    return { content: answer.text.replaceAll("{{user}}", user) };
  };
}

const rulesFileSchema = z.strictObject({
  rules: z.array(
    z.strictObject({
      when: z.strictObject({
        system: z.string().optional(),
        user: z.string().optional(),
        model: z.string().optional(),
      }),
      answers: z
        .array(z.strictObject({ text: z.string(), weight: z.number().positive().optional() }))
        .min(1),
    }),
  ),
});

/** Rules from a YAML file (`rules: [{ when: {user: "refund"}, answers: [{text, weight}] }]`), for the demo. */
export async function loadRules(path: string): Promise<Rule[]> {
  const parsed = rulesFileSchema.safeParse(parseYaml(await readFile(path, "utf8")));
  if (!parsed.success) throw new Error(`${path}: ${z.prettifyError(parsed.error)}`);
  return parsed.data.rules;
}

/** Lowercase words, the unit of the stand-in's embeddings and token counts. */
function wordsOf(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

/**
 * A hashed bag of words, L2-normalised: texts sharing words have a high cosine, unrelated texts a
 * low one, and the same text always the same vector.
 */
export function embedText(text: string, dimensions = 256): number[] {
  const v = new Array<number>(dimensions).fill(0);
  for (const word of wordsOf(text)) {
    // FNV-1a: cheap and stable across runs and platforms.
    let h = 0x811c9dc5;
    for (let i = 0; i < word.length; i++) h = Math.imul(h ^ word.charCodeAt(i), 0x01000193);
    const slot = (h >>> 0) % dimensions;
    v[slot] = (v[slot] ?? 0) + 1;
  }
  const norm = Math.hypot(...v);
  // An empty text still needs a unit vector, or every cosine against it is NaN.
  if (norm === 0) return v.map((_, i) => (i === 0 ? 1 : 0));
  return v.map((x) => x / norm);
}

/** About four characters a token, as OpenAI's rule of thumb; at least 1 for any non-empty text. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}
