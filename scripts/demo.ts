/**
 * `npm run demo`: the whole pipeline on examples/, with no API key needed.
 *
 * Without OPENAI_API_KEY or OPENAI_BASE_URL it starts promptgate's OpenAI-compatible stand-in on
 * loopback (answers scripted by examples/stand-in.yaml, with seeded noise) and points the SDK at it;
 * with either set, the same commands run against the real endpoint. The demo builds a small git
 * repository from examples/ with a base commit and a pull-request branch, so `diff` runs on real git.
 */
import { cp, mkdir, rm } from "node:fs/promises";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { runCli } from "../src/cli/main.js";
import { git } from "../src/io/file-sources.js";
import {
  loadRules,
  rulesResponder,
  startOpenAIStandIn,
} from "../test/support/stand-ins/openai/index.js";

/** The files the demo's pull request adds: a warmer support tone (a regression) and a cheaper triage model. */
const PR_FILES = ["prompts/support-answer/v3.prompt", "prompts/ticket-triage/v2.prompt"];
const PR_BRANCH = "pr/warmer-support-tone";

const here = dirname(fileURLToPath(import.meta.url));
const projectRoot = resolve(here, "..");
const examples = join(projectRoot, "examples");
const workDir = join(projectRoot, ".promptgate", "demo");

function say(text: string): void {
  process.stdout.write(process.stdout.isTTY ? `\n\x1b[1m▶ ${text}\x1b[0m\n` : `\n▶ ${text}\n`);
}

async function main(): Promise<number> {
  const env: Record<string, string | undefined> = { ...process.env };
  let close = async () => {};
  const cacheDir = join(workDir, "cache");
  if (!env.OPENAI_API_KEY && !env.OPENAI_BASE_URL) {
    // Scripted answers change with examples/stand-in.yaml: never serve a previous demo's.
    await rm(cacheDir, { recursive: true, force: true });
    const standIn = await startOpenAIStandIn({
      seed: 7,
      latencyMs: 15,
      responder: rulesResponder(await loadRules(join(examples, "stand-in.yaml"))),
    });
    close = () => standIn.close();
    env.OPENAI_BASE_URL = standIn.baseURL;
    process.stdout.write(
      [
        "No OPENAI_API_KEY or OPENAI_BASE_URL: the answers below come from promptgate's LLM stand-in",
        `on ${standIn.baseURL}, scripted by examples/stand-in.yaml with seeded noise — not a real model.`,
        "Set OPENAI_API_KEY (or OPENAI_BASE_URL for vLLM/Ollama/LiteLLM) to run the same demo for real.",
        "",
      ].join("\n"),
    );
  } else {
    process.stdout.write(
      `Using the model endpoint ${env.OPENAI_BASE_URL ?? "https://api.openai.com/v1"}.\n`,
    );
  }

  try {
    const repo = join(workDir, "repo");
    await buildDemoRepository(repo);
    const cli = (args: string[]) =>
      runCli(args, { cwd: repo, env, stdout: process.stdout, stderr: process.stderr });

    say("promptgate validate");
    if ((await cli(["validate"])) !== 0) return 1;

    say("promptgate cost   (estimate before sending anything)");
    await cli(["cost"]);

    say("promptgate eval   (the latest version of every prompt)");
    await cli(["eval", "--cache-dir", cacheDir, "--out", join(workDir, "eval.json")]);

    // The suites of examples/promptgate.yaml: what every push would run, from the cache just filled.
    say("promptgate eval --suite smoke   (critical and smoke cases: what every push runs)");
    await cli(["eval", "--suite", "smoke", "--cache-dir", cacheDir]);

    say(`promptgate diff --base main --head ${PR_BRANCH}   (what the pull request changes)`);
    const outDir = join(workDir, "report");
    const code = await cli([
      "diff",
      "--base",
      "main",
      "--head",
      PR_BRANCH,
      "--cache-dir",
      cacheDir,
      "--out-dir",
      outDir,
    ]);
    process.stdout.write(
      `\nReports: ${relative(process.cwd(), join(outDir, "report.html"))} (open it in a browser), comment.md, summary.md, report.json\n`,
    );
    process.stdout.write(
      code === 1
        ? "The diff exits 1: a gate blocks this pull request, as it should (support-answer v3 regresses).\n"
        : `The diff exited ${code}.\n`,
    );
    return 0;
  } finally {
    await close();
  }
}

/** examples/ as a git repository: main holds the base, the PR branch adds PR_FILES. */
async function buildDemoRepository(repo: string): Promise<void> {
  await rm(repo, { recursive: true, force: true });
  await mkdir(repo, { recursive: true });
  await cp(examples, repo, {
    recursive: true,
    filter: (src) =>
      !PR_FILES.some((f) => src === join(examples, f)) && !src.endsWith("stand-in.yaml"),
  });
  const g = (...args: string[]) =>
    git(repo, ["-c", "user.name=Demo", "-c", "user.email=demo@example.com", ...args]);
  await g("init", "-q", "-b", "main");
  await g("config", "commit.gpgsign", "false");
  await g("add", "-A");
  await g("commit", "-q", "-m", "Acme support prompts");
  await g("checkout", "-q", "-b", PR_BRANCH);
  for (const f of PR_FILES) await cp(join(examples, f), join(repo, f));
  await g("add", "-A");
  await g(
    "commit",
    "-q",
    "-m",
    "support-answer v3: warmer tone; ticket-triage v2: sharper rules on gpt-4.1-nano",
  );
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(
      `demo failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
    );
    process.exitCode = 4;
  },
);
