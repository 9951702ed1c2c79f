/**
 * The tokens one response used, as the API reported them. It lives in cost/, below the engine
 * that records it, because pricing is what reads it.
 */
export interface Usage {
  promptTokens: number;
  completionTokens: number;
  cachedTokens?: number;
}
