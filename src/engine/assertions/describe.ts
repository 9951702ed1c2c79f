/** Short quoted excerpts for assertion reasons: enough to recognise the text, never a whole output. */
export function quote(text: string, max = 60): string {
  return JSON.stringify(truncate(text, max));
}

export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = text.slice(0, max);
  // Never leave half of a surrogate pair (an emoji) at the cut.
  const last = cut.charCodeAt(cut.length - 1);
  if (last >= 0xd800 && last <= 0xdbff) cut = cut.slice(0, -1);
  return `${cut}…`;
}

/** The text around a match, so a reader sees where a forbidden phrase appeared. */
export function excerptAround(text: string, index: number, length: number, radius = 25): string {
  const start = Math.max(0, index - radius);
  const end = Math.min(text.length, index + length + radius);
  const body = text.slice(start, end);
  return JSON.stringify(`${start > 0 ? "…" : ""}${body}${end < text.length ? "…" : ""}`);
}
