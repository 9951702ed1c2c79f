// Runs 1 prompt × N cases, repeats 1, through the real engine and SDK, and reports its own CPU and
// peak RSS as JSON. Bundled by bench/run.ts so it measures what users run, not a TS loader.

import { runEval } from "../src/engine/run-eval.js";
import { parseGoldenSet } from "../src/formats/golden-set.js";
import { parsePromptFile } from "../src/formats/prompt-file.js";
import { createOpenAIModels } from "../src/io/openai-client.js";

const [baseURL = "", casesArg = "1000", concurrencyArg = "10"] = process.argv.slice(2);
const cases = Number(casesArg);
const concurrency = Number(concurrencyArg);

const version = parsePromptFile(
  `---\nmodel: gpt-4o-mini-2024-07-18\nconfig: { temperature: 0.2, maxOutputTokens: 100 }\n---\n{{role "system"}}\nAnswer briefly.\n{{role "user"}}\n{{question}}\n`,
  "prompts/bench/v1.prompt",
  "bench",
  "v1",
);
const lines = ["cases:"];
for (let i = 0; i < cases; i++) {
  lines.push(`  - id: case-${i}`, `    vars: { question: "What is item ${i}?" }`, "    assert:");
  lines.push(
    `      - { type: icontains, value: "item ${i}" }`,
    `      - { type: regex, value: "\\\\d+" }`,
  );
}
const set = parseGoldenSet(lines.join("\n"), "evals/bench.yaml");

const models = createOpenAIModels({ baseURL, apiKey: "bench", timeoutMs: 30_000, maxRetries: 0 });
const targets = [
  { version, goldenSet: { prompt: "bench", file: "evals/bench.yaml", set }, repeats: 1 },
];
const deps = { chat: models, prices: {}, concurrency };

async function measure() {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const result = await runEval(targets, deps, "bench");
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { wallMs, cpuMs: (cpu.user + cpu.system) / 1000, result };
}

// The first run is what a CI job pays: a fresh process, code still cold. The second, in the same
// process, shows the steady state once V8 has compiled the hot paths (reported, not a target).
const cold = await measure();
const maxRssMb = process.resourceUsage().maxRSS / 1024;
const warm = await measure();
const run = cold.result.runs[0];
process.stdout.write(
  `${JSON.stringify({
    wallMs: cold.wallMs,
    cpuMs: cold.cpuMs,
    warmWallMs: warm.wallMs,
    warmCpuMs: warm.cpuMs,
    maxRssMb,
    errors: cold.result.requests.errors + warm.result.requests.errors,
    passRate: run?.totals.passRate,
  })}\n`,
);
