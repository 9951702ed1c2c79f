import { resolve } from "node:path";
import { loadRepo } from "../../formats/repo.js";
import { worktreeSource } from "../../io/file-sources.js";
import { parseFlags } from "../args.js";
import { type Command, EXIT } from "../io.js";

const usage = `promptgate validate [--root DIR]

Checks promptgate.yaml, every prompt file, golden set and environments.yaml. Prints every error with
its file, line and column and exits 1 when there is any; sends nothing to a model.`;

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
    // Errors propagate to main's boundary, which prints them all, located, and exits 1.
    const repo = await loadRepo(worktreeSource(resolve(io.cwd, values.root ?? ".")));
    const versions = [...repo.prompts.values()].reduce((n, v) => n + v.length, 0);
    const cases = [...repo.goldenSets.values()].reduce((n, g) => n + g.set.cases.length, 0);
    const envs = Object.keys(repo.environments?.environments ?? {}).length;
    io.stdout.write(
      `ok: ${repo.prompts.size} prompts (${versions} versions), ${repo.goldenSets.size} golden sets (${cases} cases), ${envs} environments\n`,
    );
    return EXIT.ok;
  },
};
