import { randomBytes, randomUUID } from "node:crypto";
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

const SECRET_FILE = "secret";

/**
 * The cache's own tag key, for a run without an API key to derive one from (a keyless local
 * server: Ollama, vLLM). A random key kept in the cache folder (mode 0600) and created on first
 * use. A pull request cannot plant it: its files are tracked, and a cache folder that holds
 * tracked files is refused (checkCacheDir); and it is never written anywhere a report goes.
 * The alternative, a fixed key, would let anyone who reads this code sign entries.
 */
export async function readOrCreateCacheSecret(dir: string): Promise<Uint8Array> {
  const file = join(dir, SECRET_FILE);
  try {
    const hex = (await readFile(file, "utf8")).trim();
    if (/^[0-9a-f]{64}$/.test(hex)) return Buffer.from(hex, "hex");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
  }
  await mkdir(dir, { recursive: true });
  const fresh = randomBytes(32).toString("hex");
  try {
    // `wx`: of two runs starting together, one creates the key and the other reads it.
    await writeFile(file, `${fresh}\n`, { flag: "wx", mode: 0o600 });
    return Buffer.from(fresh, "hex");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    return Buffer.from((await readFile(file, "utf8")).trim(), "hex");
  }
}
