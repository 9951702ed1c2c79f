import { createReadStream, createWriteStream } from "node:fs";
import { mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import { createInterface } from "node:readline";
import { finished } from "node:stream/promises";
import type { SampleRecord } from "../engine/run-eval.js";
import { PromptgateError } from "../errors.js";
import type { Scrub } from "../scrub.js";

/**
 * A run's samples as JSON Lines, one line per sample as it completes (engine's onSample). The
 * file holds every output and assertion reason, so a long run's detail lives on disk rather than
 * in memory, and a run that dies halfway leaves what it had.
 */
export interface SampleLog {
  file: string;
  write(record: SampleRecord): void;
  /** Flushes and closes; rejects when any write failed. */
  close(): Promise<void>;
}

/** Where a result file's samples go: beside it, `eval.json` -> `eval.samples.jsonl`. */
export function sampleLogPath(resultFile: string): string {
  return `${resultFile.replace(/\.json$/i, "")}.samples.jsonl`;
}

export async function openSampleLog(file: string, scrub: Scrub = (t) => t): Promise<SampleLog> {
  await mkdir(dirname(file), { recursive: true });
  const out = createWriteStream(file, { flags: "w" });
  let failure: Error | undefined;
  out.on("error", (e) => {
    failure ??= e;
  });
  return {
    file,
    // Not awaited: a line is small and the engine must not wait on the disk; Node buffers it.
    write(record) {
      if (!failure) out.write(`${scrub(JSON.stringify(record))}\n`);
    },
    async close() {
      out.end();
      // `finished`, not end's callback: a stream that already failed never calls that back.
      await finished(out).catch((e: Error) => {
        failure ??= e;
      });
      if (failure) {
        throw new PromptgateError(
          "E_IO",
          `could not write the sample log ${file}: ${failure.message}`,
          { hint: "check the folder is writable and the disk has room", cause: failure },
        );
      }
    },
  };
}

/** Reads a sample log back one record at a time, so a reader's memory stays flat too. */
export async function* readSampleLog(file: string): AsyncGenerator<SampleRecord> {
  const lines = createInterface({ input: createReadStream(file, "utf8"), crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.trim() === "") continue;
    yield JSON.parse(line) as SampleRecord;
  }
}
