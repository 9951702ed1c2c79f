import { diffWords } from "diff";
import { escapeHtml } from "./escape.js";

/** Beyond this many edits a word diff reads worse than the two texts side by side, and costs more. */
const MAX_EDIT_LENGTH = 4000;

export interface WordChange {
  text: string;
  op: "same" | "removed" | "added";
}

export function diffOutputs(base: string, head: string): WordChange[] {
  const changes = diffWords(base, head, { maxEditLength: MAX_EDIT_LENGTH });
  if (changes === undefined) {
    return [
      { text: base, op: "removed" },
      { text: head, op: "added" },
    ];
  }
  return changes.map((c) => ({
    text: c.value,
    op: c.added ? "added" : c.removed ? "removed" : "same",
  }));
}

/** The diff as escaped HTML with `<del>`/`<ins>`: GitHub keeps both tags, and so does a browser. */
export function renderWordDiffHtml(base: string, head: string): string {
  return diffOutputs(base, head)
    .map((c) => {
      const text = escapeHtml(c.text);
      if (c.op === "same") return text;
      return c.op === "added" ? `<ins>${text}</ins>` : `<del>${text}</del>`;
    })
    .join("");
}
