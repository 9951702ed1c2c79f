/**
 * Dollar amounts for reports: small amounts keep two significant digits ("$0.0012"), cents show
 * from $1 ("$1.23"), thousands and millions are shortened to three digits ("$12.3k", "$1.25M").
 * An unknown cost reads "unknown", never "$0".
 */
export function formatUsd(n: number | null): string {
  if (n === null || !Number.isFinite(n)) return "unknown";
  if (n < 0) return `-${formatUsd(-n)}`;
  if (n === 0) return "$0";
  if (n < 1) {
    const decimals = Math.min(12, Math.max(2, 1 - Math.floor(Math.log10(n))));
    return `$${n.toFixed(decimals)}`;
  }
  if (n < 1000) return `$${n.toFixed(2)}`;
  if (n < 999_500) return `$${trimPrecision(n / 1000)}k`;
  if (n < 999_500_000) return `$${trimPrecision(n / 1_000_000)}M`;
  return `$${trimPrecision(n / 1_000_000_000)}B`;
}

/** Three significant digits, without exponent notation or trailing zeros ("1.20" → "1.2"). */
function trimPrecision(x: number): string {
  const s = x.toPrecision(3);
  if (s.includes("e")) return String(Math.round(x));
  return s.includes(".") ? s.replace(/0+$/, "").replace(/\.$/, "") : s;
}
