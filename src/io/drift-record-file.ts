import { createHash } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import {
  type DriftKey,
  type DriftRecord,
  type DriftRecordStore,
  parseDriftRecord,
} from "../compare/drift.js";
import { PromptgateError } from "../errors.js";
import type { Scrub } from "../scrub.js";

/**
 * Drift records in one local JSON file (`promptgate drift --record FILE`), for a check without
 * GitHub: a cron job, a laptop. `{schema, records: {"<env>/<prompt>": record}}`. The version a
 * write names is the hash of the record as read, so a write that lost to another writer of the
 * same file is refused like the branch's compare-and-swap (within what one file system offers:
 * the rename is atomic, the read-check-write is not locked across processes).
 */
const FILE_SCHEMA = "promptgate/drift-records@1";

interface RecordsFile {
  schema: typeof FILE_SCHEMA;
  records: Record<string, DriftRecord>;
}

function keyOf(key: DriftKey): string {
  return `${key.environment}/${key.prompt}`;
}

function versionOf(record: DriftRecord): string {
  return createHash("sha256").update(JSON.stringify(record)).digest("hex");
}

async function readRecordsFile(path: string): Promise<RecordsFile> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return { schema: FILE_SCHEMA, records: {} };
    throw e;
  }
  let value: Partial<RecordsFile> | undefined;
  try {
    value = JSON.parse(text) as Partial<RecordsFile>;
  } catch {
    value = undefined;
  }
  if (!value || value.schema !== FILE_SCHEMA || typeof value.records !== "object") {
    throw new PromptgateError("E_SCHEMA", `${path} is not a drift records file (${FILE_SCHEMA})`, {
      hint: "name another --record file, or delete this one to record new baselines",
    });
  }
  const records: Record<string, DriftRecord> = {};
  for (const [k, r] of Object.entries(value.records ?? {})) {
    records[k] = parseDriftRecord(JSON.stringify(r), `${path} (${k})`);
  }
  return { schema: FILE_SCHEMA, records };
}

/** `scrub` runs over the file's text before it is written: records hold model outputs. */
export function createFileDriftStore(path: string, scrub: Scrub): DriftRecordStore {
  return {
    async read(key) {
      const file = await readRecordsFile(path);
      const record = file.records[keyOf(key)];
      return record ? { record, version: versionOf(record) } : null;
    },
    async write(record, version) {
      const file = await readRecordsFile(path);
      const k = keyOf(record);
      const current = file.records[k];
      if ((current ? versionOf(current) : null) !== version) return "conflict";
      file.records[k] = record;
      await mkdir(dirname(path), { recursive: true });
      const tmp = `${path}.${process.pid}.tmp`;
      await writeFile(tmp, scrub(`${JSON.stringify(file, null, 2)}\n`));
      await rename(tmp, path);
      return "written";
    },
  };
}
