import { markdownTable } from "markdown-table";

/** A plain-text table for terminals: markdown-table's alignment without the pipes' noise. */
export function textTable(rows: string[][]): string {
  return markdownTable(rows, { align: "l" })
    .split("\n")
    .filter((_, i) => i !== 1)
    .map((l) => l.replace(/^\| /, "").replace(/ \|$/, "").replaceAll(" | ", "  "))
    .join("\n");
}
