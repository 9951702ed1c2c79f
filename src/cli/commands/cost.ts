import { resolve } from "node:path";
import { assumeCompletionTokens, type CostEstimate, estimateCost } from "../../cost/estimate.js";
import { countChatTokens } from "../../cost/tokens.js";
import { selectTargets } from "../../engine/select-targets.js";
import { renderPrompt } from "../../formats/prompt-file.js";
import { loadRepo, requireSettingsFile } from "../../formats/repo.js";
import { worktreeSource } from "../../io/file-sources.js";
import { formatCount, formatUsd } from "../../numbers.js";
import { parseFlags, toInt } from "../args.js";
import { textTable } from "../format.js";
import { type Command, EXIT } from "../io.js";

const usage = `promptgate cost [--prompt NAME[@VERSION]]... [--env ENV] [--repeats N] [--json] [--root DIR]

Estimates, before anything is sent, the tokens and cost of an eval run and of a month of the
traffic in promptgate.yaml. Prompt tokens are counted exactly with gpt-tokenizer on each rendered
case; completion tokens are assumed at the prompt's maxOutputTokens (a ceiling, so estimates err high).`;

export const costCommand: Command = {
  name: "cost",
  summary: "estimate tokens and cost of a run and of a month of traffic",
  usage,
  async run(argv, io) {
    const { values } = parseFlags(
      argv,
      {
        root: { type: "string" },
        prompt: { type: "string", multiple: true },
        env: { type: "string" },
        repeats: { type: "string" },
        json: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
      usage,
    );
    if (values.help) {
      io.stdout.write(`${usage}\n`);
      return EXIT.ok;
    }
    const root = resolve(io.cwd, values.root ?? ".");
    await requireSettingsFile(worktreeSource(root), root);
    const repo = await loadRepo(worktreeSource(root));
    const targets = selectTargets(repo, {
      prompts: values.prompt ?? [],
      env: values.env,
      repeats: toInt(values.repeats, "--repeats", 1, 100),
    });
    const estimates: (CostEstimate & { prompt: string; version: string })[] = [];
    for (const t of targets) {
      const model = t.model ?? t.version.model;
      const promptTokens = await Promise.all(
        t.goldenSet.set.cases.map(async (c) =>
          countChatTokens(await renderPrompt(t.version, c.vars), model),
        ),
      );
      const estimate = estimateCost({
        model,
        promptTokens,
        completionTokens: assumeCompletionTokens(t.version.config.maxOutputTokens),
        repeats: t.repeats,
        requestsPerDay: repo.settings.trafficPerDay[t.version.prompt],
        overrides: repo.settings.prices,
      });
      estimates.push({ prompt: t.version.prompt, version: t.version.version, ...estimate });
    }
    if (values.json) {
      io.stdout.write(`${JSON.stringify(estimates, null, 2)}\n`);
      return EXIT.ok;
    }
    const rows = [
      [
        "prompt",
        "model",
        "requests",
        "prompt tok",
        "max out tok",
        "per request",
        "this run",
        "per month",
      ],
    ];
    for (const e of estimates) {
      rows.push([
        `${e.prompt}@${e.version}`,
        e.model,
        formatCount(e.requests),
        formatCount(e.meanPromptTokens),
        formatCount(e.completionTokens),
        formatUsd(e.perRequestUsd),
        formatUsd(e.runUsd),
        e.monthlyUsd === null && e.perRequestUsd !== null
          ? "no traffic set"
          : formatUsd(e.monthlyUsd),
      ]);
    }
    const known = estimates.every((e) => e.runUsd !== null);
    const total = estimates.reduce((s, e) => s + (e.runUsd ?? 0), 0);
    const unknown = estimates.filter((e) => e.perRequestUsd === null).map((e) => e.model);
    io.stdout.write(`${textTable(rows)}\n\n`);
    io.stdout.write(
      known
        ? `one eval run: ${formatUsd(total)}\n`
        : `one eval run: unknown — no price for ${[...new Set(unknown)].join(", ")}; add it under prices: in promptgate.yaml\n`,
    );
    return EXIT.ok;
  },
};
