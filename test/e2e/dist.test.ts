import { execFile } from "node:child_process";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { expect, it } from "vitest";

/** The committed bundles are what users run: they must be exactly what `npm run build` makes. */
it("dist/ is up to date with the sources (run `npm run build` and commit dist/)", async () => {
  const out = await mkdtemp(join(tmpdir(), "promptgate-dist-"));
  try {
    await promisify(execFile)(process.execPath, ["scripts/build.mjs", "--outdir", out]);
    const list = async (dir: string) =>
      (await readdir(dir, { recursive: true, withFileTypes: true }))
        .filter((e) => e.isFile())
        .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
        .sort();
    const fresh = await list(out);
    expect(await list("dist")).toEqual(fresh);
    for (const file of fresh) {
      const same = (await readFile(join(out, file))).equals(await readFile(join("dist", file)));
      expect(same, `dist/${file} is stale`).toBe(true);
    }
  } finally {
    await rm(out, { recursive: true, force: true });
  }
});
