import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type Report, renderComment, renderHtml, renderSummary, toJson } from "../report/index.js";

/** The four renderings of one report, side by side in one folder (the CLI's and the action's). */
export async function writeReports(outDir: string, report: Report): Promise<void> {
  await mkdir(outDir, { recursive: true });
  await Promise.all([
    writeFile(join(outDir, "comment.md"), renderComment(report)),
    writeFile(join(outDir, "summary.md"), renderSummary(report)),
    writeFile(join(outDir, "report.html"), renderHtml(report)),
    writeFile(join(outDir, "report.json"), toJson(report)),
  ]);
}
