import { provenSmallChange } from "../compare/compare-runs.js";
import type { Interval, PairedCase, PromptComparison } from "../compare/types.js";
import type { AssertionResult, CaseResult, SampleOk } from "../engine/types.js";
import type { Pin } from "../formats/environments.js";
import {
  formatCount,
  formatInterval,
  formatLevel,
  formatPercent,
  formatPoints,
  formatPointsSize,
  formatSignedPercent,
  formatSignedPoints,
  formatTrafficShare,
  formatUsd,
  plural,
} from "../numbers.js";
import { countErrors, isBlocked, type ReportEnvironmentChange } from "./model.js";

/**
 * What the renderers show, as plain text: the markdown and HTML renderers only escape and lay it
 * out, so the comment, the summary and the HTML file can never disagree on a number.
 */

export interface PromptRow {
  prompt: string;
  versions: string;
  /** "gpt-4o → gpt-4o-mini" when the model changed too. */
  modelChange: string | null;
  basePass: string;
  headPass: string;
  delta: string;
  verdictIcon: string;
  verdictText: string;
  blocked: boolean;
  /** Critical cases the gate counts against this change ("broken by this PR", or all under strict). */
  criticalFailures: string[];
  /** Critical cases failing on head that this change is not shown to have broken: a warning. */
  criticalWarnings: string[];
  costPer1k: string;
  monthly: string;
}

/** Blocked and worse prompts first: a reviewer reads the top of the table. */
export function orderComparisons(comparisons: readonly PromptComparison[]): PromptComparison[] {
  const rank = (c: PromptComparison) =>
    isBlocked(c)
      ? 0
      : c.verdict === "worse"
        ? 1
        : c.verdict === "errors"
          ? 2
          : c.verdict === "better"
            ? 3
            : 4;
  return comparisons
    .map((c, i) => ({ c, i }))
    .sort((a, b) => rank(a.c) - rank(b.c) || a.i - b.i)
    .map((x) => x.c);
}

export function describeVerdict(c: PromptComparison): { icon: string; text: string } {
  if (c.verdict === "errors") return { icon: "⚠️", text: "errors" };
  if (c.base === null) return { icon: "🆕", text: "new prompt" };
  switch (c.verdict) {
    case "better":
      return { icon: "🟢", text: "better" };
    case "worse":
      return { icon: "🔴", text: "worse" };
    default: {
      // Within noise only when the interval includes 0: a proven change smaller than the
      // allowance is named as what it is, and does not block.
      const allowance = `${formatAllowance(c.maxRegression ?? 0)}-pt allowance`;
      const small = provenSmallChange(c);
      if (small === "worse") return { icon: "🟡", text: `worse, within the ${allowance}` };
      if (small === "better") return { icon: "🟢", text: `better, by less than the ${allowance}` };
      return {
        icon: "⚪",
        text:
          c.detectable === null
            ? "within noise"
            : `within noise (detectable drop ≥ ${formatPointsSize(c.detectable)})`,
      };
    }
  }
}

/** 0.02 → "2", 0.025 → "2.5": the allowance as the settings file states it. */
function formatAllowance(maxRegression: number): string {
  return formatPoints(maxRegression).replace(/\.0$/, "");
}

export function describePromptRow(c: PromptComparison): PromptRow {
  const v = describeVerdict(c);
  const baseVersion = c.base?.version ?? "new";
  const versions =
    c.base !== null && c.base.version === c.head.version
      ? c.head.version
      : `${baseVersion} → ${c.head.version}`;
  const modelChange =
    c.base !== null && c.base.model !== c.head.model ? `${c.base.model} → ${c.head.model}` : null;
  const delta =
    c.delta === null
      ? "—"
      : c.interval
        ? `${formatSignedPoints(c.delta)} (${formatInterval(c.interval)})`
        : formatSignedPoints(c.delta);
  return {
    prompt: c.prompt,
    versions,
    modelChange,
    basePass: formatPercent(c.basePassRate),
    headPass: formatPercent(c.headPassRate),
    delta,
    verdictIcon: v.icon,
    verdictText: v.text,
    blocked: isBlocked(c),
    criticalFailures: c.criticalFailures,
    criticalWarnings: (c.criticalChecks ?? [])
      .filter((k) => k.status === "already-failing" || k.status === "not-proven")
      .filter((k) => !c.criticalFailures.includes(k.id))
      .map((k) => k.id),
    costPer1k: describeCostPer1k(c),
    monthly: describeMonthly(c),
  };
}

function describeCostPer1k(c: PromptComparison): string {
  const side = (usd: number | null) => formatUsd(usd === null ? null : usd * 1000);
  const head = side(c.cost.head.perRequestUsd);
  if (c.base === null) return head;
  const rel = c.cost.relative === null ? "" : ` (${formatSignedPercent(c.cost.relative)})`;
  return `${side(c.cost.base.perRequestUsd)} → ${head}${rel}`;
}

function describeMonthly(c: PromptComparison): string {
  if (c.cost.requestsPerDay === null) return "—";
  const head = `${formatUsd(c.cost.monthlyHeadUsd)}/mo`;
  const at = ` at ${formatCount(Math.round(c.cost.requestsPerDay))}/day`;
  if (c.base === null) return head + at;
  return `${formatUsd(c.cost.monthlyBaseUsd)} → ${head}${at}`;
}

// ---------------------------------------------------------------------------------------------
// What the interval is (docs/statistics.md: "Report the interval and the method"), said once under
// the table rather than in every row.

const METHOD_LABELS: Record<Interval["method"], string> = {
  "paired-t": "paired t",
  "paired-bootstrap": "paired bootstrap",
  "group-sequential": "group-sequential",
};

/** Why an adaptive run stopped, in the comment's words. */
const STOP_WORDS: Record<string, string> = {
  decided: "the change crossed the efficacy boundary",
  "within-margin": "the interval fits within the allowance",
  futility: "a drop of the planned size became unlikely (futility)",
  settled: "no case left with split outcomes",
  budget: "max-repeats or the planned information reached",
  errors: "too many errors",
  "nothing-to-compare": "nothing to compare",
};

/** "paired t", or "group-sequential at look 2 of 5" for an adaptive run. */
export function describeIntervalMethod(c: PromptComparison): string | null {
  if (c.interval === null) return null;
  const label = METHOD_LABELS[c.interval.method];
  if (c.interval.method === "group-sequential" && c.sequential !== undefined) {
    const s = c.sequential;
    const why = s.reason === undefined ? "" : `, stopped: ${STOP_WORDS[s.reason] ?? s.reason}`;
    const detect =
      s.detect === undefined ? "" : `, could detect ≥ ${formatAllowance(s.detect)} pts`;
    const samples = s.reason === undefined ? "" : `, ${formatCount(c.samplesSpent)} samples`;
    return `${label} at look ${s.look} of ${s.looks}${why}${detect}${samples}`;
  }
  return label;
}

/**
 * The legend under the prompts table: what Δ is, and the interval's level and method. One method
 * for every row reads "95% CI: paired t"; mixed methods name their prompts.
 */
export function describeIntervalLegend(comparisons: readonly PromptComparison[]): string | null {
  const withInterval = comparisons.filter(
    (c): c is PromptComparison & { interval: Interval } => c.interval !== null,
  );
  const first = withInterval[0];
  if (first === undefined) return null;
  const levels = new Set(withInterval.map((c) => formatLevel(c.interval.level)));
  const groups = new Map<string, string[]>();
  for (const c of withInterval) {
    const method = describeIntervalMethod(c) ?? "";
    const label = levels.size > 1 ? `${formatLevel(c.interval.level)} CI ${method}` : method;
    groups.set(label, [...(groups.get(label) ?? []), c.prompt]);
  }
  const named = (prompts: string[]) =>
    prompts.length <= 4
      ? prompts.join(", ")
      : `${prompts.slice(0, 3).join(", ")} and ${plural(prompts.length - 3, "more prompt")}`;
  const methods =
    groups.size === 1
      ? [...groups.keys()].join("")
      : [...groups.entries()]
          .map(([label, prompts]) => `${label} for ${named(prompts)}`)
          .join("; ");
  const ci = levels.size === 1 ? `${formatLevel(first.interval.level)} CI: ` : "CI: ";
  return `Δ: head − base pass rate in points, over the cases with a result on both sides; ${ci}${methods}.`;
}

// ---------------------------------------------------------------------------------------------
// What is missing: errored samples, and the cases they leave out of Δ.

/** Paired cases left out of Δ (a side has no result); derived for reports that predate the field. */
export function listDroppedCases(c: PromptComparison): string[] {
  if (c.droppedCases !== undefined) return c.droppedCases;
  return c.base === null ? [] : c.cases.filter((k) => k.delta === null).map((k) => k.id);
}

/**
 * "12 of 240 samples errored (429 after retries); 3 cases left out of Δ: no result on one side",
 * each part only when there is something to say; null when nothing is missing.
 */
export function describeMissing(c: PromptComparison): string | null {
  const parts: string[] = [];
  const e = countErrors(c);
  if (e.errored > 0) {
    parts.push(
      `${formatCount(e.errored)} of ${formatCount(e.total)} samples errored${e.label ? ` (${e.label})` : ""}`,
    );
  }
  const dropped = listDroppedCases(c).length;
  if (dropped > 0) parts.push(`${plural(dropped, "case")} left out of Δ: no result on one side`);
  return parts.length > 0 ? parts.join("; ") : null;
}

// ---------------------------------------------------------------------------------------------
// Cases worth a reviewer's attention, with a representative sample from each side.

export type StoryKind = "regressed" | "improved" | "critical" | "failing";

export interface CaseStory {
  prompt: string;
  id: string;
  tags: string[];
  critical: boolean;
  kind: StoryKind;
  basePass: string | null;
  headPass: string | null;
  /** The sample shown for base (null for a new prompt or when every sample errored). */
  baseSample: SampleOk | null;
  headSample: SampleOk | null;
  /** The assertions that failed on the side that got worse (head; base for improvements). */
  failed: AssertionResult[];
  failedSide: "base" | "head";
}

export interface PromptStories {
  comparison: PromptComparison;
  regressed: CaseStory[];
  improved: CaseStory[];
}

export function collectStories(c: PromptComparison): PromptStories {
  const baseCases = indexCases(c.base?.cases ?? []);
  const headCases = indexCases(c.head.cases);
  const regressed: CaseStory[] = [];
  const improved: CaseStory[] = [];
  const paired = new Set<string>();
  const byDelta = [...c.cases].sort((a, b) => (a.delta ?? 0) - (b.delta ?? 0));
  for (const p of byDelta) {
    paired.add(p.id);
    if (p.delta !== null && p.delta < 0) {
      regressed.push(tell(c, p, "regressed", baseCases.get(p.id), headCases.get(p.id)));
    }
  }
  for (const p of [...byDelta].reverse()) {
    if (p.delta !== null && p.delta > 0) {
      improved.push(tell(c, p, "improved", baseCases.get(p.id), headCases.get(p.id)));
    }
  }
  // A critical case the gate counts against this change is shown with the drops, even when its
  // pass rate did not move (under `strict`, one failing sample blocks).
  const shown = new Set(regressed.map((s) => s.id));
  for (const id of c.criticalFailures) {
    const h = headCases.get(id);
    if (shown.has(id) || !h) continue;
    shown.add(id);
    regressed.push(tell(c, pairedOf(c, id, h), "critical", baseCases.get(id), h));
  }
  // A new prompt or an added case has no pair: its failures on head are what there is to see.
  for (const h of c.head.cases) {
    if (paired.has(h.id) || shown.has(h.id)) continue;
    if (h.passRate !== null && h.passRate < 1) {
      regressed.push(tell(c, pairedOf(c, h.id, h), "failing", undefined, h));
    }
  }
  return { comparison: c, regressed, improved };
}

function pairedOf(c: PromptComparison, id: string, h: CaseResult): PairedCase {
  return (
    c.cases.find((p) => p.id === id) ?? {
      id,
      tags: h.tags,
      critical: h.critical,
      base: null,
      head: null,
      delta: null,
    }
  );
}

function tell(
  c: PromptComparison,
  p: PairedCase,
  kind: StoryKind,
  base: CaseResult | undefined,
  head: CaseResult | undefined,
): CaseStory {
  const worseSide = kind === "improved" ? "base" : "head";
  const baseSample = pickSample(base, worseSide === "base" ? "fail" : "pass");
  const headSample = pickSample(head, worseSide === "head" ? "fail" : "pass");
  const failing = worseSide === "head" ? headSample : baseSample;
  return {
    prompt: c.prompt,
    id: p.id,
    tags: p.tags.length > 0 ? p.tags : (head?.tags ?? base?.tags ?? []),
    critical: p.critical || (head?.critical ?? false),
    kind,
    basePass: rateOf(base),
    headPass: rateOf(head),
    baseSample,
    headSample,
    failed: failing ? failing.assertions.filter((a) => !a.pass) : [],
    failedSide: worseSide,
  };
}

function rateOf(r: CaseResult | undefined): string | null {
  if (!r) return null;
  if (r.passRate === null) return `all ${r.samples.length} errored`;
  const ok = r.samples.length - r.errors;
  const passed = Math.round(r.passRate * ok);
  return `${formatPercent(r.passRate)} (${passed}/${ok})`;
}

/** The first sample with the wanted outcome, else the first that has an output at all. */
export function pickSample(r: CaseResult | undefined, want: "pass" | "fail"): SampleOk | null {
  if (!r) return null;
  let fallback: SampleOk | null = null;
  for (const s of r.samples) {
    if (s.kind !== "ok") continue;
    if (s.pass === (want === "pass")) return s;
    fallback ??= s;
  }
  return fallback;
}

function indexCases(cases: readonly CaseResult[]): Map<string, CaseResult> {
  return new Map(cases.map((c) => [c.id, c]));
}

export function describeAssertion(a: AssertionResult): string {
  return `${a.negated ? "not-" : ""}${a.type}`;
}

// ---------------------------------------------------------------------------------------------
// Every case, for the HTML per-case table.

export type CaseStatus = "regressed" | "improved" | "unchanged" | "new" | "removed" | "errors";

export interface CaseLine {
  prompt: string;
  id: string;
  tags: string[];
  critical: boolean;
  status: CaseStatus;
  base: CaseResult | null;
  head: CaseResult | null;
  delta: number | null;
  /** Errored samples, both sides. */
  errors: number;
  failingOnHead: boolean;
}

export function listCases(c: PromptComparison): CaseLine[] {
  const baseCases = indexCases(c.base?.cases ?? []);
  const headCases = indexCases(c.head.cases);
  const ids = [...headCases.keys()];
  for (const id of baseCases.keys()) if (!headCases.has(id)) ids.push(id);
  const paired = new Map(c.cases.map((p) => [p.id, p]));
  const lines = ids.map((id): CaseLine => {
    const base = baseCases.get(id) ?? null;
    const head = headCases.get(id) ?? null;
    const p = paired.get(id);
    const delta = p?.delta ?? null;
    const status: CaseStatus =
      head === null
        ? "removed"
        : base === null
          ? "new"
          : delta === null
            ? "errors"
            : delta < 0
              ? "regressed"
              : delta > 0
                ? "improved"
                : "unchanged";
    return {
      prompt: c.prompt,
      id,
      tags: head?.tags ?? base?.tags ?? [],
      critical: head?.critical ?? base?.critical ?? false,
      status,
      base,
      head,
      delta,
      errors: (base?.errors ?? 0) + (head?.errors ?? 0),
      failingOnHead: head !== null && head.passRate !== null && head.passRate < 1,
    };
  });
  const order: Record<CaseStatus, number> = {
    regressed: 0,
    errors: 1,
    new: 2,
    improved: 3,
    removed: 4,
    unchanged: 5,
  };
  // Largest drops first, largest gains first.
  const magnitude = (l: CaseLine) => (l.status === "improved" ? -(l.delta ?? 0) : (l.delta ?? 0));
  return lines.sort((a, b) => order[a.status] - order[b.status] || magnitude(a) - magnitude(b));
}

// ---------------------------------------------------------------------------------------------

/** One row of the environment-changes table: environment, prompt, pin before → after, gate. */
export function describeEnvironmentChange(
  ch: ReportEnvironmentChange,
): [string, string, string, string] {
  const pin = (p: Pin | null) => {
    if (p === null) return "—";
    const fallback = p.fallback?.length
      ? `fallback ${p.fallback.map((f) => (f["base-url"] ? `${f.model} at ${f["base-url"]}` : f.model)).join(", ")}`
      : "";
    const notes = [p.model ?? "", fallback].filter(Boolean).join("; ");
    return notes ? `${p.version} (${notes})` : p.version;
  };
  switch (ch.kind) {
    case "pin": {
      const gate = !ch.needsGate
        ? "not needed"
        : ch.gatePassed === null
          ? "❔ not checked"
          : ch.gatePassed
            ? "✅ passed"
            : "❌ not passed";
      return [ch.env, ch.prompt, `${pin(ch.before)} → ${pin(ch.after)}`, gate];
    }
    case "traffic":
      return [
        ch.env,
        "(traffic)",
        `${formatTrafficShare(ch.before)} → ${formatTrafficShare(ch.after)}`,
        "",
      ];
    case "environment":
      return [ch.env, "(environment)", ch.change, ""];
    case "freeze": {
      const by = ch.by ? ` by ${ch.by}` : "";
      const reason = ch.reason ? `: ${ch.reason}` : "";
      return [ch.env, "(freeze)", `${ch.change}${by}${reason}`, ""];
    }
  }
}
