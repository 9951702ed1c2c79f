import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type Report, renderComment, renderHtml, renderSummary } from "../report/index.js";
import { createScrubber, type Scrub } from "../scrub.js";
import { writeJsonFile } from "./json-file.js";

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
  // One at a time, and report.json in pieces (the same text as toJson): a large run's four
  // renderings and their scrubbed copies, all held at once, were the peak of a job's memory.
  await writeFile(join(outDir, "comment.md"), scrub(renderComment(report)));
  await writeFile(join(outDir, "summary.md"), scrub(renderSummary(report)));
  await writeFile(join(outDir, "report.html"), scrub(renderHtml(report)));
  await writeJsonFile(join(outDir, "report.json"), report, scrub);
}
