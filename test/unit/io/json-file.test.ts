import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatJsonPieces, writeJson, writeJsonFile } from "../../../src/io/json-file.js";
import { createScrubber } from "../../../src/scrub.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "promptgate-json-file-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const values: unknown[] = [
  null,
  0,
  "a\nb",
  [],
  {},
  [1, undefined, () => 1, [[], {}], { a: [] }],
  { a: undefined, b: null, c: { d: [1, { e: "x\n  y", f: [[[["deep"]]]] }] }, "1": true },
  { when: new Date(0), nested: { when: new Date(1) }, list: [new Date(2)] },
  {
    schema: "promptgate/eval-result@1",
    runs: [
      {
        prompt: "p",
        cases: [
          {
            id: "c0",
            tags: [],
            vars: { q: "what?" },
            samples: [{ kind: "ok", output: '"quoted"\n' }],
          },
          { id: "c1", tags: ["t"], vars: {}, samples: [] },
        ],
        totals: { costUsd: null },
      },
    ],
    suite: undefined,
  },
];

describe("JSON in pieces", () => {
  it("joins to exactly what JSON.stringify gives, pretty or compact", () => {
    for (const v of values) {
      for (const indent of [0, 2, 4]) {
        expect([...formatJsonPieces(v, indent)].join("")).toBe(JSON.stringify(v, null, indent));
      }
    }
  });

  it("opens the outer levels piece by piece, so no piece holds the whole", () => {
    const big = { runs: [{ cases: Array.from({ length: 1000 }, (_, i) => ({ id: `c${i}` })) }] };
    const pieces = [...formatJsonPieces(big)];
    expect(pieces.length).toBeGreaterThan(1000);
    expect(Math.max(...pieces.map((p) => p.length))).toBeLessThan(100);
  });

  it("writes a file with a final newline, scrubbed, and a stream without one when asked", async () => {
    const secret = "sk-abcdefghijklmnopqrstuvwx";
    const value = { runs: [{ cases: [{ output: `key ${secret}` }] }] };
    const file = join(dir, "sub", "eval.json");
    await writeJsonFile(file, value, createScrubber([secret]));
    const text = await readFile(file, "utf8");
    expect(text).toBe(`${JSON.stringify(value, null, 2).replace(secret, "***")}\n`);

    const out = new PassThrough();
    let got = "";
    out.on("data", (d) => {
      got += d;
    });
    await writeJson(out, value, { indent: 0, newline: false });
    expect(got).toBe(JSON.stringify(value));
  });

  it("fails with E_IO when the file cannot be written", async () => {
    // A folder where the file should be: the stream fails, and the failure is not lost.
    await expect(writeJsonFile(dir, { a: 1 })).rejects.toMatchObject({ code: "E_IO" });
  });
});
