import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import {
  assumeCompletionTokens,
  type CostEstimate,
  estimateCost,
  expectCompletionTokens,
  type MeasuredTokens,
  measureTokens,
} from "../../cost/estimate.js";
import { countChatTokens } from "../../cost/tokens.js";
import { selectTargets } from "../../engine/select-targets.js";
import type { PromptRun } from "../../engine/types.js";
import { PromptgateError } from "../../errors.js";
import { renderPrompt } from "../../formats/prompt-file.js";
import { loadRepo, requireSettingsFile } from "../../formats/repo.js";
import { worktreeSource } from "../../io/file-sources.js";
import { formatCount, formatUsd } from "../../numbers.js";
import { parseFlags, toInt } from "../args.js";
import { textTable } from "../format.js";
import { type Command, EXIT } from "../io.js";

const usage = `promptgate cost [--prompt NAME[@VERSION]]... [--env ENV] [--repeats N] [--measured FILE]
                [--json] [--root DIR]

Estimates, before anything is sent, the tokens and cost of an eval run and of a month of the
traffic in promptgate.yaml. The expected cost uses the tokens a run measured (--measured: the
report.json of a diff or the result file of eval --out; the pull request comment's figures) or,
without one, prompt tokens counted exactly with gpt-tokenizer on each rendered case and an
estimated ${expectCompletionTokens(undefined)} output tokens (fewer when maxOutputTokens is lower). The upper bound
prices every answer at the prompt's maxOutputTokens.`;

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
        measured: { type: "string" },
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
    const measured = values.measured
      ? await readMeasured(resolve(io.cwd, values.measured))
      : new Map<string, MeasuredTokens>();
    const estimates: Estimate[] = [];
    for (const t of targets) {
      const model = t.model ?? t.version.model;
      const promptTokens = await Promise.all(
        t.goldenSet.set.cases.map(async (c) =>
          countChatTokens(await renderPrompt(t.version, c.vars), model),
        ),
      );
      const common = {
        model,
        repeats: t.repeats,
        requestsPerDay: repo.settings.trafficPerDay[t.version.prompt],
        overrides: repo.settings.prices,
      };
      const max = t.version.config.maxOutputTokens;
      const seen = measured.get(measureKey(t.version.prompt, t.version.version, model));
      // The comment prices what the run's answers used; so does the expected cost when measured.
      const estimate = estimateCost({
        ...common,
        promptTokens: seen ? promptTokens.map(() => seen.promptTokens) : promptTokens,
        completionTokens: seen ? seen.completionTokens : expectCompletionTokens(max),
      });
      const bound = estimateCost({
        ...common,
        promptTokens,
        completionTokens: assumeCompletionTokens(max),
      });
      estimates.push({
        prompt: t.version.prompt,
        version: t.version.version,
        ...estimate,
        basis: seen ? "measured" : "estimated",
        upperBound: {
          completionTokens: bound.completionTokens,
          perRequestUsd: bound.perRequestUsd,
          runUsd: bound.runUsd,
          monthlyUsd: bound.monthlyUsd,
        },
      });
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
        "out tok",
        "per request",
        "this run",
        "per month",
        "upper bound/month",
      ],
    ];
    for (const e of estimates) {
      rows.push([
        `${e.prompt}@${e.version}`,
        e.model,
        formatCount(e.requests),
        formatCount(e.meanPromptTokens),
        `${formatCount(e.completionTokens)} ${e.basis}`,
        formatUsd(e.perRequestUsd),
        formatUsd(e.runUsd),
        e.monthlyUsd === null && e.perRequestUsd !== null
          ? "no traffic set"
          : formatUsd(e.monthlyUsd),
        e.upperBound.monthlyUsd === null
          ? "—"
          : `${formatUsd(e.upperBound.monthlyUsd)} (${formatCount(e.upperBound.completionTokens)} out)`,
      ]);
    }
    const known = estimates.every((e) => e.runUsd !== null);
    const total = estimates.reduce((s, e) => s + (e.runUsd ?? 0), 0);
    const unknown = estimates.filter((e) => e.perRequestUsd === null).map((e) => e.model);
    io.stdout.write(`${textTable(rows)}\n\n`);
    const typical = expectCompletionTokens(undefined);
    const basis = values.measured
      ? `output tokens as measured in ${values.measured} (${typical} estimated for what it lacks)`
      : `${typical} output tokens estimated per answer (fewer when maxOutputTokens is lower)`;
    io.stdout.write(`expected cost: ${basis}; upper bound: every answer at maxOutputTokens\n`);
    io.stdout.write(
      known
        ? `one eval run: ${formatUsd(total)}\n`
        : `one eval run: unknown — no price for ${[...new Set(unknown)].join(", ")}; add it under prices: in promptgate.yaml\n`,
    );
    return EXIT.ok;
  },
};

type Estimate = CostEstimate & {
  prompt: string;
  version: string;
  /** Where the expected output tokens come from. */
  basis: "measured" | "estimated";
  /** Every answer at maxOutputTokens: what a month cannot exceed at that traffic. */
  upperBound: Pick<CostEstimate, "completionTokens" | "perRequestUsd" | "runUsd" | "monthlyUsd">;
};

function measureKey(prompt: string, version: string, model: string): string {
  return `${prompt}@${version} on ${model}`;
}

/** Mean tokens per answered request, by prompt@version and model, from a report or an eval result. */
async function readMeasured(path: string): Promise<Map<string, MeasuredTokens>> {
  let data: { runs?: PromptRun[]; comparisons?: { base: PromptRun | null; head: PromptRun }[] };
  try {
    data = JSON.parse(await readFile(path, "utf8"));
  } catch (e) {
    if (e instanceof SyntaxError) {
      throw new PromptgateError("E_SCHEMA", `${path} is not JSON`, {
        hint: "pass the report.json of promptgate diff or the file of promptgate eval --out",
      });
    }
    throw e;
  }
  const runs = [
    ...(data.runs ?? []),
    ...(data.comparisons ?? []).flatMap((c) => (c.base ? [c.base, c.head] : [c.head])),
  ];
  const out = new Map<string, MeasuredTokens>();
  for (const r of runs) {
    const m = r?.totals ? measureTokens(r.totals) : undefined;
    if (m) out.set(measureKey(r.prompt, r.version, r.model), m);
  }
  return out;
}
