import { stripBom } from "../formats/located-yaml.js";
import type { ChatMessage } from "../formats/prompt-file.js";

/**
 * Prompt-token counts before a run, exact for OpenAI models.
 *
 * `gpt-tokenizer` costs about 0.2 s to import, so each encoding is loaded on first use only.
 * Models outside OpenAI's families (Llama, Mistral, Claude behind a proxy ...) have tokenizers of
 * their own; for them the count uses o200k_base, OpenAI's current encoding, and is an estimate.
 */
export type TokenEncoding = "o200k_base" | "cl100k_base";

/**
 * OpenAI's chat format: each message is `<|start|>{role}<|message|>{content}<|end|>` (3 tokens
 * around the role and content) and the reply is primed with `<|start|>assistant<|message|>` (3).
 * This is the count of OpenAI's cookbook ("How to count tokens with tiktoken") for every chat model
 * since gpt-3.5-turbo-0613.
 */
const TOKENS_PER_MESSAGE = 3;
const TOKENS_REPLY_PRIMER = 3;

export function encodingForModel(model: string): TokenEncoding {
  const id = baseModelId(model);
  // gpt-4, gpt-4-turbo, gpt-4-0613, gpt-4-32k and gpt-3.5-turbo; not gpt-4o, gpt-4.1 or gpt-4.5.
  if (/^gpt-4(?![o.])/.test(id) || id.startsWith("gpt-3.5")) return "cl100k_base";
  return "o200k_base";
}

/** `ft:gpt-4o-mini-2024-07-18:acme::x1` → `gpt-4o-mini-2024-07-18`; `openai/gpt-4o` → `gpt-4o`. */
function baseModelId(model: string): string {
  let id = model.trim().toLowerCase();
  if (id.startsWith("ft:")) id = id.slice(3).split(":")[0] ?? id;
  const slash = id.lastIndexOf("/");
  return slash >= 0 ? id.slice(slash + 1) : id;
}

interface Encoder {
  countTokens(text: string, options?: { disallowedSpecial?: Set<string> }): number;
}

const encoders = new Map<TokenEncoding, Promise<Encoder>>();

function loadEncoder(encoding: TokenEncoding): Promise<Encoder> {
  let p = encoders.get(encoding);
  if (!p) {
    p =
      encoding === "cl100k_base"
        ? import("gpt-tokenizer/encoding/cl100k_base")
        : import("gpt-tokenizer/encoding/o200k_base");
    encoders.set(encoding, p);
  }
  return p;
}

// The API reads `<|endoftext|>` typed by a user as plain text; so must the count (the tokenizer's
// default is to throw on it).
const PLAIN_TEXT = { disallowedSpecial: new Set<string>() };

export async function countTextTokens(text: string, model: string): Promise<number> {
  const enc = await loadEncoder(encodingForModel(model));
  return enc.countTokens(stripBom(text), PLAIN_TEXT);
}

export async function countChatTokens(messages: ChatMessage[], model: string): Promise<number> {
  const enc = await loadEncoder(encodingForModel(model));
  let total = TOKENS_REPLY_PRIMER;
  for (const m of messages) {
    total +=
      TOKENS_PER_MESSAGE +
      enc.countTokens(m.role, PLAIN_TEXT) +
      enc.countTokens(stripBom(m.content), PLAIN_TEXT);
  }
  return total;
}

/**
 * About four characters a token: OpenAI's rule of thumb for English text, within ~20 % of the
 * exact count on the demo's prompts (test/unit/cost/tokens.test.ts). For a figure shown before a
 * run, where loading a tokenizer would cost more than the run (see run-limits.ts).
 */
const CHARS_PER_TOKEN = 4;

export function approximateChatTokens(messages: ChatMessage[]): number {
  let total = TOKENS_REPLY_PRIMER;
  for (const m of messages) {
    total += TOKENS_PER_MESSAGE + 1 + Math.ceil(stripBom(m.content).length / CHARS_PER_TOKEN);
  }
  return total;
}
