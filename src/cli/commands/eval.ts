import { resolve } from "node:path";
import { checkRunLimits, describeWork } from "../../compare/run-limits.js";
import { parseShard, selectEvalShard } from "../../compare/shards.js";
import { costUnknownOf, describeCostUnknown } from "../../cost/cost-unknown.js";
import { type EvalTarget, runEval } from "../../engine/run-eval.js";
import { selectTargets } from "../../engine/select-targets.js";
import type { EvalResult } from "../../engine/types.js";
import { PromptgateError, PromptgateErrors } from "../../errors.js";
import type { PromptVersion } from "../../formats/prompt-file.js";
import { loadRepo, requireSettingsFile } from "../../formats/repo.js";
import { checkVarsBeforeRun } from "../../formats/repo-checks.js";
import type { Settings } from "../../formats/settings.js";
import {
  countSuite,
  describeSuiteCount,
  resolveSuite,
  type SuiteCount,
  selectSuiteCases,
} from "../../formats/suites.js";
import { worktreeSource } from "../../io/file-sources.js";
import { writeJson, writeJsonFile } from "../../io/json-file.js";
import { createEngineModels, scrubberFor } from "../../io/model-stack.js";
import { openSampleLog, type SampleLog, sampleLogPath } from "../../io/sample-log.js";
import { formatCount, formatDuration, formatPercent, formatUsd } from "../../numbers.js";
import {
  COMMON_MODEL_FLAGS,
  LIMIT_FLAGS,
  LIMIT_USAGE,
  parseFlags,
  readLimitFlags,
  toInt,
} from "../args.js";
import { textTable } from "../format.js";
import { type CliIo, type Command, EXIT, type ExitCode } from "../io.js";
import { createProgressReporter } from "../progress.js";

const usage = `promptgate eval [--prompt NAME[@VERSION]]... [--env ENV] [--suite NAME] [--repeats N] [--as-base] [--out FILE] [--json] [--shard K/N]
                [--root DIR] [--base-url URL] [--concurrency N] [--cache-dir DIR] [--no-cache]
                ${LIMIT_USAGE}

Runs golden sets against the model endpoint. Without --prompt or --env, every prompt that has a
golden set is evaluated at its latest version. --env evaluates the versions and models an
environment pins; with --prompt NAME, only the pins of those prompts (a @VERSION must be the
pinned one). --suite runs only the cases of a suite of promptgate.yaml (suites:). --as-base also
samples each critical case up to max-repeats, as a pull request's critical gate does on its base
side: the default branch's run (--env with the baseline) then fills the cache the pull requests'
base sides are read from. Results: a table on stdout (or JSON with --json), the full result file
with --out,
and beside it FILE.samples.jsonl, every sample as it completed.
--shard K/N evaluates the K-th of N shares of every golden set's cases (by a hash of prompt and case
id, as diff's --shard); the result then states "shard": {"index": K, "count": N}.
A run over its limits (limits: in promptgate.yaml, or the --max-* flags; 20,000 samples by
default) is refused before anything is sent, exit 2.`;

export const evalCommand: Command = {
  name: "eval",
  summary: "run golden sets of the working tree, or of chosen prompts/versions",
  usage,
  async run(argv, io) {
    const { values } = parseFlags(
      argv,
      {
        ...COMMON_MODEL_FLAGS,
        ...LIMIT_FLAGS,
        prompt: { type: "string", multiple: true },
        env: { type: "string" },
        suite: { type: "string" },
        repeats: { type: "string" },
        out: { type: "string" },
        json: { type: "boolean" },
        "as-base": { type: "boolean" },
        shard: { type: "string" },
      },
      usage,
    );
    if (values.help) {
      io.stdout.write(`${usage}\n`);
      return EXIT.ok;
    }
    const root = resolve(io.cwd, values.root ?? ".");
    await requireSettingsFile(worktreeSource(root), root);
    const repo = await loadRepo(worktreeSource(root));
    const shard = values.shard === undefined ? undefined : parseShard(values.shard);
    const selected = selectTargets(repo, {
      prompts: values.prompt ?? [],
      env: values.env,
      repeats: toInt(values.repeats, "--repeats", 1, 100),
    });
    const { targets: inSuite, suite } = narrowToSuite(repo.settings, selected, values.suite);
    if (suite) io.stderr.write(`${describeSuiteCount(suite)}\n`);
    for (const t of selected) {
      if (suite && !inSuite.some((k) => k.version === t.version)) {
        io.stderr.write(
          `suite ${suite.name} holds no case of ${t.goldenSet.file}: ${t.version.prompt} is not evaluated\n`,
        );
      }
    }
    // A diff tops up critical cases only under these gates (run-diff.ts, topUpCritical).
    const topsUp =
      repo.settings.gates.critical === "block" || repo.settings.gates.critical === "warn";
    const whole =
      values["as-base"] && topsUp
        ? inSuite.map((t) => ({ ...t, criticalRepeats: repo.settings.maxRepeats }))
        : inSuite;
    // The limits judge the whole run, as for diff: a matrix spreads what a run may spend.
    const targets = shard ? selectEvalShard(whole, shard) : whole;
    if (whole.length === 0) {
      throw new PromptgateError("E_NOT_FOUND", "nothing to evaluate: no golden sets found", {
        hint: `add ${repo.settings.paths.evals}/<prompt>.yaml`,
      });
    }
    const varErrors = checkVarsBeforeRun(
      repo,
      targets.map((t) => t.version.prompt),
    );
    if (varErrors.length > 0) throw new PromptgateErrors(varErrors);
    const limits = { ...repo.settings.limits, ...readLimitFlags(values) };
    if (shard) await checkRunLimits(whole, limits, repo.settings.prices);
    const work = await checkRunLimits(targets, limits, repo.settings.prices);
    io.stderr.write(`planned: ${describeWork(work)}\n`);
    const sampleLog = values.out
      ? await openSampleLog(
          sampleLogPath(resolve(io.cwd, values.out)),
          scrubberFor(io.env, values["base-url"]),
        )
      : undefined;
    const result = await evaluate(
      root,
      repo.settings,
      targets,
      io,
      {
        baseUrl: values["base-url"],
        concurrency: toInt(values.concurrency, "--concurrency", 1, 1000),
        cacheDir: values["cache-dir"],
        noCache: values["no-cache"],
        judgePrompt: repo.judgePrompt,
      },
      sampleLog,
    ).finally(() => sampleLog?.close());
    if (suite) result.suite = suite;
    if (shard) result.shard = shard;
    // Written in pieces: a large run's result as one string (and its scrubbed copy) was the
    // biggest thing an eval held at its end.
    if (values.out) {
      const out = resolve(io.cwd, values.out);
      await writeJsonFile(out, result, scrubberFor(io.env, values["base-url"]));
    }
    if (values.json) await writeJson(io.stdout, result, { indent: 0 });
    else io.stdout.write(`${renderEvalTable(result)}\n`);
    const judged = judgeEval(result, repo.settings);
    if (judged.reason) io.stderr.write(`promptgate eval: ${judged.reason}\n`);
    return judged.code;
  },
};

/**
 * The targets with only the suite's cases (`--suite`); a golden set the suite holds no case of is
 * left out. The count is of the golden sets the run was asked for.
 */
export function narrowToSuite(
  settings: Pick<Settings, "suites">,
  targets: EvalTarget[],
  name: string | undefined,
): { targets: EvalTarget[]; suite?: SuiteCount } {
  if (name === undefined) return { targets };
  const suite = resolveSuite(settings, name);
  const sets = targets.map((t) => ({
    full: t.goldenSet,
    selected: selectSuiteCases(t.goldenSet, suite),
  }));
  const kept = targets
    .map((t, i) => ({ ...t, goldenSet: sets[i]?.selected ?? t.goldenSet }))
    .filter((t) => t.goldenSet.set.cases.length > 0);
  const count = countSuite(suite, sets);
  if (kept.length === 0 && targets.length > 0) {
    throw new PromptgateError("E_USAGE", `${describeSuiteCount(count)}: nothing to evaluate`, {
      hint: `tag cases with one of ${suite.definition.tags?.join(", ") ?? "the suite's tags"}, or pick another suite`,
    });
  }
  return { targets: kept, suite: count };
}

export async function evaluate(
  root: string,
  settings: Settings,
  targets: Parameters<typeof runEval>[0],
  io: CliIo,
  flags: {
    baseUrl?: string;
    concurrency?: number;
    cacheDir?: string;
    noCache?: boolean;
    judgePrompt?: PromptVersion;
  },
  sampleLog?: SampleLog,
): Promise<EvalResult> {
  const models = {
    ...createEngineModels(root, settings, flags, io.env),
    ...(flags.judgePrompt ? { judgePrompt: flags.judgePrompt } : {}),
  };
  const progress = createProgressReporter(io.stderr, "eval");
  const result = await runEval(
    targets,
    {
      ...models,
      onProgress: (p) => progress.update(p),
      ...(sampleLog ? { onSample: (r) => sampleLog.write(r) } : {}),
    },
    "worktree",
  );
  progress.done({
    done: result.requests.sent + result.requests.cacheHits,
    total: result.requests.sent + result.requests.cacheHits,
    errors: result.requests.errors,
    cacheHits: result.requests.cacheHits,
  });
  return result;
}

export function renderEvalTable(result: EvalResult): string {
  const rows = [
    ["prompt", "model", "cases", "pass rate", "score", "errors", "tokens in/out", "cost"],
  ];
  // Cost is "unknown", never $0; a note under the table says why, and so what would help.
  const notes: string[] = [];
  for (const r of result.runs) {
    const t = r.totals;
    const unknown = t.costUsd === null ? costUnknownOf(r) : [];
    if (unknown.length > 0) {
      notes.push(
        `† ${r.prompt}@${r.version}: cost unknown: ${unknown.map((u) => describeCostUnknown(u)).join("; ")}.`,
      );
    }
    rows.push([
      `${r.prompt}@${r.version}`,
      r.model,
      `${r.cases.length}×${r.repeats}`,
      formatPercent(t.passRate),
      t.score === null ? "—" : t.score.toFixed(3),
      t.errors ? `${t.errors}/${t.samples}` : "0",
      `${formatCount(t.promptTokens)}/${formatCount(t.completionTokens)}`,
      t.costUsd === null ? `unknown${unknown.length > 0 ? " †" : ""}` : formatUsd(t.costUsd),
    ]);
  }
  const { sent, cacheHits, errors } = result.requests;
  const footer = `${sent} requests sent, ${cacheHits} from cache, ${errors} errors, ${formatDuration(result.wallMs)}`;
  return [textTable(rows), ...(notes.length > 0 ? [notes.join("\n")] : []), footer].join("\n\n");
}

/**
 * Exit code of a plain eval, with the reason a non-zero one gets on stderr: errors first (no
 * verdict), then the absolute gates that need no base.
 */
export function judgeEval(
  result: EvalResult,
  settings: Settings,
): { code: ExitCode; reason?: string } {
  for (const r of result.runs) {
    const max = settings.gates.maxErrorRate;
    if (r.totals.samples > 0 && r.totals.errors / r.totals.samples > max)
      return {
        code: EXIT.errors,
        reason: `errors: ${r.prompt}@${r.version}: ${r.totals.errors} of ${r.totals.samples} samples errored, over the max-error-rate of ${formatPercent(max)}; no verdict`,
      };
  }
  for (const r of result.runs) {
    const min = settings.gates.minPassRate;
    if (min !== undefined && r.totals.passRate !== null && r.totals.passRate < min)
      return {
        code: EXIT.blocked,
        reason: `blocked by min-pass-rate: ${r.prompt}@${r.version} passes ${formatPercent(r.totals.passRate)}, below the ${formatPercent(min)} floor`,
      };
    const critical =
      settings.gates.critical === "block"
        ? r.cases.filter((c) => c.critical && c.passRate !== null && c.passRate < 1)
        : [];
    const first = critical[0];
    if (first) {
      const more = critical.length > 1 ? ` and ${critical.length - 1} more` : "";
      return {
        code: EXIT.blocked,
        reason: `blocked by critical: ${r.prompt}@${r.version}: critical case ${first.id} passes ${formatPercent(first.passRate)}${more}`,
      };
    }
  }
  return { code: EXIT.ok };
}
