import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { SampleRecord } from "../../../src/engine/run-eval.js";
import { openSampleLog, readSampleLog, sampleLogPath } from "../../../src/io/sample-log.js";

let dir: string;
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const record = (i: number): SampleRecord => ({
  prompt: "p",
  version: "v1",
  model: "m",
  case: `c${i}`,
  sample: {
    kind: "ok",
    index: 0,
    output: `answer ${i} with sk-secret-123`,
    usage: { promptTokens: 1, completionTokens: 2 },
    latencyMs: 3,
    costUsd: null,
    cached: false,
    pass: true,
    score: 1,
    assertions: [],
  },
});

describe("sample log", () => {
  it("writes one scrubbed line per sample and reads them back in order", async () => {
    dir = await mkdtemp(join(tmpdir(), "promptgate-sample-log-"));
    const file = sampleLogPath(join(dir, "out", "eval.json"));
    expect(file).toBe(join(dir, "out", "eval.samples.jsonl"));
    const log = await openSampleLog(file, (t) => t.replaceAll("sk-secret-123", "***"));
    for (let i = 0; i < 1000; i++) log.write(record(i));
    await log.close();
    const back: SampleRecord[] = [];
    for await (const r of readSampleLog(file)) back.push(r);
    expect(back).toHaveLength(1000);
    expect(back[999]?.case).toBe("c999");
    expect(back[0]?.sample).toMatchObject({ output: "answer 0 with ***" });
  });

  it("fails on close, with a code and a hint, when it could not write", async () => {
    // The log's path is a folder: every write fails, and close says so.
    const log = await openSampleLog(dir);
    log.write(record(0));
    await expect(log.close()).rejects.toMatchObject({ code: "E_IO", hint: expect.any(String) });
  });
});
