import { describe, expect, it } from "vitest";
import { nextAdaptiveStep, planAdaptive } from "../../../src/compare/adaptive.js";
import {
  comparePromptRuns,
  DAYS_PER_MONTH,
  judgeInterval,
  pairCases,
} from "../../../src/compare/compare-runs.js";
import { createRandom, hashSeed } from "../../../src/compare/random.js";
import {
  groupSequentialBoundaries,
  linearSpent,
  normalCdf,
  normalQuantile,
  normalUpperQuantile,
  obrienFlemingSpent,
  pairedBootstrapInterval,
  pairedTInterval,
  regularizedBeta,
  studentTUpperQuantile,
  studentTUpperTail,
  summarisePaired,
} from "../../../src/compare/statistics.js";
import { comparisonCostUnknown, describeCostUnknown } from "../../../src/cost/cost-unknown.js";
import type { CaseResult } from "../../../src/engine/types.js";
import { defaultSettings } from "../../../src/formats/settings.js";
import {
  patternSamples,
  runFromPatterns,
  summariseSimulatedCase,
} from "../../support/helpers/simulate-runs.js";

const gates = defaultSettings().gates;
const compare = (
  base: Parameters<typeof comparePromptRuns>[0],
  head: Parameters<typeof comparePromptRuns>[1],
  extra: Partial<Parameters<typeof comparePromptRuns>[2]> = {},
) => comparePromptRuns(base, head, { gates, requestsPerDay: null, ...extra });

describe("distributions", () => {
  it("normal CDF and quantile match published values", () => {
    expect(normalCdf(1.96)).toBeCloseTo(0.9750021048517795, 14);
    expect(normalCdf(-3)).toBeCloseTo(0.0013498980316301, 15);
    expect(normalCdf(-5) / 2.866515718791939e-7).toBeCloseTo(1, 9);
    expect(normalCdf(-10) / 7.619853024160527e-24).toBeCloseTo(1, 6);
    expect(normalCdf(0)).toBe(0.5);
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963984540054, 12);
    expect(normalQuantile(0.5)).toBeCloseTo(0, 14);
    expect(normalQuantile(1e-10)).toBeCloseTo(-6.361340902404056, 8);
    expect(normalUpperQuantile(0.025)).toBeCloseTo(1.959963984540054, 12);
    for (const p of [1e-6, 0.01, 0.3, 0.7, 0.99])
      expect(normalCdf(normalQuantile(p))).toBeCloseTo(p, 12);
  });

  it("Student t quantiles match the tables", () => {
    expect(studentTUpperQuantile(0.025, 9)).toBeCloseTo(2.262157163, 8);
    expect(studentTUpperQuantile(0.025, 29)).toBeCloseTo(2.045229642, 8);
    expect(studentTUpperQuantile(0.025, 99)).toBeCloseTo(1.984216952, 8);
    expect(studentTUpperQuantile(0.005, 1)).toBeCloseTo(63.65674116, 6);
    expect(studentTUpperQuantile(0.05, 4)).toBeCloseTo(2.131846786, 8);
    expect(studentTUpperQuantile(0.025, Number.POSITIVE_INFINITY)).toBeCloseTo(1.959963985, 8);
    expect(studentTUpperTail(2.262157163, 9)).toBeCloseTo(0.025, 9);
    expect(studentTUpperTail(-1, 5)).toBeCloseTo(1 - studentTUpperTail(1, 5), 12);
    // I_x(a, 1) = x^a; I_0.5(a, a) = 0.5.
    expect(regularizedBeta(0.3, 2.5, 1)).toBeCloseTo(0.3 ** 2.5, 12);
    expect(regularizedBeta(0.5, 7, 7)).toBeCloseTo(0.5, 12);
  });
});

describe("group-sequential boundaries", () => {
  it("reproduce gsDesign's Lan–DeMets O'Brien–Fleming bounds (k = 5, one-sided 0.025 each side)", () => {
    // gsDesign(k = 5, test.type = 2, sfu = sfLDOF): 4.8769 3.3569 2.6803 2.2898 2.0310.
    const perSide = (t: number) => obrienFlemingSpent(t, 0.025);
    const b = groupSequentialBoundaries([0.2, 0.4, 0.6, 0.8, 1], 0.05, (t) => 2 * perSide(t));
    const expected = [4.8769, 3.3569, 2.6803, 2.2898, 2.031];
    b.forEach((v, i) => {
      expect(v).toBeCloseTo(expected[i] as number, 3);
    });
  });

  it("one look is the fixed-sample test; bounds fall as information accrues", () => {
    expect(groupSequentialBoundaries([1], 0.05)[0]).toBeCloseTo(1.959964, 6);
    const b = groupSequentialBoundaries([0.25, 0.5, 0.75, 1], 0.05);
    expect(b[0]).toBeCloseTo(normalUpperQuantile(obrienFlemingSpent(0.25, 0.05) / 2), 8);
    for (let i = 1; i < b.length; i++) expect(b[i]).toBeLessThan(b[i - 1] as number);
    // The final bound is above 1.96 (a little α went to the earlier looks) but not by much.
    expect(b[3]).toBeGreaterThan(1.96);
    expect(b[3]).toBeLessThan(2.1);
  });

  it("keep the overall two-sided crossing probability at α (Monte Carlo on Brownian motion)", () => {
    const fractions = [0.25, 0.5, 0.75, 1];
    const b = groupSequentialBoundaries(fractions, 0.05);
    const rng = createRandom(99);
    const gauss = () => {
      const u = 1 - rng.nextFloat();
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.nextFloat());
    };
    let crossed = 0;
    const runs = 100_000;
    for (let r = 0; r < runs; r++) {
      let s = 0;
      let prev = 0;
      for (let k = 0; k < fractions.length; k++) {
        const t = fractions[k] as number;
        s += gauss() * Math.sqrt(t - prev);
        prev = t;
        if (Math.abs(s / Math.sqrt(t)) >= (b[k] as number)) {
          crossed++;
          break;
        }
      }
    }
    // 0.05 ± 4 standard errors of a 100,000-run proportion.
    expect(Math.abs(crossed / runs - 0.05)).toBeLessThan(4 * Math.sqrt((0.05 * 0.95) / runs));
  });
});

describe("intervals", () => {
  // d in thirds: [0, −1, −2, 0, +1, −1, 0, −3, 0, −1] (3 repeats per side).
  // mean = −7/30 = −0.233333; Σ(d − mean)² = 12.1/9 = 1.344444; sd = √(1.344444/9) = 0.386501;
  // se = 0.386501/√10 = 0.122223; t(0.975, 9) = 2.262157 → half-width 0.276487.
  const thirds = [0, -1, -2, 0, 1, -1, 0, -3, 0, -1];
  const d = Float64Array.from(thirds, (x) => x / 3);

  it("paired t matches the hand computation", () => {
    const s = summarisePaired(d);
    expect(s.mean).toBeCloseTo(-0.233333, 6);
    expect(s.sd).toBeCloseTo(0.386501, 6);
    const iv = pairedTInterval(d, 0.95);
    expect(iv?.method).toBe("paired-t");
    expect(iv?.low).toBeCloseTo(-0.50982, 5);
    expect(iv?.high).toBeCloseTo(0.043154, 5);
    expect(pairedTInterval(Float64Array.of(0.5), 0.95)).toBeNull();
  });

  it("a fixed run has no sequential look", () => {
    const base = runFromPatterns({ a: "PPP", b: "PPF", c: "PFF" });
    const head = runFromPatterns({ a: "PPF", b: "PPP", c: "PFF" });
    expect(compare(base, head)).not.toHaveProperty("sequential");
  });

  it("the same interval comes out of comparePromptRuns from real runs", () => {
    const headFor = ["PPP", "PPF", "PFF", "PPP", "PPP", "PPF", "PPP", "FFF", "PPP", "PPF"];
    const baseFor = ["PPP", "PPP", "PPP", "PPP", "PPF", "PPP", "PPP", "PPP", "PPP", "PPP"];
    const base = runFromPatterns(Object.fromEntries(baseFor.map((p, i) => [`c${i}`, p])));
    const head = runFromPatterns(Object.fromEntries(headFor.map((p, i) => [`c${i}`, p])));
    const c = compare(base, head);
    expect(c.delta).toBeCloseTo(-0.233333, 6);
    expect(c.interval?.method).toBe("paired-t");
    expect(c.interval?.low).toBeCloseTo(-0.50982, 5);
    expect(c.interval?.high).toBeCloseTo(0.043154, 5);
    expect(c.detectable).toBeCloseTo(0.276487, 5);
    expect(c.verdict).toBe("noise");
    expect(c.crossCheck?.method).toBe("paired-bootstrap");
  });

  it("the bootstrap is seeded, deterministic, and close to t on a large sample", () => {
    const rng = createRandom(3);
    const big = Float64Array.from({ length: 400 }, () => (rng.nextInt(7) - 3) / 3);
    const a = pairedBootstrapInterval(big, 0.95, { seed: 1 });
    const b = pairedBootstrapInterval(big, 0.95, { seed: 1 });
    const c = pairedBootstrapInterval(big, 0.95, { seed: 2 });
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    const t = pairedTInterval(big, 0.95);
    expect(Math.abs((a?.low ?? 0) - (t?.low ?? 1))).toBeLessThan(0.01);
    expect(Math.abs((a?.high ?? 0) - (t?.high ?? 1))).toBeLessThan(0.01);
    const bca = pairedBootstrapInterval(big, 0.95, { seed: 1, kind: "bca" });
    expect(Math.abs((bca?.low ?? 0) - (t?.low ?? 1))).toBeLessThan(0.015);
    // All differences equal and enough of them: no spread, a point interval.
    const tied = Float64Array.from({ length: 8 }, () => 0.5);
    expect(pairedBootstrapInterval(tied, 0.95, { seed: 1 })).toMatchObject({ low: 0.5, high: 0.5 });
  });

  it("the bootstrap can be the verdict's basis, with t as the cross-check", () => {
    const base = runFromPatterns({ a: "PPP", b: "PPP", c: "PPF", d: "PPP" });
    const head = runFromPatterns({ a: "PPF", b: "PPP", c: "PPF", d: "FPP" });
    const c = compare(base, head, { interval: "paired-bootstrap", seed: 5 });
    expect(c.interval?.method).toBe("paired-bootstrap");
    expect(c.crossCheck?.method).toBe("paired-t");
    expect(compare(base, head, { bootstrapDraws: 0 }).crossCheck).toBeUndefined();
  });
});

describe("random", () => {
  it("is deterministic per seed and roughly uniform", () => {
    const a = createRandom(42);
    const b = createRandom(42);
    const xs = Array.from({ length: 5 }, () => a.nextUint32());
    expect(Array.from({ length: 5 }, () => b.nextUint32())).toEqual(xs);
    expect(createRandom(43).nextUint32()).not.toBe(xs[0]);
    const counts = new Array(10).fill(0);
    const r = createRandom(7);
    for (let i = 0; i < 100_000; i++) counts[r.nextInt(10)]++;
    // χ² with 9 df: 99.9th percentile is 27.9.
    const chi = counts.reduce((s, c) => s + (c - 10_000) ** 2 / 10_000, 0);
    expect(chi).toBeLessThan(27.9);
    const filled = new Int32Array(1000);
    createRandom(7).fillInts(filled, 10);
    const direct = createRandom(7);
    expect([...filled.slice(0, 20)]).toEqual(Array.from({ length: 20 }, () => direct.nextInt(10)));
    expect(hashSeed("support-answer")).toBe(hashSeed("support-answer"));
    expect(hashSeed("a")).not.toBe(hashSeed("b"));
  });
});

describe("pairing", () => {
  it("pairs by id; added and removed cases stay out of Δ", () => {
    const base = runFromPatterns({ a: "PPP", b: "PPF", gone: "FFF" });
    const head = runFromPatterns({ b: "PPP", a: "PPP", fresh: "FFF" });
    const p = pairCases(base, head);
    expect(p.cases.map((c) => c.id)).toEqual(["b", "a"]);
    expect(p.addedCases).toEqual(["fresh"]);
    expect(p.removedCases).toEqual(["gone"]);
    const c = compare(base, head);
    // Only a (0) and b (+1/3) count: Δ = 1/6, not dragged down by "fresh" or up by "gone".
    expect(c.delta).toBeCloseTo(1 / 6, 12);
    expect(c.addedCases).toEqual(["fresh"]);
    expect(c.removedCases).toEqual(["gone"]);
    // The side pass rates are over each side's own cases.
    expect(c.basePassRate).toBeCloseTo((1 + 2 / 3 + 0) / 3, 12);
    expect(c.headPassRate).toBeCloseTo((1 + 1 + 0) / 3, 12);
  });

  it("per-case pass rate ignores errored samples; a side with only errors has no result", () => {
    const base = runFromPatterns({ a: "PEF", b: "EEE", c: "PPP" });
    const head = runFromPatterns({ a: "PPE", b: "PPP", c: "PPP" });
    const c = compare(base, head, { gates: { ...gates, maxErrorRate: 0.9 } });
    const a = c.cases.find((k) => k.id === "a");
    expect(a?.base).toEqual({ passRate: 0.5, score: 0.5, samples: 3, errors: 1 });
    expect(a?.head).toEqual({ passRate: 1, score: 1, samples: 3, errors: 1 });
    expect(a?.delta).toBe(0.5);
    const b = c.cases.find((k) => k.id === "b");
    expect(b?.base).toBeNull();
    expect(b?.delta).toBeNull();
    expect(c.delta).toBeCloseTo(0.25, 12);
    expect(c.errors).toEqual({ base: 4, head: 1, samples: 18 });
    expect(c.samplesSpent).toBe(18);
  });

  it("counts the cases left out of Δ for want of a result on one side", () => {
    const base = runFromPatterns({ a: "PPP", b: "EEE", c: "PPF", d: "PPP", gone: "EEE" });
    const head = runFromPatterns({ a: "PPF", b: "PPP", c: "EEE", d: "PPP", fresh: "EEE" });
    const c = compare(base, head, { gates: { ...gates, maxErrorRate: 0.9 } });
    // b has no base result, c no head result: both paired, both out of Δ. Cases on one side only
    // are added/removed, not dropped.
    expect(c.droppedCases).toEqual(["b", "c"]);
    expect(c.delta).toBeCloseTo(-1 / 6, 12);
    expect(compare(base, base).droppedCases).toEqual(["b", "gone"]);
    const clean = runFromPatterns({ a: "PPP", b: "PFP" });
    expect(compare(clean, clean).droppedCases).toEqual([]);
    // A new prompt has no Δ at all: nothing is dropped from it.
    expect(compare(null, runFromPatterns({ a: "EEE", b: "PPP" })).droppedCases).toEqual([]);
  });
});

describe("verdicts", () => {
  it("allows a drop of exactly max-regression, though its float lands a few ulps over", () => {
    const delta = 0.75 - 0.8; // −0.050000000000000044
    expect(-delta).toBeGreaterThan(0.05);
    expect(
      judgeInterval(delta, { low: -0.07, high: -0.03, level: 0.95, method: "paired-t" }, 0.05),
    ).toBe("noise");
    expect(
      judgeInterval(-0.06, { low: -0.08, high: -0.04, level: 0.95, method: "paired-t" }, 0.05),
    ).toBe("worse");
  });

  const many = (n: number, pattern: string) =>
    Object.fromEntries(Array.from({ length: n }, (_, i) => [`c${i}`, pattern]));
  const mixed = (n: number, pattern: string, rest: string, other: string) =>
    Object.fromEntries(
      Array.from({ length: n }, (_, i) => [
        `c${i}`,
        i % 4 === 0 ? other : i % 3 === 0 ? rest : pattern,
      ]),
    );

  it("worse: the whole interval below 0 and the drop beyond max-regression", () => {
    const base = runFromPatterns(many(40, "PPP"));
    const head = runFromPatterns(mixed(40, "PPF", "PPP", "PFF"));
    const c = compare(base, head);
    expect(c.interval?.high).toBeLessThan(0);
    expect(c.verdict).toBe("worse");
    expect(c.blocked).toBe(true);
  });

  it("better, symmetrically", () => {
    const base = runFromPatterns(mixed(40, "PPF", "PPP", "PFF"));
    const head = runFromPatterns(many(40, "PPP"));
    const c = compare(base, head);
    expect(c.interval?.low).toBeGreaterThan(0);
    expect(c.verdict).toBe("better");
    expect(c.blocked).toBe(false);
  });

  it("noise when the drop is real but within max-regression", () => {
    const base = runFromPatterns(many(40, "PPP"));
    const head = runFromPatterns(mixed(40, "PPF", "PPP", "PFF"));
    const c = compare(base, head, { gates: { ...gates, maxRegression: 0.5 } });
    expect(c.interval?.high).toBeLessThan(0);
    expect(c.verdict).toBe("noise");
  });

  it("noise when the interval straddles 0, with the detectable drop reported", () => {
    const base = runFromPatterns({ a: "PPP", b: "PPF", c: "PFF", d: "PPP" });
    const head = runFromPatterns({ a: "PPF", b: "PPP", c: "PFF", d: "PPF" });
    const c = compare(base, head);
    expect(c.verdict).toBe("noise");
    expect(c.detectable).toBeGreaterThan(0.2);
    expect(c.detectable).toBeCloseTo(((c.interval?.high ?? 0) - (c.interval?.low ?? 0)) / 2, 12);
  });

  it("errors when a side's error share exceeds max-error-rate, even with a clear drop", () => {
    const base = runFromPatterns(many(40, "PPP"));
    const head = runFromPatterns(mixed(40, "FFE", "FFE", "FFF"));
    const c = compare(base, head);
    expect(c.verdict).toBe("errors");
    expect(c.blocked).toBe(true);
    // Exactly at the limit is allowed: 1 error in 10 samples with max-error-rate 0.1.
    const b2 = runFromPatterns({ a: "PPPPP", b: "PPPPP" });
    const h2 = runFromPatterns({ a: "PPPPE", b: "PPPPP" });
    expect(compare(b2, h2).verdict).toBe("noise");
  });

  it("errors when nothing could be paired", () => {
    const base = runFromPatterns({ a: "PPP", b: "PPP" });
    const head = runFromPatterns({ x: "PPP", y: "PPP" });
    const c = compare(base, head);
    expect(c.delta).toBeNull();
    expect(c.interval).toBeNull();
    expect(c.verdict).toBe("errors");
  });

  it("identical moves on every case count only as far as a sign test allows", () => {
    // Two cases that each went from always passing to always failing: the t interval would be a
    // point at −1; two coin flips cannot show that (sign test p = 0.5), so the interval reaches 0.
    const two = compare(runFromPatterns(many(2, "PPP")), runFromPatterns(many(2, "FFF")));
    expect(two.interval).toMatchObject({ low: -1, high: 0, method: "paired-t" });
    expect(two.verdict).toBe("noise");
    // Six such cases: p = 2 · 0.5⁶ = 0.031 ≤ 0.05.
    const six = compare(runFromPatterns(many(6, "PPP")), runFromPatterns(many(6, "FFF")));
    expect(six.interval).toMatchObject({ low: -1, high: -1 });
    expect(six.verdict).toBe("worse");
    const five = compare(runFromPatterns(many(5, "P")), runFromPatterns(many(5, "F")));
    expect(five.verdict).toBe("noise");
    expect(five.crossCheck).toMatchObject({ low: -1, high: 0, method: "paired-bootstrap" });
    // Rounding dust from equal sevenths still counts as a tie.
    const d = Float64Array.from({ length: 7 }, () => 1 / 7);
    expect(summarisePaired(d).sd).toBe(0);
  });

  it("a single paired case gives Δ but no interval, and noise", () => {
    const c = compare(runFromPatterns({ a: "PPP" }), runFromPatterns({ a: "FFF" }));
    expect(c.delta).toBe(-1);
    expect(c.interval).toBeNull();
    expect(c.detectable).toBeNull();
    expect(c.verdict).toBe("noise");
  });

  it("a new prompt (no base): no Δ, verdict from head alone", () => {
    const head = runFromPatterns({ a: "PPF", b: "PPP" });
    const c = compare(null, head);
    expect(c.delta).toBeNull();
    expect(c.interval).toBeNull();
    expect(c.basePassRate).toBeNull();
    expect(c.headPassRate).toBeCloseTo(5 / 6, 12);
    expect(c.verdict).toBe("noise");
    expect(c.cases.map((k) => [k.id, k.base, k.delta])).toEqual([
      ["a", null, null],
      ["b", null, null],
    ]);
    expect(compare(null, runFromPatterns({ a: "EEE", b: "PEE" })).verdict).toBe("errors");
  });
});

describe("cost delta", () => {
  it("per request from ok samples, relative change and a month of traffic", () => {
    const base = runFromPatterns({ a: "PPE", b: "PPP" }, { costUsd: 0.002 });
    const head = runFromPatterns({ a: "PPP", b: "PPP" }, { costUsd: 0.0025 });
    const c = compare(base, head, { requestsPerDay: 1000, gates: { ...gates, maxErrorRate: 0.5 } });
    expect(c.cost.base.perRequestUsd).toBeCloseTo(0.002, 12);
    expect(c.cost.head.perRequestUsd).toBeCloseTo(0.0025, 12);
    expect(c.cost.relative).toBeCloseTo(0.25, 12);
    expect(c.cost.requestsPerDay).toBe(1000);
    expect(c.cost.monthlyBaseUsd).toBeCloseTo(0.002 * 1000 * DAYS_PER_MONTH, 9);
    expect(c.cost.monthlyHeadUsd).toBeCloseTo(0.0025 * 1000 * 30.4, 9);
  });

  it("an unpriced sample makes the side unknown, never $0, and names the model", () => {
    const base = runFromPatterns({ a: "PPP" }, { costUsd: 0.002 });
    const head = runFromPatterns({ a: "PPP" }, { costUsd: null, model: "my-local-llama" });
    const c = compare(base, head, { requestsPerDay: 1000 });
    expect(c.cost.head).toEqual({ perRequestUsd: null, unknownModels: ["my-local-llama"] });
    expect(c.cost.relative).toBeNull();
    expect(c.cost.monthlyHeadUsd).toBeNull();
    expect(c.cost.monthlyBaseUsd).not.toBeNull();
    // Without traffic there is no monthly projection.
    expect(compare(base, base).cost.monthlyBaseUsd).toBeNull();
  });

  it("hints to add an unpriced model under prices:, naming it", () => {
    const base = runFromPatterns({ a: "PPP" }, { costUsd: 0.002 });
    const head = runFromPatterns({ a: "PPP" }, { costUsd: null, model: "my-local-llama" });
    const unknown = comparisonCostUnknown(compare(base, head));
    expect(unknown).toEqual([{ reason: "no-price", models: ["my-local-llama"] }]);
    expect(unknown.map((u) => describeCostUnknown(u))).toEqual([
      "no price for my-local-llama. Add it under prices: in promptgate.yaml (USD per 1M input and output tokens)",
    ]);
  });

  it("an endpoint that reported no token usage: unknown, never $0, and no price is asked for", () => {
    const base = runFromPatterns({ a: "PPP" }, { costUsd: 0.002 });
    // A priced model on a server that omits usage: the engine priced nothing.
    const head = runFromPatterns({ a: "PPP" }, { costUsd: null, model: "gpt-4o-mini" });
    for (const s of head.cases[0]!.samples)
      if (s.kind === "ok") s.usage = { promptTokens: 0, completionTokens: 0 };
    const c = compare(base, head, { requestsPerDay: 1000 });
    expect(c.cost.head).toEqual({ perRequestUsd: null, unknownModels: [] });
    expect(c.cost.monthlyHeadUsd).toBeNull();
    const unknown = comparisonCostUnknown(c);
    expect(unknown).toEqual([{ reason: "no-usage", models: [] }]);
    expect(unknown.map((u) => describeCostUnknown(u))).toEqual([
      "the endpoint reported no token usage, so cost cannot be computed",
    ]);
  });

  it("a side whose every sample errored: nothing to price, and no price is asked for", () => {
    const base = runFromPatterns({ a: "PPP" }, { costUsd: 0.002 });
    const head = runFromPatterns({ a: "EEE" }, { costUsd: 0.002, model: "gpt-4o-mini" });
    const c = compare(base, head);
    expect(c.cost.head).toEqual({ perRequestUsd: null, unknownModels: [] });
    const unknown = comparisonCostUnknown(c);
    expect(unknown).toEqual([{ reason: "no-samples", models: [] }]);
    expect(unknown.map((u) => describeCostUnknown(u))).toEqual(["no successful sample to price"]);
  });

  it("keeps each reason of a mixed side, and lists only the unpriced model under prices:", () => {
    const head = runFromPatterns({ a: "PPP", b: "PPP" }, { costUsd: null, model: "my-alias" });
    // The second case's answers came without usage.
    for (const s of head.cases[1]!.samples)
      if (s.kind === "ok") s.usage = { promptTokens: 0, completionTokens: 0 };
    const c = compare(null, head);
    expect(c.cost.head.unknownModels).toEqual(["my-alias"]);
    expect(comparisonCostUnknown(c).map((u) => u.reason)).toEqual(["no-price", "no-usage"]);
    // A new prompt's missing base is no reason to hint at anything.
    expect(comparisonCostUnknown(compare(null, runFromPatterns({ a: "PPP" })))).toEqual([]);
  });

  it("names the model the server answered as when an alias was asked for: that id was priced", () => {
    const head = runFromPatterns({ a: "PPP", b: "PPP" }, { costUsd: null, model: "my-alias" });
    // LiteLLM answered the first case's samples as the model the alias points to.
    for (const s of head.cases[0]!.samples) if (s.kind === "ok") s.model = "acme-llama-3-70b";
    expect(compare(null, head).cost.head.unknownModels.sort()).toEqual([
      "acme-llama-3-70b",
      "my-alias",
    ]);
  });

  it("a new prompt has no base cost", () => {
    const c = compare(null, runFromPatterns({ a: "PPP" }), { requestsPerDay: 10 });
    expect(c.cost.base.perRequestUsd).toBeNull();
    expect(c.cost.relative).toBeNull();
    expect(c.cost.monthlyHeadUsd).toBeCloseTo(0.001 * 10 * 30.4, 12);
  });
});

describe("adaptive steps", () => {
  const ids = ["a", "b", "c", "d"];
  const plan = planAdaptive({
    baseCases: ids,
    headCases: ids,
    maxRepeats: 6,
    gates,
    initialRepeats: 3,
  });
  const cases = (patterns: Record<string, string>): CaseResult[] =>
    Object.entries(patterns).map(([id, p]) => summariseSimulatedCase(id, patternSamples(p)));

  it("plans looks and boundaries from max-repeats and confidence", () => {
    expect(plan.looks).toBe(4);
    expect(plan.alpha).toBeCloseTo(0.05, 12);
    expect(plan.boundaries).toEqual(
      groupSequentialBoundaries([0.25, 0.5, 0.75, 1], plan.alpha, linearSpent),
    );
    expect(
      planAdaptive({ baseCases: ids, headCases: ids, maxRepeats: 2, gates }).initialRepeats,
    ).toBe(1);
  });

  it("starts by filling every case to the initial repeats on both sides", () => {
    const step = nextAdaptiveStep({ plan, base: [], head: cases({ a: "P" }) });
    expect(step.kind).toBe("sample");
    if (step.kind !== "sample") return;
    expect(step.look).toBe(0);
    expect(step.requests).toContainEqual({ caseId: "a", side: "head", count: 2 });
    expect(step.requests).toContainEqual({ caseId: "d", side: "base", count: 3 });
    expect(step.requests).toHaveLength(8);
  });

  it("spends the next round on every paired case (choosing by outcome would bias Δ towards 0)", () => {
    const base = cases({ a: "PPP", b: "PPF", c: "FFF", d: "PPP" });
    const head = cases({ a: "PPP", b: "PPP", c: "FFF", d: "PFP" });
    const step = nextAdaptiveStep({ plan, base, head });
    expect(step.kind).toBe("sample");
    if (step.kind !== "sample") return;
    expect(step.look).toBe(2);
    expect(step.requests).toHaveLength(8);
    expect(step.requests.every((r) => r.count === 1)).toBe(true);
  });

  it("plans its information for gates.detect and stops an equally good change for futility", () => {
    const many = Array.from({ length: 60 }, (_, i) => `c${i}`);
    expect(
      planAdaptive({ baseCases: many, headCases: many, maxRepeats: 10, gates }).initialRepeats,
    ).toBe(1);
    const p = planAdaptive({
      baseCases: many,
      headCases: many,
      maxRepeats: 10,
      gates,
      initialRepeats: 2,
    });
    expect(p.detect).toBeCloseTo(0.1, 12);
    // 1.2 × ((z(0.025) + z(0.05)) / 0.10)²
    expect(p.maxInformation).toBeCloseTo(1.2 * ((1.959964 + 1.644854) / 0.1) ** 2, 2);
    // As many split cases on each side, other cases: Δ = 0, far from a 10-point drop.
    const same = Object.fromEntries(many.map((id, i) => [id, i % 6 === 0 ? "PF" : "PP"]));
    const other = Object.fromEntries(many.map((id, i) => [id, i % 6 === 1 ? "PF" : "PP"]));
    const step = nextAdaptiveStep({ plan: p, base: cases(same), head: cases(other) });
    expect(step).toMatchObject({ kind: "stop", reason: "futility", look: 1 });
    if (step.kind !== "stop") return;
    expect(step.sequential).toMatchObject({ reason: "futility", detect: 0.1 });
    // A clear drop on head (about 20 points) is not stopped for futility.
    const drop = Object.fromEntries(
      many.map((id, i) => [id, i % 5 === 0 ? "FF" : i % 5 === 1 ? "PF" : "PP"]),
    );
    const next = nextAdaptiveStep({ plan: p, base: cases(same), head: cases(drop) });
    expect(next.kind === "stop" ? next.reason : "sample").not.toBe("futility");
  });

  it("does not call one sample a side 'settled': a single pass or fail is not a split yet", () => {
    const one = planAdaptive({ baseCases: ids, headCases: ids, maxRepeats: 6, gates });
    expect(one.initialRepeats).toBe(1);
    const step = nextAdaptiveStep({
      plan: one,
      base: cases({ a: "P", b: "P", c: "F", d: "P" }),
      head: cases({ a: "F", b: "P", c: "P", d: "P" }),
    });
    expect(step.kind === "stop" ? step.reason : "sample").not.toBe("settled");
  });

  it("stops when nothing is split, spending the rest of α at that look", () => {
    const base = cases({ a: "PPP", b: "PPP", c: "FFF", d: "PPP" });
    const head = cases({ a: "FFF", b: "PPP", c: "FFF", d: "FFF" });
    const step = nextAdaptiveStep({ plan, base, head });
    expect(step.kind).toBe("stop");
    if (step.kind !== "stop") return;
    expect(step.reason).toBe("settled");
    // Declared final at look 1: the whole α goes there, so the boundary is the fixed 1.96.
    expect(step.sequential?.critical).toBeCloseTo(1.959964, 5);
    expect(step.sequential?.look).toBe(1);
  });

  it("stops when max-repeats is spent, and the comparison uses the group-sequential interval", () => {
    const base = cases({ a: "PPFPPF", b: "PFPFPF", c: "PPP", d: "FPFPPF" });
    const head = cases({ a: "PFFPPF", b: "PFPFPP", c: "PPP", d: "FPFPPP" });
    const step = nextAdaptiveStep({ plan, base, head });
    expect(step.kind).toBe("stop");
    if (step.kind !== "stop") return;
    expect(step.reason).toBe("budget");
    expect(step.look).toBe(4);
    // Declared final: it spends all α that is left, at least the fixed test's 1.96.
    expect(step.sequential?.critical).toBeGreaterThanOrEqual(1.959);
    const c = compare(
      runFromPatterns({ a: "PPFPPF", b: "PFPFPF", c: "PPP", d: "FPFPPF" }),
      runFromPatterns({ a: "PFFPPF", b: "PFPFPP", c: "PPP", d: "FPFPPP" }),
      {
        sequential: step.sequential ?? undefined,
      },
    );
    expect(c.interval?.method).toBe("group-sequential");
    // The look it stopped at goes into the comparison, for the report to name the method.
    expect(c.sequential).toMatchObject({
      look: 4,
      looks: 4,
      critical: step.sequential?.critical,
      reason: "budget",
    });
    expect(c.crossCheck).toBeUndefined();
    expect(c.samplesSpent).toBe(2 * (6 + 6 + 3 + 6));
  });

  it("stops at once on too many errors, and does nothing adaptive for a new prompt", () => {
    const base = cases({ a: "EEE", b: "PPE", c: "PPP", d: "PPP" });
    const head = cases({ a: "PPP", b: "PPP", c: "PPP", d: "PPP" });
    const step = nextAdaptiveStep({ plan, base, head });
    expect(step).toMatchObject({ kind: "stop", reason: "errors" });
    const fresh = planAdaptive({
      baseCases: null,
      headCases: ids,
      maxRepeats: 6,
      gates,
      initialRepeats: 3,
    });
    const first = nextAdaptiveStep({ plan: fresh, base: null, head: [] });
    expect(first.kind === "sample" && first.requests.every((r) => r.side === "head")).toBe(true);
    expect(nextAdaptiveStep({ plan: fresh, base: null, head })).toMatchObject({
      kind: "stop",
      reason: "nothing-to-compare",
    });
  });
});
