/**
 * Escaping for text we did not write: model outputs, assertion reasons, case ids and tags. A model
 * output is untrusted input to the comment: it must not close our HTML blocks, split a table row,
 * start a code span, render as math or ping people.
 */

const HTML_ENTITIES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

// One pass for entities and stray controls: this runs over every output of every case.
const HTML_UNSAFE = /[&<>"'\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g;

export function escapeHtml(text: string): string {
  const lf = text.includes("\r") ? text.replace(/\r\n?/g, "\n") : text;
  return lf.replace(HTML_UNSAFE, (ch) => HTML_ENTITIES[ch] ?? "\ufffd");
}

/**
 * For markdown text outside code: one line, HTML-escaped, and every character that markdown or
 * GitHub give a meaning to written as a numeric entity. Entities work in table cells (a `\|` does
 * too, but not inside code spans), in raw HTML blocks and in paragraphs alike.
 */
export function escapeMarkdownInline(text: string): string {
  const oneLine = text
    .replace(/\s*[\r\n]+\s*/g, " ")
    // A zero-width space after "@" and "#" keeps an output from mentioning people or issues.
    .replace(/([@#])(?=[\w-])/g, "$1\u200b");
  return escapeHtml(oneLine).replace(/[\\`*_[\]|~$]/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/** Inline code without backticks (a code span cannot hold an escaped backtick or a pipe in a table). */
export function code(text: string): string {
  return `<code>${escapeMarkdownInline(text)}</code>`;
}

/** A fenced code block whose fence no line of the content can close. */
export function fence(content: string, lang = ""): string {
  let longest = 0;
  for (const m of content.matchAll(/`+/g)) longest = Math.max(longest, m[0].length);
  const ticks = "`".repeat(Math.max(3, longest + 1));
  const body = cleanControls(content).replace(/\n+$/, "");
  return `${ticks}${lang}\n${body}\n${ticks}`;
}

/** Only http(s) links, with the characters that end a markdown link destination encoded. */
export function safeUrl(url: string): string | null {
  if (!/^https?:\/\/[^\s]+$/i.test(url)) return null;
  return url.replace(/[()<>"'`\\|]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** C0 controls other than tab and newline, and lone CR, carry nothing a reader needs. */
export function cleanControls(text: string): string {
  return text
    .replace(/\r\n?/g, "\n")
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, "\ufffd");
}

/** Cuts long text at a character boundary (not inside a surrogate pair) and says how much is gone. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return `${text.slice(0, end)}… [${(text.length - end).toLocaleString("en-US")} more characters]`;
}
