import type { EvalTarget } from "../engine/run-eval.js";
import { PromptgateError } from "../errors.js";
import type { Settings } from "../formats/settings.js";
import { hashSeed } from "./random.js";
import type { PlannedPair } from "./run-diff.js";

/**
 * Actions matrix shards (issue 15): `shard: i/n` runs the cases of every planned evaluation whose
 * hash falls on i, so one big golden set spreads over the matrix as well as many small ones. The
 * assignment hashes prompt + case id, never a position, so adding a case moves no other case to
 * another shard (a warm cache per shard stays warm). The merge (report/merge-shards.ts) puts the
 * cases back together in the plan's order and compares them again, as one unsharded run would.
 */

export interface Shard {
  /** 1-based. */
  index: number;
  count: number;
}

/** The whole run's plan, which every shard states so the merge can check and restore it. */
export interface ShardPlanEntry {
  prompt: string;
  /** The case ids of the base side's golden set in order; null for a new prompt. */
  base: string[] | null;
  head: string[];
}

type Gates = Settings["gates"];

/** The gates as JSON keeps them: a key without a value is absent, not undefined. */
export type ShardGates = Omit<Gates, "minPassRate" | "maxCostIncrease"> &
  Partial<Pick<Gates, "minPassRate" | "maxCostIncrease">>;

/** What a shard's report states besides its partial comparisons. */
export interface ShardInfo extends Shard {
  /** The trusted gates the shard ran with: the merge judges the merged cases with the same. */
  gates: ShardGates;
  plan: ShardPlanEntry[];
}

export const MAX_SHARDS = 256;

export function gatesOfShard(g: ShardGates): Gates {
  return { ...g, minPassRate: g.minPassRate, maxCostIncrease: g.maxCostIncrease };
}

/** `i/n` with 1 ≤ i ≤ n ≤ 256; `name` is the flag or input the text came from. */
export function parseShard(text: string, name = "--shard"): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  const index = Number(m?.[1]);
  const count = Number(m?.[2]);
  if (!m || count < 1 || count > MAX_SHARDS || index < 1 || index > count) {
    throw new PromptgateError(
      "E_USAGE",
      `${name} must be i/n with 1 ≤ i ≤ n ≤ ${MAX_SHARDS}, got "${text}"`,
      // `\${{ … }}` is the workflow expression to write, not a placeholder.
      { hint: `in a matrix: \`shard: \${{ matrix.shard }}/4\` with \`shard: [1, 2, 3, 4]\`` },
    );
  }
  return { index, count };
}

/** The 1-based shard that evaluates a case: FNV-1a of prompt and case id, mod n. */
export function shardOfCase(prompt: string, caseId: string, count: number): number {
  return (hashSeed(`${prompt}\u0000${caseId}`) % count) + 1;
}

export function describePlan(pairs: readonly PlannedPair[]): ShardPlanEntry[] {
  return pairs.map((p) => ({
    prompt: p.evaluation.prompt,
    base: p.base ? p.base.goldenSet.set.cases.map((c) => c.id) : null,
    head: p.head.goldenSet.set.cases.map((c) => c.id),
  }));
}

/**
 * Keeps this shard's cases of every pair, before anything runs; a pair left with no case on
 * either side is not evaluated here at all. Adaptive repeats are refused: their design reads
 * every case of a prompt at each look, which no single shard sees, so the merged verdict could
 * not be the unsharded one.
 */
export function selectShardCases(pairs: readonly PlannedPair[], shard: Shard): PlannedPair[] {
  const adaptive = pairs.find((p) => p.adaptive);
  if (adaptive) {
    throw new PromptgateError(
      "E_CONFIG",
      `${adaptive.evaluation.prompt} runs with repeats: auto, which cannot be sharded: its adaptive design reads every case at each look`,
      {
        hint: "give the sharded run a fixed number of repeats (the repeats input, or --repeats N)",
      },
    );
  }
  const mine = (prompt: string, id: string) => shardOfCase(prompt, id, shard.count) === shard.index;
  return pairs.flatMap((p) => {
    const prompt = p.evaluation.prompt;
    const keep = <T extends PlannedPair["head"]>(t: T): T => ({
      ...t,
      goldenSet: {
        ...t.goldenSet,
        set: { ...t.goldenSet.set, cases: t.goldenSet.set.cases.filter((c) => mine(prompt, c.id)) },
      },
    });
    const head = keep(p.head);
    const base = p.base ? keep(p.base) : null;
    const size = (t: PlannedPair["head"] | null) => t?.goldenSet.set.cases.length ?? 0;
    // A golden set without cases still has its comparison (it errors): shard 1 states it.
    if (size(p.head) + size(p.base) === 0) return shard.index === 1 ? [p] : [];
    return size(head) + size(base) === 0 ? [] : [{ ...p, head, base }];
  });
}

/** `eval --shard i/n`: this shard's cases of every target, by the same hash as a diff's. */
export function selectEvalShard(targets: readonly EvalTarget[], shard: Shard): EvalTarget[] {
  return targets.flatMap((t) => {
    const cases = t.goldenSet.set.cases.filter(
      (c) => shardOfCase(t.version.prompt, c.id, shard.count) === shard.index,
    );
    if (cases.length === 0) return [];
    return [{ ...t, goldenSet: { ...t.goldenSet, set: { ...t.goldenSet.set, cases } } }];
  });
}
