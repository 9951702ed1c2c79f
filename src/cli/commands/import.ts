import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, relative, resolve } from "node:path";
import { formatLocation, PromptgateError } from "../../errors.js";
import { importPromptfoo } from "../../formats/promptfoo-import.js";
import { parseFlags } from "../args.js";
import { type Command, EXIT } from "../io.js";

const usage = `promptgate import promptfoo CONFIG [--out DIR]

Turns a promptfoo config (promptfooconfig.yaml) into promptgate's files under DIR (default: the
current directory): prompts/<name>/v1.prompt for each prompt, evals/<name>.yaml with its tests (vars,
assert, threshold; defaultTest added to each), and promptgate.yaml when DIR has none. Existing
prompt and golden-set files are not overwritten. Prints what it could not carry over (assertions that
run code, unsupported types, providers' configuration, …) with file and line, and exits 1 when
anything was left out, 0 otherwise. See docs/migrating-from-promptfoo.md; run validate next.`;

export const importCommand: Command = {
  name: "import",
  summary: "turn a promptfoo config into prompts/ and evals/",
  usage,
  async run(argv, io) {
    const { values, positionals } = parseFlags(
      argv,
      { out: { type: "string" }, help: { type: "boolean", short: "h" } },
      usage,
      2,
    );
    if (values.help) {
      io.stdout.write(`${usage}\n`);
      return EXIT.ok;
    }
    const [from, config] = positionals;
    if (from !== "promptfoo" || !config) {
      throw new PromptgateError(
        "E_USAGE",
        "give the tool and its config: promptgate import promptfoo CONFIG",
        {
          hint: `usage: ${usage.split("\n")[0]}`,
        },
      );
    }
    const configPath = resolve(io.cwd, config);
    const text = await readText(configPath);
    if (text === undefined) {
      throw new PromptgateError("E_NOT_FOUND", `${config}: no such file`, {
        hint: "give the path of promptfooconfig.yaml",
      });
    }
    // Notes name files as the user gave the config: relative to the working directory.
    const shown = relative(io.cwd, configPath) || config;
    const result = await importPromptfoo(
      text.replaceAll("\r\n", "\n"),
      shown.replaceAll("\\", "/"),
      (p) => readText(resolve(io.cwd, p)),
    );
    const outDir = resolve(io.cwd, values.out ?? ".");
    const written: string[] = [];
    const kept: string[] = [];
    for (const [path, content] of result.files) {
      const target = resolve(outDir, path);
      if ((await readText(target)) !== undefined) {
        kept.push(path);
        continue;
      }
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, content);
      written.push(path);
    }
    for (const path of written)
      io.stdout.write(`wrote ${relative(io.cwd, resolve(outDir, path)) || path}\n`);
    for (const path of kept)
      io.stdout.write(`kept ${relative(io.cwd, resolve(outDir, path)) || path} (exists)\n`);
    io.stdout.write(
      `imported ${result.prompts.length} prompt${result.prompts.length === 1 ? "" : "s"} and ${result.cases} case${result.cases === 1 ? "" : "s"}; next: promptgate validate${values.out ? ` --root ${values.out}` : ""}\n`,
    );
    if (result.notes.length === 0) return EXIT.ok;
    io.stderr.write(`not carried over (${result.notes.length}):\n`);
    for (const n of result.notes)
      io.stderr.write(`  ${formatLocation(n.location)}: ${n.message}\n`);
    io.stderr.write(
      `promptgate import: ${result.notes.length} ${result.notes.length === 1 ? "item was" : "items were"} not carried over (above)\n`,
    );
    return EXIT.blocked;
  },
};

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch (e) {
    if (
      (e as NodeJS.ErrnoException).code === "ENOENT" ||
      (e as NodeJS.ErrnoException).code === "EISDIR"
    )
      return undefined;
    throw e;
  }
}
