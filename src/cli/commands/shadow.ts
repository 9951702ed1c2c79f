import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join, relative, resolve } from "node:path";
import { createRandom, hashSeed } from "../../compare/random.js";
import { checkRunLimits, describeWork } from "../../compare/run-limits.js";
import { planShadowTargets, runShadow, type ShadowTarget } from "../../compare/shadow.js";
import { PromptgateError } from "../../errors.js";
import {
  loadRepo,
  type Repo,
  requireEnvironment,
  requireSettingsFile,
} from "../../formats/repo.js";
import { parseShadowInputs, sampleShadowInputs } from "../../formats/shadow-inputs.js";
import { worktreeSource } from "../../io/file-sources.js";
import { createEngineModels } from "../../io/model-stack.js";
import {
  createShadowReport,
  describeShadowVerdict,
  renderShadowHtml,
  renderShadowMarkdown,
  toShadowJson,
} from "../../report/shadow.js";
import {
  COMMON_MODEL_FLAGS,
  LIMIT_FLAGS,
  LIMIT_USAGE,
  parseFlags,
  readLimitFlags,
  toInt,
} from "../args.js";
import { type Command, EXIT } from "../io.js";
import { createProgressReporter } from "../progress.js";

const usage = `promptgate shadow --env ENV --candidate PROMPT@VERSION --inputs FILE.jsonl
                [--candidate-model MODEL] [--sample N] [--seed N] [--out DIR]
                [--root DIR] [--base-url URL] [--concurrency N] [--cache-dir DIR] [--no-cache]
                [--repository OWNER/NAME] [--run-url URL]
                ${LIMIT_USAGE}

Shadow evaluation on recorded inputs: runs the version ENV pins for PROMPT (with its pinned model)
and the candidate version (with its own model, or --candidate-model) on the same inputs, and asks
the judge (judge.model in promptgate.yaml) which answer is better, twice per input with the
answers' positions swapped: a win or a loss only when both orders agree, ties allowed. FILE holds
one JSON object of a request's vars per line. --sample N evaluates N inputs drawn at random (the
same N for the same --seed, default 1). Writes comment.md, report.html and report.json to --out
(default .promptgate/shadow). Exits 0 with a verdict (better, worse, no clear difference), 3 when
too many inputs errored to give one (gates.max-error-rate).`;

export const shadowCommand: Command = {
  name: "shadow",
  summary:
    "compare a candidate with an environment's live version on recorded inputs, judged pairwise",
  usage,
  async run(argv, io) {
    const { values } = parseFlags(
      argv,
      {
        ...COMMON_MODEL_FLAGS,
        ...LIMIT_FLAGS,
        env: { type: "string" },
        candidate: { type: "string" },
        "candidate-model": { type: "string" },
        inputs: { type: "string" },
        sample: { type: "string" },
        seed: { type: "string" },
        out: { type: "string" },
        repository: { type: "string" },
        "run-url": { type: "string" },
      },
      usage,
    );
    if (values.help) {
      io.stdout.write(`${usage}\n`);
      return EXIT.ok;
    }
    for (const flag of ["env", "candidate", "inputs"] as const) {
      if (!values[flag]) {
        io.stderr.write(`error E_USAGE: --${flag} is required\n  usage: ${usage.split("\n")[0]}\n`);
        return EXIT.usage;
      }
    }
    const envName = values.env as string;
    const root = resolve(io.cwd, values.root ?? ".");
    await requireSettingsFile(worktreeSource(root), root);
    const repo = await loadRepo(worktreeSource(root));
    const { live, candidate } = pickVersions(
      repo,
      envName,
      values.candidate as string,
      values["candidate-model"],
    );
    const judgeModel = repo.settings.judge?.model;
    if (!judgeModel) {
      throw new PromptgateError("E_CONFIG", "shadow needs a judge model, and none is set", {
        hint: "add `judge: { model: <model id> }` to promptgate.yaml",
      });
    }

    const inputsPath = resolve(io.cwd, values.inputs as string);
    const inputsFile = relative(io.cwd, inputsPath) || inputsPath;
    let inputs = parseShadowInputs(await readFile(inputsPath, "utf8"), inputsFile);
    const sample = toInt(values.sample, "--sample", 1, Number.MAX_SAFE_INTEGER);
    if (sample !== undefined) {
      const seed = toInt(values.seed, "--seed", 0, 2 ** 32 - 1) ?? 1;
      const rng = createRandom(hashSeed(`${seed}\0${inputsFile}`));
      inputs = sampleShadowInputs(inputs, sample, (n) => rng.nextInt(n));
    }

    const limits = { ...repo.settings.limits, ...readLimitFlags(values) };
    const work = await checkRunLimits(
      planShadowTargets({ live, candidate, inputs, inputsFile }),
      limits,
      repo.settings.prices,
    );
    io.stderr.write(
      `planned: ${describeWork(work)}, and ${inputs.length * 2} judge requests (${judgeModel})\n`,
    );

    const models = createEngineModels(
      root,
      repo.settings,
      {
        baseUrl: values["base-url"],
        concurrency: toInt(values.concurrency, "--concurrency", 1, 1000),
        cacheDir: values["cache-dir"],
        noCache: values["no-cache"],
      },
      io.env,
    );
    const progress = createProgressReporter(io.stderr, "shadow");
    let last = { done: 0, total: 0, errors: 0, cacheHits: 0 };
    const result = await runShadow(
      {
        environment: envName,
        live,
        candidate,
        inputs,
        inputsFile,
        judgeModel,
        confidence: repo.settings.gates.confidence,
        maxErrorRate: repo.settings.gates.maxErrorRate,
        deps: models,
      },
      (p) => {
        last = { ...p };
        progress.update(p);
      },
    );
    progress.done(last);

    const report = createShadowReport(result, {
      generatedAt: new Date().toISOString(),
      confidence: repo.settings.gates.confidence,
      repository: values.repository,
      runUrl: values["run-url"],
    });
    const outDir = resolve(io.cwd, values.out ?? join(root, ".promptgate", "shadow"));
    await mkdir(outDir, { recursive: true });
    // The folder is uploaded or attached to an issue: every rendering passes the scrubber.
    await Promise.all([
      writeFile(join(outDir, "comment.md"), models.scrub(renderShadowMarkdown(report))),
      writeFile(join(outDir, "report.html"), models.scrub(renderShadowHtml(report))),
      writeFile(join(outDir, "report.json"), models.scrub(toShadowJson(report))),
    ]);
    io.stdout.write(
      `${models.scrub(describeShadowVerdict(report))}\n\nreports in ${relative(io.cwd, outDir) || "."}/: comment.md, report.html, report.json\n`,
    );
    if (report.summary.verdict === "errors") {
      io.stderr.write(
        `promptgate shadow: no verdict: ${report.summary.errors} of ${report.summary.inputs} inputs errored\n`,
      );
      return EXIT.errors;
    }
    return EXIT.ok;
  },
};

/**
 * The live side is exactly what ENV serves (the pinned version and model); the candidate is the
 * named version, with its own front-matter model unless told otherwise.
 */
function pickVersions(
  repo: Repo,
  envName: string,
  spec: string,
  candidateModel: string | undefined,
): { live: ShadowTarget; candidate: ShadowTarget } {
  const at = spec.indexOf("@");
  if (at <= 0 || at === spec.length - 1) {
    throw new PromptgateError("E_USAGE", `--candidate must be PROMPT@VERSION, got "${spec}"`);
  }
  const prompt = spec.slice(0, at);
  const version = spec.slice(at + 1);
  const env = requireEnvironment(repo, envName);
  const pin = Object.hasOwn(env.prompts, prompt) ? env.prompts[prompt] : undefined;
  if (!pin) {
    throw new PromptgateError(
      "E_NOT_FOUND",
      `environment "${envName}" does not pin prompt "${prompt}"`,
      { hint: `${envName} pins: ${Object.keys(env.prompts).join(", ") || "nothing"}` },
    );
  }
  const versions = repo.prompts.get(prompt) ?? [];
  const find = (v: string) => versions.find((pv) => pv.version === v);
  const liveVersion = find(pin.version);
  const candidateVersion = find(version);
  if (!liveVersion) {
    throw new PromptgateError(
      "E_NOT_FOUND",
      `${envName} pins ${prompt}@${pin.version}, which does not exist`,
    );
  }
  if (!candidateVersion) {
    throw new PromptgateError("E_NOT_FOUND", `no version ${version} of ${prompt}`, {
      hint: `versions: ${versions.map((v) => v.version).join(", ")}`,
    });
  }
  return {
    live: { version: liveVersion, ...(pin.model ? { model: pin.model } : {}) },
    candidate: {
      version: candidateVersion,
      ...(candidateModel ? { model: candidateModel } : {}),
    },
  };
}
