import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";

/** Bundles a bench entry like the shipped bundles, so figures describe what users run. */
export async function bundle(entry: string): Promise<string> {
  const outdir = await mkdtemp(join(tmpdir(), "promptgate-bench-"));
  const outfile = join(outdir, "worker.mjs");
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: "node",
    target: "node20",
    format: "esm",
    minify: true,
    logLevel: "warning",
    banner: {
      js: "import { createRequire as __r } from 'node:module'; const require = __r(import.meta.url);",
    },
    external: ["bufferutil", "utf-8-validate"],
  });
  return outfile;
}

export function run(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ stdout: string; code: number | null; wallMs: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { env, stdio: ["ignore", "pipe", "inherit"] });
    let stdout = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ stdout, code, wallMs: performance.now() - t0 }));
  });
}

/** Starts the stand-in in its own process; resolves with its base URL. */
export async function startStandInProcess(
  latencyMs: number,
): Promise<{ baseURL: string; child: ChildProcess }> {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "bench/stand-in-server.ts", String(latencyMs)],
    {
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  const baseURL = await new Promise<string>((resolve, reject) => {
    child.once("error", reject);
    child.stdout?.once("data", (d: Buffer) => resolve(d.toString().trim()));
  });
  return { baseURL, child };
}

export interface Row {
  what: string;
  measured: string;
  target: string;
  limit: string;
  verdict: string;
}

export function printTable(title: string, rows: Row[]): void {
  const header: Row = {
    what: "measure",
    measured: "measured",
    target: "target",
    limit: "physical limit",
    verdict: "",
  };
  const all = [header, ...rows];
  const w = (k: keyof Row) => Math.max(...all.map((r) => r[k].length));
  process.stdout.write(`\n${title}\n`);
  for (const r of all) {
    process.stdout.write(
      `  ${r.what.padEnd(w("what"))}  ${r.measured.padEnd(w("measured"))}  ${r.target.padEnd(w("target"))}  ${r.limit.padEnd(w("limit"))}  ${r.verdict}\n`,
    );
  }
}

export const ok = (pass: boolean) => (pass ? "✓ meets target" : "✗ misses target");
