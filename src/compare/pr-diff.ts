import type { EngineDeps, Progress } from "../engine/run-eval.js";
import { prepareTargets } from "../engine/run-eval.js";
import { PromptgateErrors } from "../errors.js";
import {
  type FileSource,
  type LoadedGoldenSet,
  loadRepo,
  type Repo,
  requireSettingsFile,
} from "../formats/repo.js";
import type { Settings } from "../formats/settings.js";
import { countSuite, resolveSuite, type SuiteCount, selectSuiteCases } from "../formats/suites.js";
import type {
  ChangeSet,
  FileChange,
  Notice,
  PromptChange,
  ReportEnvironmentChange,
} from "./change-types.js";
import { detectChanges } from "./changes.js";
import {
  describeGoldenSetEdits,
  editsExistingCases,
  findGoldenSetEdits,
} from "./golden-set-edits.js";
import {
  type DiffInput,
  type DiffResult,
  markPinGates,
  type PlannedPair,
  planTargets,
  runPlannedDiff,
  targetsOf,
} from "./run-diff.js";
import { checkRunLimits, type PlannedWork } from "./run-limits.js";
import { describeSettings, type RunSettings } from "./run-settings.js";
import { describePlan, type Shard, type ShardInfo, selectShardCases } from "./shards.js";
import { resolveTrustedSettings, type TrustedInputs } from "./trusted-settings.js";
import type { PromptComparison } from "./types.js";

/**
 * A pull request's diff, the one flow `promptgate diff` and the GitHub Action both run: load both
 * revisions, detect the changes, refuse the ones that must not merge, take the trusted settings,
 * plan and prepare (everything that can fail without asking a model), then run and compare.
 *
 * It is two steps so that an edge can show that a run is under way in between (the action's
 * "⏳ evaluating" comment) only once nothing but the models can fail. The edges pass the I/O in:
 * the revisions' files, and how to reach the models.
 */

/**
 * The judge's prompt comes with the judge (`judge` is base-once-set, trusted-settings.ts): the
 * base's file once the base names a judge, so a pull request cannot make its own grader lenient
 * by editing the file either; the head's only when it brings the first judge.
 */
export function trustedJudgePrompt(base: Repo, head: Repo): Repo["judgePrompt"] {
  return base.settings.judge ? base.judgePrompt : head.judgePrompt;
}

/** The two revisions' files and what git says changed between them (three-dot). */
export interface DiffSources {
  base: FileSource;
  head: FileSource;
  changedFiles: FileChange[];
}

/** How to reach the models with the settings the run uses; called only when a run is planned. */
export type EngineFactory = (settings: Settings) => Omit<EngineDeps, "onProgress">;

export interface PrepareDiffInput {
  sources: DiffSources;
  /** The workflow's inputs or the CLI's flags that win over the base's settings. */
  inputs?: TrustedInputs;
  /** Overrides every golden set's repeats (a number); `auto` stays adaptive. */
  repeats?: number;
  /**
   * Runs only this suite's cases (`--suite`, the action's `suite:`), as the base's promptgate.yaml
   * defines it; an unknown name is a usage error.
   */
  suite?: string;
  /** Keeps part of the planned evaluations (the CLI's `--shard`), before anything is planned. */
  select?: (changes: ChangeSet) => ChangeSet;
  /** Runs only this shard's cases (`shard: i/n`); the limits still judge the whole run. */
  shard?: Shard;
  createEngine: EngineFactory;
  /** Where the head's promptgate.yaml was looked for, for the error when there is none. */
  folder?: string;
}

export interface PreparedDiff {
  base: Repo;
  head: Repo;
  changes: ChangeSet;
  /** The trusted settings the run uses. */
  settings: Settings;
  /** Change detection's notices, then the settings this pull request changes but cannot use. */
  notices: Notice[];
  pairs: PlannedPair[];
  /** Absent when nothing is planned: then no key is needed either. */
  engine: Omit<EngineDeps, "onProgress"> | undefined;
  /** The most samples the run may draw, for "⏳ evaluating N prompts, M samples". */
  samples: number;
  /** The samples and the estimated cost, within the run's limits (checked before any request). */
  work: PlannedWork;
  /** Whether any evaluation is adaptive ("up to M samples"). */
  adaptive: boolean;
  /** The override of every golden set's repeats, when one was given. */
  repeats?: number;
  /** The suite that ran, when one was named, with its count of cases. */
  suite?: SuiteCount;
  /** Set when this run is one shard of a matrix. */
  shard?: ShardInfo;
}

export async function preparePullRequestDiff(input: PrepareDiffInput): Promise<PreparedDiff> {
  const { sources } = input;
  // Without it at head, nothing would be found and the check would pass having evaluated nothing.
  // The base may lack it: a repository adopting promptgate in this pull request.
  await requireSettingsFile(sources.head, input.folder ?? "the head revision");
  const [base, head] = await Promise.all([
    // The base is what is already merged: a typo there is not this change's to fix first.
    loadRepo(sources.base, { checkReferences: false }),
    loadRepo(sources.head),
  ]);
  const detected = detectChanges({ base, head, changedFiles: sources.changedFiles });
  const changes = input.select ? input.select(detected) : detected;
  // A live version edited, or a pinned one deleted, must not merge: no eval can make it right.
  if (changes.errors.length > 0) throw new PromptgateErrors(changes.errors);

  const trusted = resolveTrustedSettings({
    base: base.settings,
    head: head.settings,
    inputs: input.inputs,
  });
  const settings = trusted.settings;
  const planned = planTargets(diffInputOf({ base, head, changes, settings }, input.repeats));
  const suited =
    input.suite === undefined ? undefined : narrowPairs(planned, settings, input.suite);
  const inSuite = suited?.pairs ?? planned;
  // A run over its limits is refused whole, before a key is even looked for. A shard is judged
  // by the whole run's plan: sharding spreads what a run may spend, it does not multiply it.
  let work = await checkRunLimits(targetsOf(inSuite), settings.limits, settings.prices);
  const pairs = input.shard ? selectShardCases(inSuite, input.shard) : inSuite;
  if (input.shard) work = await checkRunLimits(targetsOf(pairs), settings.limits, settings.prices);
  // What can fail without asking the model fails here, before a run is announced: a missing key
  // (a fork's pull request gets no secrets), a judge or embeddings model a golden set needs.
  const created = pairs.length === 0 ? undefined : input.createEngine(settings);
  const judgePrompt = trustedJudgePrompt(base, head);
  const engine = created && judgePrompt ? { ...created, judgePrompt } : created;
  if (engine) await prepareTargets(targetsOf(pairs), engine);
  return {
    base,
    head,
    changes,
    settings,
    notices: [...changes.notices, ...trusted.notices, ...(suited?.notices ?? [])],
    pairs,
    engine,
    samples: work.samples,
    work,
    adaptive: pairs.some((p) => p.adaptive),
    ...(input.repeats === undefined ? {} : { repeats: input.repeats }),
    ...(suited ? { suite: suited.suite } : {}),
    ...(input.shard
      ? { shard: { ...input.shard, gates: settings.gates, plan: describePlan(inSuite) } }
      : {}),
  };
}

/**
 * The planned pairs with only the suite's cases, each side's golden set narrowed alike. A prompt
 * whose golden set the suite holds no case of is not evaluated, and a notice says so.
 */
function narrowPairs(
  planned: PlannedPair[],
  settings: Settings,
  name: string,
): { pairs: PlannedPair[]; notices: Notice[]; suite: SuiteCount } {
  const suite = resolveSuite(settings, name);
  const pairs: PlannedPair[] = [];
  const notices: Notice[] = [];
  const counted: { full: LoadedGoldenSet; selected: LoadedGoldenSet }[] = [];
  for (const p of planned) {
    const head = selectSuiteCases(p.head.goldenSet, suite);
    counted.push({ full: p.head.goldenSet, selected: head });
    if (head.set.cases.length === 0) {
      notices.push({
        kind: "outside-suite",
        message: `suite ${suite.name} holds none of the ${p.head.goldenSet.set.cases.length} cases of ${p.head.goldenSet.file}: ${p.evaluation.prompt} is not evaluated in this run`,
        prompt: p.evaluation.prompt,
        file: p.head.goldenSet.file,
      });
      continue;
    }
    pairs.push({
      ...p,
      head: { ...p.head, goldenSet: head },
      base: p.base && { ...p.base, goldenSet: selectSuiteCases(p.base.goldenSet, suite) },
    });
  }
  const count = countSuite(suite, counted);
  return { pairs, notices, suite: count };
}

/** What a pull request's diff found: everything its report states besides where it ran. */
export interface PullRequestDiff {
  comparisons: PromptComparison[];
  changes: PromptChange[];
  environmentChanges: ReportEnvironmentChange[];
  notices: Notice[];
  settings: RunSettings;
  /** Wall time of the evaluation. */
  wallMs: number;
  /** Set when this run is one shard of a matrix: its report says so. */
  shard?: ShardInfo;
}

export async function runPreparedDiff(
  prepared: PreparedDiff,
  options: { onProgress?: (p: Progress) => void } = {},
): Promise<PullRequestDiff> {
  const started = performance.now();
  const input = diffInputOf(prepared, prepared.repeats);
  const result: DiffResult = prepared.engine
    ? await runPlannedDiff(input, prepared.pairs, {
        ...prepared.engine,
        onProgress: options.onProgress ?? (() => {}),
      })
    : {
        comparisons: [],
        changes: [],
        repeats: input.repeats ?? prepared.settings.repeats,
        maxRepeats: prepared.settings.maxRepeats,
      };
  return {
    comparisons: gateGoldenSetEdits(result.comparisons, prepared),
    changes: result.changes,
    environmentChanges: markPinGates(prepared.changes, result),
    notices: prepared.notices,
    settings: {
      ...describeSettings(prepared.settings, prepared.settings, result),
      ...(prepared.suite ? { suite: prepared.suite } : {}),
    },
    wallMs: performance.now() - started,
    ...(prepared.shard ? { shard: prepared.shard } : {}),
  };
}

/**
 * `gates.golden-set-edits`: a pull request that edits, loosens or removes what its golden set
 * already checks changes the yardstick it is measured with. `warn` (the default) names it in the
 * comment; `block` also fails the prompt's gate until a reviewer takes the edit in a separate
 * change (or the base's setting says warn). Added cases and added assertions only ask more.
 */
function gateGoldenSetEdits(
  comparisons: PromptComparison[],
  prepared: Pick<PreparedDiff, "base" | "head" | "settings">,
): PromptComparison[] {
  const mode = prepared.settings.gates.goldenSetEdits;
  return comparisons.map((c) => {
    const before = prepared.base.goldenSets.get(c.prompt);
    const after = prepared.head.goldenSets.get(c.prompt);
    if (!before || !after) return c;
    const edits = findGoldenSetEdits(before, after);
    if (!editsExistingCases(edits)) return c;
    const message = `${after.file} edits existing cases (${describeGoldenSetEdits(before, after)})`;
    const gate = {
      gate: "golden-set-edits" as const,
      status: mode === "block" ? ("fail" as const) : ("warn" as const),
      message,
    };
    return { ...c, gates: [...c.gates, gate], blocked: c.blocked || mode === "block" };
  });
}

function diffInputOf(
  p: Pick<PreparedDiff, "base" | "head" | "changes" | "settings">,
  repeats: number | undefined,
): DiffInput {
  const input: DiffInput = { base: p.base, head: p.head, changes: p.changes, settings: p.settings };
  if (repeats !== undefined) input.repeats = repeats;
  return input;
}
