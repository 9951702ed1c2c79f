import { createWriteStream } from "node:fs";
import { mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import { finished } from "node:stream/promises";
import { PromptgateError } from "../errors.js";
import type { Scrub } from "../scrub.js";

/**
 * `JSON.stringify(value, null, indent)` in pieces, the same text once joined: arrays and objects
 * down to `depth` levels are opened here, element by element, and what lies deeper is stringified
 * whole. A 100,000-case result file as one string is over 100 MB, and scrubbing it copies it again;
 * in pieces, a writer holds one batch at a time. Every JSON string token (a key, a value) lies
 * within one piece, so a scrubber sees each whole.
 */
export function* formatJsonPieces(
  value: unknown,
  indent = 2,
  depth = 4,
  pad = "",
): Generator<string> {
  const v = toJsonValue(value);
  if (depth <= 0 || v === null || typeof v !== "object") {
    const text = JSON.stringify(v, null, indent);
    // Raw newlines only ever separate JSON's own lines (a string's are escaped): re-indent them.
    yield pad === "" ? text : text.replaceAll("\n", `\n${pad}`);
    return;
  }
  const inner = pad + " ".repeat(indent);
  const entries: Array<[string | null, unknown]> = Array.isArray(v)
    ? v.map((x) => [null, x === undefined || typeof x === "function" ? null : x])
    : Object.entries(v).filter(([, x]) => x !== undefined && typeof x !== "function");
  const [open, close] = Array.isArray(v) ? ["[", "]"] : ["{", "}"];
  if (entries.length === 0) {
    yield `${open}${close}`;
    return;
  }
  // Without an indent, JSON.stringify puts no spaces or newlines at all.
  const nl = indent > 0 ? "\n" : "";
  const colon = indent > 0 ? ": " : ":";
  yield open;
  for (const [i, [key, x]] of entries.entries()) {
    yield `${i > 0 ? "," : ""}${nl}${indent > 0 ? inner : ""}${key === null ? "" : `${JSON.stringify(key)}${colon}`}`;
    yield* formatJsonPieces(x, indent, depth - 1, indent > 0 ? inner : "");
  }
  yield `${nl}${indent > 0 ? pad : ""}${close}`;
}

/** What JSON.stringify would serialise in place of `value` (its toJSON, if any). */
function toJsonValue(value: unknown): unknown {
  if (value !== null && typeof value === "object" && "toJSON" in value) {
    const toJSON = (value as { toJSON: unknown }).toJSON;
    if (typeof toJSON === "function") return toJSON.call(value);
  }
  return value;
}

/** Writes JSON (as formatJsonPieces) to a stream in batches, scrubbed, minding backpressure. */
export async function writeJson(
  out: NodeJS.WritableStream,
  value: unknown,
  options: { scrub?: Scrub; indent?: number; newline?: boolean } = {},
): Promise<void> {
  const scrub = options.scrub ?? ((t: string) => t);
  const BATCH = 64 * 1024;
  let batch = "";
  const flush = async () => {
    if (batch === "") return;
    const ok = out.write(scrub(batch));
    batch = "";
    if (ok === false) await new Promise<void>((resolve) => out.once("drain", resolve));
  };
  for (const piece of formatJsonPieces(value, options.indent ?? 2)) {
    batch += piece;
    if (batch.length >= BATCH) await flush();
  }
  if (options.newline ?? true) batch += "\n";
  await flush();
}

/** Writes a JSON file (pretty, with a final newline) without building it as one string. */
export async function writeJsonFile(file: string, value: unknown, scrub?: Scrub): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const out = createWriteStream(file, { flags: "w" });
  let failure: Error | undefined;
  out.on("error", (e) => {
    failure ??= e;
  });
  // A failed stream never drains: stop waiting on it and report the failure below.
  const failed = new Promise<void>((resolve) => out.once("error", () => resolve()));
  await Promise.race([writeJson(out, value, scrub ? { scrub } : {}), failed]);
  out.end();
  await finished(out).catch((e: Error) => {
    failure ??= e;
  });
  if (failure) {
    throw new PromptgateError("E_IO", `could not write ${file}: ${failure.message}`, {
      hint: "check the folder is writable and the disk has room",
      cause: failure,
    });
  }
}
