import { join, relative, resolve } from "node:path";
import type { ChangeSet } from "../../compare/change-types.js";
import { detectChanges } from "../../compare/changes.js";
import { provenSmallChange } from "../../compare/compare-runs.js";
import { markPinGates, runDiff } from "../../compare/run-diff.js";
import { gradingModels, type Progress } from "../../engine/run-eval.js";
import { PromptgateError, PromptgateErrors } from "../../errors.js";
import { formatPercent, formatSignedPercent, formatSignedPoints, formatUsd } from "../../format.js";
import { loadRepo } from "../../formats/repo.js";
import { git, gitRevisionSource, worktreeSource } from "../../io/file-sources.js";
import { listChangedFiles } from "../../io/git-changes.js";
import { createModelStack, type ModelStack } from "../../io/model-stack.js";
import { writeReports } from "../../io/write-reports.js";
import { createReport, describeSettings, type Report } from "../../report/index.js";
import { createScrubber } from "../../scrub.js";
import { COMMON_MODEL_FLAGS, parseFlags, toInt } from "../args.js";
import { textTable } from "../format.js";
import { type Command, EXIT, type ExitCode } from "../io.js";
import { createProgressReporter } from "../progress.js";

const usage = `promptgate diff --base REF [--head REF|worktree] [--out-dir DIR] [--repeats N] [--shard K/N]
                [--root DIR] [--base-url URL] [--concurrency N] [--cache-dir DIR] [--no-cache]
                [--repository OWNER/NAME] [--run-url URL]

Finds the prompt changes between two revisions (git's three-dot diff, like a pull request), runs
each changed prompt's golden set on the base and the head version, and compares them with a
confidence interval. Writes comment.md, summary.md, report.html and report.json to --out-dir
(default .promptgate/report). Exits 1 when a gate blocks, 3 when too many samples errored.
--head defaults to the working tree. --shard K/N evaluates every N-th changed prompt (from the K-th);
merge the shards' report.json files with \`promptgate report --merge\`. --repository and --run-url
name the repository and link the CI run in the report.`;

export const diffCommand: Command = {
  name: "diff",
  summary: "compare base and head: score diffs with confidence intervals, cost deltas, the report",
  usage,
  async run(argv, io) {
    const { values } = parseFlags(
      argv,
      {
        ...COMMON_MODEL_FLAGS,
        base: { type: "string" },
        head: { type: "string" },
        "out-dir": { type: "string" },
        repeats: { type: "string" },
        "run-url": { type: "string" },
        shard: { type: "string" },
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
    const [baseSource, headSource, changedFiles] = await Promise.all([
      gitRevisionSource(root, values.base),
      headRef === "worktree" ? worktreeSource(root) : gitRevisionSource(root, headRef),
      listChangedFiles(root, values.base, headRef),
    ]);
    const [base, head] = await Promise.all([
      // The base is what is already merged: a typo there is not this change's to fix first.
      loadRepo(baseSource, { checkReferences: false }),
      loadRepo(headSource),
    ]);
    const changes = selectShard(detectChanges({ base, head, changedFiles }), values.shard);
    // A live version edited, or a pinned one deleted, must not merge: no eval can make it right.
    if (changes.errors.length > 0) throw new PromptgateErrors(changes.errors);

    // Without a changed prompt nothing is sent, so no key is needed either.
    const stack =
      changes.evaluations.length === 0
        ? idleModels()
        : createModelStack(
            root,
            head.settings,
            {
              baseUrl: values["base-url"],
              cacheDir: values["cache-dir"],
              noCache: values["no-cache"],
            },
            io.env,
          );
    const progress = createProgressReporter(io.stderr, "diff");
    let last: Progress = { done: 0, total: 0, errors: 0, cacheHits: 0 };
    const started = performance.now();
    const result = await runDiff(
      { base, head, changes, repeats: toInt(values.repeats, "--repeats", 1, 100) },
      {
        chat: stack.chat,
        embeddings: stack.embeddings,
        ...gradingModels(head.settings),
        prices: head.settings.prices,
        concurrency:
          toInt(values.concurrency, "--concurrency", 1, 1000) ?? head.settings.provider.concurrency,
        onProgress: (p) => {
          last = { ...p };
          progress.update(p);
        },
      },
    );
    const wallMs = performance.now() - started;
    progress.done(last);

    const report = createReport({
      generatedAt: new Date().toISOString(),
      repository: values.repository,
      runUrl: values["run-url"],
      base: { ref: values.base, sha: await revParse(root, values.base) },
      head: {
        ref: headRef,
        sha: headRef === "worktree" ? await revParse(root, "HEAD") : await revParse(root, headRef),
      },
      comparisons: result.comparisons,
      changes: result.changes,
      environmentChanges: markPinGates(changes, result),
      notices: changes.notices,
      settings: describeSettings(base.settings, head.settings, result),
      wallMs,
    });
    const outDir = resolve(io.cwd, values["out-dir"] ?? join(root, ".promptgate", "report"));
    await writeReports(outDir, report, stack.scrub);
    io.stdout.write(
      `${renderDiffText(report)}\n\nreports in ${relative(io.cwd, outDir) || "."}/: comment.md, summary.md, report.html, report.json\n`,
    );
    return exitCodeOf(report);
  },
};

function idleModels(): ModelStack {
  const unused = () => Promise.reject(new Error("no model call is planned"));
  return {
    chat: { complete: unused },
    embeddings: { embed: unused },
    baseURL: "",
    cacheDir: undefined,
    scrub: createScrubber(),
  };
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

/** `K/N`: keep the K-th of every N planned evaluations (1-based), in a stable order. */
export function selectShard(changes: ChangeSet, shard: string | undefined): ChangeSet {
  if (shard === undefined) return changes;
  const m = /^(\d+)\/(\d+)$/.exec(shard);
  const k = Number(m?.[1]);
  const n = Number(m?.[2]);
  if (!m || n < 1 || k < 1 || k > n) {
    throw new PromptgateError("E_USAGE", `--shard must be K/N with 1 ≤ K ≤ N, got "${shard}"`);
  }
  const sorted = [...changes.evaluations].sort((a, b) => a.prompt.localeCompare(b.prompt));
  return { ...changes, evaluations: sorted.filter((_, i) => i % n === k - 1) };
}

async function revParse(root: string, ref: string): Promise<string> {
  return (await git(root, ["rev-parse", "--verify", `${ref}^{commit}`])).trim();
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
