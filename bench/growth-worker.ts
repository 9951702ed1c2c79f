// Issue 15's growth benchmark, one process per run: N cases in golden sets of 1,000 (one prompt
// each, as a team with many prompts has; one file of 100,000 cases is over the 2 MB file limit),
// repeats 1, through the real engine, SDK and (when a cache folder is given) the real disk cache
// with its integrity tags. Prints its own figures as JSON. Bundled like the shipped bundles.

import { runEval } from "../src/engine/run-eval.js";
import { parseGoldenSet } from "../src/formats/golden-set.js";
import { parsePromptFile } from "../src/formats/prompt-file.js";
import { parseSettings } from "../src/formats/settings.js";
import { createModelStack } from "../src/io/model-stack.js";
import { GROWTH_PROMPT, growthGoldenSet, PER_FILE } from "./growth-files.js";

const [baseURL = "", casesArg = "10000", concurrencyArg = "100", cacheDir = ""] =
  process.argv.slice(2);
const cases = Number(casesArg);
const concurrency = Number(concurrencyArg);

const cpuAt = () => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
};

const parse0 = cpuAt();
const targets = [];
for (let f = 0; f * PER_FILE < cases; f++) {
  const prompt = `bench-${f}`;
  const version = parsePromptFile(GROWTH_PROMPT, `prompts/${prompt}/v1.prompt`, prompt, "v1");
  const file = `evals/${prompt}.yaml`;
  const set = parseGoldenSet(growthGoldenSet(f, cases), file);
  targets.push({ version, goldenSet: { prompt, file, set }, repeats: 1 });
}
const parseCpuMs = cpuAt() - parse0;
// Peak so far: what loading the golden sets alone costs, before the engine starts.
const parseRssMb = process.resourceUsage().maxRSS / 1024;

const settings = parseSettings("version: 1\nrepeats: 1\n", "promptgate.yaml");
const env = { OPENAI_API_KEY: "bench" };
const stack = createModelStack(
  process.cwd(),
  settings,
  cacheDir ? { baseUrl: baseURL, cacheDir } : { baseUrl: baseURL, noCache: true },
  env,
);
const cpu0 = cpuAt();
const t0 = performance.now();
const result = await runEval(targets, { chat: stack.chat, prices: {}, concurrency }, "bench");
const wallMs = performance.now() - t0;
const cpuMs = cpuAt() - cpu0;
process.stdout.write(
  `${JSON.stringify({
    cases,
    parseCpuMs,
    parseRssMb,
    wallMs,
    cpuMs,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
    sent: result.requests.sent,
    cacheHits: result.requests.cacheHits,
    errors: result.requests.errors,
  })}\n`,
);
