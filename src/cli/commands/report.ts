import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { writeReports } from "../../io/write-reports.js";
import { mergeReports, parseReportJson } from "../../report/index.js";
import { parseFlags } from "../args.js";
import { type Command, EXIT } from "../io.js";
import { exitWithReason, renderDiffText } from "./diff.js";

const usage = `promptgate report --merge SHARD.json [SHARD.json ...] [--out-dir DIR]

Merges the report.json files of a sharded diff (diff --shard i/n: each shard evaluated some cases of
every prompt) into one report and writes comment.md, summary.md, report.html and report.json to
--out-dir (default .promptgate/report). The comparisons are computed again from every shard's cases,
as one unsharded run computes them; a missing or duplicated shard is an error naming it. Exits like
diff: 1 when a gate blocks, 3 when too many samples errored.`;

export const reportCommand: Command = {
  name: "report",
  summary: "merge the JSON reports of several shards into one report",
  usage,
  async run(argv, io) {
    const { values, positionals } = parseFlags(
      argv,
      {
        merge: { type: "boolean" },
        "out-dir": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      usage,
      Number.POSITIVE_INFINITY,
    );
    if (values.help) {
      io.stdout.write(`${usage}\n`);
      return EXIT.ok;
    }
    if (!values.merge || positionals.length === 0) {
      io.stderr.write(
        `error E_USAGE: give --merge and at least one report.json\n  usage: ${usage.split("\n")[0]}\n`,
      );
      return EXIT.usage;
    }
    const files = positionals.map((p) => resolve(io.cwd, p));
    const reports = await Promise.all(
      files.map(async (f, i) => parseReportJson(await readFile(f, "utf8"), positionals[i] ?? f)),
    );
    const merged = mergeReports(reports, positionals);
    const outDir = resolve(io.cwd, values["out-dir"] ?? ".promptgate/report");
    await writeReports(outDir, merged);
    io.stdout.write(
      `${renderDiffText(merged)}\n\nmerged ${reports.length} shards into ${outDir}\n`,
    );
    return exitWithReason(merged, io, "report");
  },
};
