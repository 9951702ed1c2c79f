import { type Document, LineCounter } from "yaml";
import type { z } from "zod";
import { type SourceLocation } from "../errors.js";
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
export declare const MAX_FILE_BYTES: number;
export declare const MAX_NESTING = 100;
export declare const MAX_ALIAS_COUNT = 100;
export declare function parseYaml<S extends z.ZodType>(text: string, file: string, schema: S, options?: ParseOptions): ParsedYaml<z.output<S>>;
/** Maps a path in a parsed file to where it stands: a value, or a map's key. */
export interface Locator {
    /** The value at `path`, or its nearest existing ancestor. */
    at(path: readonly (string | number)[]): SourceLocation;
    /** The key `key` of the map at `path`; the map itself when the key is absent. */
    key(path: readonly (string | number)[], key: string): SourceLocation;
    /** Whether the file writes `path` (a default is not written). */
    has(path: readonly (string | number)[]): boolean;
}
export declare function locator(parsed: Pick<ParsedYaml<unknown>, "doc" | "lineCounter">, file: string, options?: ParseOptions): Locator;
/**
 * A locator that keeps only the text and parses it again on first use. A parsed document holds
 * its nodes and ranges, about 5 KB per golden-set case against 0.9 KB for the cases themselves,
 * for the whole run; a location is asked for only when something is wrong. The text itself is as
 * large as the cases, so a big one is kept deflated, off the JS heap, at about a fifteenth of
 * its size (under 1 µs per case to pack).
 */
export declare function lazyLocator(text: string, file: string, options?: ParseOptions): Locator;
/**
 * Size and nesting, checked on the text before the parser sees it: the parser recurses per level
 * and would spend seconds before overflowing its stack. The nesting measured is an upper bound
 * of the document's (indentation steps, `- ` items on one line, open brackets), so a file that
 * passes cannot nest deeper.
 */
export declare function checkTextLimits(text: string, file: string, lineOffset?: number): void;
export declare function stripBom(text: string): string;
