// `npm run bench`: every benchmark, figures printed beside their targets and the physical limit.
// Figures come from one run on a shared machine: read ratios, not absolutes.
import { existsSync } from "node:fs";
import { benchCompare } from "./compare.js";
import { benchEval } from "./eval.js";
import { benchGrowth } from "./growth.js";
import { run } from "./lib.js";
import { benchRuntime } from "./runtime.js";
import { benchSmoke } from "./smoke.js";

if (!existsSync("dist/cli.js")) await run(process.execPath, ["scripts/build.mjs"]);
const only = process.argv[2];
if (!only || only === "eval") await benchEval();
if (!only || only === "compare") await benchCompare();
if (!only || only === "runtime") await benchRuntime();
if (!only || only === "growth") await benchGrowth();
if (!only || only === "smoke") await benchSmoke();
// The bot's benchmark starts its own stand-ins and Probot server in a separate process.
if (!only || only === "bot")
  await run(process.execPath, ["--import", "tsx", "bench/bot.ts"]).then((r) =>
    process.stdout.write(r.stdout),
  );
