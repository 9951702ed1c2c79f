import type { EmbeddingModel } from "../types.js";
import { AssertionInfraError } from "./infra-error.js";

/**
 * The expected value of a `similar` assertion is the same for every sample of a case, so its
 * embedding is requested once per (endpoint, model, text) and shared; each sample then embeds only
 * its own output.
 */
const expectedEmbeddings = new WeakMap<EmbeddingModel, Map<string, Promise<number[]>>>();

export async function measureSimilarity(
  embeddings: { model: EmbeddingModel; modelId: string },
  expected: string,
  output: string,
  signal: AbortSignal | undefined,
): Promise<number> {
  const [a, b] = await Promise.all([
    embedExpected(embeddings, expected, signal),
    embedOne(embeddings, output, signal),
  ]);
  if (a.length !== b.length) {
    throw new AssertionInfraError(
      `similar: embeddings of different lengths (${a.length} and ${b.length}) from ${embeddings.modelId}`,
    );
  }
  return cosineSimilarity(a, b);
}

function embedExpected(
  embeddings: { model: EmbeddingModel; modelId: string },
  text: string,
  signal: AbortSignal | undefined,
): Promise<number[]> {
  const byText = expectedEmbeddings.get(embeddings.model) ?? new Map<string, Promise<number[]>>();
  expectedEmbeddings.set(embeddings.model, byText);
  const key = `${embeddings.modelId}\0${text}`;
  let p = byText.get(key);
  if (!p) {
    p = embedOne(embeddings, text, signal);
    byText.set(key, p);
    // A failure must not be remembered: the next sample asks again.
    p.catch(() => byText.delete(key));
  }
  return p;
}

async function embedOne(
  embeddings: { model: EmbeddingModel; modelId: string },
  text: string,
  signal: AbortSignal | undefined,
): Promise<number[]> {
  let vectors: number[][];
  try {
    vectors = await embeddings.model.embed(embeddings.modelId, [text], signal);
  } catch (e) {
    if (signal?.aborted) throw e;
    throw new AssertionInfraError(
      `similar: the embeddings endpoint (${embeddings.modelId}) failed: ${(e as Error).message ?? String(e)}`,
      { cause: e },
    );
  }
  const v = vectors[0];
  if (
    vectors.length !== 1 ||
    !Array.isArray(v) ||
    v.length === 0 ||
    !v.every((x) => typeof x === "number" && Number.isFinite(x))
  ) {
    throw new AssertionInfraError(
      `similar: the embeddings endpoint (${embeddings.modelId}) returned no usable vector`,
    );
  }
  return v;
}

/** Cosine of the angle between two vectors; 0 when either is all zeros. */
export function cosineSimilarity(a: number[], b: number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  if (na === 0 || nb === 0) return 0;
  return dot / (Math.sqrt(na) * Math.sqrt(nb));
}
