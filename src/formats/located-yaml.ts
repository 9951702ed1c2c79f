import { type Document, isMap, isNode, isPair, isScalar, LineCounter, parseDocument } from "yaml";
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

export function parseYaml<S extends z.ZodType>(
  text: string,
  file: string,
  schema: S,
  options: ParseOptions = {},
): ParsedYaml<z.output<S>> {
  const lineCounter = new LineCounter();
  const doc = parseDocument(stripBom(text), { lineCounter, prettyErrors: false, uniqueKeys: true });
  const offset = options.lineOffset ?? 0;
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
  const raw = doc.toJS({ maxAliasCount: 100 }) ?? {};
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
