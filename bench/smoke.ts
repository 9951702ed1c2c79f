// Issue 11's benchmark: the demo's smoke suite on a warm cache, as every push would run it.
// `promptgate eval --suite smoke` twice on a copy of examples/ with one cache folder, against the
// LLM stand-in scripted like the demo; the second run's whole-process CPU time and requests.
import { execFile } from "node:child_process";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import {
  loadRules,
  rulesResponder,
  startOpenAIStandIn,
} from "../test/support/stand-ins/openai/index.js";
import { ok, printTable, type Row } from "./lib.js";

const TARGET_CPU_MS = 1000;

/*
 * Loaded with --import before the CLI: the process's own user+sys time at exit, start-up and
 * imports included (what CI pays), not the wall clock, which a shared machine stretches.
 */
const CPU_PRELOAD = `import { writeFileSync } from "node:fs";
process.on("exit", () => {
  const { user, system } = process.cpuUsage();
  writeFileSync(process.env.PROMPTGATE_BENCH_CPU_FILE, JSON.stringify({ user, system }));
});
`;

export async function benchSmoke(): Promise<void> {
  const examples = resolve("examples");
  const work = await mkdtemp(join(tmpdir(), "promptgate-smoke-"));
  // In this process: its CPU never counts against the CLI's, and its request log is the count.
  const standIn = await startOpenAIStandIn({
    seed: 1,
    responder: rulesResponder(await loadRules(join(examples, "stand-in.yaml"))),
  });
  try {
    const repo = join(work, "repo");
    await cp(examples, repo, { recursive: true, filter: (src) => !src.endsWith("stand-in.yaml") });
    const preload = join(work, "cpu.mjs");
    await writeFile(preload, CPU_PRELOAD);
    const cpuFile = join(work, "cpu.json");
    const env = {
      ...process.env,
      OPENAI_BASE_URL: standIn.baseURL,
      OPENAI_API_KEY: "bench",
      PROMPTGATE_BENCH_CPU_FILE: cpuFile,
    };
    const args = [
      "--import",
      pathToFileURL(preload).href,
      resolve("dist/cli.js"),
      "eval",
      "--root",
      repo,
      "--suite",
      "smoke",
      "--cache-dir",
      join(work, "cache"),
    ];
    const smoke = async () => {
      const before = standIn.requests.length;
      const t0 = performance.now();
      // The demo's support-answer@v3 fails min-pass-rate on purpose: exit 1 is a verdict here.
      const r = await promisify(execFile)(process.execPath, args, { env, cwd: repo }).catch(
        (e: { stdout: string; stderr: string; code: number }) => e,
      );
      const wallMs = performance.now() - t0;
      const cpu = JSON.parse(await readFile(cpuFile, "utf8")) as { user: number; system: number };
      return {
        cpuMs: (cpu.user + cpu.system) / 1000,
        wallMs,
        requests: standIn.requests.length - before,
        footer: /\d+ requests sent, \d+ from cache, \d+ errors/.exec(r.stdout)?.[0] ?? "",
        suite: /suite smoke: \d+ of \d+ cases/.exec(r.stderr)?.[0] ?? "",
      };
    };
    const cold = await smoke();
    const warm = await smoke();
    const rows: Row[] = [
      {
        what: `cold run (${cold.suite}): fills the cache`,
        measured: `${cold.requests} requests, ${(cold.cpuMs / 1000).toFixed(2)} s CPU`,
        target: "(report)",
        limit: "",
        verdict: "",
      },
      {
        what: "warm run: process CPU (user+sys)",
        measured: `${(warm.cpuMs / 1000).toFixed(2)} s (wall ${(warm.wallMs / 1000).toFixed(2)} s)`,
        target: `< ${(TARGET_CPU_MS / 1000).toFixed(1)} s`,
        limit: "~0.1 s (node -e 0)",
        verdict: ok(warm.cpuMs < TARGET_CPU_MS),
      },
      {
        what: "warm run: requests to the model",
        measured: `${warm.requests} (${warm.footer})`,
        target: "0",
        limit: "0",
        verdict: ok(warm.requests === 0),
      },
    ];
    printTable("Smoke suite on a warm cache (issue 11): the demo's examples/", rows);
  } finally {
    await standIn.close();
    await rm(work, { recursive: true, force: true });
  }
}
