import { describe, expect, it } from "vitest";
import { comparePromptRuns, provenSmallChange } from "../../../src/compare/compare-runs.js";
import type { GateName, GateOutcome, PromptComparison } from "../../../src/compare/types.js";
import type { PromptRun } from "../../../src/engine/types.js";
import { defaultSettings } from "../../../src/formats/settings.js";
import { describeVerdict } from "../../../src/report/view.js";
import { type PatternCase, runFromPatterns } from "../../support/helpers/simulate-runs.js";

const defaults = defaultSettings().gates;
type Gates = typeof defaults;

function compare(
  base: PromptRun | null,
  head: PromptRun,
  gates: Partial<Gates> = {},
): PromptComparison {
  return comparePromptRuns(base, head, { gates: { ...defaults, ...gates }, requestsPerDay: null });
}

function gate(c: PromptComparison, name: GateName): GateOutcome {
  const g = c.gates.find((x) => x.gate === name);
  if (g === undefined) throw new Error(`no ${name} gate`);
  return g;
}

const same = (n: number, pattern: string): Record<string, string> =>
  Object.fromEntries(Array.from({ length: n }, (_, i) => [`c${i}`, pattern]));

/** 40 cases that all lose a third: a clear regression. */
const regressed = () => ({
  base: runFromPatterns(same(40, "PPP")),
  head: runFromPatterns(same(40, "PPF")),
});
/** 40 cases, unchanged. */
const steady = () => ({
  base: runFromPatterns(same(40, "PPF")),
  head: runFromPatterns(same(40, "PPF")),
});

describe("gates", () => {
  it("lists every gate once, in a fixed order", () => {
    const { base, head } = steady();
    expect(compare(base, head).gates.map((g) => g.gate)).toEqual([
      "min-pass-rate",
      "max-regression",
      "critical",
      "max-cost-increase",
      "errors",
    ]);
  });

  describe("min-pass-rate", () => {
    it("passes at or above the floor and fails below it", () => {
      const { base, head } = steady();
      expect(gate(compare(base, head, { minPassRate: 2 / 3 }), "min-pass-rate").status).toBe(
        "pass",
      );
      const c = compare(base, head, { minPassRate: 0.8 });
      expect(gate(c, "min-pass-rate")).toEqual({
        gate: "min-pass-rate",
        status: "fail",
        message: "head pass rate 66.7% is below the 80.0% floor",
      });
      expect(c.blocked).toBe(true);
    });

    it("passes a rate that meets the floor on paper but lands an ulp below it in floating point", () => {
      // Three cases at 3/5 and three at 1: exactly 80%, yet the mean sums to 0.7999999999999999.
      const head = runFromPatterns([
        { id: "a", pattern: "PPPFF" },
        { id: "b", pattern: "PPPFF" },
        { id: "c", pattern: "PPPFF" },
        { id: "d", pattern: "PPPPP" },
        { id: "e", pattern: "PPPPP" },
        { id: "f", pattern: "PPPPP" },
      ]);
      const c = compare(null, head, { minPassRate: 0.8 });
      expect(c.headPassRate).toBeLessThan(0.8);
      expect(c.headPassRate).toBeCloseTo(0.8, 12);
      expect(gate(c, "min-pass-rate")).toEqual({
        gate: "min-pass-rate",
        status: "pass",
        message: "head pass rate 80.0% ≥ 80.0%",
      });
      expect(c.blocked).toBe(false);
    });

    it("is skipped when not set, and applies to a new prompt too", () => {
      const { head } = steady();
      expect(gate(compare(null, head), "min-pass-rate").status).toBe("skipped");
      expect(gate(compare(null, head, { minPassRate: 0.9 }), "min-pass-rate").status).toBe("fail");
    });
  });

  describe("max-regression", () => {
    it("fails on a 'worse' verdict, naming the drop and its interval", () => {
      const { base, head } = regressed();
      const c = compare(base, head);
      expect(c.verdict).toBe("worse");
      const g = gate(c, "max-regression");
      expect(g.status).toBe("fail");
      expect(g.message).toMatch(/^regresses 33\.3 pts \(Δ −33\.3 pts, 95% CI −33\.3 to −33\.3\)/);
      expect(c.blocked).toBe(true);
    });

    it("passes when within noise or within the allowed drop", () => {
      const { base, head } = steady();
      expect(gate(compare(base, head), "max-regression").status).toBe("pass");
      const r = regressed();
      const c = compare(r.base, r.head, { maxRegression: 0.4 });
      expect(c.verdict).toBe("noise");
      expect(gate(c, "max-regression").status).toBe("pass");
      expect(c.blocked).toBe(false);
    });

    it("names a proven drop smaller than the allowance 'worse, within the allowance', not noise", () => {
      // 200 cases, 10 lose a third: Δ −1.7 pts, and the interval lies wholly below 0.
      const base = runFromPatterns(same(200, "PPP"));
      const head = runFromPatterns({ ...same(200, "PPP"), ...same(10, "PPF") });
      const c = compare(base, head);
      expect(c.verdict).toBe("noise");
      expect(c.interval?.high).toBeLessThan(0);
      expect(provenSmallChange(c)).toBe("worse");
      expect(describeVerdict(c)).toEqual({ icon: "🟡", text: "worse, within the 2-pt allowance" });
      expect(gate(c, "max-regression").status).toBe("pass");
      expect(c.blocked).toBe(false);
      // The same drop judged against a 2.5-pt allowance names that allowance.
      const wider = compare(base, head, { maxRegression: 0.025 });
      expect(describeVerdict(wider).text).toBe("worse, within the 2.5-pt allowance");
      // Mirrored: a proven small gain is not noise either.
      const better = compare(head, base);
      expect(provenSmallChange(better)).toBe("better");
      expect(describeVerdict(better).icon).toBe("🟢");
    });

    it("says 'within noise' only when the interval includes 0", () => {
      const { base, head } = steady();
      const c = compare(base, head);
      expect(c.interval?.low).toBeLessThanOrEqual(0);
      expect(c.interval?.high).toBeGreaterThanOrEqual(0);
      expect(provenSmallChange(c)).toBeNull();
      expect(describeVerdict(c).text).toMatch(/^within noise/);
    });

    it("is skipped for a new prompt and when errors decide the verdict", () => {
      const { head } = steady();
      expect(gate(compare(null, head), "max-regression").status).toBe("skipped");
      const base = runFromPatterns(same(10, "PPP"));
      const errored = runFromPatterns(same(10, "PEE"));
      expect(gate(compare(base, errored), "max-regression").status).toBe("skipped");
    });
  });

  describe("critical", () => {
    const cases = (critical: string): PatternCase[] => [
      { id: "safety", pattern: critical, critical: true },
      { id: "other", pattern: "PPF" },
    ];

    it("strict: fails when a critical case fails any head sample, as before", () => {
      const base = runFromPatterns(cases("PPP"));
      const head = runFromPatterns(cases("PPF"));
      const strict = compare(base, head, { critical: "strict" });
      expect(strict.criticalFailures).toEqual(["safety"]);
      expect(gate(strict, "critical")).toEqual({
        gate: "critical",
        status: "fail",
        message:
          "1 critical case fails on head (strict: any failing sample blocks): safety (base 3/3, head 2/3, p = 0.50)",
      });
      expect(strict.blocked).toBe(true);
      // Strict blocks a case that was already failing as often on base.
      expect(compare(runFromPatterns(cases("PPF")), head, { critical: "strict" }).blocked).toBe(
        true,
      );
    });

    it("block (default): blocks only a case this change made worse, by the exact test", () => {
      expect(defaults.critical).toBe("block");
      // Always passed on base, always fails on head, with enough samples to tell: blocked.
      const broken = compare(
        runFromPatterns(cases("PPPPPPPPPP")),
        runFromPatterns(cases("FFFFFFFFFF")),
      );
      expect(broken.criticalFailures).toEqual(["safety"]);
      expect(broken.criticalChecks?.[0]?.status).toBe("broken");
      expect(broken.criticalChecks?.[0]?.alpha).toBeCloseTo(0.05, 12);
      expect(broken.criticalChecks?.[0]?.p).toBeCloseTo(1 / 184_756, 12);
      expect(gate(broken, "critical")).toEqual({
        gate: "critical",
        status: "fail",
        message: "broken by this PR: safety (base 10/10, head 0/10, p = < 0.0001)",
      });
      expect(broken.blocked).toBe(true);
      const warned = compare(
        runFromPatterns(cases("PPPPPPPPPP")),
        runFromPatterns(cases("FFFFFFFFFF")),
        { critical: "warn" },
      );
      expect(gate(warned, "critical").status).toBe("warn");
      expect(warned.blocked).toBe(false);
    });

    it("block: a case already failing on base warns and does not block an unrelated change", () => {
      const c = compare(runFromPatterns(cases("PPF")), runFromPatterns(cases("PFP")));
      expect(c.criticalFailures).toEqual([]);
      expect(c.criticalChecks?.map((k) => k.status)).toEqual(["already-failing"]);
      expect(gate(c, "critical")).toEqual({
        gate: "critical",
        status: "warn",
        message: "already failing on base: safety (base 2/3, head 2/3, p = 0.80)",
      });
      expect(c.blocked).toBe(false);
      // One failure in three after three passes is not evidence either: a warning, not a block.
      const thin = compare(runFromPatterns(cases("PPP")), runFromPatterns(cases("PPF")));
      expect(thin.criticalChecks?.map((k) => k.status)).toEqual(["not-proven"]);
      expect(gate(thin, "critical").status).toBe("warn");
      expect(gate(thin, "critical").message).toMatch(/^failing on head but not proven worse/);
      expect(thin.blocked).toBe(false);
    });

    it("block: the level is shared over the critical cases, and a new case blocks on any failure", () => {
      // 10/10 → 4/10 gives p ≈ 0.0054: below 5 %, and below 5 % / 5 critical cases too.
      const five = (pattern: string, first: string): PatternCase[] =>
        ["a", "b", "c", "d", "e"].map((id, i) => ({
          id,
          pattern: i === 0 ? first : pattern,
          critical: true,
        }));
      const c = compare(
        runFromPatterns(five("PPPPPPPPPP", "PPPPPPPPPP")),
        runFromPatterns(five("PPPPPPPPPP", "PPPPFFFFFF")),
      );
      expect(c.criticalChecks?.[0]?.alpha).toBeCloseTo(0.01, 12);
      expect(c.criticalFailures).toEqual(["a"]);
      // 10/10 → 5/10 (p ≈ 0.016) would block a single critical case but not one of five.
      const d = compare(
        runFromPatterns(five("PPPPPPPPPP", "PPPPPPPPPP")),
        runFromPatterns(five("PPPPPPPPPP", "PPPPPFFFFF")),
      );
      expect(d.criticalChecks?.[0]?.status).toBe("not-proven");
      expect(d.blocked).toBe(false);
      // A critical case the PR adds has no base: what fails on head is this change's.
      const added = compare(
        runFromPatterns([{ id: "other", pattern: "PPP" }]),
        runFromPatterns(cases("PPF")),
      );
      expect(added.criticalChecks?.[0]).toMatchObject({ id: "safety", status: "broken", p: null });
      expect(added.blocked).toBe(true);
    });

    it("passes when every critical case passes; skipped when off or when there are none", () => {
      const head = runFromPatterns(cases("PPP"));
      expect(gate(compare(head, head), "critical").status).toBe("pass");
      expect(
        gate(compare(head, runFromPatterns(cases("FFF")), { critical: "off" }), "critical").status,
      ).toBe("skipped");
      expect(gate(compare(null, runFromPatterns(same(3, "PPP"))), "critical").status).toBe(
        "skipped",
      );
    });

    it("warns, never passes, when a critical case only errored", () => {
      const head = runFromPatterns([
        ...cases("EEE"),
        ...Object.entries(same(30, "PPP")).map(([id, pattern]) => ({ id, pattern })),
      ]);
      const c = compare(null, head);
      expect(c.criticalFailures).toEqual([]);
      expect(gate(c, "critical").status).toBe("warn");
      expect(gate(c, "critical").message).toMatch(/no result.*safety/);
    });
  });

  describe("max-cost-increase", () => {
    const priced = (usd: number | null, model = "gpt-4o-mini") =>
      runFromPatterns(same(5, "PPP"), { costUsd: usd, model });

    it("passes within the limit and fails beyond it", () => {
      expect(
        gate(
          compare(priced(0.001), priced(0.00105), { maxCostIncrease: 0.1 }),
          "max-cost-increase",
        ),
      ).toEqual({
        gate: "max-cost-increase",
        status: "pass",
        message: "cost per request +5.0% (limit +10%)",
      });
      const c = compare(priced(0.001), priced(0.0012), { maxCostIncrease: 0.1 });
      expect(gate(c, "max-cost-increase")).toEqual({
        gate: "max-cost-increase",
        status: "fail",
        message: "cost per request +20% exceeds the +10% allowed",
      });
      expect(c.blocked).toBe(true);
      expect(
        gate(compare(priced(0.002), priced(0.001), { maxCostIncrease: 0 }), "max-cost-increase")
          .status,
      ).toBe("pass");
    });

    it("passes an increase that equals the limit on paper but overshoots it in floating point", () => {
      const c = compare(priced(0.0003), priced(0.00033), { maxCostIncrease: 0.1 });
      expect(c.cost.relative).toBeGreaterThan(0.1);
      expect(c.cost.relative).toBeCloseTo(0.1, 12);
      expect(gate(c, "max-cost-increase")).toEqual({
        gate: "max-cost-increase",
        status: "pass",
        message: "cost per request +10% (limit +10%)",
      });
    });

    it("warns when a price is unknown, with the prices: hint, never passing as $0", () => {
      const c = compare(priced(0.001), priced(null, "acme-7b"), { maxCostIncrease: 0.1 });
      const g = gate(c, "max-cost-increase");
      expect(g.status).toBe("warn");
      expect(g.message).toBe(
        "cost unknown: no price for acme-7b. Add it under prices: in promptgate.yaml (USD per 1M input and output tokens)",
      );
      expect(c.blocked).toBe(false);
    });

    it("names the missing usage, not a price, when the endpoint reports no usage", () => {
      const head = priced(null);
      for (const c of head.cases)
        for (const s of c.samples)
          if (s.kind === "ok") s.usage = { promptTokens: 0, completionTokens: 0 };
      const g = gate(compare(priced(0.001), head, { maxCostIncrease: 0.1 }), "max-cost-increase");
      expect(g).toMatchObject({
        status: "warn",
        message: "cost unknown: the endpoint reported no token usage, so cost cannot be computed",
      });
    });

    it("handles a free base, and is skipped when not set or for a new prompt", () => {
      expect(
        gate(compare(priced(0), priced(0.001), { maxCostIncrease: 1 }), "max-cost-increase").status,
      ).toBe("fail");
      expect(
        gate(compare(priced(0), priced(0), { maxCostIncrease: 1 }), "max-cost-increase").status,
      ).toBe("pass");
      expect(gate(compare(priced(0.001), priced(0.01)), "max-cost-increase").status).toBe(
        "skipped",
      );
      expect(
        gate(compare(null, priced(0.01), { maxCostIncrease: 0.1 }), "max-cost-increase").status,
      ).toBe("skipped");
    });
  });

  describe("errors", () => {
    it("passes with few errors and says how many", () => {
      const base = runFromPatterns(same(10, "PPP"));
      const head = runFromPatterns({ ...same(9, "PPP"), c9: "PPE" });
      expect(gate(compare(base, head), "errors")).toEqual({
        gate: "errors",
        status: "pass",
        message: "1 of 60 samples errored (at most 10.0% per side allowed)",
      });
    });

    it("fails when a side's error share exceeds max-error-rate", () => {
      const base = runFromPatterns(same(10, "PPP"));
      const head = runFromPatterns({ ...same(8, "PPP"), c8: "EEP", c9: "EEP" });
      const c = compare(base, head);
      expect(c.verdict).toBe("errors");
      expect(gate(c, "errors")).toEqual({
        gate: "errors",
        status: "fail",
        message: "4 of 60 samples errored; more than 10.0% missing: head 4 of 30 (13.3%)",
      });
      expect(c.blocked).toBe(true);
      expect(gate(compare(base, head, { maxErrorRate: 0.2 }), "errors").status).toBe("pass");
    });

    it("fails when nothing could be paired", () => {
      const c = compare(
        runFromPatterns({ a: "PPP", b: "PPP" }),
        runFromPatterns({ x: "PPP", y: "PPP" }),
      );
      expect(gate(c, "errors").message).toMatch(/nothing could be compared/);
      expect(c.blocked).toBe(true);
    });
  });

  it("blocks on any fail and never on warns alone", () => {
    const base = runFromPatterns(
      [
        { id: "s", pattern: "PPP", critical: true },
        ...Object.entries(same(5, "PPP")).map(([id, pattern]) => ({ id, pattern })),
      ],
      { costUsd: 0.001 },
    );
    const head = runFromPatterns(
      [
        { id: "s", pattern: "PPF", critical: true },
        ...Object.entries(same(5, "PPP")).map(([id, pattern]) => ({ id, pattern })),
      ],
      { costUsd: null },
    );
    const c = compare(base, head, { critical: "warn", maxCostIncrease: 0.1 });
    expect(c.gates.filter((g) => g.status === "warn").map((g) => g.gate)).toEqual([
      "critical",
      "max-cost-increase",
    ]);
    expect(c.blocked).toBe(false);
  });
});
