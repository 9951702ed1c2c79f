import type { Settings } from "../formats/settings.js";
import type { SuiteCount } from "../formats/suites.js";

/** The settings a diff's report states: what judged it and how many samples it drew. */
export interface RunSettings {
  repeats: number | "auto";
  maxRepeats?: number;
  judge?: string;
  confidence: number;
  maxRegression: number;
  baseline?: string;
  /** The suite that ran (`--suite`/`suite:`), and how many of the golden sets' cases it holds. */
  suite?: SuiteCount;
}

/**
 * The settings a report states, from both revisions' `promptgate.yaml`: the gates come from the
 * base, so a pull request cannot loosen the gates it is judged by; the judge model from the
 * head, which evaluated both sides; repeats from the run when one happened. A pull request's run
 * passes its trusted settings (trusted-settings.ts) as both.
 */
export function describeSettings(
  base: Pick<Settings, "gates" | "baseline">,
  head: Pick<Settings, "repeats" | "maxRepeats" | "judge">,
  run?: { repeats: number | "auto"; maxRepeats?: number },
): RunSettings {
  return {
    repeats: run?.repeats ?? head.repeats,
    maxRepeats: run?.maxRepeats ?? head.maxRepeats,
    judge: head.judge?.model,
    confidence: base.gates.confidence,
    maxRegression: base.gates.maxRegression,
    baseline: base.baseline,
  };
}
