import { assumeCompletionTokens, estimateCost } from "../cost/estimate.js";
import { approximateChatTokens, countChatTokens } from "../cost/tokens.js";
import { type EvalTarget, sizeOfTarget } from "../engine/run-eval.js";
import { PromptgateError } from "../errors.js";
import { renderPrompt } from "../formats/prompt-file.js";
import type { PriceOverride, Settings } from "../formats/settings.js";
import { formatCount, formatUsd } from "../numbers.js";

/**
 * The bounds of one run, checked before anything is sent. A golden set, its `repeats` and a
 * prompt's `maxOutputTokens` are written by whoever opens the pull request, and the run spends
 * the organisation's key: `limits:` comes from the base revision or the workflow's inputs
 * (trusted-settings.ts), and a run over any of them is refused whole, not cut short, so a
 * verdict is never drawn from part of a plan.
 */
export type RunLimits = Settings["limits"];

/** What a planned run will draw, for the limits and for the reader ("≈ $0.42"). */
export interface PlannedWork {
  /** The most samples the run may draw (an adaptive design's ceiling). */
  samples: number;
  /** Estimated dollars of the model calls (judge and embeddings calls not included); null when a model is unpriced. */
  costUsd: number | null;
  /** Models without a price, when costUsd is null. */
  unpriced: string[];
  /**
   * How prompt tokens were counted: by the model's tokenizer when a `max-cost` limit is checked
   * against the estimate, else from the characters (see estimateWork).
   */
  counted: "tokens" | "characters";
}

/** The samples of the targets, each `cases × repeats`: no tokens counted, so it is cheap. */
export function countSamples(targets: EvalTarget[]): number {
  return targets.reduce((n, t) => n + sizeOfTarget(t), 0);
}

/**
 * Refuses a plan over `limits`, cheapest check first (samples, then output tokens, then the
 * estimate, which renders and tokenizes every case), and returns what it will draw.
 *
 * A prompt's maxOutputTokens over the limit is refused rather than clamped: a clamped answer is
 * cut where production's is not, so the run would grade answers nobody gets. With a limit set, a
 * prompt that sets no maxOutputTokens is refused too: the endpoint's own ceiling is unbounded here.
 */
export async function checkRunLimits(
  targets: EvalTarget[],
  limits: RunLimits,
  prices: Record<string, PriceOverride>,
): Promise<PlannedWork> {
  const samples = countSamples(targets);
  if (samples > limits.maxSamples) {
    const biggest = [...targets]
      .sort((a, b) => sizeOf(b) - sizeOf(a))
      .slice(0, 3)
      .map(
        (t) =>
          `${t.version.prompt}@${t.version.version}: ${formatCount(t.goldenSet.set.cases.length)} cases × ${t.repeats} repeats`,
      );
    throw new PromptgateError(
      "E_LIMIT",
      `this run plans ${formatCount(samples)} samples, over the limit of ${formatCount(limits.maxSamples)} per run (${biggest.join("; ")}); nothing was sent`,
      {
        hint: "use fewer cases or a lower `repeats` in the golden set, or raise `limits.max-samples` in the base branch's promptgate.yaml (or the `max-samples` input, `--max-samples`)",
      },
    );
  }
  const maxOut = limits.maxOutputTokens;
  if (maxOut !== undefined) {
    const over = unique(
      targets.flatMap((t) => {
        const asked = t.version.config.maxOutputTokens;
        if (asked !== undefined && asked <= maxOut) return [];
        return [
          `${t.version.file} ${asked === undefined ? "sets no maxOutputTokens" : `asks for ${formatCount(asked)}`}`,
        ];
      }),
    );
    if (over.length > 0) {
      throw new PromptgateError(
        "E_LIMIT",
        `output tokens per request are limited to ${formatCount(maxOut)}: ${over.join("; ")}; nothing was sent`,
        {
          hint: `set \`maxOutputTokens\` to at most ${maxOut} in the prompt's front matter \`config:\`, or raise \`limits.max-output-tokens\` in the base branch's promptgate.yaml (or the \`max-output-tokens\` input, \`--max-output-tokens\`)`,
        },
      );
    }
  }
  const maxCost = limits.maxCost;
  const work = await estimateWork(
    targets,
    prices,
    samples,
    maxCost === undefined ? "characters" : "tokens",
  );
  if (maxCost !== undefined && (work.costUsd === null || work.costUsd > maxCost)) {
    throw new PromptgateError(
      "E_LIMIT",
      work.costUsd === null
        ? `this run's cost cannot be estimated (no price for ${work.unpriced.join(", ")}) and runs are limited to ${formatUsd(maxCost)}; nothing was sent`
        : `this run is estimated at ${formatUsd(work.costUsd)} (${formatCount(samples)} samples), over the limit of ${formatUsd(maxCost)} per run; nothing was sent`,
      {
        hint:
          work.costUsd === null
            ? "add the model's price under `prices:` in the base branch's promptgate.yaml"
            : "use fewer cases, a lower `repeats` or a smaller `maxOutputTokens`, or raise `limits.max-cost` in the base branch's promptgate.yaml (or the `max-cost` input, `--max-cost`)",
      },
    );
  }
  return work;
}

/** "1,200 samples, ≈ $0.42" or "…, cost unknown": for logs and the pending comment. */
export function describeWork(work: PlannedWork): string {
  const cost =
    work.costUsd === null
      ? "cost unknown"
      : `estimated cost ${work.counted === "characters" ? "≈ " : ""}${formatUsd(work.costUsd)}`;
  return `${formatCount(work.samples)} samples, ${cost}`;
}

/**
 * The run's cost before it starts. The exact count needs the model's tokenizer, whose encoding
 * takes about half a second of CPU to load: more than a whole warm smoke run spends otherwise
 * (bench/smoke.ts). So tokens are counted exactly only when a `max-cost` limit turns the estimate
 * into a refusal; a figure only printed for the reader is counted from the characters.
 */
async function estimateWork(
  targets: EvalTarget[],
  prices: Record<string, PriceOverride>,
  samples: number,
  counted: PlannedWork["counted"],
): Promise<PlannedWork> {
  let costUsd: number | null = 0;
  const unpriced = new Set<string>();
  for (const t of targets) {
    const model = t.model ?? t.version.model;
    const promptTokens: number[] = [];
    for (const c of t.goldenSet.set.cases) {
      const messages = await renderPrompt(t.version, c.vars);
      promptTokens.push(
        counted === "tokens"
          ? await countChatTokens(messages, model)
          : approximateChatTokens(messages),
      );
    }
    const estimate = estimateCost({
      model,
      promptTokens,
      completionTokens: assumeCompletionTokens(t.version.config.maxOutputTokens),
      repeats: t.repeats,
      overrides: prices,
    });
    if (estimate.runUsd === null) {
      unpriced.add(model);
      costUsd = null;
    } else if (costUsd !== null) costUsd += estimate.runUsd;
  }
  return { samples, costUsd, unpriced: [...unpriced], counted };
}

function sizeOf(t: EvalTarget): number {
  return sizeOfTarget(t);
}

function unique(items: string[]): string[] {
  return [...new Set(items)];
}
