import { deflateRawSync, inflateRawSync } from "node:zlib";
import {
  type Document,
  isAlias,
  isMap,
  isNode,
  isPair,
  isScalar,
  LineCounter,
  parseDocument,
  visit,
} from "yaml";
import type { z } from "zod";
import { PromptgateError, PromptgateErrors, type SourceLocation } from "../errors.js";

/**
 * Parses YAML and validates it with a zod schema, turning every problem into an error that names
 * the file, line and column of the offending node — users fix files, not zod paths.
 */
export interface ParsedYaml<T> {
  value: T;
  doc: Document.Parsed;
  lineCounter: LineCounter;
}

export interface ParseOptions {
  /** Lines before the YAML text in its file (front matter starts after `---`). */
  lineOffset?: number;
}

/*
 * Limits for files a pull request writes. Each is far above any real golden set, prompt or
 * config, and far below what would stall a CI job: a 2 MB file parses in well under a second, an
 * alias bomb would expand a few hundred bytes into gigabytes, and deep nesting overflows the
 * parser's stack after seconds of work.
 */
export const MAX_FILE_BYTES = 2 * 1024 * 1024;
export const MAX_NESTING = 100;
export const MAX_ALIAS_COUNT = 100;
const LIMIT_HINT =
  "a golden set, prompt or config never needs this much: check what wrote the file";

export function parseYaml<S extends z.ZodType>(
  text: string,
  file: string,
  schema: S,
  options: ParseOptions = {},
): ParsedYaml<z.output<S>> {
  const offset = options.lineOffset ?? 0;
  try {
    checkTextLimits(text, file, offset);
  } catch (e) {
    // Callers collect PromptgateErrors from a parse (a prompt file reports its template too).
    throw e instanceof PromptgateError ? new PromptgateErrors([e]) : e;
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(stripBom(text), { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new PromptgateErrors(
      doc.errors.map((e) => {
        const pos = lineCounter.linePos(e.pos[0]);
        return new PromptgateError("E_YAML", e.message.split("\n")[0] ?? e.message, {
          location: { file, line: pos.line + offset, column: pos.col },
          hint: "fix the YAML syntax (indentation, quotes, a colon after each key)",
        });
      }),
    );
  }
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) ?? {};
  } catch (e) {
    // yaml throws a ReferenceError when aliases would expand past the limit (a "billion laughs").
    if (!(e instanceof ReferenceError)) throw e;
    throw new PromptgateErrors([
      new PromptgateError(
        "E_LIMIT",
        `aliases expand too far (over ${MAX_ALIAS_COUNT} times the document): refused`,
        {
          location: firstAlias(doc, lineCounter, file, offset) ?? { file, line: 1 + offset },
          hint: `write the values out, or use fewer aliases; ${LIMIT_HINT}`,
        },
      ),
    ]);
  }
  const result = schema.safeParse(raw);
  if (!result.success) {
    throw new PromptgateErrors(
      result.error.issues.map((issue) => issueToError(issue, doc, lineCounter, file, offset)),
    );
  }
  return { value: result.data, doc, lineCounter };
}

/** Maps a path in a parsed file to where it stands: a value, or a map's key. */
export interface Locator {
  /** The value at `path`, or its nearest existing ancestor. */
  at(path: readonly (string | number)[]): SourceLocation;
  /** The key `key` of the map at `path`; the map itself when the key is absent. */
  key(path: readonly (string | number)[], key: string): SourceLocation;
  /** Whether the file writes `path` (a default is not written). */
  has(path: readonly (string | number)[]): boolean;
}

export function locator(
  parsed: Pick<ParsedYaml<unknown>, "doc" | "lineCounter">,
  file: string,
  options: ParseOptions = {},
): Locator {
  const { doc, lineCounter } = parsed;
  const offset = options.lineOffset ?? 0;
  return {
    at: (path) => locate(doc, lineCounter, [...path], file, offset),
    key: (path, key) =>
      locateKey(doc, lineCounter, [...path], key, file, offset) ??
      locate(doc, lineCounter, [...path], file, offset),
    has: (path) => doc.hasIn(path),
  };
}

/**
 * A locator that keeps only the text and parses it again on first use. A parsed document holds
 * its nodes and ranges, about 5 KB per golden-set case against 0.9 KB for the cases themselves,
 * for the whole run; a location is asked for only when something is wrong. The text itself is as
 * large as the cases, so a big one is kept deflated, off the JS heap, at about a fifteenth of
 * its size (under 1 µs per case to pack).
 */
export function lazyLocator(text: string, file: string, options: ParseOptions = {}): Locator {
  let kept: string | Buffer = packText(text);
  let parsed: Locator | undefined;
  const get = () => {
    if (!parsed) {
      const source = typeof kept === "string" ? kept : inflateRawSync(kept).toString("utf8");
      kept = "";
      const lineCounter = new LineCounter();
      const doc = parseDocument(stripBom(source), {
        lineCounter,
        prettyErrors: false,
        uniqueKeys: true,
      });
      parsed = locator({ doc, lineCounter }, file, options);
    }
    return parsed;
  };
  return {
    at: (path) => get().at(path),
    key: (path, key) => get().key(path, key),
    has: (path) => get().has(path),
  };
}

const PACK_MIN_CHARS = 16 * 1024;

/** The text deflated when that is worth it and exact (a lone surrogate has no UTF-8 form). */
function packText(text: string): string | Buffer {
  const wellFormed = (text as unknown as { isWellFormed(): boolean }).isWellFormed();
  if (text.length < PACK_MIN_CHARS || !wellFormed) return text;
  return deflateRawSync(Buffer.from(text, "utf8"), { level: 1 });
}

/**
 * Size and nesting, checked on the text before the parser sees it: the parser recurses per level
 * and would spend seconds before overflowing its stack. The nesting measured is an upper bound
 * of the document's (indentation steps, `- ` items on one line, open brackets), so a file that
 * passes cannot nest deeper.
 */
export function checkTextLimits(text: string, file: string, lineOffset = 0): void {
  // UTF-16 units: at most the file's bytes, at least half of them (the sources check bytes).
  if (text.length > MAX_FILE_BYTES) {
    throw new PromptgateError(
      "E_LIMIT",
      `the file is over ${MAX_FILE_BYTES / 1024 / 1024} MB: refused`,
      { location: { file }, hint: `split it, or trim it; ${LIMIT_HINT}` },
    );
  }
  const indents: number[] = [];
  let flow = 0;
  let line = 0;
  // Line by line from offsets, and char by char by index: an array of a big file's lines and an
  // iterator step per character were most of what loading a golden set left to collect here.
  for (let start = 0, nl = 0; nl >= 0; start = nl + 1) {
    nl = text.indexOf("\n", start);
    const raw = text.slice(start, nl < 0 ? text.length : nl);
    line++;
    const body = raw.trimStart();
    if (body === "" || body.startsWith("#")) continue;
    const indent = raw.length - body.length;
    while (indents.length > 0 && (indents.at(-1) ?? 0) >= indent) indents.pop();
    indents.push(indent);
    const items = /^(?:-\s+)*/.exec(body)?.[0].replace(/\s+/g, "").length ?? 0;
    let quote: string | undefined;
    let deepest = flow;
    for (let i = 0; i < body.length; i++) {
      // UTF-16 units: the characters looked for are ASCII, which no surrogate half equals.
      const ch = body[i];
      if (quote) {
        if (ch === quote) quote = undefined;
      } else if (ch === '"' || ch === "'") quote = ch;
      else if (ch === "#") break;
      else if (ch === "[" || ch === "{") deepest = Math.max(deepest, ++flow);
      else if ((ch === "]" || ch === "}") && flow > 0) flow--;
    }
    if (indents.length + items + deepest > MAX_NESTING) {
      throw new PromptgateError("E_LIMIT", `nested more than ${MAX_NESTING} levels deep: refused`, {
        location: { file, line: line + lineOffset },
        hint: `flatten the structure; ${LIMIT_HINT}`,
      });
    }
  }
}

function firstAlias(
  doc: Document.Parsed,
  lineCounter: LineCounter,
  file: string,
  offset: number,
): SourceLocation | undefined {
  let found: SourceLocation | undefined;
  visit(doc, {
    Alias(_key, node) {
      if (!isAlias(node) || !node.range) return;
      const pos = lineCounter.linePos(node.range[0]);
      found = { file, line: pos.line + offset, column: pos.col };
      return visit.BREAK;
    },
  });
  return found;
}

export function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

function issueToError(
  issue: z.core.$ZodIssue,
  doc: Document.Parsed,
  lineCounter: LineCounter,
  file: string,
  offset: number,
): PromptgateError {
  const path = issue.path.filter((p): p is string | number => typeof p !== "symbol");
  let location = locate(doc, lineCounter, path, file, offset);
  let message = issue.message;
  const where = path.length > 0 ? ` at ${path.join(".")}` : "";
  if (issue.code === "unrecognized_keys") {
    const key = issue.keys[0] ?? "";
    location = locateKey(doc, lineCounter, path, key, file, offset) ?? location;
    const keys = issue.keys.map((k) => `"${k}"`).join(", ");
    message = `unknown key ${keys}${where}`;
    return new PromptgateError("E_SCHEMA", message, {
      location,
      hint: "remove it or check its spelling; unknown keys are errors so typos are never ignored",
    });
  }
  return new PromptgateError("E_SCHEMA", `${message}${where}`, { location });
}

/** The position of the value at `path`, or of its nearest existing ancestor. */
function locate(
  doc: Document.Parsed,
  lineCounter: LineCounter,
  path: (string | number)[],
  file: string,
  offset: number,
): SourceLocation {
  for (let n = path.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
    if (isNode(node) && node.range) {
      const pos = lineCounter.linePos(node.range[0]);
      return { file, line: pos.line + offset, column: pos.col };
    }
  }
  return { file, line: 1 + offset, column: 1 };
}

function locateKey(
  doc: Document.Parsed,
  lineCounter: LineCounter,
  path: (string | number)[],
  key: string,
  file: string,
  offset: number,
): SourceLocation | undefined {
  const map = path.length === 0 ? doc.contents : doc.getIn(path, true);
  if (!isMap(map)) return undefined;
  for (const item of map.items) {
    if (isPair(item) && isScalar(item.key) && String(item.key.value) === key && item.key.range) {
      const pos = lineCounter.linePos(item.key.range[0]);
      return { file, line: pos.line + offset, column: pos.col };
    }
  }
  return undefined;
}
