import { randomBytes, randomUUID } from "node:crypto";
import { appendFile, mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { ResponseStore } from "../engine/response-cache.js";

const KEY = /^[0-9a-f]{64}$/;

/**
 * Responses on disk as `dir/<first 2 hex>/<other 62 hex>.json` (git's fan-out, so no directory
 * grows to hundreds of thousands of entries). Writes go to a temporary file that is renamed into
 * place, so a crash or two parallel runs never leave half an entry; an entry that cannot be read
 * or parsed is a miss (as is one of the wrong shape, which the cache checks), and the next
 * success overwrites it.
 *
 * Beside the entries, `index.jsonl` holds every entry written, one `<key>\t<entry>` line each,
 * read once per run: a rerun whose samples are all cached reads one file instead of opening one
 * per sample. The index is only a faster way to the same bytes: the integrity tag is checked on
 * what it serves as on an entry file, a line that does not parse is skipped, a later line for a
 * key wins, and a key it lacks (an older cache) is read from its file and added.
 */
export function createDiskStore(dir: string): ResponseStore {
  const pathOf = (key: string) => {
    // Keys come from sha256; checking them keeps every path inside `dir` whatever a caller passes.
    if (!KEY.test(key)) throw new Error(`invalid cache key ${JSON.stringify(key)}`);
    return join(dir, key.slice(0, 2), `${key.slice(2)}.json`);
  };

  const indexFile = join(dir, INDEX_FILE);
  let index: Promise<Map<string, string>> | undefined;
  const loadIndex = () => {
    index ??= readFile(indexFile, "utf8").then(parseIndex, () => new Map<string, string>());
    return index;
  };
  // One write per line with O_APPEND: two runs appending together never interleave within a line.
  const addToIndex = async (key: string, text: string) => {
    (await loadIndex()).set(key, text);
    await appendFile(indexFile, `${key}\t${text}\n`);
  };

  return {
    async get(key) {
      const indexed = (await loadIndex()).get(key);
      if (indexed !== undefined) {
        try {
          return JSON.parse(indexed) as unknown;
        } catch {
          // An unreadable line is a miss here as in a file: fall through to the entry's file.
        }
      }
      let text: string;
      try {
        text = (await readFile(pathOf(key), "utf8")).trim();
      } catch {
        return undefined;
      }
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        return undefined;
      }
      await addToIndex(key, text).catch(() => undefined);
      return value;
    },
    async put(key, value) {
      const file = pathOf(key);
      await mkdir(join(dir, key.slice(0, 2)), { recursive: true });
      const text = JSON.stringify(value);
      const temp = `${file}.${randomUUID()}.tmp`;
      try {
        await writeFile(temp, `${text}\n`);
        await rename(temp, file);
      } catch (e) {
        await rm(temp, { force: true });
        throw e;
      }
      await addToIndex(key, text);
    },
  };
}

const INDEX_FILE = "index.jsonl";

function parseIndex(text: string): Map<string, string> {
  const entries = new Map<string, string>();
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf("\n", start);
    if (end === -1) end = text.length; // a last line cut short by a crash: its JSON will not parse
    const key = text.slice(start, start + 64);
    if (text.charCodeAt(start + 64) === 9 && KEY.test(key))
      entries.set(key, text.slice(start + 65, end));
    start = end + 1;
  }
  return entries;
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
