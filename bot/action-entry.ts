/**
 * The bot as a workflow step, for teams that host nothing: the `issue_comment` event the runner
 * saved at GITHUB_EVENT_PATH goes to the same handler as the Probot server, with an Octokit
 * authenticated by GITHUB_TOKEN. No server, no Probot: the published Probot adapter for Actions
 * lags behind Probot 14.
 */
import { appendFile, readFile } from "node:fs/promises";
import { RepoCache } from "../src/io/github/cache.js";
import { createTokenOctokit } from "../src/io/github/probot-client.js";
import type { BotLog } from "./execute-command.js";
import { handleIssueComment, type IssueCommentPayload } from "./handle-comment.js";
import { handleSignal, type RepositoryDispatchPayload } from "./handle-signal.js";
import { readClientOptions } from "./server-env.js";

const EXIT = { ok: 0, failed: 1, config: 2 } as const;

const log: BotLog = {
  info: (message, data) =>
    process.stdout.write(`${message}${data ? ` ${JSON.stringify(data)}` : ""}\n`),
  warn: (message, data) =>
    process.stdout.write(`::warning::${message}${data ? ` ${JSON.stringify(data)}` : ""}\n`),
  error: (message, data) =>
    process.stdout.write(`::error::${message}${data ? ` ${JSON.stringify(data)}` : ""}\n`),
};

async function main(env: NodeJS.ProcessEnv): Promise<number> {
  const missing = ["GITHUB_EVENT_PATH", "GITHUB_TOKEN", "GITHUB_REPOSITORY"].filter((k) => !env[k]);
  if (missing.length > 0) {
    process.stderr.write(
      `promptgate bot: ${missing.join(", ")} not set; run this as a step of a workflow triggered by issue_comment, with GITHUB_TOKEN in env (see README.md, "Run it as a workflow")\n`,
    );
    return EXIT.config;
  }
  const signal = env.GITHUB_EVENT_NAME === "repository_dispatch";
  if (env.GITHUB_EVENT_NAME && env.GITHUB_EVENT_NAME !== "issue_comment" && !signal) {
    log.info(
      `promptgate bot: ignoring a ${env.GITHUB_EVENT_NAME} event (only issue_comment and repository_dispatch)`,
    );
    return EXIT.ok;
  }
  const payload = JSON.parse(await readFile(env.GITHUB_EVENT_PATH!, "utf8")) as IssueCommentPayload;
  const fullName = `${payload.repository?.owner?.login}/${payload.repository?.name}`;
  if (fullName.toLowerCase() !== env.GITHUB_REPOSITORY!.toLowerCase()) {
    process.stderr.write(
      `promptgate bot: the event is about ${fullName}, but GITHUB_REPOSITORY is ${env.GITHUB_REPOSITORY}\n`,
    );
    return EXIT.config;
  }
  const octokit = createTokenOctokit(
    env.GITHUB_TOKEN!,
    (env.GITHUB_API_URL ?? "https://api.github.com").replace(/\/+$/, ""),
    readClientOptions(env),
  );
  if (signal) {
    // A monitoring signal (`types: [promptgate-signal]`): the same handler as the Probot server's.
    const handled = await handleSignal(payload as unknown as RepositoryDispatchPayload, {
      octokit,
      cache: new RepoCache(),
      log,
    });
    if (env.GITHUB_OUTPUT) {
      await appendFile(
        env.GITHUB_OUTPUT,
        `outcome=${handled.outcome}\n${handled.commitSha ? `commit=${handled.commitSha}\n` : ""}`,
      );
    }
    return handled.outcome === "failed" ? EXIT.failed : EXIT.ok;
  }
  const result = await handleIssueComment(payload, { octokit, cache: new RepoCache(), log });
  if (env.GITHUB_OUTPUT) {
    await appendFile(
      env.GITHUB_OUTPUT,
      `outcome=${result.outcome}\n${result.commitSha ? `commit=${result.commitSha}\n` : ""}`,
    );
  }
  return result.outcome === "failed" ? EXIT.failed : EXIT.ok;
}

process.exitCode = await main(process.env).catch((e: unknown) => {
  process.stderr.write(`promptgate bot: ${e instanceof Error ? e.message : String(e)}\n`);
  return EXIT.failed;
});
