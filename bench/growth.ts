// Issue 15's benchmark: how memory and CPU grow with the number of cases, and what a rerun from
// a warm cache costs. The stand-in answers at once (0 ms) so the figures are promptgate's own.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GROWTH_PROMPT, growthGoldenSet, PER_FILE } from "./growth-files.js";
import { bundle, ok, printTable, type Row, run, startStandInProcess } from "./lib.js";

const CONCURRENCY = 100;

interface Figures {
  cases: number;
  parseCpuMs: number;
  parseRssMb: number;
  wallMs: number;
  cpuMs: number;
  maxRssMb: number;
  sent: number;
  cacheHits: number;
  errors: number;
}

async function writeGrowthRepo(cases: number): Promise<string> {
  const repo = await mkdtemp(join(tmpdir(), "promptgate-bench-growth-"));
  await writeFile(join(repo, "promptgate.yaml"), "version: 1\nrepeats: 1\n");
  await mkdir(join(repo, "evals"));
  for (let f = 0; f * PER_FILE < cases; f++) {
    await mkdir(join(repo, "prompts", `bench-${f}`), { recursive: true });
    await writeFile(join(repo, "prompts", `bench-${f}`, "v1.prompt"), GROWTH_PROMPT);
    await writeFile(join(repo, "evals", `bench-${f}.yaml`), growthGoldenSet(f, cases));
  }
  return repo;
}

/**
 * The issue's own figure: the CLI's `eval --out` as a user runs it (load the repository, check
 * the limits, run, write the result file and the sample log), peak RSS read by a preload at exit.
 */
async function measureCliEval(
  cli: string,
  baseURL: string,
  cases: number,
): Promise<{ maxRssMb: number; wallMs: number; code: number | null }> {
  const repo = await writeGrowthRepo(cases);
  try {
    const rssFile = join(repo, "max-rss");
    const preload = join(repo, "max-rss.cjs");
    await writeFile(
      preload,
      `process.on("exit", () => require("node:fs").writeFileSync(${JSON.stringify(rssFile)}, String(process.resourceUsage().maxRSS)));\n`,
    );
    const args = [cli, "eval", "--root", repo, "--no-cache", "--concurrency", String(CONCURRENCY)];
    args.push("--max-samples", String(cases), "--out", join(repo, "out", "eval.json"));
    const env = {
      ...process.env,
      NODE_OPTIONS: `--require ${preload}`,
      OPENAI_BASE_URL: baseURL,
      OPENAI_API_KEY: "bench",
    };
    const t0 = performance.now();
    // Its progress lines and table are not the bench's output.
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(process.execPath, args, { env, stdio: "ignore" });
      child.on("error", reject);
      child.on("close", resolve);
    });
    const wallMs = performance.now() - t0;
    return { maxRssMb: Number(await readFile(rssFile, "utf8")) / 1024, wallMs, code };
  } finally {
    await rm(repo, { recursive: true, force: true });
  }
}

export async function benchGrowth(): Promise<void> {
  const worker = await bundle("bench/growth-worker.ts");
  const cli = await bundle("src/cli/index.ts");
  const standIn = await startStandInProcess(0);
  const rows: Row[] = [];
  const once = async (cases: number, cacheDir = ""): Promise<Figures> => {
    const r = await run(process.execPath, [
      worker,
      standIn.baseURL,
      String(cases),
      String(CONCURRENCY),
      cacheDir,
    ]);
    if (r.code !== 0) throw new Error(`growth worker at ${cases} cases exited with ${r.code}`);
    return JSON.parse(r.stdout) as Figures;
  };
  const perCase = (f: Figures) => `${(f.cpuMs / f.cases).toFixed(3)} ms`;
  try {
    // 100,000 cases take minutes on a 2-core runner: opt in with PROMPTGATE_BENCH_100K=1.
    const sizes = process.env.PROMPTGATE_BENCH_100K === "1" ? [10_000, 100_000] : [10_000];
    for (const cases of sizes) {
      const f = await once(cases);
      const target = cases >= 100_000 ? 250 : 200;
      rows.push(
        {
          what: `peak RSS, ${cases.toLocaleString("en")} cases @ concurrency ${CONCURRENCY}`,
          measured: `${f.maxRssMb.toFixed(0)} MB`,
          target: `≤ ${target} MB`,
          limit: "~45 MB (bare node)",
          verdict: ok(f.maxRssMb <= target),
        },
        {
          // Parsing the YAML golden sets (the yaml library's documents) peaks before a request.
          what: "  of which reached while loading the golden sets",
          measured: `${f.parseRssMb.toFixed(0)} MB`,
          target: "(report)",
          limit: "",
          verdict: "",
        },
        {
          what: "  CPU per case (engine + SDK), and golden-set parsing",
          measured: `${perCase(f)}; parse ${(f.parseCpuMs / f.cases).toFixed(3)} ms`,
          target: "(report)",
          limit: `wall ${(f.wallMs / 1000).toFixed(1)} s`,
          verdict: f.errors > 0 ? `✗ ${f.errors} errors` : "",
        },
      );
    }
    {
      const cases = 10_000;
      const f = await measureCliEval(cli, standIn.baseURL, cases);
      rows.push({
        what: `peak RSS, CLI \`eval --out\`, ${cases.toLocaleString("en")} cases`,
        measured: `${f.maxRssMb.toFixed(0)} MB`,
        target: "≤ 200 MB",
        limit: `wall ${(f.wallMs / 1000).toFixed(1)} s`,
        verdict: f.code === 0 ? ok(f.maxRssMb <= 200) : `✗ exit ${f.code}`,
      });
    }
    if (process.env.PROMPTGATE_BENCH_100K !== "1")
      rows.push({
        what: "peak RSS, 100,000 cases",
        measured: "skipped",
        target: "≤ 250 MB",
        limit: "set PROMPTGATE_BENCH_100K=1",
        verdict: "",
      });
    for (const cases of [1_000, 10_000]) {
      const dir = await mkdtemp(join(tmpdir(), "promptgate-bench-cache-"));
      try {
        await once(cases, dir); // fills the cache
        const warm = await once(cases, dir);
        rows.push({
          what: `warm-cache rerun, ${cases.toLocaleString("en")} cases: CPU per case`,
          measured: `${perCase(warm)} (${warm.sent} sent, ${warm.cacheHits} hits)`,
          target: cases === 10_000 ? "≤ 0.2 ms" : "(report)",
          limit: `0 requests; parse ${(warm.parseCpuMs / cases).toFixed(3)} ms/case on top`,
          verdict: cases === 10_000 ? ok(warm.cpuMs / cases <= 0.2 && warm.sent === 0) : "",
        });
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }
  } finally {
    standIn.child.kill("SIGTERM");
  }
  // promptfoo is never a dependency: compared only when the machine has it.
  const promptfoo = existsSync("node_modules/.bin/promptfoo");
  if (!promptfoo) process.stdout.write("\npromptfoo not installed: skipped\n");
  printTable(`Growth (issue 15) — stand-in at 0 ms, concurrency ${CONCURRENCY}, repeats 1`, rows);
}
