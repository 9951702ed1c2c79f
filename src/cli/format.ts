import { markdownTable } from "markdown-table";

export function percent(x: number | null, digits = 1): string {
  return x === null ? "—" : `${(x * 100).toFixed(digits)}%`;
}

export function usd(x: number | null): string {
  if (x === null) return "unknown";
  if (x === 0) return "$0";
  if (x < 0.01) return `$${x.toPrecision(2)}`;
  if (x < 1000) return `$${x.toFixed(2)}`;
  return `$${(x / 1000).toFixed(1)}k`;
}

/** A plain-text table for terminals: markdown-table's alignment without the pipes' noise. */
export function textTable(rows: string[][]): string {
  return markdownTable(rows, { align: "l" })
    .split("\n")
    .filter((_, i) => i !== 1)
    .map((l) => l.replace(/^\| /, "").replace(/ \|$/, "").replaceAll(" | ", "  "))
    .join("\n");
}
