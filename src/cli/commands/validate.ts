import { resolve } from "node:path";
import { checkModelAliases } from "../../cost/model-aliases.js";
import { checkGoldenSet, gradingModels } from "../../engine/run-eval.js";
import { compareByPlace, describeError, PromptgateError, PromptgateErrors } from "../../errors.js";
import { loadRepo, type Repo, requireSettingsFile } from "../../formats/repo.js";
import { checkRepo } from "../../formats/repo-checks.js";
import { worktreeSource } from "../../io/file-sources.js";
import { checkFallbacks } from "../../runtime/fallback-checks.js";
import { parseFlags } from "../args.js";
import { type Command, EXIT } from "../io.js";

const usage = `promptgate validate [--root DIR]

Checks promptgate.yaml, every prompt file, golden set and environments.yaml, and what a run would
check before sending anything (a judge model for llm-rubric, JSON Schemas that compile); that each
case's vars are variables its prompt's templates read, and give what the latest version reads; and
that no file in prompts/ or evals/ is skipped for a misspelt name; that each pin's fallbacks name
known models (the price table or promptgate.yaml's prices) and no target twice. Prints every error with its file,
line and column and exits 1 when there is any; sends nothing to a model. Warnings (a pinned prompt
with no golden set, a variable only an earlier version reads, a model named by an undated alias such
as gpt-4o) are printed and do not fail; \`lint: { model-aliases: error }\` in promptgate.yaml makes
the alias an error (\`off\`: not checked).`;

export const validateCommand: Command = {
  name: "validate",
  summary: "check every file; exit 1 with located errors",
  usage,
  async run(argv, io) {
    const { values } = parseFlags(
      argv,
      { root: { type: "string" }, help: { type: "boolean", short: "h" } },
      usage,
    );
    if (values.help) {
      io.stdout.write(`${usage}\n`);
      return EXIT.ok;
    }
    const root = resolve(io.cwd, values.root ?? ".");
    // Outside the try: a folder without promptgate.yaml is the wrong folder (exit 2), not a file
    // with errors (exit 1), and never "ok: 0 prompts".
    await requireSettingsFile(worktreeSource(root), root);
    let repo: Repo;
    let warnings: PromptgateError[] = [];
    try {
      repo = await loadRepo(worktreeSource(root));
      const findings = await checkRepo(repo);
      const aliases = await checkModelAliases(repo);
      warnings = [...findings.warnings, ...aliases.warnings].sort(compareByPlace);
      // In the order of the files, as a reader fixes them.
      const errors = [
        ...(await checkGoldenSets(repo)),
        ...findings.errors,
        ...(await checkFallbacks(repo)),
        ...aliases.errors,
      ].sort(compareByPlace);
      if (errors.length > 0) throw new PromptgateErrors(errors);
    } catch (e) {
      // Every problem found in the user's files exits 1, whatever its code (a pin to a missing
      // version is E_NOT_FOUND, which other commands treat as bad usage and exit 2).
      if (!(e instanceof PromptgateErrors || e instanceof PromptgateError)) throw e;
      io.stderr.write(`${describeError(e)}\n`);
      writeWarnings(io.stderr, warnings);
      const n = e instanceof PromptgateErrors ? e.errors.length : 1;
      io.stderr.write(
        `promptgate validate: ${n} ${n === 1 ? "problem" : "problems"} in the files (above)\n`,
      );
      return EXIT.blocked;
    }
    writeWarnings(io.stderr, warnings);
    const versions = [...repo.prompts.values()].reduce((n, v) => n + v.length, 0);
    const cases = [...repo.goldenSets.values()].reduce((n, g) => n + g.set.cases.length, 0);
    const envs = Object.keys(repo.environments?.environments ?? {}).length;
    const warned =
      warnings.length > 0 ? `, ${warnings.length} warning${warnings.length === 1 ? "" : "s"}` : "";
    io.stdout.write(
      `ok: ${repo.prompts.size} prompts (${versions} versions), ${repo.goldenSets.size} golden sets (${cases} cases), ${envs} environments${warned}\n`,
    );
    return EXIT.ok;
  },
};

/** The checks a run makes before it sends anything, with the models eval and diff would use. */
async function checkGoldenSets(repo: Repo): Promise<PromptgateError[]> {
  const models = gradingModels(repo.settings);
  const errors: PromptgateError[] = [];
  for (const set of repo.goldenSets.values()) errors.push(...(await checkGoldenSet(set, models)));
  return errors;
}

/** Like errors (located, with a hint), after them, on stderr; they do not change the exit code. */
/** A warning as validate prints it (drift prints its pins' the same way). */
export function writeWarnings(out: NodeJS.WritableStream, warnings: PromptgateError[]): void {
  for (const w of warnings) {
    out.write(
      w.hint
        ? `warning ${w.code}: ${w.message}\n  hint: ${w.hint}\n`
        : `warning ${w.code}: ${w.message}\n`,
    );
  }
}
