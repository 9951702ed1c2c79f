import { PromptgateError } from "../errors.js";
import { MAX_FILE_BYTES } from "./located-yaml.js";

/**
 * The text of a file promptgate reads, from its bytes: refused when it is over the size limit or
 * not UTF-8. A lossy decode would turn a stray byte into U+FFFD, and a prompt would then send
 * (and a golden set compare against) text nobody wrote.
 */
export function decodeFileText(bytes: Uint8Array, file: string): string {
  checkFileSize(bytes.length, file);
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    const at = firstInvalidByte(bytes);
    let line = 1;
    let lineStart = 0;
    for (let i = 0; i < at; i++) {
      if (bytes[i] === 0x0a) {
        line++;
        lineStart = i + 1;
      }
    }
    const column = new TextDecoder().decode(bytes.subarray(lineStart, at)).length + 1;
    const byte = (bytes[at] ?? 0).toString(16).padStart(2, "0");
    throw new PromptgateError("E_ENCODING", `not UTF-8: byte 0x${byte} at offset ${at}`, {
      location: { file, line, column },
      hint: "save the file as UTF-8 (without a byte order mark of another encoding)",
    });
  }
}

/** Refuses a file over the limit before it is read, when its size is known first. */
export function checkFileSize(bytes: number, file: string): void {
  if (bytes <= MAX_FILE_BYTES) return;
  throw new PromptgateError(
    "E_LIMIT",
    `the file is ${(bytes / 1024 / 1024).toFixed(1)} MB, over the ${MAX_FILE_BYTES / 1024 / 1024} MB limit: refused`,
    {
      location: { file },
      hint: "a golden set, prompt or config never needs this much: split or trim it",
    },
  );
}

/** The offset of the first byte that starts no valid UTF-8 sequence (binary search on prefixes). */
function firstInvalidByte(bytes: Uint8Array): number {
  const validPrefix = (n: number) => {
    try {
      // `stream`: a sequence cut by the prefix's end is not an error yet.
      new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(0, n), { stream: true });
      return true;
    } catch {
      return false;
    }
  };
  let lo = 0;
  let hi = bytes.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (validPrefix(mid)) lo = mid;
    else hi = mid - 1;
  }
  // `lo` bytes decode, perhaps ending inside a sequence the next byte breaks: then the bad
  // sequence starts at that sequence's lead byte.
  let at = lo;
  let back = lo - 1;
  while (back >= 0 && ((bytes[back] ?? 0) & 0xc0) === 0x80) back--;
  if (back >= 0 && (bytes[back] ?? 0) >= 0xc0) {
    const lead = bytes[back] ?? 0;
    const length = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2;
    if (back + length > lo) at = back;
  }
  return Math.min(at, bytes.length - 1);
}
