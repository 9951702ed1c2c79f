import { createHash } from "node:crypto";
import { appendFile, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { deriveCacheSecret, withIntegrity } from "../../../src/engine/response-cache.js";
import { createDiskStore } from "../../../src/io/disk-cache.js";

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});
const tempDir = async () => {
  const d = await mkdtemp(join(tmpdir(), "promptgate-disk-cache-"));
  dirs.push(d);
  return d;
};
const keyOf = (s: string) => createHash("sha256").update(s).digest("hex");
const entryFile = (dir: string, key: string) => join(dir, key.slice(0, 2), `${key.slice(2)}.json`);

describe("the disk cache's index", () => {
  it("serves a rerun from index.jsonl alone, read once: the entry files are not opened", async () => {
    const dir = await tempDir();
    const writer = createDiskStore(dir);
    const keys = ["a", "b", "c"].map(keyOf);
    for (const [i, k] of keys.entries()) await writer.put(k, { n: i });
    // The entry files gone, a new run still finds every answer: it reads the index only.
    for (const k of keys) await rm(entryFile(dir, k));
    const reader = createDiskStore(dir);
    expect(await Promise.all(keys.map((k) => reader.get(k)))).toEqual([
      { n: 0 },
      { n: 1 },
      { n: 2 },
    ]);
    expect((await readFile(join(dir, "index.jsonl"), "utf8")).trim().split("\n")).toHaveLength(3);
  });

  it("reads an older cache's entry files and adds them to the index; the last line for a key wins", async () => {
    const dir = await tempDir();
    const [k1, k2] = [keyOf("one"), keyOf("two")];
    await createDiskStore(dir).put(k1, { v: "old" });
    await rm(join(dir, "index.jsonl"));
    expect(await createDiskStore(dir).get(k1)).toEqual({ v: "old" });
    expect(await readFile(join(dir, "index.jsonl"), "utf8")).toContain(k1);
    const store = createDiskStore(dir);
    await store.put(k2, { v: 1 });
    await store.put(k2, { v: 2 });
    expect(await createDiskStore(dir).get(k2)).toEqual({ v: 2 });
  });

  it("skips a line cut short by a crash, and an entry it lacks is a miss", async () => {
    const dir = await tempDir();
    const k = keyOf("k");
    await createDiskStore(dir).put(k, { v: 1 });
    await appendFile(join(dir, "index.jsonl"), `${keyOf("torn")}\t{"v":`);
    const store = createDiskStore(dir);
    expect(await store.get(k)).toEqual({ v: 1 });
    expect(await store.get(keyOf("torn"))).toBeUndefined();
    expect(await store.get(keyOf("never"))).toBeUndefined();
  });

  it("refuses a tampered index line as it refuses a tampered file: the integrity tag is checked", async () => {
    const dir = await tempDir();
    const secret = deriveCacheSecret("sk-test");
    const k = keyOf("request");
    await withIntegrity(createDiskStore(dir), secret).put(k, { output: "honest" });
    expect(await withIntegrity(createDiskStore(dir), secret).get(k)).toEqual({ output: "honest" });
    // Someone who can write the folder edits the answer in the index, keeping the old tag.
    const index = join(dir, "index.jsonl");
    await writeFile(index, (await readFile(index, "utf8")).replace("honest", "forged"));
    expect(await withIntegrity(createDiskStore(dir), secret).get(k)).toBeUndefined();
    // And one that signs with another key gets a miss too.
    await withIntegrity(createDiskStore(dir), deriveCacheSecret("sk-attacker")).put(k, {
      output: "forged",
    });
    expect(await withIntegrity(createDiskStore(dir), secret).get(k)).toBeUndefined();
  });
});
