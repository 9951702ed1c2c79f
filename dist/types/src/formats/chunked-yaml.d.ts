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
export declare function parseSequenceInChunks(text: string, key: string, itemsPerChunk?: number, readItem?: (item: unknown) => unknown): Record<string, unknown> | undefined;
