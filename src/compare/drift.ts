import { createHash } from "node:crypto";
import { type EngineDeps, type EvalTarget, runEval } from "../engine/run-eval.js";
import { fixedRepeats } from "../engine/select-targets.js";
import type { PromptRun } from "../engine/types.js";
import { PromptgateError } from "../errors.js";
import { listPins } from "../formats/environments.js";
import { findVersion, type Repo, requireEnvironment } from "../formats/repo.js";
import type { Settings } from "../formats/settings.js";
import { resolveSuite, type SuiteCount, selectSuiteCases } from "../formats/suites.js";
import { comparePromptRuns } from "./compare-runs.js";
import type { PromptComparison } from "./types.js";

/**
 * The scheduled drift check (issue 11 item 2): what each environment serves — its pinned version
 * on its pinned model — is run on the golden set and compared with the recorded results of the
 * same pin, with the pull request's paired statistics (comparePromptRuns). Nothing changed in the
 * repository; what moves is the model behind the endpoint, so a "worse" verdict here is drift.
 *
 * The record of a pin is the results of the first drift run that saw it (re-recorded when the
 * pin changes). It is never overwritten by a later run of the same pin: a slow slide, a point a
 * night, is measured against where the pin started rather than against yesterday, where each
 * step would be within noise.
 */

export const DRIFT_RECORD_SCHEMA = "promptgate/drift-record@1" as const;

export interface DriftRecord {
  schema: typeof DRIFT_RECORD_SCHEMA;
  environment: string;
  prompt: string;
  version: string;
  model: string;
  recordedAt: string;
  /** The CI run that recorded it, when known. */
  runUrl?: string;
  /**
   * sha256 of the golden set's cases as they were: an edited golden set measures something else,
   * so the pin is recorded again rather than compared (a new assertion is not drift).
   */
  goldenSetHash?: string;
  run: PromptRun;
}

export interface DriftKey {
  environment: string;
  prompt: string;
}

/** A stored record and the opaque version a compare-and-swap write must name. */
export interface StoredDriftRecord {
  record: DriftRecord;
  version: string;
}

/**
 * Where records live (a branch through the contents API, a local JSON file). `write` is a
 * compare-and-swap: it lands only while the record is still at `version` (null: still absent).
 */
export interface DriftRecordStore {
  read(key: DriftKey): Promise<StoredDriftRecord | null>;
  write(record: DriftRecord, version: string | null): Promise<"written" | "conflict">;
}

/**
 * - baseline: no record yet; this run is recorded, nothing is compared.
 * - re-baselined: the environment now pins another version or model; this run replaces the record.
 * - steady: compared, no significant drop.
 * - drop: compared, significantly worse (the paired interval, or a critical case broken).
 * - errors: too many samples errored to compare.
 */
export type DriftStatus = "baseline" | "re-baselined" | "steady" | "drop" | "errors";

export interface DriftOutcome {
  environment: string;
  prompt: string;
  version: string;
  model: string;
  status: DriftStatus;
  /** For `re-baselined`: what changed since the record. */
  rebaselined?: "pin" | "golden-set";
  /** The run of this check (shared by the environments that serve the same pin). */
  run: PromptRun;
  /** The record compared with (absent for a baseline). */
  recorded?: Pick<DriftRecord, "version" | "model" | "recordedAt" | "runUrl">;
  comparison: PromptComparison | null;
}

export interface DriftResult {
  outcomes: DriftOutcome[];
  /** Pins not checked, and why (no golden set). */
  skipped: { environment: string; prompt: string; reason: string }[];
  requests: { sent: number; cacheHits: number; errors: number };
  /** What this check spent; null when a model's price is unknown. */
  costUsd: number | null;
  /** Which suite ran and how many of the watched golden sets' cases it holds. */
  suite?: SuiteCount;
}

export interface DriftInput {
  repo: Repo;
  /** The trusted settings (gates, repeats): the checked-out default branch's. */
  settings: Settings;
  /** Only these environments; default every environment. */
  environments?: string[];
  /**
   * Only this suite's cases (`suites:` of the trusted settings). A record keeps the hash of the
   * cases it ran, so a record of another suite is re-baselined, never compared: give each suite
   * its own records branch when several are watched.
   */
  suite?: string;
  repeats?: number;
  engine: EngineDeps;
  store: DriftRecordStore;
  now: () => Date;
  runUrl?: string;
  /** Called with what will run before anything is sent: the edge checks the run's limits there. */
  checkTargets?: (targets: EvalTarget[]) => Promise<void>;
}

const MAX_WRITE_ATTEMPTS = 3;

export async function runDrift(input: DriftInput): Promise<DriftResult> {
  const { repo } = input;
  if (!repo.environments) {
    throw new PromptgateError("E_NOT_FOUND", "drift needs environments to watch", {
      hint: `add ${repo.settings.paths.environments} with the pins each environment serves`,
    });
  }
  for (const env of input.environments ?? []) requireEnvironment(repo, env);
  const known = Object.keys(repo.environments.environments);
  const wanted = new Set(input.environments ?? known);
  const suite = input.suite === undefined ? undefined : resolveSuite(input.settings, input.suite);
  const suiteCount = suite ? { name: suite.name, cases: 0, of: 0 } : undefined;
  const skipped: DriftResult["skipped"] = [];
  // One evaluation per (prompt, version, model): staging, canary and production often serve the
  // same pin, and a check should not pay three times for one answer.
  const targets = new Map<string, EvalTarget>();
  const pins: { environment: string; prompt: string; key: string; goldenSetHash: string }[] = [];
  // The suite counts each (prompt, version, model) once, as it is evaluated once; a pin the suite
  // holds none of is counted too (as eval and diff do), still once however many environments share it.
  const counted = new Set<string>();
  for (const { env, prompt, pin } of listPins(repo.environments)) {
    if (!wanted.has(env)) continue;
    const fullSet = repo.goldenSets.get(prompt);
    const goldenSet = fullSet && suite ? selectSuiteCases(fullSet, suite) : fullSet;
    const version = findVersion(repo, prompt, pin.version);
    const countKey = `${prompt}@${pin.version} ${pin.model ?? version?.model}`;
    if (fullSet && goldenSet && version && suiteCount && !counted.has(countKey)) {
      counted.add(countKey);
      suiteCount.cases += goldenSet.set.cases.length;
      suiteCount.of += fullSet.set.cases.length;
    }
    if (goldenSet && suite && goldenSet.set.cases.length === 0) {
      skipped.push({
        environment: env,
        prompt,
        reason: `suite ${suite.name} holds none of its cases`,
      });
      continue;
    }
    if (!goldenSet || !version) {
      skipped.push({
        environment: env,
        prompt,
        reason: goldenSet ? `version ${pin.version} not found` : "no golden set",
      });
      continue;
    }
    const model = pin.model ?? version.model;
    const key = `${prompt}@${pin.version} ${model}`;
    if (!targets.has(key)) {
      targets.set(key, {
        version,
        goldenSet,
        model: pin.model,
        repeats: fixedRepeats(repo, prompt, input.repeats),
      });
    }
    pins.push({ environment: env, prompt, key, goldenSetHash: hashGoldenSet(goldenSet.set.cases) });
  }
  const keys = [...targets.keys()];
  await input.checkTargets?.([...targets.values()]);
  const evaluated = await runEval([...targets.values()], input.engine, "drift");
  const runByKey = new Map(keys.map((k, i) => [k, evaluated.runs[i]]));

  const outcomes: DriftOutcome[] = [];
  for (const p of pins) {
    const run = runByKey.get(p.key);
    if (!run) continue;
    const key = { environment: p.environment, prompt: p.prompt };
    outcomes.push(await judgePin(input, key, run, p.goldenSetHash));
  }
  let costUsd: number | null = 0;
  for (const r of evaluated.runs) {
    costUsd = costUsd === null || r.totals.costUsd === null ? null : costUsd + r.totals.costUsd;
  }
  return {
    outcomes,
    skipped,
    requests: evaluated.requests,
    costUsd,
    ...(suiteCount ? { suite: suiteCount } : {}),
  };
}

/** Compares one environment's pin with its record, and records the run when there is none. */
async function judgePin(
  input: DriftInput,
  key: DriftKey,
  run: PromptRun,
  goldenSetHash: string,
): Promise<DriftOutcome> {
  const base = { ...key, version: run.version, model: run.model, run };
  for (let attempt = 1; ; attempt++) {
    const stored = await input.store.read(key);
    const record = stored?.record;
    const samePin = record?.version === run.version && record?.model === run.model;
    // A record without a hash predates it: compare, as before.
    const sameSet = (record?.goldenSetHash ?? goldenSetHash) === goldenSetHash;
    if (record && samePin && sameSet) {
      return { ...base, ...compareWithRecord(input.settings, record, run) };
    }
    const fresh: DriftRecord = {
      schema: DRIFT_RECORD_SCHEMA,
      ...key,
      version: run.version,
      model: run.model,
      recordedAt: input.now().toISOString(),
      ...(input.runUrl ? { runUrl: input.runUrl } : {}),
      goldenSetHash,
      run,
    };
    const written = await input.store.write(fresh, stored?.version ?? null);
    if (written === "written") {
      return {
        ...base,
        status: record ? "re-baselined" : "baseline",
        ...(record
          ? { recorded: recordedOf(record), rebaselined: samePin ? "golden-set" : "pin" }
          : {}),
        comparison: null,
      };
    }
    // Another run recorded this pin meanwhile: read its record and compare with it.
    if (attempt >= MAX_WRITE_ATTEMPTS) {
      throw new PromptgateError(
        "E_CONFLICT",
        `the drift record of ${key.environment}/${key.prompt} kept changing under this run`,
        { hint: "another drift check is writing it; run this one again later" },
      );
    }
  }
}

function recordedOf(r: DriftRecord): NonNullable<DriftOutcome["recorded"]> {
  return {
    version: r.version,
    model: r.model,
    recordedAt: r.recordedAt,
    ...(r.runUrl ? { runUrl: r.runUrl } : {}),
  };
}

function compareWithRecord(
  settings: Settings,
  record: DriftRecord,
  run: PromptRun,
): Pick<DriftOutcome, "status" | "recorded" | "comparison"> {
  const comparison = comparePromptRuns(record.run, run, {
    gates: settings.gates,
    requestsPerDay: settings.trafficPerDay[run.prompt] ?? null,
  });
  return { status: driftStatusOf(comparison), recorded: recordedOf(record), comparison };
}

/**
 * A drop is what would block a pull request's quality: the paired interval says worse, or a
 * critical case is broken by the exact test. Cost and golden-set gates do not apply: nothing was
 * edited.
 */
export function driftStatusOf(c: PromptComparison): DriftStatus {
  if (c.verdict === "errors") return "errors";
  if (c.verdict === "worse") return "drop";
  if ((c.criticalChecks ?? []).some((k) => k.status === "broken")) return "drop";
  return "steady";
}

/** The golden set's cases (ids, vars, assertions, flags), hashed in a stable form. */
export function hashGoldenSet(cases: readonly unknown[]): string {
  return createHash("sha256").update(JSON.stringify(cases)).digest("hex");
}

/** The record's key as a path segment pair: `<environment>/<prompt>.json`. */
export function driftRecordPath(key: DriftKey): string {
  return `drift/${key.environment}/${key.prompt}.json`;
}

/** Parses a stored record, refusing anything that is not one (a hand-edited or foreign file). */
export function parseDriftRecord(text: string, where: string): DriftRecord {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = undefined;
  }
  const r = value as Partial<DriftRecord> | undefined;
  if (
    !r ||
    r.schema !== DRIFT_RECORD_SCHEMA ||
    typeof r.version !== "string" ||
    typeof r.model !== "string" ||
    typeof r.run !== "object" ||
    !Array.isArray(r.run?.cases)
  ) {
    throw new PromptgateError(
      "E_SCHEMA",
      `${where} is not a drift record (${DRIFT_RECORD_SCHEMA})`,
      {
        hint: "delete it: the next drift run records a new baseline",
      },
    );
  }
  return r as DriftRecord;
}
