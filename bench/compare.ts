// Issue 3's benchmark: comparing and rendering a 10,000-case × 3-repeat run, and what adaptive
// repeats spend against fixed ones. CPU time from process.cpuUsage, in this process (no I/O).
import { planAdaptive, SEQUENTIAL_FIRST_LOOK } from "../src/compare/adaptive.js";
import { comparePromptRuns } from "../src/compare/compare-runs.js";
import { createRandom, type Random } from "../src/compare/random.js";
import type { PromptComparison } from "../src/compare/types.js";
import { defaultSettings } from "../src/formats/settings.js";
import { formatPointsChange } from "../src/numbers.js";
import {
  createReport,
  type Report,
  renderComment,
  renderHtml,
  renderSummary,
  toJson,
} from "../src/report/index.js";
import {
  drawPassProbabilities,
  measureIssue10Design,
  shiftPassProbabilities,
  simulateAdaptive,
  simulatePair,
  TYPICAL_SPREAD,
} from "../test/support/helpers/simulate-runs.js";
import { ok, printTable, type Row } from "./lib.js";

const CASES = 10_000;
const REPEATS = 3;
/** Warm repetitions after the first (cold) one; the table shows the cold figure and their median. */
const WARM_RUNS = 5;

const gates = defaultSettings().gates;

/** CPU milliseconds (user + system) that `fn` takes, and its result. */
function cpu<T>(fn: () => T): { ms: number; value: T } {
  const start = process.cpuUsage();
  const value = fn();
  const used = process.cpuUsage(start);
  return { ms: (used.user + used.system) / 1000, value };
}

/** The first run (cold JIT, as in a CI job that does this once) and the median of warm reruns. */
function measure<T>(fn: () => T): { cold: number; warm: number; value: T } {
  const first = cpu(fn);
  const warm: number[] = [];
  for (let i = 0; i < WARM_RUNS; i++) warm.push(cpu(fn).ms);
  warm.sort((a, b) => a - b);
  return {
    cold: first.ms,
    warm: warm[Math.floor(warm.length / 2)] ?? first.ms,
    value: first.value,
  };
}

const ms = (x: number) =>
  x >= 1000 ? `${(x / 1000).toFixed(2)} s` : `${x.toFixed(x < 10 ? 1 : 0)} ms`;
const mb = (text: string) => `${(Buffer.byteLength(text) / 1e6).toFixed(1)} MB`;
const coldWarm = (m: { cold: number; warm: number }) => `${ms(m.cold)} (warm ${ms(m.warm)})`;

function buildReport(comparison: PromptComparison): Report {
  return createReport({
    generatedAt: "2026-11-20T10:00:00.000Z",
    repository: "acme/support-bot",
    base: { ref: "main", sha: "a".repeat(40) },
    head: { ref: "bench", sha: "b".repeat(40) },
    comparisons: [comparison],
    changes: [
      {
        prompt: comparison.prompt,
        kind: "new-version",
        baseVersion: "v1",
        headVersion: "v2",
        file: `prompts/${comparison.prompt}/v2.prompt`,
      },
    ],
    settings: {
      repeats: REPEATS,
      confidence: gates.confidence,
      maxRegression: gates.maxRegression,
    },
    wallMs: 60_000,
  });
}

async function benchCompareAndRender(): Promise<Row[]> {
  const rng = createRandom(2026);
  const p = drawPassProbabilities(rng, CASES, TYPICAL_SPREAD);
  // A real 3-point drop: the report then has regressed cases to tell, as a blocked PR's does.
  const { base, head } = simulatePair(rng, p, shiftPassProbabilities(p, -0.03), REPEATS);
  const options = { gates, requestsPerDay: 50_000 };

  // The floor: the comparison must read every sample once, and so must any renderer of every
  // case; serialising both runs once is the cheapest complete pass over them in JavaScript.
  const floor = measure(() => JSON.stringify([base, head]).length);
  const limit = `${ms(floor.warm)} (JSON.stringify of the runs, ${mb(JSON.stringify([base, head]))})`;
  // The comment shows a few cases but must rank all 10,000 to pick them: one pass over the cases.
  const casePass = measure(() => {
    let regressed = 0;
    for (let i = 0; i < head.cases.length; i++) {
      if ((head.cases[i]?.passRate ?? 0) < (base.cases[i]?.passRate ?? 0)) regressed++;
    }
    return regressed;
  });

  const compared = measure(() => comparePromptRuns(base, head, options));
  const comparison = compared.value;
  const reported = measure(() => buildReport(comparison));
  const report = reported.value;
  const comment = measure(() => renderComment(report));
  const summary = measure(() => renderSummary(report));
  const html = measure(() => renderHtml(report));
  const json = measure(() => toJson(report));
  const ciPath = {
    cold: compared.cold + reported.cold + comment.cold,
    warm: compared.warm + reported.warm + comment.warm,
  };
  const jsonFloor = measure(() => JSON.stringify(report).length);

  return [
    {
      what: `compare ${CASES.toLocaleString("en")} cases × ${REPEATS} (t + 2,000-draw bootstrap)`,
      measured: coldWarm(compared),
      target: "(part of ≤ 1 s)",
      limit,
      verdict: `(${comparison.verdict}: Δ ${formatPointsChange(comparison.delta ?? 0)})`,
    },
    {
      what: "build the report model",
      measured: coldWarm(reported),
      target: "(part of ≤ 1 s)",
      limit: "0 (derived totals only)",
      verdict: "",
    },
    {
      what: "render the PR comment",
      measured: coldWarm(comment),
      target: "(part of ≤ 1 s)",
      limit: `${ms(casePass.warm)} (one pass over the cases); ${comment.value.length.toLocaleString("en")} of 65,536 chars`,
      verdict: "",
    },
    {
      what: "compare + report + comment, CPU",
      measured: coldWarm(ciPath),
      target: "≤ 1 s",
      limit,
      verdict: ok(ciPath.cold <= 1000),
    },
    {
      what: "render the job summary",
      measured: `${coldWarm(summary)}, ${mb(summary.value)}`,
      target: "≤ 1 s",
      limit,
      verdict: ok(summary.cold <= 1000),
    },
    {
      what: "render the HTML report (every case)",
      measured: `${coldWarm(html)}, ${mb(html.value)}`,
      target: "≤ 1 s",
      limit,
      verdict: ok(html.cold <= 1000),
    },
    {
      what: "render the JSON report (every sample)",
      measured: `${coldWarm(json)}, ${mb(json.value)}`,
      target: "≤ 1 s",
      limit: `${ms(jsonFloor.warm)} (JSON.stringify of the report, unindented)`,
      verdict: ok(json.cold <= 1000),
    },
  ];
}

interface DesignTally {
  worse: number;
  runs: number;
  samples: number;
}

const tally = (): DesignTally => ({ worse: 0, runs: 0, samples: 0 });
const countVerdict = (t: DesignTally, c: PromptComparison) => {
  t.runs++;
  t.samples += c.samplesSpent;
  if (c.verdict === "worse") t.worse++;
};

/** `count` seeded comparisons per scenario, 100 cases each, fixed 3 and adaptive (first look at 1 sample) → max. */
function simulateDesigns(count: number, maxRepeats: number) {
  const cases = 100;
  const ids = Array.from({ length: cases }, (_, i) => `case-${i}`);
  const plan = planAdaptive({ baseCases: ids, headCases: ids, maxRepeats, gates });
  const run = (rng: Random, change: number) => {
    const fixed = tally();
    const adaptive = tally();
    for (let k = 0; k < count; k++) {
      const p = drawPassProbabilities(rng, cases, TYPICAL_SPREAD);
      const q = shiftPassProbabilities(p, change);
      const { base, head } = simulatePair(rng, p, q, REPEATS);
      countVerdict(
        fixed,
        comparePromptRuns(base, head, { gates, requestsPerDay: null, bootstrapDraws: 0 }),
      );
      const sim = simulateAdaptive(rng, p, q, plan);
      countVerdict(
        adaptive,
        comparePromptRuns(sim.base, sim.head, {
          gates,
          requestsPerDay: null,
          ...(sim.stop.sequential === null ? {} : { sequential: sim.stop.sequential }),
        }),
      );
    }
    return { fixed, adaptive };
  };
  return { equal: run(createRandom(31), 0), worse: run(createRandom(32), -0.1), cases };
}

function benchAdaptive(): { rows: Row[]; title: string } {
  const count = 50;
  const maxRepeats = 10;
  const { equal, worse, cases } = simulateDesigns(count, maxRepeats);
  const pct = (t: DesignTally) => `${((100 * t.worse) / t.runs).toFixed(0)} %`;
  const mean = (t: DesignTally) => (t.samples / t.runs).toFixed(0);
  const fixedHigh = 2 * cases * maxRepeats;
  const row = (name: string, design: "fixed" | "adaptive"): Row[] => [
    {
      what: `${name}: false "worse" (equal prompts)`,
      measured: pct(equal[design]),
      target: "≤ 7 %",
      limit: "2.5 % nominal (one side of 95 %)",
      verdict: ok(equal[design].worse / equal[design].runs <= 0.07),
    },
    {
      what: `${name}: finds a 10-point drop`,
      measured: pct(worse[design]),
      target: "≥ 80 %",
      limit: "100 % (fixed 10 repeats)",
      verdict: ok(worse[design].worse / worse[design].runs >= 0.8),
    },
    {
      what: `${name}: mean samples, equal / worse`,
      measured: `${mean(equal[design])} / ${mean(worse[design])}`,
      target: design === "adaptive" ? `< ${fixedHigh} (fixed ${maxRepeats})` : "(report)",
      limit: `${2 * cases * REPEATS} (${REPEATS} per case and side)`,
      verdict:
        design === "adaptive"
          ? ok(
              equal.adaptive.samples / count < fixedHigh &&
                worse.adaptive.samples / count < fixedHigh,
            )
          : "",
    },
  ];
  return {
    title: `Adaptive repeats (issue 3): ${count} seeded comparisons per scenario, ${cases} cases, typical spread — small samples: read the rates as ±5 pts`,
    rows: [
      ...row(`fixed ${REPEATS} repeats`, "fixed"),
      ...row(`adaptive ${SEQUENTIAL_FIRST_LOOK} → ${maxRepeats}`, "adaptive"),
    ],
  };
}

/** Issue 10's table: 60 cases at 0.85, equal PRs and PRs dropping to 0.72, beside its targets. */
function benchIssue10(): { rows: Row[]; title: string } {
  const prs = 200;
  const ids = Array.from({ length: 60 }, (_, i) => `case-${i}`);
  const plan = planAdaptive({ baseCases: ids, headCases: ids, maxRepeats: 10, gates });
  const run = (
    seed: number,
    head: number,
    design: { repeats: number } | { plan: typeof plan },
    critical = 0,
  ) => measureIssue10Design({ seed, prs: prs, head, design, gates, critical });
  const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
  const rows: Row[] = [];
  for (const [name, design] of [
    ["fixed 3 repeats", { repeats: 3 }],
    ["auto", { plan }],
  ] as const) {
    const equal = run(101, 0.85, design);
    const worse = run(102, 0.72, design);
    const critical = run(103, 0.85, design, 5);
    const mean = (equal.requests + worse.requests) / 2;
    const isAuto = name === "auto";
    rows.push(
      {
        what: `${name}: false alarms (equal PRs)`,
        measured: pct(equal.worse),
        target: "≤ 5 %",
        limit: "2.5 % nominal",
        verdict: isAuto ? ok(equal.worse <= 0.05) : "",
      },
      {
        what: `${name}: detects a drop to 0.72`,
        measured: pct(worse.worse),
        target: "≥ 95 %",
        limit: "",
        verdict: isAuto ? ok(worse.worse >= 0.95) : "",
      },
      {
        what: `${name}: requests per PR (equal / worse)`,
        measured: `${mean.toFixed(0)} (${equal.requests.toFixed(0)} / ${worse.requests.toFixed(0)})`,
        target: "≤ 360 on average",
        limit: "360 (fixed 3)",
        verdict: isAuto ? ok(mean <= 360) : "",
      },
      {
        what: `${name}: 5 critical cases, equal PRs blocked`,
        measured: pct(critical.blocked),
        target: "≤ 5 %",
        limit: "",
        verdict: ok(critical.blocked <= 0.05),
      },
    );
  }
  return { title: `Issue 10: ${prs} seeded PRs per row, 60 cases at base 0.85 (simulated)`, rows };
}

export async function benchCompare(): Promise<void> {
  const rows = await benchCompareAndRender();
  printTable(
    `Comparison and report (issue 3): ${CASES.toLocaleString("en")} cases × ${REPEATS} repeats, CPU time, first run (and warm median of ${WARM_RUNS}); limits warm`,
    rows,
  );
  const adaptive = benchAdaptive();
  printTable(adaptive.title, adaptive.rows);
  const issue10 = benchIssue10();
  printTable(issue10.title, issue10.rows);
}
