import type { ClientOptions } from "../src/io/github/client.js";
import { readProxySettings } from "../src/io/proxy.js";

/** What is missing before the server may start, one line each, for the terminal. */
export function checkServerEnv(env: NodeJS.ProcessEnv): string[] {
  const problems: string[] = [];
  if (!env.WEBHOOK_SECRET) {
    problems.push(
      "WEBHOOK_SECRET is not set: without it anyone who can reach the server could forge commands. " +
        "Set it to the webhook secret of your GitHub App.",
    );
  }
  if (!env.APP_ID) {
    problems.push("APP_ID is not set: the App ID from your GitHub App's settings page.");
  }
  if (!env.PRIVATE_KEY && !env.PRIVATE_KEY_PATH) {
    problems.push("PRIVATE_KEY (or PRIVATE_KEY_PATH) is not set: the app's private key (.pem).");
  }
  return problems;
}

/**
 * The GitHub client settings from the environment: `PROMPTGATE_GITHUB_TIMEOUT_S` (default 10)
 * and `PROMPTGATE_THROTTLE=off` to drop Probot's spacing of writes (about 1 s apart).
 */
export function readClientOptions(env: NodeJS.ProcessEnv): ClientOptions {
  const seconds = Number(env.PROMPTGATE_GITHUB_TIMEOUT_S ?? "10");
  return {
    timeoutMs: Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 10_000,
    throttle: env.PROMPTGATE_THROTTLE !== "off",
    proxy: readProxySettings(env),
  };
}
