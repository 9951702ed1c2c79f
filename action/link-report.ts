/**
 * The action's last step (dist/link-report.js): once `actions/upload-artifact` has uploaded the
 * report folder, the comment and the job summary link it, so a reviewer is one click from
 * report.html instead of finding the artifact and unzipping it. A composite action's `run:` steps
 * get no artifact token, its `uses:` steps do: the upload is a `uses:` step in action.yml, and this
 * step only writes the link it returned.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import * as core from "@actions/core";
import { describeError } from "../src/errors.js";
import { safeUrl } from "../src/report/escape.js";
import { COMMENT_MARKER, parseReportJson, renderComment } from "../src/report/index.js";
import { createCommentStore } from "./github.js";
import { readRunnerContext } from "./inputs.js";

async function linkReport(env: NodeJS.ProcessEnv): Promise<void> {
  const url = safeUrl(env.PROMPTGATE_ARTIFACT_URL ?? "");
  const dir = env.PROMPTGATE_REPORT_DIR ?? "";
  if (!url || !dir) return;
  const token = env.INPUT_GITHUB_TOKEN ?? "";
  if (token) core.setSecret(token);
  const context = readRunnerContext(env);
  const report = parseReportJson(await readFile(join(dir, "report.json"), "utf8"), "report.json");
  await core.summary.addRaw(`\n\n📦 [The full report (HTML and JSON)](${url})\n`, true).write();
  core.info(`the full report: ${url}`);

  const pr = context.pullRequest;
  if (!pr || env.INPUT_COMMENT === "false") return;
  const comments = createCommentStore(token, context.apiUrl, context.repository, pr.number);
  const comment = await comments.find(COMMENT_MARKER);
  // The run's own report, rendered again with the link; only the comment it wrote is edited.
  if (comment)
    await comments.update(
      comment.id,
      renderComment(report, {
        reportUrl: url,
        ...(env.INPUT_REPORT_HTML_URL?.trim()
          ? { reportHtmlUrl: env.INPUT_REPORT_HTML_URL.trim() }
          : {}),
      }),
    );
}

// The verdict is decided and shown already: a link that cannot be written is a warning.
await linkReport(process.env).catch((e: unknown) => {
  core.warning(`could not link the uploaded report: ${describeError(e)}`);
});
