import { resolve } from "node:path";
import { type DriftRecordStore, type DriftResult, runDrift } from "../../compare/drift.js";
import { checkRunLimits, describeWork } from "../../compare/run-limits.js";
import { checkDriftPins } from "../../cost/model-aliases.js";
import { PromptgateError, PromptgateErrors } from "../../errors.js";
import { loadRepo, requireSettingsFile } from "../../formats/repo.js";
import { describeSuiteCount } from "../../formats/suites.js";
import { createFileDriftStore } from "../../io/drift-record-file.js";
import { worktreeSource } from "../../io/file-sources.js";
import { createRestClient } from "../../io/github/client.js";
import { createGitHubDriftStore, DEFAULT_RECORDS_BRANCH } from "../../io/github/drift-records.js";
import { createMarkedIssueTracker } from "../../io/github/issues.js";
import { createEngineModels } from "../../io/model-stack.js";
import { formatUsd, plural } from "../../numbers.js";
import {
  DRIFT_ISSUE_LABEL,
  type DriftContext,
  type DriftIssueAction,
  renderDriftLines,
  syncDriftIssues,
} from "../../report/drift-issue.js";
import { LIMIT_FLAGS, LIMIT_USAGE, parseFlags, readLimitFlags, toInt } from "../args.js";
import { type CliIo, type Command, EXIT, type ExitCode } from "../io.js";
import { createProgressReporter } from "../progress.js";
import { writeWarnings } from "./validate.js";

const usage = `promptgate drift (--record FILE | --repository OWNER/NAME) [--env ENV]... [--repeats N]
                [--records-branch BRANCH] [--issue-label LABEL] [--run-url URL]
                [--root DIR] [--base-url URL] [--concurrency N] [--suite NAME]
                ${LIMIT_USAGE}

Runs what each environment serves (its pinned version on its pinned model) on the golden set and
compares it with the recorded results of the same pin, with the same paired statistics as a pull
request. The first run of a pin records it and compares nothing. The response cache is never
used: a drift check asks the model again.
Records: --record FILE keeps them in a local JSON file; --repository keeps them on the
repository's records branch (default ${DEFAULT_RECORDS_BRANCH}, written through the contents API
with GITHUB_TOKEN at GITHUB_API_URL) and opens one issue per environment and prompt on a drop,
updates it on the next drop, and comments and closes it once quality is back.
Before anything is sent, a checked pin (or its fallback) on an undated model alias is warned of;
with lint: { model-aliases: error } in promptgate.yaml the check refuses to run.
Exits 1 when a pin dropped (or the lint refused), 3 when too many samples errored to compare.`;

export const driftCommand: Command = {
  name: "drift",
  summary: "check what each environment serves against its recorded results; open/close issues",
  usage,
  async run(argv, io) {
    const { values } = parseFlags(
      argv,
      {
        ...LIMIT_FLAGS,
        root: { type: "string" },
        "base-url": { type: "string" },
        concurrency: { type: "string" },
        help: { type: "boolean", short: "h" },
        env: { type: "string", multiple: true },
        repeats: { type: "string" },
        record: { type: "string" },
        repository: { type: "string" },
        "records-branch": { type: "string" },
        "issue-label": { type: "string" },
        "run-url": { type: "string" },
        suite: { type: "string" },
      },
      usage,
    );
    if (values.help) {
      io.stdout.write(`${usage}\n`);
      return EXIT.ok;
    }
    if (!values.record === !values.repository) {
      throw new PromptgateError(
        "E_USAGE",
        "drift needs exactly one place for its records: --record FILE or --repository OWNER/NAME",
        { hint: `usage: ${usage.split("\n")[0]}` },
      );
    }
    const root = resolve(io.cwd, values.root ?? ".");
    await requireSettingsFile(worktreeSource(root), root);
    const repo = await loadRepo(worktreeSource(root));
    // Before any request: with `lint.model-aliases: error` a pin on an alias is refused (exit 1).
    const lint = await checkDriftPins(repo, values.env);
    if (lint.errors.length > 0) throw new PromptgateErrors(lint.errors);
    writeWarnings(io.stderr, lint.warnings);
    // A drift check must reach the model: a cached answer is the answer of the day it was cached.
    const models = createEngineModels(
      root,
      repo.settings,
      {
        baseUrl: values["base-url"],
        concurrency: toInt(values.concurrency, "--concurrency", 1, 1000),
        noCache: true,
      },
      io.env,
    );
    const github = values.repository ? openGitHub(values.repository, io) : undefined;
    const store: DriftRecordStore = github
      ? createGitHubDriftStore(
          github.client,
          github.repo,
          models.scrub,
          values["records-branch"] ?? DEFAULT_RECORDS_BRANCH,
        )
      : createFileDriftStore(resolve(io.cwd, values.record ?? ""), models.scrub);
    const limits = { ...repo.settings.limits, ...readLimitFlags(values) };
    const progress = createProgressReporter(io.stderr, "drift");
    const result = await runDrift({
      repo,
      settings: repo.settings,
      environments: values.env,
      ...(values.suite === undefined ? {} : { suite: values.suite }),
      repeats: toInt(values.repeats, "--repeats", 1, 100),
      engine: { ...models, onProgress: (p) => progress.update(p) },
      store,
      now: () => new Date(),
      ...(values["run-url"] ? { runUrl: values["run-url"] } : {}),
      checkTargets: async (targets) => {
        const work = await checkRunLimits(targets, limits, repo.settings.prices);
        io.stderr.write(`planned: ${describeWork(work)}\n`);
      },
    });
    if (result.suite) io.stderr.write(`${describeSuiteCount(result.suite)}\n`);
    progress.done({
      done: result.requests.sent + result.requests.cacheHits,
      total: result.requests.sent + result.requests.cacheHits,
      errors: result.requests.errors,
      cacheHits: result.requests.cacheHits,
    });
    const context: DriftContext = {
      checkedAt: new Date().toISOString(),
      costUsd: result.costUsd,
      requests: result.requests,
      ...(values["run-url"] ? { runUrl: values["run-url"] } : {}),
    };
    const actions = github
      ? await syncDriftIssues(
          result,
          createMarkedIssueTracker(
            github.client,
            github.repo,
            values["issue-label"] ?? DRIFT_ISSUE_LABEL,
          ),
          context,
        )
      : [];
    io.stdout.write(`${models.scrub(renderDriftText(result, actions))}\n`);
    return exitOfDrift(result, io);
  },
};

function openGitHub(repository: string, io: CliIo) {
  const m = /^([\w.-]+)\/([\w.-]+)$/.exec(repository);
  if (!m?.[1] || !m[2]) {
    throw new PromptgateError("E_USAGE", `--repository must be OWNER/NAME, got "${repository}"`);
  }
  const token = io.env.GITHUB_TOKEN;
  if (!token) {
    throw new PromptgateError("E_CONFIG", "--repository needs GITHUB_TOKEN", {
      hint: "export GITHUB_TOKEN (contents: write for the records branch, issues: write)",
    });
  }
  const apiUrl = io.env.GITHUB_API_URL ?? "https://api.github.com";
  return {
    client: createRestClient(token, apiUrl, { userAgent: "promptgate-cli" }),
    repo: { owner: m[1], repo: m[2] },
  };
}

export function renderDriftText(result: DriftResult, actions: DriftIssueAction[]): string {
  const lines = renderDriftLines(result);
  for (const a of actions) {
    if (a.kind === "none") continue;
    lines.push(
      `${a.key.environment} ${a.key.prompt}: issue #${a.issue.number} ${a.kind}: ${a.issue.url}`,
    );
  }
  const { sent, cacheHits, errors } = result.requests;
  lines.push(
    "",
    `${plural(sent, "request")} sent, ${cacheHits} from cache, ${errors} errors; cost ${formatUsd(result.costUsd)}`,
  );
  return lines.join("\n");
}

function exitOfDrift(result: DriftResult, io: CliIo): ExitCode {
  const drops = result.outcomes.filter((o) => o.status === "drop");
  if (drops.length > 0) {
    io.stderr.write(
      `promptgate drift: dropped: ${drops.map((o) => `${o.environment}/${o.prompt}`).join(", ")}\n`,
    );
    return EXIT.blocked;
  }
  const errored = result.outcomes.filter((o) => o.status === "errors");
  if (errored.length > 0) {
    io.stderr.write(
      `promptgate drift: errors: ${errored.map((o) => `${o.environment}/${o.prompt}`).join(", ")}: too many samples errored to compare\n`,
    );
    return EXIT.errors;
  }
  return EXIT.ok;
}
