import { markdownTable } from "markdown-table";

export function percent(x: number | null, digits = 1): string {
  return x === null ? "—" : `${(x * 100).toFixed(digits)}%`;
}

/** A plain-text table for terminals: markdown-table's alignment without the pipes' noise. */
export function textTable(rows: string[][]): string {
  return markdownTable(rows, { align: "l" })
    .split("\n")
    .filter((_, i) => i !== 1)
    .map((l) => l.replace(/^\| /, "").replace(/ \|$/, "").replaceAll(" | ", "  "))
    .join("\n");
}
