import { createTwoFilesPatch } from "diff";
import {
  buildPromptRun,
  createSampler,
  type EngineDeps,
  type EvalTarget,
  isLargeRun,
  keepSamples,
  prepareTargets,
  runTarget,
  type Sampler,
  summariseCase,
} from "../engine/run-eval.js";
import type { CaseResult, PromptRun, Sample } from "../engine/types.js";
import { PromptgateError } from "../errors.js";
import type { GoldenCase } from "../formats/golden-set.js";
import { findVersion, type Repo } from "../formats/repo.js";
import { AUTO_INITIAL_REPEATS, type Settings } from "../formats/settings.js";
import { nextAdaptiveStep, planAdaptive, planCriticalTopUp } from "./adaptive.js";
import type {
  ChangeSet,
  PlannedEvaluation,
  PromptChange,
  ReportEnvironmentChange,
} from "./change-types.js";
import { comparePromptRuns, type SequentialBasis } from "./compare-runs.js";
import { withBaseCritical } from "./golden-set-edits.js";
import { resolveTrustedSettings } from "./trusted-settings.js";
import type { PromptComparison } from "./types.js";

/**
 * Base vs head for every planned evaluation: both sides run through one bounded pool, with fixed
 * repeats or adaptive ones (`repeats: auto`), then each prompt's runs are compared.
 *
 * The run's settings are the trusted ones (trusted-settings.ts): gates, repeats and the endpoint
 * from the BASE revision's promptgate.yaml, so a pull request cannot loosen what judges it; only
 * what it ships (versions, golden sets, pins, prices of models nothing prices yet) from head.
 */
export interface DiffInput {
  base: Repo;
  head: Repo;
  changes: ChangeSet;
  /** Overrides every golden set's repeats (a number); `auto` stays adaptive. */
  repeats?: number;
  /** The settings the run uses; default: resolveTrustedSettings of base and head, no inputs. */
  settings?: Settings;
}

export interface DiffResult {
  comparisons: PromptComparison[];
  /** One per comparison, in the same order: what was evaluated and why. */
  changes: PromptChange[];
  /** What the run used, for the report's footer. */
  repeats: number | "auto";
  maxRepeats: number;
}

export interface PlannedPair {
  evaluation: PlannedEvaluation;
  base: EvalTarget | null;
  head: EvalTarget;
  adaptive: boolean;
}

/** The settings a diff runs with: the ones given, else the trusted ones of its two revisions. */
export function settingsOf(input: DiffInput): Settings {
  return (
    input.settings ??
    resolveTrustedSettings({ base: input.base.settings, head: input.head.settings }).settings
  );
}

export function planTargets(input: DiffInput): PlannedPair[] {
  const { base, head } = input;
  const settings = settingsOf(input);
  return input.changes.evaluations.map((ev) => {
    const headVersion = findVersion(head, ev.prompt, ev.head.version);
    const branchSet = head.goldenSets.get(ev.prompt);
    const headSet = branchSet && withBaseCritical(branchSet, base.goldenSets.get(ev.prompt));
    if (!headVersion || !headSet) {
      throw new PromptgateError(
        "E_NOT_FOUND",
        `${ev.prompt}@${ev.head.version} or its golden set is missing at head`,
      );
    }
    const configured = input.repeats ?? headSet.set.repeats ?? settings.repeats;
    // A new prompt has nothing to compare with, so the adaptive design has no question to stop
    // on: it gets the design's first fill, as `eval` does.
    const adaptive = configured === "auto" && ev.base !== null;
    const repeats =
      configured !== "auto"
        ? configured
        : adaptive
          ? settings.maxRepeats
          : Math.min(AUTO_INITIAL_REPEATS, settings.maxRepeats);
    let baseTarget: EvalTarget | null = null;
    if (ev.base) {
      const v = findVersion(base, ev.prompt, ev.base.version);
      const set = ev.base.goldenSet === "base" ? base.goldenSets.get(ev.prompt) : headSet;
      if (!v || !set) {
        throw new PromptgateError(
          "E_NOT_FOUND",
          `${ev.prompt}@${ev.base.version} or its golden set is missing at base`,
        );
      }
      baseTarget = { version: v, goldenSet: set, model: ev.base.model, repeats };
    }
    return {
      evaluation: ev,
      base: baseTarget,
      head: { version: headVersion, goldenSet: headSet, model: ev.head.model, repeats },
      adaptive,
    };
  });
}

export async function runDiff(input: DiffInput, deps: EngineDeps): Promise<DiffResult> {
  const pairs = planTargets(input);
  await prepareTargets(targetsOf(pairs), deps);
  return runPlannedDiff(input, pairs, deps);
}

/** Both sides of every pair: what prepareTargets checks before anything is sent. */
export function targetsOf(pairs: PlannedPair[]): EvalTarget[] {
  return pairs.flatMap((p) => (p.base ? [p.base, p.head] : [p.head]));
}

/** Runs pairs already planned and prepared (planTargets, prepareTargets) once. */
export async function runPlannedDiff(
  input: DiffInput,
  pairs: PlannedPair[],
  deps: EngineDeps,
): Promise<DiffResult> {
  const settings = settingsOf(input);
  const gates = settings.gates;
  const sampler = createSampler(deps, { brief: isLargeRun(targetsOf(pairs)) });
  const comparisons = await Promise.all(
    pairs.map(async (pair) => {
      const requestsPerDay = settings.trafficPerDay[pair.evaluation.prompt] ?? null;
      const maxRepeats = settings.maxRepeats;
      if (pair.adaptive && pair.base) {
        const runs = await runAdaptive(sampler, pair.base, pair.head, settings, gates);
        const [base, head] = await topUpCritical(
          sampler,
          pair.base,
          pair.head,
          runs,
          gates,
          maxRepeats,
        );
        return comparePromptRuns(base, head, {
          gates,
          requestsPerDay,
          sequential: runs.sequential ?? undefined,
        });
      }
      const [baseRun, headRun] = await Promise.all([
        pair.base ? runTarget(sampler, pair.base) : Promise.resolve(null),
        runTarget(sampler, pair.head),
      ]);
      if (baseRun === null || pair.base === null) {
        return comparePromptRuns(null, headRun, { gates, requestsPerDay });
      }
      const [base, head] = await topUpCritical(
        sampler,
        pair.base,
        pair.head,
        { base: baseRun, head: headRun },
        gates,
        maxRepeats,
      );
      return comparePromptRuns(base, head, { gates, requestsPerDay });
    }),
  );
  return {
    comparisons,
    changes: pairs.map(describePair),
    repeats: describeRepeats(pairs, input.repeats ?? settings.repeats),
    maxRepeats: settings.maxRepeats,
  };
}

/**
 * Drives the group-sequential design of compare/adaptive.ts: every sample drawn is kept in the
 * estimate; the design decides only how many more to draw and where.
 */
async function runAdaptive(
  sampler: Sampler,
  baseTarget: EvalTarget,
  headTarget: EvalTarget,
  settings: Settings,
  gates: Settings["gates"],
): Promise<{ base: PromptRun; head: PromptRun; sequential: SequentialBasis | null }> {
  const casesOf = (t: EvalTarget) => new Map(t.goldenSet.set.cases.map((c) => [c.id, c]));
  const sides = {
    base: { target: baseTarget, cases: casesOf(baseTarget), samples: new Map<string, Sample[]>() },
    head: { target: headTarget, cases: casesOf(headTarget), samples: new Map<string, Sample[]>() },
  };
  const plan = planAdaptive({
    baseCases: [...sides.base.cases.keys()],
    headCases: [...sides.head.cases.keys()],
    maxRepeats: settings.maxRepeats,
    gates,
  });
  const results = (side: "base" | "head"): CaseResult[] => {
    const s = sides[side];
    return [...s.cases.values()]
      .filter((c) => s.samples.has(c.id))
      .map((c) => summariseCase(c, [...(s.samples.get(c.id) ?? [])]));
  };
  for (;;) {
    const step = nextAdaptiveStep({ plan, base: results("base"), head: results("head") });
    if (step.kind === "stop") {
      const all = (side: "base" | "head") => {
        const s = sides[side];
        return [...s.cases.values()].map((c: GoldenCase) =>
          summariseCase(c, [...(s.samples.get(c.id) ?? [])]),
        );
      };
      return {
        base: withRepeats(buildPromptRun(baseTarget, all("base"))),
        head: withRepeats(buildPromptRun(headTarget, all("head"))),
        sequential: step.sequential,
      };
    }
    await Promise.all(
      step.requests.map(async (r) => {
        const s = sides[r.side];
        const c = s.cases.get(r.caseId);
        if (!c) return;
        const have = s.samples.get(r.caseId) ?? [];
        s.samples.set(r.caseId, have);
        const start = have.length;
        const drawn = await Promise.all(
          Array.from({ length: r.count }, (_, j) => sampler.sample(s.target, c, start + j)),
        );
        have.push(...drawn);
        // A large run keeps adaptive draws in brief too, as every other sample.
        if (sampler.brief) s.samples.set(r.caseId, keepSamples(sampler, have));
      }),
    );
  }
}

/**
 * The critical gate's bounded extra round (compare/adaptive.ts planCriticalTopUp): critical cases
 * that failed a sample on either side get samples on both sides up to max-repeats, so the exact
 * test has the evidence to tell a broken case from a flaky one. Only for the evidence rule (`block`,
 * `warn`): `strict` blocks on any failing sample whatever the numbers, and `off` reads nothing.
 */
async function topUpCritical(
  sampler: Sampler,
  baseTarget: EvalTarget,
  headTarget: EvalTarget,
  runs: { base: PromptRun; head: PromptRun },
  gates: Settings["gates"],
  maxRepeats: number,
): Promise<[PromptRun, PromptRun]> {
  if (gates.critical !== "block" && gates.critical !== "warn") return [runs.base, runs.head];
  const requests = planCriticalTopUp(runs.base.cases, runs.head.cases, maxRepeats);
  if (requests.length === 0) return [runs.base, runs.head];
  const sides = {
    base: { target: baseTarget, run: runs.base },
    head: { target: headTarget, run: runs.head },
  };
  const golden = (t: EvalTarget) => new Map(t.goldenSet.set.cases.map((c) => [c.id, c]));
  const extra = { base: new Map<string, Sample[]>(), head: new Map<string, Sample[]>() };
  await Promise.all(
    requests.map(async (r) => {
      const side = sides[r.side];
      const c = golden(side.target).get(r.caseId);
      const have = side.run.cases.find((k) => k.id === r.caseId);
      if (!c || !have) return;
      const start = have.samples.length;
      const drawn = await Promise.all(
        Array.from({ length: r.count }, (_, j) => sampler.sample(side.target, c, start + j)),
      );
      extra[r.side].set(r.caseId, drawn);
    }),
  );
  const rebuild = (side: "base" | "head"): PromptRun => {
    const { target, run } = sides[side];
    const cases = golden(target);
    const results = run.cases.map((k) => {
      const more = extra[side].get(k.id);
      const c = cases.get(k.id);
      return more && c ? summariseCase(c, keepSamples(sampler, [...k.samples, ...more])) : k;
    });
    return { ...buildPromptRun(target, results), repeats: run.repeats };
  };
  return [rebuild("base"), rebuild("head")];
}

/** An adaptive run's `repeats` is the most samples any case got. */
function withRepeats(run: PromptRun): PromptRun {
  return { ...run, repeats: Math.max(0, ...run.cases.map((c) => c.samples.length)) };
}

/**
 * The footer's repeats: what the evaluations ran with (a golden set's own `repeats` overrides the
 * settings): "auto" when any was adaptive, else the most any prompt ran.
 */
function describeRepeats(pairs: PlannedPair[], fallback: number | "auto"): number | "auto" {
  if (pairs.length === 0) return fallback;
  if (pairs.some((p) => p.adaptive)) return "auto";
  return Math.max(...pairs.map((p) => p.head.repeats));
}

function describePair(pair: PlannedPair): PromptChange {
  const { evaluation: ev, base, head } = pair;
  const change: PromptChange = {
    prompt: ev.prompt,
    kind: ev.reason,
    headVersion: ev.head.version,
    file: head.version.file,
  };
  if (base) {
    change.baseVersion = base.version.version;
    if (base.version.contentHash !== head.version.contentHash) {
      change.promptDiff = createTwoFilesPatch(
        base.version.file,
        head.version.file,
        base.version.source,
        head.version.source,
        "base",
        "head",
        { context: 3 },
      );
    }
  }
  return change;
}

/** A prompt version passed its gate in this run: nothing blocked and no "errors" verdict. */
export function passedGate(c: PromptComparison): boolean {
  return !c.blocked && c.verdict !== "errors";
}

/**
 * The report's environment changes, each newly pinned version marked with whether it passed its
 * gate when this run evaluated it; null (not known here) otherwise. On GitHub the bot reads the
 * version's commit status before it promotes.
 */
export function markPinGates(
  changes: ChangeSet,
  result: Pick<DiffResult, "comparisons" | "changes"> | undefined,
): ReportEnvironmentChange[] {
  // A model swap judges the version on another model: never the version's own gate.
  const gates = (result?.comparisons ?? []).filter(
    (_, i) => result?.changes[i]?.kind !== "model-swap",
  );
  return changes.environmentChanges.map((c) => {
    if (c.kind !== "pin") return c;
    if (!c.needsGate || !c.after) return { ...c, gatePassed: null };
    const version = c.after.version;
    const evaluated = gates.find((x) => x.prompt === c.prompt && x.head.version === version);
    return { ...c, gatePassed: evaluated ? passedGate(evaluated) : null };
  });
}
