/**
 * Every number the product prints, in one place, so that the CLI, the PR comment, the job summary,
 * the HTML report and the gate messages write each quantity the same way:
 * - rates are fractions (0.823) and print as percents with one decimal ("82.3%");
 * - differences of rates print in percentage points with one decimal, signed where they are a
 *   change ("+2.0", "−6.7", "±0.0" when they round to zero); prose says the unit ("+1.5 pts",
 *   "−2.0 pts", and a size without a sign, "6.7 pts"), tables name it in the column's header;
 * - a confidence level is a whole percent ("95%");
 * - relative changes print as signed percents, one decimal under 10 % ("+2.5%", "−12%", "±0%");
 * - dollars keep two significant digits below $1 and shorten thousands ("$0.0012", "$12.3k"), and
 *   an unknown amount reads "unknown", never "$0.00".
 * Negative numbers use the minus sign U+2212, as typeset numbers do; it also keeps "−6.7" from
 * starting a markdown list. Nothing rounds to a signed zero: −0.04 points is "±0.0", not "−0.0".
 */

const MINUS = "\u2212";

/** |x| with `digits` decimals, signed with U+2212 unless it rounds to zero: −0.04, 1 → "0.0". */
function fixed(x: number, digits: number): string {
  const text = Math.abs(x).toFixed(digits);
  return x < 0 && Number(text) !== 0 ? `${MINUS}${text}` : text;
}

/** A rate as a percent with one decimal: 0.8234 → "82.3%", null → "—". */
export function formatPercent(rate: number | null): string {
  return rate === null ? "—" : `${fixed(rate * 100, 1)}%`;
}

/** A rate as a bare ASCII number for machine-read text (chart data, CSS widths): 0.8234 → "82.3". */
export function formatPercentNumber(rate: number): string {
  return (rate * 100).toFixed(1);
}

/** A traffic share already in percent units, as the YAML writes it: 10 → "10%", null → "unset". */
export function formatTrafficShare(percent: number | null): string {
  if (percent === null) return "unset";
  return percent < 0 ? `${MINUS}${-percent}%` : `${percent}%`;
}

/** A difference of rates in percentage points, without a plus sign: 0.067 → "6.7". */
export function formatPoints(delta: number): string {
  return fixed(delta * 100, 1);
}

/** A change of rates in signed percentage points: 0.02 → "+2.0", −0.067 → "−6.7", −0.0004 → "±0.0". */
export function formatSignedPoints(delta: number): string {
  const text = fixed(delta * 100, 1);
  if (Number(text.replace(MINUS, "")) === 0) return "±0.0";
  return text.startsWith(MINUS) ? text : `+${text}`;
}

/** A change of rates in prose, signed and with its unit: 0.015 → "+1.5 pts", −0.02 → "−2.0 pts". */
export function formatPointsChange(delta: number): string {
  return `${formatSignedPoints(delta)} pts`;
}

/** A size in points in prose, unsigned (the words say which way): 0.067 → "6.7 pts". */
export function formatPointsSize(delta: number): string {
  return `${formatPoints(delta)} pts`;
}

/** A confidence level as a whole percent: 0.95 → "95%". */
export function formatLevel(level: number): string {
  return `${Math.round(level * 100)}%`;
}

/** A confidence interval of a change in points: {low: −0.11, high: −0.024, level: 0.95} → "95% CI −11.0 to −2.4". */
export function formatInterval(i: { low: number; high: number; level: number }): string {
  return `${formatLevel(i.level)} CI ${formatSignedPoints(i.low)} to ${formatSignedPoints(i.high)}`;
}

/** A relative change, one decimal under 10 %: 0.025 → "+2.5%", −0.123 → "−12%", 0.0004 → "±0%". */
export function formatSignedPercent(rel: number): string {
  const v = Math.abs(rel * 100);
  const oneDecimal = v.toFixed(1);
  const text = Number(oneDecimal) >= 10 ? v.toFixed(0) : oneDecimal;
  if (Number(text) === 0) return "±0%";
  return `${rel < 0 ? MINUS : "+"}${text}%`;
}

/** Dollars: 0.0012 → "$0.0012", 1.234 → "$1.23", 12_345 → "$12.3k", −0.42 → "−$0.42", null → "unknown". */
export function formatUsd(usd: number | null): string {
  if (usd === null || !Number.isFinite(usd)) return "unknown";
  if (usd < 0) return `${MINUS}${formatUsd(-usd)}`;
  if (usd === 0) return "$0";
  if (usd < 1) {
    // Two significant digits, at least cents; decided on the rounded value, so 0.0999 is "$0.10".
    const rounded = Number(usd.toPrecision(2));
    const decimals = Math.min(20, Math.max(2, 1 - Math.floor(Math.log10(rounded))));
    return `$${usd.toFixed(decimals)}`;
  }
  if (usd < 999.995) return `$${usd.toFixed(2)}`;
  if (usd < 999_500) return `$${threeDigits(usd / 1000)}k`;
  if (usd < 999_500_000) return `$${threeDigits(usd / 1_000_000)}M`;
  return `$${threeDigits(usd / 1_000_000_000)}B`;
}

/** Three significant digits, without exponent notation or trailing zeros: 1.2 → "1.2", 12.34 → "12.3". */
function threeDigits(x: number): string {
  const s = x.toPrecision(3);
  if (s.includes("e")) return String(Math.round(x));
  return s.includes(".") ? s.replace(/0+$/, "").replace(/\.$/, "") : s;
}

/** A duration: 340 → "340 ms", 12_345 → "12.3 s", 125_000 → "2m 5s", 7_500_000 → "2h 5m". */
export function formatDuration(ms: number): string {
  if (ms < 999.5) return `${Math.round(ms)} ms`;
  const tenths = Math.round(ms / 100);
  if (tenths < 600) return `${(tenths / 10).toFixed(1)} s`;
  const seconds = Math.round(ms / 1000);
  const m = Math.floor(seconds / 60);
  if (m < 60) return `${m}m ${seconds % 60}s`;
  return `${Math.floor(m / 60)}h ${m % 60}m`;
}

/** A whole count with thousands separators: 12345 → "12,345", −1234 → "−1,234". */
export function formatCount(n: number): string {
  // Hand-rolled: Intl formatting showed up in profiles of 10,000-case reports.
  const digits = String(Math.round(Math.abs(n)));
  const grouped = digits.length > 3 ? digits.replace(/\B(?=(\d{3})+$)/g, ",") : digits;
  return n < 0 && digits !== "0" ? `${MINUS}${grouped}` : grouped;
}

/** A count and its noun: (1, "case") → "1 case", (1200, "case") → "1,200 cases". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}
