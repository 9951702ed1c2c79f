import { cp, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { parseReportJson } from "../../src/report/json.js";
import {
  type ActionFolder,
  cloneCheckout,
  openPullRequest,
  type PullRequestRef,
  prepareActionFolder,
  pullRequestRun,
} from "../support/helpers/composite-action.js";
import { readDemo, startDemoStandIn } from "../support/helpers/demo-pull-request.js";
import { type GitHubStandIn, startGitHubStandIn } from "../support/stand-ins/github/index.js";
import type { OpenAIStandIn } from "../support/stand-ins/openai/index.js";
import type { CompositeResult } from "../support/stand-ins/runner/index.js";

/**
 * The README's matrix workflow through action.yml and the built dist/ in the runner stand-in: four
 * jobs with `shard: i/4` each upload their shard's report and post nothing; the merge job
 * (`mode: merge`), given the downloaded artifacts, posts the one comment and the statuses and
 * fails on the block.
 */
const PR_FILES = ["prompts/support-answer/v3.prompt", "prompts/ticket-triage/v2.prompt"];
const OWNER = "acme";
const REPO = "sharded-bot";

let gh: GitHubStandIn;
let llm: OpenAIStandIn;
let action: ActionFolder;
let workspace: string;
let pull: PullRequestRef;
const uploads: Record<string, string>[] = [];

beforeAll(async () => {
  action = await prepareActionFolder("promptgate-action-shards-");
  [gh, llm] = await Promise.all([startGitHubStandIn(), startDemoStandIn()]);
  const demo = await readDemo(PR_FILES);
  await gh.createRepo(OWNER, REPO, demo.main);
  pull = await openPullRequest(gh, OWNER, REPO, "new-prompts", [
    { message: "v3, v2", files: demo.pr },
  ]);
  workspace = join(action.temp, "workspace");
  await cloneCheckout(gh, OWNER, REPO, workspace, pull.head);
}, 120_000);

afterAll(async () => {
  await Promise.all([gh?.close(), llm?.close()]);
  await action?.dispose();
});

afterEach(() => {
  expect(llm.violations.splice(0)).toEqual([]);
  expect(gh.violations.splice(0)).toEqual([]);
});

async function runAction(withInputs: Record<string, string>): Promise<CompositeResult> {
  return action.run({
    ...pullRequestRun(gh, OWNER, REPO, pull, workspace),
    with: { "openai-base-url": llm.baseURL, ...withInputs },
    runId: 77,
    uses: {
      "actions/upload-artifact@v4": (w) => {
        uploads.push(w);
        return { "artifact-id": String(uploads.length), "artifact-url": `https://x/${w.name}` };
      },
    },
  });
}

function commentWrites() {
  return gh.requests.filter((r) => r.operation?.includes("comments") && r.method !== "GET");
}

describe("the action's shard and merge modes (action.yml through the runner stand-in)", () => {
  it("a matrix of 4 shards then the merge job posts exactly one comment and the statuses", async () => {
    const downloaded = join(workspace, "promptgate-shards");
    for (const k of [1, 2, 3, 4]) {
      const result = await runAction({ shard: `${k}/4` });
      expect(result.exitCode, result.stderr + result.stdout).toBe(0);
      expect(result.outputs["artifact-name"]).toBe(`promptgate-shard-${k}-of-4`);
      expect(uploads.at(-1)).toMatchObject({ name: `promptgate-shard-${k}-of-4` });
      expect(result.summary).toContain(`promptgate shard ${k}/4: evaluated`);
      const dir = result.outputs["report-dir"]!;
      const report = parseReportJson(await readFile(join(dir, "report.json"), "utf8"), "r");
      expect(report.shard).toMatchObject({ index: k, count: 4 });
      // actions/download-artifact (pattern: promptgate-shard-*) puts each in its own folder.
      await cp(dir, join(downloaded, `promptgate-shard-${k}-of-4`), { recursive: true });
    }
    // The shards posted nothing: no comment, no status.
    expect(commentWrites()).toEqual([]);
    expect(gh.comments(OWNER, REPO, pull.number)).toEqual([]);
    expect(gh.statuses(OWNER, REPO, pull.head)).toEqual([]);

    const merged = await runAction({ mode: "merge" });
    expect(merged.exitCode, merged.stderr + merged.stdout).not.toBe(0);
    expect(merged.outputs.verdict).toBe("blocked");
    expect(merged.outputs.summary).toMatch(/^support-answer v2 → v3 regresses/);
    expect(merged.stdout).toMatch(/merged 4 shard reports/);
    const comments = gh.comments(OWNER, REPO, pull.number);
    expect(comments).toHaveLength(1);
    expect(comments[0]!.body).toContain("❌");
    expect(comments[0]!.body).toContain("summed over 4 shards");
    // One comment created; later writes edit it (the artifact link).
    expect(commentWrites().filter((r) => r.method === "POST")).toHaveLength(1);
    expect(
      Object.fromEntries(gh.statuses(OWNER, REPO, pull.head).map((s) => [s.context, s.state])),
    ).toEqual({
      "promptgate: support-answer@v3": "failure",
      "promptgate: ticket-triage@v2": "success",
    });
    expect(uploads.at(-1)).toMatchObject({ name: "promptgate-report" });
    expect(comments[0]!.body).toContain("https://x/promptgate-report");
  }, 300_000);

  it("the merge refuses shard reports that state gates other than the base's", async () => {
    // Artifacts are files: a job that rewrites them must not get a lenient verdict from the merge.
    const forged = join(workspace, "promptgate-shards-forged");
    await cp(join(workspace, "promptgate-shards"), forged, { recursive: true });
    for (const k of [1, 2, 3, 4]) {
      const file = join(forged, `promptgate-shard-${k}-of-4`, "report.json");
      const report = JSON.parse(await readFile(file, "utf8"));
      report.shard.gates.maxRegression = 0.99;
      await writeFile(file, JSON.stringify(report));
    }
    const result = await runAction({
      mode: "merge",
      "shard-reports": "promptgate-shards-forged",
      "upload-report": "false",
    });
    expect(result.exitCode).not.toBe(0);
    expect(result.stdout + result.stderr).toContain(
      "the shard reports state gates other than the base's promptgate.yaml",
    );
    expect(result.outputs.verdict).not.toBe("pass");
  }, 120_000);

  it("the merge names a missing shard, and fails without a comment", async () => {
    const downloaded = join(workspace, "promptgate-shards");
    await rm(join(downloaded, "promptgate-shard-3-of-4"), { recursive: true });
    const before = commentWrites().length;
    const result = await runAction({ mode: "merge", "upload-report": "false" });
    expect(result.exitCode).not.toBe(0);
    expect(result.stdout + result.stderr).toContain("shard 3/4 is missing");
    // The earlier run's comment shows the error in place of a verdict it can no longer vouch for.
    const writes = commentWrites().slice(before);
    expect(writes.every((r) => r.method !== "POST")).toBe(true);
  }, 120_000);

  it("refuses shard with mode: merge", async () => {
    const result = await runAction({ mode: "merge", shard: "1/4", "upload-report": "false" });
    expect(result.exitCode).not.toBe(0);
    expect(result.stdout + result.stderr).toMatch(/input shard is for the matrix's jobs/);
  }, 120_000);
});
