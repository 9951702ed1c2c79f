/**
 * The bot's benchmark: webhook → reply for `/rollback production`, through a real Probot server
 * (createNodeMiddleware on node:http) against the GitHub stand-in at 0 added latency.
 *
 *   node --import tsx bench/bot.ts [--commands 200]
 *
 * Two runs of N commands each:
 *   warm  `/rollback production to v3|v4`, alternating: only the bot's own commits move the
 *         branch, so every read after the first is answered from the content-addressed cache
 *         behind one `GET git/ref` (the steady state of a repository where the bot does the deploys)
 *   fresh `/rollback production` after a person ships by hand before each command (outside the
 *         timing), so each command meets a branch head it has never seen
 * Time is from POSTing the signed webhook to Probot's answer, which comes after the reply and the
 * reaction swap. Calls are every request the stand-in served during the command. Throttling is
 * off (Probot's default spaces writes ~1 s apart) and the stand-in's OpenAPI checks are off (the
 * tests keep them on); both are test-side settings, not the bot's work.
 */
import { parseArgs } from "node:util";
import {
  buildPayload,
  createRolloutRepo,
  DEFAULT_ROLES,
  deliver,
  environmentsYaml,
  startBot,
  typedAfterReading,
} from "../test/support/bot-harness.js";
import { startGitHubStandIn } from "../test/support/stand-ins/github/index.js";

const { values } = parseArgs({ options: { commands: { type: "string", default: "200" } } });
const N = Number(values.commands);
const TARGET_P95_MS = 300;
const TARGET_CALLS = 10;

const gh = await startGitHubStandIn({ validate: false });
const bot = await startBot(gh, { client: { timeoutMs: 10_000, retries: 0 } });

interface Sample {
  ms: number;
  calls: number;
  outcome: string | undefined;
  operations: string[];
}

async function runScenario(
  name: string,
  command: (i: number) => string,
  before?: (i: number) => Promise<void>,
): Promise<Sample[]> {
  const repo = await createRolloutRepo(gh, "bench", name);
  for (const [user, role] of Object.entries(DEFAULT_ROLES)) gh.setRole("bench", name, user, role);
  const issue = gh.createIssue("bench", name, { title: "bench" });
  const samples: Sample[] = [];
  for (let i = 0; i < N; i++) {
    await before?.(i);
    // Dated past the bot's race margin, as a person who read the last reply would type it.
    const payload = typedAfterReading(
      buildPayload(gh, repo, { body: command(i), user: "writer", issueNumber: issue }),
    );
    const from = gh.requests.length;
    const handled = bot.results.length;
    const t0 = performance.now();
    const res = await deliver(bot.url, payload);
    const ms = performance.now() - t0;
    if (res.status !== 200) throw new Error(`webhook answered ${res.status}: ${res.text}`);
    const requests = gh.requests.slice(from);
    samples.push({
      ms,
      calls: requests.length,
      outcome: bot.results[handled]?.outcome,
      operations: requests.map((r) => r.operation ?? `${r.method} ${r.path}`),
    });
  }
  return samples;
}

function percentile(sorted: number[], p: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

function report(name: string, samples: Sample[]): void {
  const applied = samples.filter((s) => s.outcome === "applied").length;
  // The first command of a process also fetches an installation token and fills the cache.
  const steady = samples.slice(1);
  const ms = steady.map((s) => s.ms).sort((a, b) => a - b);
  const calls = steady.map((s) => s.calls);
  const p50 = percentile(ms, 50);
  const p95 = percentile(ms, 95);
  const meanCalls = calls.reduce((a, b) => a + b, 0) / calls.length;
  const maxCalls = Math.max(...calls);
  const mark = (ok: boolean) => (ok ? "ok " : "MISS");
  console.log(`\n${name}: ${samples.length} commands, ${applied} applied`);
  console.log(`  p50 webhook → reply   ${p50.toFixed(1).padStart(7)} ms`);
  console.log(
    `  p95 webhook → reply   ${p95.toFixed(1).padStart(7)} ms   target < ${TARGET_P95_MS} ms  ${mark(p95 < TARGET_P95_MS)}`,
  );
  console.log(
    `  GitHub calls/command  ${meanCalls.toFixed(1).padStart(7)} mean, ${maxCalls} max   target ≤ ${TARGET_CALLS}  ${mark(maxCalls <= TARGET_CALLS)}`,
  );
  console.log(
    `  first command: ${samples[0]!.ms.toFixed(0)} ms, ${samples[0]!.calls} calls (token + cold cache)`,
  );
  console.log(
    `  calls of a typical command: ${steady[Math.floor(steady.length / 2)]!.operations.join(", ")}`,
  );
}

try {
  const warm = await runScenario(
    "warm",
    (i) => `/rollback production to ${i % 2 === 0 ? "v3" : "v4"}`,
  );
  const fresh = await runScenario(
    "fresh",
    () => "/rollback production",
    async (i) => {
      await gh.commitFiles(
        "bench",
        "fresh",
        { "environments.yaml": environmentsYaml({ production: i % 2 === 0 ? "v5" : "v6" }) },
        { message: "Ship by hand", author: "alice" },
      );
    },
  );
  console.log(
    `promptgate bot benchmark (Node ${process.version}, stand-in at 0 latency, throttling off)`,
  );
  report("warm (the bot's own commits only)", warm);
  report("fresh (a hand-made commit before each command)", fresh);
} finally {
  await bot.close();
  await gh.close();
}
