import { join, relative, resolve } from "node:path";
import { provenSmallChange } from "../../compare/compare-runs.js";
import { preparePullRequestDiff, runPreparedDiff } from "../../compare/pr-diff.js";
import { describeWork } from "../../compare/run-limits.js";
import { parseShard } from "../../compare/shards.js";
import type { Progress } from "../../engine/run-eval.js";
import { describeSuiteCount } from "../../formats/suites.js";
import { requireFolder } from "../../io/file-sources.js";
import { openDiffSources } from "../../io/git-changes.js";
import { createEngineModels, scrubberFor } from "../../io/model-stack.js";
import { writeReports } from "../../io/write-reports.js";
import {
  formatPercent,
  formatSignedPercent,
  formatSignedPoints,
  formatUsd,
} from "../../numbers.js";
import { createReport, type Report } from "../../report/index.js";
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

const usage = `promptgate diff --base REF [--head REF|worktree] [--out-dir DIR] [--repeats N] [--shard K/N] [--suite NAME]
                [--root DIR] [--base-url URL] [--concurrency N] [--cache-dir DIR] [--no-cache]
                [--repository OWNER/NAME] [--run-url URL]
                ${LIMIT_USAGE}

Finds the prompt changes between two revisions (git's three-dot diff, like a pull request), runs
each changed prompt's golden set on the base and the head version, and compares them with a
confidence interval. Writes comment.md, summary.md, report.html and report.json to --out-dir
(default .promptgate/report). Exits 1 when a gate blocks, 3 when too many samples errored.
--head defaults to the working tree. --shard K/N evaluates the K-th of N shares of the cases of every
changed prompt (by a hash of prompt and case id, so adding a case moves no other); merge the shards'
report.json files with \`promptgate report --merge\`, which computes the statistics again from all
the cases, as one unsharded run would. --suite runs only the cases of a suite of the base's
promptgate.yaml (suites:). --repository and --run-url
name the repository and link the CI run in the report. A run over its limits (limits: in the base's
promptgate.yaml, or the --max-* flags; 20,000 samples by default) is refused before anything is
sent, exit 2.`;

export const diffCommand: Command = {
  name: "diff",
  summary: "compare base and head: score diffs with confidence intervals, cost deltas, the report",
  usage,
  async run(argv, io) {
    const { values } = parseFlags(
      argv,
      {
        ...COMMON_MODEL_FLAGS,
        ...LIMIT_FLAGS,
        base: { type: "string" },
        head: { type: "string" },
        "out-dir": { type: "string" },
        repeats: { type: "string" },
        "run-url": { type: "string" },
        shard: { type: "string" },
        suite: { type: "string" },
        repository: { type: "string" },
      },
      usage,
    );
    if (values.help) {
      io.stdout.write(`${usage}\n`);
      return EXIT.ok;
    }
    if (!values.base) {
      io.stderr.write(`error E_USAGE: --base is required\n  usage: ${usage.split("\n")[0]}\n`);
      return EXIT.usage;
    }
    const root = resolve(io.cwd, values.root ?? ".");
    const headRef = values.head ?? "worktree";
    const flags = {
      baseUrl: values["base-url"] ?? io.env.OPENAI_BASE_URL,
      concurrency: toInt(values.concurrency, "--concurrency", 1, 1000),
      cacheDir: values["cache-dir"],
      noCache: values["no-cache"],
    };
    await requireFolder(root, root);
    const { sources, baseSha, headSha } = await openDiffSources(root, values.base, headRef);
    const repeats = toInt(values.repeats, "--repeats", 1, 100);
    // The endpoint that answers is the trusted one, known once the engine is built.
    let scrub = scrubberFor(io.env, flags.baseUrl);
    const prepared = await preparePullRequestDiff({
      sources,
      folder: headRef === "worktree" ? root : `${root} at ${headRef}`,
      inputs: { baseUrl: flags.baseUrl, concurrency: flags.concurrency, ...readLimitFlags(values) },
      ...(repeats === undefined ? {} : { repeats }),
      ...(values.suite === undefined ? {} : { suite: values.suite }),
      ...(values.shard === undefined ? {} : { shard: parseShard(values.shard) }),
      createEngine: (settings) => {
        const models = createEngineModels(root, settings, flags, io.env);
        scrub = models.scrub;
        return models;
      },
    });
    if (prepared.suite) io.stderr.write(`${describeSuiteCount(prepared.suite)}\n`);
    if (prepared.pairs.length > 0) io.stderr.write(`planned: ${describeWork(prepared.work)}\n`);
    const progress = createProgressReporter(io.stderr, "diff");
    let last: Progress = { done: 0, total: 0, errors: 0, cacheHits: 0 };
    const diff = await runPreparedDiff(prepared, {
      onProgress: (p) => {
        last = { ...p };
        progress.update(p);
      },
    });
    progress.done(last);

    const report = createReport({
      generatedAt: new Date().toISOString(),
      repository: values.repository,
      runUrl: values["run-url"],
      base: { ref: values.base, sha: baseSha },
      head: { ref: headRef, sha: headSha },
      ...diff,
    });
    const outDir = resolve(io.cwd, values["out-dir"] ?? join(root, ".promptgate", "report"));
    await writeReports(outDir, report, scrub);
    io.stdout.write(
      `${renderDiffText(report)}\n\nreports in ${relative(io.cwd, outDir) || "."}/: comment.md, summary.md, report.html, report.json\n`,
    );
    return exitWithReason(report, io, "diff");
  },
};

/**
 * The exit code, and for a non-zero one its reason in one line on stderr: the verdict, the gates
 * that blocked, and the headline (the table above may have scrolled out of a CI log's view).
 */
export function exitWithReason(report: Report, io: CliIo, command: string): ExitCode {
  const code = exitCodeOf(report);
  if (code === EXIT.ok) return code;
  const gates = [
    ...new Set(
      report.comparisons.flatMap((c) =>
        c.blocked ? c.gates.filter((g) => g.status === "fail").map((g) => g.gate) : [],
      ),
    ),
  ];
  const by = gates.length > 0 ? ` by ${gates.join(", ")}` : "";
  io.stderr.write(
    `promptgate ${command}: ${report.verdict.overall}${by}: ${report.verdict.reason}\n`,
  );
  return code;
}

export function exitCodeOf(report: Report): ExitCode {
  switch (report.verdict.overall) {
    case "pass":
      return EXIT.ok;
    case "blocked":
      return EXIT.blocked;
    case "errors":
      return EXIT.errors;
  }
}

const VERDICT_TEXT = {
  better: "better",
  worse: "WORSE",
  noise: "within noise",
  errors: "ERRORS",
} as const;

/** The terminal's view of the report: the headline and one line per prompt. */
export function renderDiffText(report: Report): string {
  const points = (x: number | null) => (x === null ? "—" : formatSignedPoints(x));
  const perK = (x: number | null) => formatUsd(x === null ? null : x * 1000);
  const rows = [
    [
      "prompt",
      "base → head",
      "base",
      "head",
      "Δ pts",
      "interval",
      "verdict",
      "cost / 1k req",
      "gates",
    ],
  ];
  for (const c of report.comparisons) {
    const failed = c.gates.filter((g) => g.status === "fail").map((g) => g.gate);
    rows.push([
      c.prompt,
      `${c.base?.version ?? "—"} → ${c.head.version}`,
      formatPercent(c.basePassRate),
      formatPercent(c.headPassRate),
      points(c.delta),
      c.interval ? `${points(c.interval.low)} to ${points(c.interval.high)}` : "—",
      provenSmallChange(c) === "worse"
        ? "worse, within allowance"
        : provenSmallChange(c) === "better"
          ? "slightly better"
          : VERDICT_TEXT[c.verdict],
      `${perK(c.cost.base.perRequestUsd)} → ${perK(c.cost.head.perRequestUsd)}${c.cost.relative === null ? "" : ` (${formatSignedPercent(c.cost.relative)})`}`,
      failed.length ? `blocked: ${failed.join(", ")}` : "pass",
    ]);
  }
  const head = `${report.verdict.overall.toUpperCase()}: ${report.verdict.reason}`;
  return report.comparisons.length ? `${head}\n\n${textTable(rows)}` : head;
}
