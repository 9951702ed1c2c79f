import { comparisonCostUnknown, describeCostUnknown } from "../cost/cost-unknown.js";
import type { Settings } from "../formats/settings.js";
import {
  formatInterval,
  formatLevel,
  formatPercent,
  formatPointsChange,
  formatPointsSize,
  formatSignedPercent,
} from "../numbers.js";
import type { CriticalCheck, GateOutcome, PromptComparison } from "./types.js";

/**
 * The gates of `promptgate.yaml` applied to one comparison. Every gate is always listed, "skipped"
 * with the reason when it does not apply, so the report can say why nothing was checked.
 * A gate that cannot be judged (unknown cost, a critical case that only errored) warns: it never
 * passes silently.
 */

type GateSettings = Settings["gates"];
type ComparisonCore = Omit<PromptComparison, "gates" | "blocked">;

/**
 * Slack for comparing a computed rate with a configured threshold. Pass rates are means of
 * fractions such as 2/3 and cost changes are ratios of float means, so a value that equals the
 * threshold exactly on paper lands a few ulps either side (0.7999999999999999 for 80%). Far below
 * any difference the reports can show (0.1%), so it only settles those ties, in the PR's favour.
 */
export const THRESHOLD_TOLERANCE = 1e-9;

function describeInterval(c: ComparisonCore): string {
  if (c.delta === null) return "no paired cases";
  const delta = `Δ ${formatPointsChange(c.delta)}`;
  if (c.interval === null) return `${delta}, too few cases for an interval`;
  return `${delta}, ${formatInterval(c.interval)}`;
}

function gateMinPassRate(c: ComparisonCore, floor: number | undefined): GateOutcome {
  const gate = "min-pass-rate" as const;
  if (floor === undefined) return { gate, status: "skipped", message: "not set" };
  if (c.headPassRate === null) {
    return { gate, status: "skipped", message: "no head results to judge (every sample errored)" };
  }
  return c.headPassRate >= floor - THRESHOLD_TOLERANCE
    ? {
        gate,
        status: "pass",
        message: `head pass rate ${formatPercent(c.headPassRate)} ≥ ${formatPercent(floor)}`,
      }
    : {
        gate,
        status: "fail",
        message: `head pass rate ${formatPercent(c.headPassRate)} is below the ${formatPercent(floor)} floor`,
      };
}

function gateMaxRegression(c: ComparisonCore, gates: GateSettings): GateOutcome {
  const gate = "max-regression" as const;
  if (c.base === null)
    return { gate, status: "skipped", message: "new prompt: nothing to compare with" };
  if (c.verdict === "errors") {
    return { gate, status: "skipped", message: "not judged: too much data missing (see errors)" };
  }
  const limit = formatPointsSize(gates.maxRegression);
  const level = formatLevel(gates.confidence);
  if (c.verdict === "worse") {
    return {
      gate,
      status: "fail",
      message: `regresses ${formatPointsSize(Math.abs(c.delta ?? 0))} (${describeInterval(c)}): beyond the ${limit} allowed, at ${level} confidence`,
    };
  }
  return {
    gate,
    status: "pass",
    message: `no regression beyond ${limit} at ${level} confidence (${describeInterval(c)})`,
  };
}

function describeCheck(k: CriticalCheck): string {
  const side = (x: { passes: number; samples: number } | null) =>
    x === null ? "no result" : `${x.passes}/${x.samples}`;
  if (k.base === null) return `${k.id} (head ${side(k.head)}, no base)`;
  const p = k.p === null ? "" : `, p = ${formatP(k.p)}`;
  return `${k.id} (base ${side(k.base)}, head ${side(k.head)}${p})`;
}

/** A p-value in two significant digits, or "< 0.0001". */
function formatP(p: number): string {
  if (p < 1e-4) return "< 0.0001";
  return p >= 0.1 ? p.toFixed(2) : p.toPrecision(2);
}

const list = (checks: CriticalCheck[]) => checks.map(describeCheck).join(", ");

function gateCritical(c: ComparisonCore, mode: GateSettings["critical"]): GateOutcome {
  const gate = "critical" as const;
  if (mode === "off") return { gate, status: "skipped", message: "off" };
  const critical = c.head.cases.filter((k) => k.critical);
  if (critical.length === 0) return { gate, status: "skipped", message: "no critical cases" };
  const checks = c.criticalChecks ?? [];
  const unjudged = checks.filter((k) => k.status === "no-result").map((k) => k.id);
  const unjudgedNote =
    unjudged.length > 0
      ? `critical case${unjudged.length === 1 ? "" : "s"} with no result (every sample errored): ${unjudged.join(", ")}`
      : null;
  const failing = checks.filter((k) => k.status !== "no-result");
  if (mode === "strict") {
    if (failing.length > 0) {
      const n = failing.length;
      return {
        gate,
        status: "fail",
        message: `${n} critical case${n === 1 ? "" : "s"} fail${n === 1 ? "s" : ""} on head (strict: any failing sample blocks): ${list(failing)}`,
      };
    }
  } else {
    // The comment separates what this change broke from what was failing before it.
    const broken = failing.filter((k) => k.status === "broken");
    const before = failing.filter((k) => k.status === "already-failing");
    const unproven = failing.filter((k) => k.status === "not-proven");
    const parts: string[] = [];
    if (broken.length > 0) parts.push(`broken by this PR: ${list(broken)}`);
    if (before.length > 0) parts.push(`already failing on base: ${list(before)}`);
    if (unproven.length > 0) {
      parts.push(
        `failing on head but not proven worse than base (too few failures to tell from chance): ${list(unproven)}`,
      );
    }
    if (unjudgedNote !== null) parts.push(unjudgedNote);
    if (broken.length > 0) {
      return { gate, status: mode === "block" ? "fail" : "warn", message: parts.join("; ") };
    }
    if (parts.length > 0) return { gate, status: "warn", message: parts.join("; ") };
  }
  if (unjudgedNote !== null) return { gate, status: "warn", message: unjudgedNote };
  return { gate, status: "pass", message: `all ${critical.length} critical cases pass` };
}

function gateMaxCostIncrease(c: ComparisonCore, limit: number | undefined): GateOutcome {
  const gate = "max-cost-increase" as const;
  if (limit === undefined) return { gate, status: "skipped", message: "not set" };
  if (c.base === null)
    return { gate, status: "skipped", message: "new prompt: nothing to compare with" };
  const { base, head } = c.cost;
  if (base.perRequestUsd === null || head.perRequestUsd === null) {
    const why = comparisonCostUnknown({ base: c.base, head: c.head });
    return {
      gate,
      status: "warn",
      message: `cost unknown: ${why.map((u) => describeCostUnknown(u)).join("; ") || "no sample succeeded on one side"}`,
    };
  }
  if (base.perRequestUsd === 0) {
    return head.perRequestUsd === 0
      ? { gate, status: "pass", message: "both sides cost nothing per request" }
      : {
          gate,
          status: "fail",
          message: "base costs nothing per request and head does: an unbounded increase",
        };
  }
  const relative =
    c.cost.relative ?? (head.perRequestUsd - base.perRequestUsd) / base.perRequestUsd;
  return relative > limit + THRESHOLD_TOLERANCE
    ? {
        gate,
        status: "fail",
        message: `cost per request ${formatSignedPercent(relative)} exceeds the ${formatSignedPercent(limit)} allowed`,
      }
    : {
        gate,
        status: "pass",
        message: `cost per request ${formatSignedPercent(relative)} (limit ${formatSignedPercent(limit)})`,
      };
}

function sideErrors(run: ComparisonCore["base"]): { samples: number; errors: number } {
  let samples = 0;
  let errors = 0;
  for (const k of run?.cases ?? []) {
    samples += k.samples.length;
    errors += k.samples.filter((s) => s.kind === "error").length;
  }
  return { samples, errors };
}

function gateErrors(c: ComparisonCore, maxErrorRate: number): GateOutcome {
  const gate = "errors" as const;
  const errored = c.errors.base + c.errors.head;
  const summary = `${errored} of ${c.errors.samples} samples errored`;
  const allowed = formatPercent(maxErrorRate);
  if (c.verdict !== "errors") {
    return { gate, status: "pass", message: `${summary} (at most ${allowed} per side allowed)` };
  }
  const over = (["base", "head"] as const)
    .map((name) => ({ name, ...sideErrors(c[name]) }))
    .filter((x) => x.samples > 0 && x.errors / x.samples > maxErrorRate)
    .map((x) => `${x.name} ${x.errors} of ${x.samples} (${formatPercent(x.errors / x.samples)})`);
  let why: string;
  if (over.length > 0) why = `more than ${allowed} missing: ${over.join(", ")}`;
  else if (c.headPassRate === null) why = "head has no results at all";
  else why = "no case has results on both sides, so nothing could be compared";
  return { gate, status: "fail", message: `${summary}; ${why}` };
}

export function evaluateGates(c: ComparisonCore, gates: GateSettings): GateOutcome[] {
  return [
    gateMinPassRate(c, gates.minPassRate),
    gateMaxRegression(c, gates),
    gateCritical(c, gates.critical),
    gateMaxCostIncrease(c, gates.maxCostIncrease),
    gateErrors(c, gates.maxErrorRate),
  ];
}
