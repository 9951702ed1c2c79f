import { randomUUID } from "node:crypto";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { ResponseStore } from "../engine/response-cache.js";

const KEY = /^[0-9a-f]{64}$/;

/**
 * Responses on disk as `dir/<first 2 hex>/<other 62 hex>.json` (git's fan-out, so no directory
 * grows to hundreds of thousands of entries). Writes go to a temporary file that is renamed into
 * place, so a crash or two parallel runs never leave half an entry; an entry that cannot be read
 * or parsed is a miss (as is one of the wrong shape, which the cache checks), and the next
 * success overwrites it.
 */
export function createDiskStore(dir: string): ResponseStore {
  const pathOf = (key: string) => {
    // Keys come from sha256; checking them keeps every path inside `dir` whatever a caller passes.
    if (!KEY.test(key)) throw new Error(`invalid cache key ${JSON.stringify(key)}`);
    return join(dir, key.slice(0, 2), `${key.slice(2)}.json`);
  };

  return {
    async get(key) {
      try {
        return JSON.parse(await readFile(pathOf(key), "utf8")) as unknown;
      } catch {
        return undefined;
      }
    },
    async put(key, value) {
      const file = pathOf(key);
      await mkdir(join(dir, key.slice(0, 2)), { recursive: true });
      const temp = `${file}.${randomUUID()}.tmp`;
      try {
        await writeFile(temp, `${JSON.stringify(value)}\n`);
        await rename(temp, file);
      } catch (e) {
        await rm(temp, { force: true });
        throw e;
      }
    },
  };
}
