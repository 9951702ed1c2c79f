import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type Report, renderComment, renderHtml, renderSummary, toJson } from "../report/index.js";
import { createScrubber, type Scrub } from "../scrub.js";

/**
 * The four renderings of one report, side by side in one folder (the CLI's and the action's).
 * Each goes through the scrubber on its way to disk: the folder is an uploaded artifact, and a
 * sample's error text may quote what an endpoint echoed. Without a scrubber of the run's own
 * secrets, URL userinfo, query strings and key-shaped tokens are still removed.
 */
export async function writeReports(
  outDir: string,
  report: Report,
  scrub: Scrub = createScrubber(),
): Promise<void> {
  await mkdir(outDir, { recursive: true });
  await Promise.all([
    writeFile(join(outDir, "comment.md"), scrub(renderComment(report))),
    writeFile(join(outDir, "summary.md"), scrub(renderSummary(report))),
    writeFile(join(outDir, "report.html"), scrub(renderHtml(report))),
    writeFile(join(outDir, "report.json"), scrub(toJson(report))),
  ]);
}
