// Issue 12's runtime benchmark: `resolve()` on every request's path, and what an unchanged refresh
// from GitHub costs a running app (one conditional request answered 304, nothing parsed). CPU
// time from process.cpuUsage in this process; the GitHub stand-in runs in its own process.
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { githubSource, openPrompts, worktreeSource } from "../src/library/runtime.js";
import { ok, printTable, type Row } from "./lib.js";

const RESOLVE_TARGET = 1_000_000;
const REFRESH_TARGET_MS = 1;
const RESOLVES = 2_000_000;
const REFRESHES = 500;

const prompt = (n: number) => `---
model: gpt-4o-mini
input:
  schema: { question: string }
---
{{role "system"}}
You are support answer version ${n}.
{{role "user"}}
{{question}}
`;

/** A repository of typical size: 10 prompts × 8 versions, three environments and a canary. */
function repositoryFiles(): Record<string, string> {
  const files: Record<string, string> = { "promptgate.yaml": "version: 1\n" };
  const pins: string[] = [];
  for (let p = 0; p < 10; p++) {
    for (let v = 1; v <= 8; v++) files[`prompts/prompt-${p}/v${v}.prompt`] = prompt(v);
    pins.push(
      `      prompt-${p}:\n        version: v7\n        fallback:\n          - { model: gpt-4.1-mini }`,
    );
  }
  const canary = "      prompt-0: { version: v8 }";
  files["environments.yaml"] = `environments:
  staging:
    prompts:
${pins.join("\n").replaceAll("v7", "v8")}
  canary:
    traffic: 10
    prompts:
${canary}
  production:
    prompts:
${pins.join("\n")}
`;
  return files;
}

function cpuMs<T>(fn: () => T): { ms: number; value: T } {
  const start = process.cpuUsage();
  const value = fn();
  const used = process.cpuUsage(start);
  return { ms: (used.user + used.system) / 1000, value };
}

async function cpuMsAsync(fn: () => Promise<unknown>): Promise<number> {
  const start = process.cpuUsage();
  await fn();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

async function benchResolve(files: Record<string, string>): Promise<Row> {
  const root = await mkdtemp(join(tmpdir(), "promptgate-bench-runtime-"));
  try {
    for (const [path, text] of Object.entries(files)) {
      await mkdir(dirname(join(root, path)), { recursive: true });
      await writeFile(join(root, path), text);
    }
    const rt = await openPrompts({ source: worktreeSource(root), refreshMs: 0 });
    const keys = Array.from({ length: 1024 }, (_, i) => `user-${i}`);
    const names = Array.from({ length: 10 }, (_, i) => `prompt-${i}`);
    let sink = 0;
    const loop = (n: number) => {
      for (let i = 0; i < n; i++) {
        // Production with a key: the canary split is drawn for prompt-0, like a real request.
        sink += rt.resolve("production", names[i % 10] ?? "", keys[i & 1023]).targets.length;
      }
    };
    loop(100_000); // warm-up: the JIT, as in an app that has served a few requests
    const { ms } = cpuMs(() => loop(RESOLVES));
    rt.close();
    if (sink === 0) throw new Error("resolve returned nothing");
    const perSecond = RESOLVES / (ms / 1000);
    return {
      what: "resolve() with a key (canary split, fallbacks)",
      measured: `${(perSecond / 1e6).toFixed(2)} M calls/s`,
      target: `≥ ${(RESOLVE_TARGET / 1e6).toFixed(0)} M calls/s`,
      limit: "a sha256 per keyed call",
      verdict: ok(perSecond >= RESOLVE_TARGET),
    };
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

async function benchGitHubRefresh(files: Record<string, string>): Promise<Row[]> {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "bench/github-stand-in-server.ts", JSON.stringify(files)],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  try {
    const line = await new Promise<string>((resolve, reject) => {
      child.once("error", reject);
      child.stdout?.once("data", (d: Buffer) => resolve(d.toString().trim()));
    });
    const { url, token, repository } = JSON.parse(line) as Record<string, string>;
    let requests = 0;
    const source = githubSource({
      repository: repository ?? "",
      token,
      apiUrl: url,
      fetch: (u, init) => {
        requests++;
        return fetch(u, init);
      },
    });
    const rt = await openPrompts({ source, refreshMs: 0 });
    for (let i = 0; i < 50; i++) await rt.refresh(); // warm-up: sockets, the JIT
    requests = 0;
    const ms = await cpuMsAsync(async () => {
      for (let i = 0; i < REFRESHES; i++) {
        const r = await rt.refresh();
        if (r.changed || r.error) throw new Error("the repository changed during the benchmark");
      }
    });
    rt.close();
    const perRefresh = ms / REFRESHES;
    // The floor: the same conditional request with a bare global fetch, nothing around it.
    const envUrl = `${url}/repos/${repository}/contents/environments.yaml`;
    const headers = {
      accept: "application/vnd.github.raw",
      authorization: `Bearer ${token}`,
      "if-none-match":
        (
          await fetch(envUrl, {
            headers: { accept: "application/vnd.github.raw", authorization: `Bearer ${token}` },
          })
        ).headers.get("etag") ?? "",
    };
    const bare = async () => {
      const res = await fetch(envUrl, { headers });
      if (res.status !== 304) throw new Error(`expected a 304, got ${res.status}`);
    };
    for (let i = 0; i < 50; i++) await bare();
    const floor =
      (await cpuMsAsync(async () => {
        for (let i = 0; i < REFRESHES; i++) await bare();
      })) / REFRESHES;
    return [
      {
        what: "unchanged GitHub refresh: CPU",
        measured: `${(perRefresh * 1000).toFixed(0)} µs`,
        target: `< ${REFRESH_TARGET_MS} ms`,
        limit: `a bare fetch 304: ${(floor * 1000).toFixed(0)} µs`,
        verdict: ok(perRefresh < REFRESH_TARGET_MS),
      },
      {
        what: "unchanged GitHub refresh: requests",
        measured: (requests / REFRESHES).toFixed(2),
        target: "1 (a 304)",
        limit: "1",
        verdict: ok(requests === REFRESHES),
      },
    ];
  } finally {
    child.kill("SIGTERM");
  }
}

export async function benchRuntime(): Promise<void> {
  const files = repositoryFiles();
  const rows = [await benchResolve(files), ...(await benchGitHubRefresh(files))];
  printTable("Runtime (issue 12): resolve() and live config from GitHub", rows);
}
