import { parseDocument } from "yaml";
import { MAX_ALIAS_COUNT } from "./located-yaml.js";

/**
 * A golden set of thousands of cases parsed as one YAML document keeps the whole document's
 * nodes alive until the end, long enough for the garbage to be promoted: ten 1,000-case files
 * peaked at ~170 MB RSS for ~10 MB of values. Parsed a few items at a time, each document dies
 * young and the peak halves (and the CPU drops by a third).
 *
 * This is only a fast path. It takes files whose bulk is one block sequence under a top-level key
 * (`cases:` then `- ` items at one indentation) and returns undefined for any other shape and for
 * any problem at all (a syntax error, an alias across chunks, a duplicate key, an item `readItem`
 * refuses by returning undefined): the caller then parses the whole file the located way, which
 * reports the problem with its line and column.
 */
export function parseSequenceInChunks(
  text: string,
  key: string,
  itemsPerChunk = 10,
  readItem: (item: unknown) => unknown = (item) => item,
): Record<string, unknown> | undefined {
  // Offsets rather than an array of lines: a file's lines, held for the whole parse, outlive the
  // young generation and become old garbage (about 200 KB per 1,000 cases).
  const keyLine = new RegExp(`^${key}:[ ]*(#.*)?\r?$`);
  let at = -1;
  let afterKey = -1;
  const found = forEachLine(text, 0, (line, start, next) => {
    // Directives and document markers: more than one document, or settings we do not read.
    if (/^(---|\.\.\.|%)/.test(line)) return false;
    if (keyLine.test(line)) {
      if (at >= 0) return false;
      at = start;
      afterKey = next;
    }
    return true;
  });
  if (!found || at < 0) return undefined;

  // The sequence runs from the key to the first line written at column 0 that is not an item.
  const starts: number[] = [];
  let indent = -1;
  let end = text.length;
  const scanned = forEachLine(text, afterKey, (raw, start) => {
    const line = raw.replace(/\r$/, "");
    const body = line.trimStart();
    if (body === "" || body.startsWith("#")) return true;
    if (/^ *\t/.test(line)) return false;
    const depth = line.length - body.length;
    if (depth === 0 && !body.startsWith("-")) {
      end = start;
      return undefined;
    }
    if (indent < 0) indent = depth;
    if (depth < indent) return false;
    if (depth === indent) {
      if (!/^-(\s|$)/.test(body)) return false;
      starts.push(start);
    }
    return true;
  });
  if (!scanned || starts.length === 0) return undefined;

  const head = parseOne(text.slice(0, at) + text.slice(end));
  if (head === FAILED) return undefined;
  if (head !== null && (typeof head !== "object" || Array.isArray(head) || key in head))
    return undefined;
  // Each chunk's items are read (validated, for a golden set) as soon as they are parsed, so
  // what the parser made dies young and only what the caller keeps is promoted.
  const items: unknown[] = [];
  for (let c = 0; c < starts.length; c += itemsPerChunk) {
    const chunk = parseOne(text.slice(starts[c] ?? end, starts[c + itemsPerChunk] ?? end));
    if (!Array.isArray(chunk)) return undefined;
    for (const item of chunk) {
      const read = readItem(item);
      if (read === undefined) return undefined;
      items.push(read);
    }
  }
  return { ...(head as Record<string, unknown> | null), [key]: items };
}

/**
 * Calls `visit` with each line from offset `from` (without its "\n"), its start and the start
 * of the next line. `visit` returns true to go on, false to give up (the result is then false)
 * and undefined to stop there.
 */
function forEachLine(
  text: string,
  from: number,
  visit: (line: string, start: number, next: number) => boolean | undefined,
): boolean {
  let start = from;
  while (start <= text.length) {
    const nl = text.indexOf("\n", start);
    const stop = nl < 0 ? text.length : nl;
    const go = visit(text.slice(start, stop), start, stop + 1);
    if (go === false) return false;
    if (go === undefined) return true;
    start = stop + 1;
  }
  return true;
}

const FAILED = Symbol("failed");

function parseOne(text: string): unknown {
  // The closing line break: a CRLF file's last line would otherwise end in a lone CR.
  const closed = text.endsWith("\n") ? text : `${text}\n`;
  const doc = parseDocument(closed, { prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) return FAILED;
  try {
    return doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) ?? null;
  } catch {
    return FAILED;
  }
}
