import pLimit from "p-limit";
import { reportsUsage } from "../cost/cost-unknown.js";
import { priceUsage } from "../cost/prices.js";
import type { Usage } from "../cost/usage.js";
import {
  compareByPlace,
  PromptgateError,
  PromptgateErrors,
  type SourceLocation,
} from "../errors.js";
import { flatString } from "../formats/flat-values.js";
import type { GoldenCase } from "../formats/golden-set.js";
import type { PromptVersion } from "../formats/prompt-file.js";
import { type ChatMessage, renderPrompt } from "../formats/prompt-file.js";
import type { LoadedGoldenSet } from "../formats/repo.js";
import type { PriceOverride, Settings } from "../formats/settings.js";
import {
  AssertionInfraError,
  assertionNeeds,
  evaluateAssertions,
  prepareAssertions,
} from "./assertions/index.js";
import { toChatParams } from "./chat-params.js";
import { LlmError } from "./llm-error.js";
import { RegexTimeoutError } from "./safe-regex.js";
import type {
  AssertionResult,
  CaseResult,
  ChatModel,
  EmbeddingModel,
  EvalResult,
  PromptRun,
  Sample,
  SampleError,
  SampleOk,
  Totals,
} from "./types.js";
import { EVAL_RESULT_SCHEMA } from "./types.js";

/** One prompt version evaluated against one golden set. */
export interface EvalTarget {
  version: PromptVersion;
  goldenSet: LoadedGoldenSet;
  /** An environment may pin another model than the prompt's front matter (a model swap is a deploy). */
  model?: string;
  repeats: number;
  /**
   * Samples of each critical case when more than `repeats` (`eval --as-base`): the default
   * branch's run draws what a pull request's critical top-up asks of its base side, so the PR
   * finds those samples in the cache too.
   */
  criticalRepeats?: number;
}

/** How many samples a case of a target gets. */
export function repeatsOf(target: EvalTarget, c: Pick<GoldenCase, "critical">): number {
  return c.critical ? Math.max(target.repeats, target.criticalRepeats ?? 0) : target.repeats;
}

/** The samples a target draws. */
export function sizeOfTarget(target: EvalTarget): number {
  return target.goldenSet.set.cases.reduce((n, c) => n + repeatsOf(target, c), 0);
}

export interface Progress {
  done: number;
  total: number;
  errors: number;
  cacheHits: number;
}

/** One sample as it completes, with what places it: the line a sample log writes. */
export interface SampleRecord {
  prompt: string;
  version: string;
  model: string;
  case: string;
  sample: Sample;
}

export interface EngineDeps {
  chat: ChatModel;
  embeddings?: EmbeddingModel;
  judgeModel?: string;
  /** The judge's Dotprompt (`judge.prompt`, from the revision the judge is trusted from); absent: promptgate's own. */
  judgePrompt?: PromptVersion;
  embeddingModel?: string;
  prices: Record<string, PriceOverride>;
  concurrency: number;
  onProgress?: (p: Progress) => void;
  /** Every sample as it completes, so a caller can stream them to disk (src/io/sample-log.ts). */
  onSample?: (record: SampleRecord) => void;
  signal?: AbortSignal;
  now?: () => number;
}

export { toChatParams };

/**
 * A sampler runs single samples through the shared pool. The fixed design asks it for every repeat
 * up front; adaptive repeats ask again for more samples of chosen cases.
 */
export interface Sampler {
  sample(target: EvalTarget, c: GoldenCase, index: number): Promise<Sample>;
  /** Counts `count` samples into the progress total before they are asked for one by one. */
  expect(count: number): void;
  /** A sample already counted by `expect`. */
  sampleExpected(target: EvalTarget, c: GoldenCase, index: number): Promise<Sample>;
  /** How many samples are worth asking for at once: more only wait in the queue, holding memory. */
  window: number;
  /**
   * Waits for room for a case of `samples` samples in the run's one window (`window` samples wide,
   * shared by every target the sampler serves); `leaveWindow` gives the room back.
   */
  enterWindow(samples: number): Promise<void>;
  leaveWindow(samples: number): void;
  /**
   * Set in a large run (see isLargeRun): cases keep their samples in brief (keepSamples), sharing
   * the parts that repeat from case to case.
   */
  brief: BriefParts | undefined;
  progress: Progress;
}

export interface SamplerOptions {
  /** Keep samples in brief (briefSamples): the run is large (isLargeRun). */
  brief?: boolean;
}

export function createSampler(deps: EngineDeps, options: SamplerOptions = {}): Sampler {
  const limit = pLimit(deps.concurrency);
  const now = deps.now ?? (() => performance.now());
  // Rendering is per (version, case), not per sample: repeats in flight together share the
  // messages. An entry leaves when its last sample is done, so the map holds the cases in flight,
  // not every case of the run (a later adaptive draw renders again: cheap next to a request).
  const rendered = new Map<string, { messages: Promise<ChatMessage[]>; users: number }>();
  const progress: Progress = { done: 0, total: 0, errors: 0, cacheHits: 0 };

  const renderOnce = async (target: EvalTarget, c: GoldenCase) => {
    const key = `${target.version.contentHash}\0${c.id}`;
    let entry = rendered.get(key);
    if (!entry) {
      entry = { messages: renderPrompt(target.version, c.vars), users: 0 };
      rendered.set(key, entry);
    }
    entry.users++;
    try {
      return await entry.messages;
    } finally {
      if (--entry.users === 0) rendered.delete(key);
    }
  };

  const finish = (target: EvalTarget, c: GoldenCase, s: Sample): Sample => {
    deps.onSample?.({
      prompt: target.version.prompt,
      version: target.version.version,
      model: target.model ?? target.version.model,
      case: c.id,
      sample: s,
    });
    progress.done++;
    if (s.kind === "error") progress.errors++;
    else if (s.cached) progress.cacheHits++;
    deps.onProgress?.(progress);
    return s;
  };

  async function sampleOnce(target: EvalTarget, c: GoldenCase, index: number): Promise<Sample> {
    const started = now();
    let messages: ChatMessage[];
    try {
      messages = await renderOnce(target, c);
    } catch (e) {
      return {
        kind: "error",
        index,
        latencyMs: 0,
        error: { kind: "render", message: (e as Error).message },
      };
    }
    const model = target.model ?? target.version.model;
    try {
      const res = await deps.chat.complete(
        { model, messages, params: toChatParams(target.version.config), sampleIndex: index },
        deps.signal,
      );
      const price = reportsUsage(res.usage)
        ? priceUsage(res.model ?? model, res.usage, deps.prices)
        : undefined;
      const costUsd = price?.kind === "known" ? price.usd : null;
      const verdict = await evaluateAssertions(c.assert, {
        output: res.output,
        latencyMs: res.latencyMs,
        costUsd,
        ...(costUsd === null ? { costUnknown: price ? "no-price" : "no-usage" } : {}),
        judge: deps.judgeModel
          ? { model: deps.chat, modelId: deps.judgeModel, prompt: deps.judgePrompt }
          : undefined,
        embeddings:
          deps.embeddings && deps.embeddingModel
            ? { model: deps.embeddings, modelId: deps.embeddingModel }
            : undefined,
        signal: deps.signal,
        threshold: c.threshold,
      });
      // An alias (LiteLLM, Azure deployments) answers as another model: that one was priced.
      const answeredAs = res.model && res.model !== model ? { model: res.model } : {};
      return {
        kind: "ok",
        index,
        output: res.output,
        usage: res.usage,
        latencyMs: res.latencyMs,
        costUsd,
        ...answeredAs,
        cached: res.cached,
        pass: verdict.pass,
        score: verdict.score,
        assertions: verdict.results,
      };
    } catch (e) {
      return { kind: "error", index, latencyMs: now() - started, error: toSampleError(e) };
    }
  }

  const sampleExpected = (target: EvalTarget, c: GoldenCase, index: number) =>
    limit(() => sampleOnce(target, c, index)).then((s) => finish(target, c, s));
  // One window for the whole run: every target used to open its own, so a run of 100 golden
  // sets had 100 windows of cases rendered and queued at once. A case enters while any room is
  // left (it may overdraw by its repeats less one), so the pool stays full with many repeats.
  let room = deps.concurrency;
  const waiting: Array<{ samples: number; enter: () => void }> = [];
  const enterWindow = (samples: number): Promise<void> => {
    if (room > 0 && waiting.length === 0) {
      room -= samples;
      return Promise.resolve();
    }
    return new Promise((enter) => waiting.push({ samples, enter }));
  };
  const leaveWindow = (samples: number) => {
    room += samples;
    while (room > 0) {
      const next = waiting.shift();
      if (!next) break;
      room -= next.samples;
      next.enter();
    }
  };
  return {
    progress,
    window: deps.concurrency,
    enterWindow,
    leaveWindow,
    brief: options.brief ? createBriefParts() : undefined,
    expect(count) {
      progress.total += count;
    },
    sampleExpected,
    sample(target, c, index) {
      progress.total++;
      return sampleExpected(target, c, index);
    },
  };
}

function toSampleError(e: unknown): SampleError {
  if (e instanceof LlmError) return { kind: e.kind, message: e.message, status: e.status };
  // The output came back but could not be graded in time: missing data, like any timeout.
  if (e instanceof RegexTimeoutError) return { kind: "timeout", message: e.message };
  if (e instanceof AssertionInfraError) {
    // A judge or embeddings request that failed keeps its kind (a 429 is a rate limit, not a
    // malformed response); only a reply that came back and cannot be read is a bad response.
    const llm = llmCause(e);
    if (llm) {
      return llm.status === undefined
        ? { kind: llm.kind, message: e.message }
        : { kind: llm.kind, message: e.message, status: llm.status };
    }
    return { kind: "bad-response", message: e.message };
  }
  return { kind: "bad-response", message: e instanceof Error ? e.message : String(e) };
}

/** The LlmError an error wraps, following `cause` a few levels down. */
function llmCause(e: unknown): LlmError | undefined {
  let c: unknown = e;
  for (let depth = 0; depth < 8 && c instanceof Error; depth++) {
    if (c instanceof LlmError) return c;
    c = c.cause;
  }
  return undefined;
}

/** Summarises a case's samples. Errored samples are missing data, never failures. */
export function summariseCase(
  c: Pick<GoldenCase, "id" | "tags" | "critical" | "vars">,
  samples: Sample[],
): CaseResult {
  let ok = 0;
  let passes = 0;
  let score = 0;
  for (const s of samples) {
    if (s.kind !== "ok") continue;
    ok++;
    if (s.pass) passes++;
    score += s.score;
  }
  samples.sort((a, b) => a.index - b.index);
  return {
    id: c.id,
    tags: c.tags,
    critical: c.critical,
    vars: c.vars,
    samples,
    passRate: ok === 0 ? null : passes / ok,
    score: ok === 0 ? null : score / ok,
    errors: samples.length - ok,
  };
}

export function summariseRun(cases: CaseResult[]): Totals {
  let samples = 0;
  let errors = 0;
  let cacheHits = 0;
  let promptTokens = 0;
  let completionTokens = 0;
  let cost = 0;
  let costKnown = true;
  let okSamples = 0;
  let latency = 0;
  let rated = 0;
  let passSum = 0;
  let scoreSum = 0;
  for (const c of cases) {
    if (c.passRate !== null && c.score !== null) {
      rated++;
      passSum += c.passRate;
      scoreSum += c.score;
    }
    for (const s of c.samples) {
      samples++;
      if (s.kind === "error") {
        errors++;
        continue;
      }
      okSamples++;
      if (s.cached) cacheHits++;
      promptTokens += s.usage.promptTokens;
      completionTokens += s.usage.completionTokens;
      latency += s.latencyMs;
      if (s.costUsd === null) costKnown = false;
      else cost += s.costUsd;
    }
  }
  return {
    samples,
    errors,
    cacheHits,
    promptTokens,
    completionTokens,
    costUsd: costKnown && okSamples > 0 ? cost : null,
    costPerRequestUsd: costKnown && okSamples > 0 ? cost / okSamples : null,
    passRate: rated === 0 ? null : passSum / rated,
    score: rated === 0 ? null : scoreSum / rated,
    meanLatencyMs: okSamples === 0 ? null : latency / okSamples,
  };
}

/**
 * Past this many cases in a run (all its golden sets together), the run keeps its samples in
 * memory in brief (briefSamples), so a 100,000-case run does not hold every answer and reason
 * until the end. Below it nothing changes: the result file and every report read as before.
 */
export const BRIEF_AFTER_CASES = 2_000;

/** Whether a run over these targets is large enough to keep its samples in brief. */
export function isLargeRun(targets: readonly EvalTarget[]): boolean {
  let cases = 0;
  for (const t of targets) cases += t.goldenSet.set.cases.length;
  return cases > BRIEF_AFTER_CASES;
}

/**
 * What a large run keeps of a case's samples: the first passing and the first failing one (the
 * samples a report shows: pickSample) in full but for their passing assertions' reasons, which no
 * report shows; the others, and every other reason, emptied and marked `brief`. Errored samples
 * are small and stay whole. The sample log (io/sample-log.ts) has every sample in full.
 * Idempotent, and stable as samples are appended (adaptive top-ups brief again after each draw).
 */
export function briefSamples(samples: Sample[], parts?: BriefParts): Sample[] {
  let pass = false;
  let fail = false;
  return samples.map((s) => {
    if (s.kind !== "ok") return s;
    const shown = s.pass ? !pass : !fail;
    if (s.pass) pass = true;
    else fail = true;
    return shown || s.brief !== true ? keepInBrief(s, shown, parts) : s;
  });
}

/**
 * A sample as a large run keeps it: a fresh object of one fixed shape holding only flat strings.
 * The engine's own objects cost several times more for the same fields: assertion results built
 * by spreading have a hidden class each, and reasons are trees of concatenated strings.
 */
function keepInBrief(s: SampleOk, shown: boolean, parts?: BriefParts): SampleOk {
  const assertions = keepAssertions(s.assertions, shown, parts);
  const u = s.usage;
  const usage = parts ? shareUsage(parts, u) : copyUsage(u);
  // The client's output comes from JSON.parse, already one flat string: copying it only churns.
  const output = shown ? s.output : "";
  // The keys in the engine's order, so a result file reads the same; `model` only when answered as.
  const kept: SampleOk =
    s.model === undefined
      ? {
          kind: "ok",
          index: s.index,
          output,
          usage,
          latencyMs: s.latencyMs,
          costUsd: s.costUsd,
          cached: s.cached,
          pass: s.pass,
          score: s.score,
          assertions,
        }
      : {
          kind: "ok",
          index: s.index,
          output,
          usage,
          latencyMs: s.latencyMs,
          costUsd: s.costUsd,
          model: s.model,
          cached: s.cached,
          pass: s.pass,
          score: s.score,
          assertions,
        };
  if (!shown) kept.brief = true;
  return kept;
}

/**
 * The parts of kept samples that repeat from case to case, kept once: a large run's samples mostly
 * have the same assertions with the same outcomes and no reasons (and often the same token
 * counts), so 100,000 cases need not hold 100,000 copies. Nothing changes a kept sample, and a
 * result file writes a shared part out in each place as before. A run whose parts do not repeat
 * (continuous scores, say) stops adding at SHARED_PARTS, so the tables stay small.
 */
export interface BriefParts {
  assertions: Map<string, AssertionResult[]>;
  usage: Map<string, Usage>;
}

const SHARED_PARTS = 1_000;

export function createBriefParts(): BriefParts {
  return { assertions: new Map(), usage: new Map() };
}

/**
 * A kept sample's assertion results: a shown sample keeps its failed reasons, every other reason
 * is "". A reason-less list is looked up before it is built: most are kept already.
 */
function keepAssertions(
  results: readonly AssertionResult[],
  shown: boolean,
  parts: BriefParts | undefined,
): AssertionResult[] {
  // Only reason-less lists repeat; a kept failing reason is the case's own.
  if (!parts || results.some((a) => keepsReason(a, shown))) return copyAssertions(results, shown);
  let key = "";
  for (const a of results) {
    key += `${a.type}\0${a.negated ? 1 : 0}${a.pass ? 1 : 0}\0${a.score}\0${a.weight}\n`;
  }
  return share(parts.assertions, key, () => copyAssertions(results, shown));
}

const keepsReason = (a: AssertionResult, shown: boolean) => shown && !a.pass && a.reason !== "";

function copyAssertions(results: readonly AssertionResult[], shown: boolean): AssertionResult[] {
  return results.map(
    (a): AssertionResult => ({
      type: a.type,
      negated: a.negated,
      pass: a.pass,
      score: a.score,
      weight: a.weight,
      reason: keepsReason(a, shown) ? flatString(a.reason) : "",
    }),
  );
}

function shareUsage(parts: BriefParts, u: Usage): Usage {
  const key = `${u.promptTokens},${u.completionTokens},${u.cachedTokens ?? ""}`;
  return share(parts.usage, key, () => copyUsage(u));
}

/** The table's copy under `key`, else a fresh one (kept while the table has room). */
function share<T>(table: Map<string, T>, key: string, make: () => T): T {
  const kept = table.get(key);
  if (kept !== undefined) return kept;
  const fresh = make();
  if (table.size < SHARED_PARTS) table.set(key, fresh);
  return fresh;
}

/** Usage in one shape, apart from the response it came with. */
function copyUsage(u: Usage): Usage {
  return u.cachedTokens === undefined
    ? { promptTokens: u.promptTokens, completionTokens: u.completionTokens }
    : {
        promptTokens: u.promptTokens,
        completionTokens: u.completionTokens,
        cachedTokens: u.cachedTokens,
      };
}

/** Runs every case of a target `repeats` times through the sampler. */
export async function runTarget(sampler: Sampler, target: EvalTarget): Promise<PromptRun> {
  const [run] = await runTargets(sampler, [target]);
  return run as PromptRun;
}

/**
 * Runs every case of every target `repeats` times through the sampler, in the sampler's one
 * window of cases: not one promise per case up front (100,000 queued cases held their closures
 * and promises for the whole run), and not one window per target (100 golden sets opened 100).
 * The targets go in order, each case's samples together; results keep the golden sets' order.
 */
export async function runTargets(sampler: Sampler, targets: EvalTarget[]): Promise<PromptRun[]> {
  for (const t of targets) sampler.expect(sizeOfTarget(t));
  const results = targets.map((t) => new Array<CaseResult>(t.goldenSet.set.cases.length));
  let ti = 0;
  let ci = 0;
  const takeCase = (): [number, number] | undefined => {
    for (; ti < targets.length; ti++, ci = 0) {
      if (ci < (targets[ti] as EvalTarget).goldenSet.set.cases.length) return [ti, ci++];
    }
    return undefined;
  };
  const work = async () => {
    for (let at = takeCase(); at !== undefined; at = takeCase()) {
      const [t, i] = at;
      const target = targets[t] as EvalTarget;
      const c = target.goldenSet.set.cases[i] as GoldenCase;
      const n = repeatsOf(target, c);
      await sampler.enterWindow(n);
      try {
        const samples = await Promise.all(
          Array.from({ length: n }, (_, r) => sampler.sampleExpected(target, c, r)),
        );
        samples.sort((a, b) => a.index - b.index);
        const kept = summariseCase(c, keepSamples(sampler, samples));
        (results[t] as CaseResult[])[i] = kept;
      } finally {
        sampler.leaveWindow(n);
      }
    }
  };
  // As many workers as cases fit in the window at once; each waits for room before it renders.
  let total = 0;
  for (const t of targets) total += t.goldenSet.set.cases.length;
  const minRepeats = Math.max(1, Math.min(...targets.map((t) => t.repeats)));
  const width = Math.max(1, Math.ceil(sampler.window / minRepeats));
  await Promise.all(Array.from({ length: Math.min(width, total) }, work));
  return targets.map((t, k) => buildPromptRun(t, results[k] as CaseResult[]));
}

/** What a case keeps of its samples: all of them, or in brief in a large run. */
export function keepSamples(sampler: Pick<Sampler, "brief">, samples: Sample[]): Sample[] {
  return sampler.brief ? briefSamples(samples, sampler.brief) : samples;
}

export function buildPromptRun(target: EvalTarget, cases: CaseResult[]): PromptRun {
  const v = target.version;
  return {
    prompt: v.prompt,
    version: v.version,
    file: v.file,
    contentHash: v.contentHash,
    model: target.model ?? v.model,
    params: toChatParams(v.config),
    goldenSetFile: target.goldenSet.file,
    repeats: target.repeats,
    cases,
    totals: summariseRun(cases),
  };
}

/** What the CLI, the action and the diff grade with when promptgate.yaml names no embeddings model. */
export const DEFAULT_EMBEDDING_MODEL = "text-embedding-3-small";

/** The grading models of a run. An undefined model means the assertions that need it cannot run. */
export interface GradingModels {
  judgeModel?: string;
  embeddingModel?: string;
}

/** The grading models a repository's settings give a run (as eval, diff and the action set them). */
export function gradingModels(settings: Pick<Settings, "judge" | "embeddings">): GradingModels {
  return {
    judgeModel: settings.judge?.model,
    embeddingModel: settings.embeddings?.model ?? DEFAULT_EMBEDDING_MODEL,
  };
}

/**
 * What a golden set needs before anything is sent: a judge model for llm-rubric, an embeddings
 * model for similar, and regexes and JSON Schemas that compile. Each problem is located at its
 * assertion in the golden set's file, so `validate` reports it like any other error in the file.
 */
export async function checkGoldenSet(
  goldenSet: LoadedGoldenSet,
  models: GradingModels,
): Promise<PromptgateError[]> {
  const at = (path: (string | number)[]): SourceLocation =>
    goldenSet.locator?.at(path) ?? { file: goldenSet.file };
  const errors: PromptgateError[] = [];
  const uses = { judge: [] as (string | number)[][], embeddings: [] as (string | number)[][] };
  for (const [i, c] of goldenSet.set.cases.entries()) {
    for (const [j, a] of c.assert.entries()) {
      const path = ["cases", i, "assert", j];
      const needs = assertionNeeds([a]);
      if (needs.judge) uses.judge.push(path);
      if (needs.embeddings) uses.embeddings.push(path);
      try {
        await prepareAssertions([a]);
      } catch (e) {
        if (!(e instanceof PromptgateError)) throw e;
        errors.push(
          e.location
            ? e
            : new PromptgateError(e.code, e.message, {
                location: at([...path, "value"]),
                hint: e.hint,
                cause: e,
              }),
        );
      }
    }
  }
  // One error per missing model, at the first assertion that needs it.
  const missing = (paths: (string | number)[][], what: string, hint: string) => {
    const first = paths[0];
    if (!first) return;
    const others = paths.length > 1 ? ` (and ${paths.length - 1} more in this file)` : "";
    errors.push(new PromptgateError("E_CONFIG", `${what}${others}`, { location: at(first), hint }));
  };
  if (!models.embeddingModel) {
    missing(
      uses.embeddings,
      "similar needs an embeddings model, and none is set",
      `add \`embeddings: { model: ${DEFAULT_EMBEDDING_MODEL} }\` to promptgate.yaml`,
    );
  }
  if (!models.judgeModel) {
    missing(
      uses.judge,
      "llm-rubric needs a judge model, and none is set",
      "add `judge: { model: <model id> }` to promptgate.yaml",
    );
  }
  return errors.sort(compareByPlace);
}

/**
 * Checks what the golden sets need before anything is sent (see checkGoldenSet), every golden
 * set once. One clear error per problem beats one per sample.
 */
export async function prepareTargets(targets: EvalTarget[], deps: EngineDeps): Promise<void> {
  const models: GradingModels = {
    judgeModel: deps.judgeModel,
    embeddingModel: deps.embeddings ? deps.embeddingModel : undefined,
  };
  const seen = new Set<LoadedGoldenSet>();
  const errors = new Map<string, PromptgateError>();
  for (const t of targets) {
    if (seen.has(t.goldenSet)) continue;
    seen.add(t.goldenSet);
    // Base and head may hold the same file: its problems are reported once.
    for (const e of await checkGoldenSet(t.goldenSet, models)) errors.set(e.message, e);
  }
  const all = [...errors.values()];
  if (all.length === 1) throw all[0];
  if (all.length > 1) throw new PromptgateErrors(all);
}

/** Evaluates several targets concurrently through one bounded pool. */
export async function runEval(
  targets: EvalTarget[],
  deps: EngineDeps,
  source: string,
): Promise<EvalResult> {
  await prepareTargets(targets, deps);
  const startedAt = new Date().toISOString();
  const t0 = performance.now();
  const sampler = createSampler(deps, { brief: isLargeRun(targets) });
  const runs = await runTargets(sampler, targets);
  const p = sampler.progress;
  return {
    schema: EVAL_RESULT_SCHEMA,
    startedAt,
    wallMs: Math.round(performance.now() - t0),
    source,
    runs,
    requests: { sent: p.done - p.cacheHits, cacheHits: p.cacheHits, errors: p.errors },
  };
}
