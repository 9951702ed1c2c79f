/**
 * `npm run bot`: the Probot server, configured by Probot's usual variables (APP_ID, PRIVATE_KEY or
 * PRIVATE_KEY_PATH, WEBHOOK_SECRET, PORT, HOST, GHE_HOST/GHE_PROTOCOL, LOG_LEVEL), from the
 * environment or a `.env` file in the working directory, as Probot reads them.
 */
import { existsSync } from "node:fs";
import { run } from "probot";
import { createOctokitClass } from "../src/io/github/probot-client.js";
import app from "./app.js";
import { checkServerEnv, readClientOptions } from "./server-env.js";

// Probot reads `.env` too, but only inside run(): read it first so the checks see it.
if (existsSync(".env")) process.loadEnvFile(".env");
const problems = checkServerEnv(process.env);
if (problems.length > 0) {
  process.stderr.write(
    `promptgate bot: not starting.\n${problems.map((p) => `  - ${p}`).join("\n")}\n` +
      'See README.md ("Run it as a GitHub App").\n',
  );
  process.exit(2);
}
await run(app, { Octokit: createOctokitClass(readClientOptions(process.env)) });
