import type { Usage } from "../cost/usage.js";
import type { AssertionType } from "../formats/golden-set.js";
import type { ChatMessage } from "../formats/prompt-file.js";
import type { SuiteCount } from "../formats/suites.js";

/**
 * The shapes that flow through the engine: request → sample → case → prompt run → eval result.
 * The eval result is also the JSON file `promptgate eval --out` writes (schema in docs/result-schema.md).
 */

/** Generation parameters sent with every request, in OpenAI's names. */
export interface ChatParams {
  temperature?: number;
  max_tokens?: number;
  top_p?: number;
  stop?: string[];
  seed?: number;
  frequency_penalty?: number;
  presence_penalty?: number;
}

export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  params: ChatParams;
  /** Which repeat this is; part of the cache key so repeats are distinct samples. */
  sampleIndex: number;
}

export interface ChatResponse {
  output: string;
  usage: Usage;
  latencyMs: number;
  /** True when served from the on-disk cache (no request sent). */
  cached: boolean;
  /** The model id the API reports it used (may be more specific than the one asked for). */
  model?: string;
}

/** A model endpoint; the real one is the openai SDK, tests use the stand-in through it. */
export interface ChatModel {
  complete(request: ChatRequest, signal?: AbortSignal): Promise<ChatResponse>;
}

/** Embeddings for the `similar` assertion. */
export interface EmbeddingModel {
  embed(model: string, inputs: string[], signal?: AbortSignal): Promise<number[][]>;
}

/** Why a sample has no output. Errors are their own outcome: never a pass, never a fail. */
export type SampleErrorKind =
  | "rate-limit" // 429 after retries
  | "server" // 5xx after retries
  | "timeout"
  | "connection"
  | "bad-response" // malformed JSON or a response without content
  | "client" // 4xx other than 429 (bad model name, bad key)
  | "render"; // the prompt could not be rendered with the case's vars

export interface SampleError {
  kind: SampleErrorKind;
  message: string;
  status?: number;
}

export interface AssertionResult {
  type: AssertionType;
  negated: boolean;
  pass: boolean;
  /** 0..1 */
  score: number;
  weight: number;
  reason: string;
}

export interface SampleOk {
  kind: "ok";
  index: number;
  output: string;
  usage: Usage;
  latencyMs: number;
  /** USD; null when the model's price is unknown. */
  costUsd: number | null;
  /** The model the server says answered, when it is not the one asked for; it was priced. */
  model?: string;
  cached: boolean;
  pass: boolean;
  score: number;
  assertions: AssertionResult[];
  /**
   * Kept in brief (a large run, see briefSamples): `output` and every assertion's `reason` are
   * empty here; the sample log has them.
   */
  brief?: true;
}

export interface SampleErr {
  kind: "error";
  index: number;
  error: SampleError;
  latencyMs: number;
}

export type Sample = SampleOk | SampleErr;

export interface CaseResult {
  id: string;
  tags: string[];
  critical: boolean;
  vars: Record<string, unknown>;
  samples: Sample[];
  /** Passing share of the samples that did not error; null when every sample errored. */
  passRate: number | null;
  /** Mean score of the samples that did not error; null when every sample errored. */
  score: number | null;
  errors: number;
}

export interface Totals {
  samples: number;
  errors: number;
  cacheHits: number;
  promptTokens: number;
  completionTokens: number;
  /** Sum over priced samples; null when any sample's price is unknown. */
  costUsd: number | null;
  /** Mean cost of one request (one sample); null when unknown. */
  costPerRequestUsd: number | null;
  /** Mean over cases with results (each case weighs the same, whatever its repeats). */
  passRate: number | null;
  score: number | null;
  meanLatencyMs: number | null;
}

export interface PromptRun {
  prompt: string;
  version: string;
  file: string;
  contentHash: string;
  model: string;
  params: ChatParams;
  goldenSetFile: string;
  repeats: number;
  cases: CaseResult[];
  totals: Totals;
}

export const EVAL_RESULT_SCHEMA = "promptgate/eval-result@1" as const;

export interface EvalResult {
  schema: typeof EVAL_RESULT_SCHEMA;
  startedAt: string;
  wallMs: number;
  source: string;
  runs: PromptRun[];
  requests: { sent: number; cacheHits: number; errors: number };
  /** The suite that ran (`--suite`), and how many of the golden sets' cases it holds. */
  suite?: SuiteCount;
  /** `--shard K/N`: the runs hold that shard's cases (1-based index). */
  shard?: { index: number; count: number };
}
