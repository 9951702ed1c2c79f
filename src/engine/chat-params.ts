import type { ModelConfig } from "../formats/prompt-file.js";
import type { ChatParams } from "./types.js";

/** A prompt file's generation config in OpenAI's names (for the prompts under test and the judge's). */
export function toChatParams(config: ModelConfig): ChatParams {
  const p: ChatParams = {};
  if (config.temperature !== undefined) p.temperature = config.temperature;
  if (config.maxOutputTokens !== undefined) p.max_tokens = config.maxOutputTokens;
  if (config.topP !== undefined) p.top_p = config.topP;
  if (config.stopSequences !== undefined) p.stop = config.stopSequences;
  if (config.seed !== undefined) p.seed = config.seed;
  if (config.frequencyPenalty !== undefined) p.frequency_penalty = config.frequencyPenalty;
  if (config.presencePenalty !== undefined) p.presence_penalty = config.presencePenalty;
  return p;
}
