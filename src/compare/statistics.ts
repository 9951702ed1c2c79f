import { createRandom } from "./random.js";
import type { Interval } from "./types.js";

/**
 * The numbers behind a verdict: distributions (normal, Student t), intervals for a paired mean
 * difference (t, bootstrap percentile/BCa, group-sequential) and Lan–DeMets boundaries.
 * docs/statistics.md explains the method for users; the tests check these against published values.
 */

// ---------------------------------------------------------------------------------------------
// Distributions

/** Standard normal CDF, Hart's double-precision rational approximation (absolute error < 1e-14). */
export function normalCdf(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  const ax = Math.abs(x);
  let tail: number;
  if (ax > 37) {
    tail = 0;
  } else {
    const e = Math.exp((-ax * ax) / 2);
    if (ax < 7.07106781186547) {
      let n = 3.52624965998911e-2 * ax + 0.700383064443688;
      n = n * ax + 6.37396220353165;
      n = n * ax + 33.912866078383;
      n = n * ax + 112.079291497871;
      n = n * ax + 221.213596169931;
      n = n * ax + 220.206867912376;
      let d = 8.83883476483184e-2 * ax + 1.75566716318264;
      d = d * ax + 16.064177579207;
      d = d * ax + 86.7807322029461;
      d = d * ax + 296.564248779674;
      d = d * ax + 637.333633378831;
      d = d * ax + 793.826512519948;
      d = d * ax + 440.413735824752;
      tail = (e * n) / d;
    } else {
      let f = ax + 0.65;
      f = ax + 4 / f;
      f = ax + 3 / f;
      f = ax + 2 / f;
      f = ax + 1 / f;
      tail = e / f / 2.506628274631;
    }
  }
  return x > 0 ? 1 - tail : tail;
}

const ACKLAM_A = [
  -3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2,
  -3.066479806614716e1, 2.506628277459239,
] as const;
const ACKLAM_B = [
  -5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1,
  -1.328068155288572e1,
] as const;
const ACKLAM_C = [
  -7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734,
  4.374664141464968, 2.938163982698783,
] as const;
const ACKLAM_D = [
  7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416,
] as const;

/** Inverse of the standard normal CDF: Acklam's approximation plus one Halley step (≈1e-15). */
export function normalQuantile(p: number): number {
  if (!(p > 0)) return p === 0 ? Number.NEGATIVE_INFINITY : Number.NaN;
  if (!(p < 1)) return p === 1 ? Number.POSITIVE_INFINITY : Number.NaN;
  const [a0, a1, a2, a3, a4, a5] = ACKLAM_A;
  const [b0, b1, b2, b3, b4] = ACKLAM_B;
  const [c0, c1, c2, c3, c4, c5] = ACKLAM_C;
  const [d0, d1, d2, d3] = ACKLAM_D;
  const low = 0.02425;
  let x: number;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    x =
      (((((c0 * q + c1) * q + c2) * q + c3) * q + c4) * q + c5) /
      ((((d0 * q + d1) * q + d2) * q + d3) * q + 1);
  } else if (p <= 1 - low) {
    const q = p - 0.5;
    const r = q * q;
    x =
      ((((((a0 * r + a1) * r + a2) * r + a3) * r + a4) * r + a5) * q) /
      (((((b0 * r + b1) * r + b2) * r + b3) * r + b4) * r + 1);
  } else {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    x =
      -(((((c0 * q + c1) * q + c2) * q + c3) * q + c4) * q + c5) /
      ((((d0 * q + d1) * q + d2) * q + d3) * q + 1);
  }
  // One Halley step on the CDF; skipped far out where the CDF has no relative precision left.
  if (Math.abs(x) < 37) {
    const e = normalCdf(x) - p;
    const u = e * Math.sqrt(2 * Math.PI) * Math.exp((x * x) / 2);
    x = x - u / (1 + (x * u) / 2);
  }
  return x;
}

/** The z with P(Z > z) = upperTail, precise for tiny tails (where 1 − p would round to 1). */
export function normalUpperQuantile(upperTail: number): number {
  return -normalQuantile(upperTail);
}

const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
  -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
  1.5056327351493116e-7,
] as const;

/** log Γ(z) for z > 0 (Lanczos, g = 7). */
export function logGamma(z: number): number {
  if (z < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * z)) - logGamma(1 - z);
  const zz = z - 1;
  let x = LANCZOS[0];
  for (let i = 1; i < LANCZOS.length; i++) x += (LANCZOS[i] as number) / (zz + i);
  const t = zz + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (zz + 0.5) * Math.log(t) - t + Math.log(x);
}

/** Continued fraction of the incomplete beta function (modified Lentz). */
function betaContinuedFraction(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 500; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const step = d * c;
    h *= step;
    if (Math.abs(step - 1) < 1e-15) break;
  }
  return h;
}

/** The regularised incomplete beta function I_x(a, b). */
export function regularizedBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(
    logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x),
  );
  if (x < (a + 1) / (a + b + 2)) return (front * betaContinuedFraction(a, b, x)) / a;
  return 1 - (front * betaContinuedFraction(b, a, 1 - x)) / b;
}

/** P(T > t) for Student's t with df degrees of freedom (df = Infinity: normal). */
export function studentTUpperTail(t: number, df: number): number {
  if (!Number.isFinite(df)) return normalCdf(-t);
  if (t < 0) return 1 - studentTUpperTail(-t, df);
  return 0.5 * regularizedBeta(df / (df + t * t), df / 2, 0.5);
}

/** The t with P(T > t) = upperTail (0 < upperTail ≤ 0.5), by bracketing and bisection. */
export function studentTUpperQuantile(upperTail: number, df: number): number {
  if (!Number.isFinite(df)) return normalUpperQuantile(upperTail);
  if (!(upperTail > 0)) return Number.POSITIVE_INFINITY;
  if (upperTail >= 0.5) return upperTail === 0.5 ? 0 : -studentTUpperQuantile(1 - upperTail, df);
  let lo = 0;
  let hi = Math.max(1, normalUpperQuantile(upperTail));
  while (studentTUpperTail(hi, df) > upperTail) {
    lo = hi;
    hi *= 2;
    if (hi > 1e150) return Number.POSITIVE_INFINITY;
  }
  for (let i = 0; i < 200 && hi - lo > 1e-13 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (studentTUpperTail(mid, df) > upperTail) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

// ---------------------------------------------------------------------------------------------
// Paired differences

export interface PairedSummary {
  n: number;
  mean: number;
  /** Sample standard deviation (n − 1 denominator); 0 when n < 2. */
  sd: number;
  /** Standard error of the mean, sd / √n. */
  se: number;
}

export function summarisePaired(d: ArrayLike<number>): PairedSummary {
  const n = d.length;
  if (n === 0) return { n, mean: Number.NaN, sd: 0, se: 0 };
  let sum = 0;
  for (let i = 0; i < n; i++) sum += d[i] as number;
  const mean = sum / n;
  if (n < 2) return { n, mean, sd: 0, se: 0 };
  let ss = 0;
  for (let i = 0; i < n; i++) {
    const e = (d[i] as number) - mean;
    ss += e * e;
  }
  // Identical differences can leave rounding dust; pass rates are ratios of small integers, so a
  // real spread is never this small, and an exact 0 lets degenerateInterval see the tie.
  const raw = Math.sqrt(ss / (n - 1));
  const sd = raw < 1e-12 ? 0 : raw;
  return { n, mean, sd, se: sd / Math.sqrt(n) };
}

/**
 * The interval when every paired case moved by exactly the same amount (sd = 0), where t and the
 * bootstrap both collapse to a point: n cases all moving one way count as evidence only as far as an
 * exact sign test allows (two-sided p = 2 · 0.5ⁿ ≤ α, so at least 6 cases at 95 %); otherwise the
 * interval is stretched to reach 0. Without this, two cases that each flipped once would block.
 */
export function degenerateInterval(
  s: PairedSummary,
  alpha: number,
  level: number,
  method: Interval["method"],
): Interval {
  const signP = Math.min(1, 2 * 0.5 ** s.n);
  if (s.mean === 0 || signP <= alpha) return { low: s.mean, high: s.mean, level, method };
  return { low: Math.min(0, s.mean), high: Math.max(0, s.mean), level, method };
}

/** Paired t interval: mean ± t(1 − α/2, n − 1) · sd/√n. Needs n ≥ 2. */
export function pairedTInterval(d: ArrayLike<number>, level: number): Interval | null {
  const s = summarisePaired(d);
  if (s.n < 2) return null;
  if (s.sd === 0) return degenerateInterval(s, 1 - level, level, "paired-t");
  const half = studentTUpperQuantile((1 - level) / 2, s.n - 1) * s.se;
  return { low: s.mean - half, high: s.mean + half, level, method: "paired-t" };
}

export type BootstrapKind = "bca" | "percentile";

export interface BootstrapOptions {
  /** Resamples; at least 2,000 (the default). */
  draws?: number;
  seed: number;
  kind?: BootstrapKind;
}

/** The `draws` resampled means of d (cases drawn with replacement), sorted ascending. */
export function bootstrapMeans(d: ArrayLike<number>, draws: number, seed: number): Float64Array {
  const n = d.length;
  const values = d instanceof Float64Array ? d : Float64Array.from(d as ArrayLike<number>);
  const means = new Float64Array(draws);
  const rng = createRandom(seed);
  const picks = new Int32Array(n);
  for (let b = 0; b < draws; b++) {
    rng.fillInts(picks, n);
    let sum = 0;
    for (let j = 0; j < n; j++) sum += values[picks[j] as number] as number;
    means[b] = sum / n;
  }
  means.sort();
  return means;
}

/** The p-quantile of sorted values, interpolating between order statistics. */
function quantileOfSorted(sorted: Float64Array, p: number): number {
  const last = sorted.length - 1;
  const pos = Math.min(Math.max(p, 0), 1) * last;
  const i = Math.floor(pos);
  const frac = pos - i;
  const lo = sorted[i] as number;
  return frac === 0 || i >= last ? lo : lo + frac * ((sorted[i + 1] as number) - lo);
}

/**
 * Paired bootstrap over cases: percentile by default, or BCa (bias-corrected and accelerated; Efron
 * 1987; the acceleration of a mean has a closed form from the jackknife). Both cover less than their
 * level below ~30 cases, BCa worst when most differences are tied at 0 (docs/statistics.md has the
 * simulation), which is why the verdict uses the paired t interval by default.
 */
export function pairedBootstrapInterval(
  d: ArrayLike<number>,
  level: number,
  options: BootstrapOptions,
): Interval | null {
  const s = summarisePaired(d);
  if (s.n < 2) return null;
  const draws = Math.max(2000, options.draws ?? 2000);
  const alpha = 1 - level;
  const method = "paired-bootstrap" as const;
  if (s.sd === 0) return degenerateInterval(s, alpha, level, method);
  const means = bootstrapMeans(d, draws, options.seed);
  if ((options.kind ?? "percentile") === "percentile") {
    return {
      low: quantileOfSorted(means, alpha / 2),
      high: quantileOfSorted(means, 1 - alpha / 2),
      level,
      method,
    };
  }
  // Bias correction: the share of resampled means below the estimate (ties count half).
  let below = 0;
  for (let b = 0; b < draws; b++) {
    const m = means[b] as number;
    if (m < s.mean - 1e-12) below += 1;
    else if (m <= s.mean + 1e-12) below += 0.5;
  }
  const share = Math.min(Math.max(below / draws, 0.5 / draws), 1 - 0.5 / draws);
  const z0 = normalQuantile(share);
  // Acceleration from the jackknife of the mean: a = Σ(d−m)³ / (6 (Σ(d−m)²)^{3/2}).
  let m2 = 0;
  let m3 = 0;
  for (let i = 0; i < s.n; i++) {
    const e = (d[i] as number) - s.mean;
    m2 += e * e;
    m3 += e * e * e;
  }
  const acc = m3 / (6 * m2 ** 1.5);
  const adjust = (z: number): number => normalCdf(z0 + (z0 + z) / (1 - acc * (z0 + z)));
  const zLow = normalQuantile(alpha / 2);
  return {
    low: quantileOfSorted(means, adjust(zLow)),
    high: quantileOfSorted(means, adjust(-zLow)),
    level,
    method,
  };
}

// ---------------------------------------------------------------------------------------------
// Group-sequential boundaries (Lan–DeMets alpha spending)

/** O'Brien–Fleming-like spending: α(t) = 2 − 2Φ(z₁₋α/₂ / √t), two-sided. */
export function obrienFlemingSpent(t: number, alpha: number): number {
  if (t <= 0) return 0;
  if (t >= 1) return alpha;
  return 2 * normalCdf(-normalUpperQuantile(alpha / 2) / Math.sqrt(t));
}

/**
 * Linear (Pocock-type) spending: α(t) = α·t, two-sided. It spends more at early looks than the
 * O'Brien–Fleming-like function, so clear regressions stop sooner, at the price of a final boundary
 * a little above z₁₋α/₂ (the plan's information is inflated to keep the power).
 */
export function linearSpent(t: number, alpha: number): number {
  if (t <= 0) return 0;
  if (t >= 1) return alpha;
  return alpha * t;
}

interface Density {
  /** Grid points of B(t) inside the continuation region. */
  x: Float64Array;
  /** Density at x times the Simpson weight: a quadrature-ready measure. */
  w: Float64Array;
}

function simpsonGrid(half: number, spacing: number): { x: Float64Array; weight: Float64Array } {
  let intervals = Math.max(24, Math.ceil((2 * half) / spacing));
  intervals += intervals % 2;
  intervals = Math.min(intervals, 4000);
  const h = (2 * half) / intervals;
  const x = new Float64Array(intervals + 1);
  const weight = new Float64Array(intervals + 1);
  for (let i = 0; i <= intervals; i++) {
    x[i] = -half + i * h;
    const simpson = i === 0 || i === intervals ? 1 : i % 2 === 1 ? 4 : 2;
    weight[i] = (simpson * h) / 3;
  }
  return { x, weight };
}

/** P(cross at this look, not before): the continuing mass that lands outside ±u. */
function crossingMass(prev: Density, u: number, sd: number): number {
  let p = 0;
  for (let j = 0; j < prev.x.length; j++) {
    const x = prev.x[j] as number;
    p += (prev.w[j] as number) * (normalCdf((-u - x) / sd) + normalCdf((x - u) / sd));
  }
  return p;
}

/**
 * Two-sided group-sequential boundaries (z scale) for looks at information fractions `fractions`
 * (increasing, in (0, 1]), spending α with the O'Brien–Fleming-like function. The last look spends
 * all that is left (Lan–DeMets: an analysis declared final gets t = 1), which is how a run that
 * stops early for lack of anything left to sample still uses its full α. Recursive numerical
 * integration as in Jennison & Turnbull (2000), ch. 19.
 */
export function groupSequentialBoundaries(
  fractions: readonly number[],
  alpha: number,
  spend: (t: number, alpha: number) => number = obrienFlemingSpent,
): number[] {
  const bounds: number[] = [];
  let density: Density | null = null;
  let prevT = 0;
  let spent = 0;
  for (let k = 0; k < fractions.length; k++) {
    const t = fractions[k] as number;
    if (!(t > prevT)) throw new RangeError("information fractions must increase");
    const isLast = k === fractions.length - 1;
    const target = (isLast ? alpha : spend(t, alpha)) - spent;
    const sd = Math.sqrt(t - prevT);
    let c: number;
    if (density === null) {
      c = target > 0 ? normalUpperQuantile(target / 2) : Number.POSITIVE_INFINITY;
    } else if (target <= 1e-15) {
      // Nothing to spend: an effectively unreachable boundary (what a tiny spend rounds to).
      c = normalUpperQuantile(Math.max(target, 1e-300) / 2);
    } else {
      const prev: Density = density;
      let lo = 0;
      let hi = 40;
      for (let i = 0; i < 100 && hi - lo > 1e-10; i++) {
        const mid = (lo + hi) / 2;
        if (crossingMass(prev, mid * Math.sqrt(t), sd) > target) lo = mid;
        else hi = mid;
      }
      c = (lo + hi) / 2;
    }
    bounds.push(c);
    if (isLast) break;
    // Continuation density of B(t) on (−c√t, c√t), for the next look.
    const half = Math.min(c, 12) * Math.sqrt(t);
    const next = fractions[k + 1] as number;
    const grid = simpsonGrid(half, Math.sqrt(next - t) / 8);
    const w = new Float64Array(grid.x.length);
    if (density === null) {
      for (let i = 0; i < w.length; i++) {
        const x = grid.x[i] as number;
        w[i] = (grid.weight[i] as number) * normalDensity(x / sd) * (1 / sd);
      }
    } else {
      for (let i = 0; i < w.length; i++) {
        const x = grid.x[i] as number;
        let f = 0;
        for (let j = 0; j < density.x.length; j++) {
          f += (density.w[j] as number) * normalDensity((x - (density.x[j] as number)) / sd);
        }
        w[i] = (grid.weight[i] as number) * (f / sd);
      }
    }
    spent += density === null ? 2 * normalCdf(-c) : crossingMass(density, c * Math.sqrt(t), sd);
    density = { x: grid.x, w };
    prevT = t;
  }
  return bounds;
}

function normalDensity(z: number): number {
  return Math.exp((-z * z) / 2) / Math.sqrt(2 * Math.PI);
}

/**
 * The repeated confidence interval at a look with boundary `critical` (z scale): mean ± c·se,
 * with c moved to the t scale at the same tail probability so that few cases are not overconfident.
 */
export function groupSequentialInterval(
  s: PairedSummary,
  critical: number,
  level: number,
): Interval | null {
  if (s.n < 2) return null;
  if (s.sd === 0) return degenerateInterval(s, 2 * normalCdf(-critical), level, "group-sequential");
  const c = studentTUpperQuantile(normalCdf(-critical), s.n - 1);
  const half = c * s.se;
  return { low: s.mean - half, high: s.mean + half, level, method: "group-sequential" };
}

// ---------------------------------------------------------------------------------------------
// Exact per-case test (the critical gate)

function logChoose(n: number, k: number): number {
  return logGamma(n + 1) - logGamma(k + 1) - logGamma(n - k + 1);
}

/**
 * One-sided Fisher exact test that head passes less often than base: P(X ≤ headPasses) for X
 * hypergeometric (the passes of both sides shared at random between them, head drawing headN).
 * Conditional on the total passes it is exact whatever the common pass rate, and conservative,
 * which is what a gate that blocks on one case needs.
 */
export function fisherExactLess(
  headPasses: number,
  headN: number,
  basePasses: number,
  baseN: number,
): number {
  const n = headN + baseN;
  const k = headPasses + basePasses;
  if (headN === 0 || baseN === 0) return 1;
  const lo = Math.max(0, k - baseN);
  const denom = logChoose(n, headN);
  let p = 0;
  for (let x = lo; x <= headPasses; x++) {
    p += Math.exp(logChoose(k, x) + logChoose(n - k, headN - x) - denom);
  }
  return Math.min(1, p);
}
