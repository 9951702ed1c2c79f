import { parseDocument } from "yaml";
import { MAX_ALIAS_COUNT } from "./located-yaml.js";

/**
 * A golden set of thousands of cases parsed as one YAML document keeps the whole document's
 * nodes alive until the end, long enough for the garbage to be promoted: ten 1,000-case files
 * peaked at ~170 MB RSS for ~10 MB of values. Parsed a few dozen items at a time, each document
 * dies young and the peak halves (and the CPU drops by a third).
 *
 * This is only a fast path. It takes files whose bulk is one block sequence under a top-level key
 * (`cases:` then `- ` items at one indentation) and returns undefined for any other shape and for
 * any problem at all (a syntax error, an alias across chunks, a duplicate key): the caller then
 * parses the whole file the located way, which reports the problem with its line and column.
 */
export function parseSequenceInChunks(
  text: string,
  key: string,
  itemsPerChunk = 50,
): Record<string, unknown> | undefined {
  const lines = text.split("\n");
  const keyLine = new RegExp(`^${key}:[ ]*(#.*)?\r?$`);
  let at = -1;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? "";
    // Directives and document markers: more than one document, or settings we do not read.
    if (/^(---|\.\.\.|%)/.test(line)) return undefined;
    if (keyLine.test(line)) {
      if (at >= 0) return undefined;
      at = i;
    }
  }
  if (at < 0) return undefined;

  // The sequence runs from the key to the first line written at column 0 that is not an item.
  const starts: number[] = [];
  let indent = -1;
  let end = at + 1;
  for (; end < lines.length; end++) {
    const line = (lines[end] ?? "").replace(/\r$/, "");
    const body = line.trimStart();
    if (body === "" || body.startsWith("#")) continue;
    if (/^ *\t/.test(line)) return undefined;
    const depth = line.length - body.length;
    if (depth === 0 && !body.startsWith("-")) break;
    if (indent < 0) indent = depth;
    if (depth < indent) return undefined;
    if (depth === indent) {
      if (!/^-(\s|$)/.test(body)) return undefined;
      starts.push(end);
    }
  }
  if (starts.length === 0) return undefined;

  const head = parseOne([...lines.slice(0, at), ...lines.slice(end)].join("\n"));
  if (head === FAILED) return undefined;
  if (head !== null && (typeof head !== "object" || Array.isArray(head) || key in head))
    return undefined;
  const items: unknown[] = [];
  for (let c = 0; c < starts.length; c += itemsPerChunk) {
    const from = starts[c] ?? end;
    const to = starts[c + itemsPerChunk] ?? end;
    const chunk = parseOne(lines.slice(from, to).join("\n"));
    if (!Array.isArray(chunk)) return undefined;
    for (const item of chunk) items.push(item);
  }
  return { ...(head as Record<string, unknown> | null), [key]: items };
}

const FAILED = Symbol("failed");

function parseOne(text: string): unknown {
  // The closing line break: a CRLF file's last line would otherwise end in a lone CR.
  const doc = parseDocument(`${text}\n`, { prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) return FAILED;
  try {
    return doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) ?? null;
  } catch {
    return FAILED;
  }
}
