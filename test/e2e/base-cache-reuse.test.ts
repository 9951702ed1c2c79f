import { cp, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { canonicalJson } from "../../src/engine/response-cache.js";
import { parseReportJson } from "../../src/report/json.js";
import type { Report } from "../../src/report/model.js";
import { EXAMPLES } from "../support/helpers/demo-pull-request.js";
import type { GitRepo } from "../support/helpers/git-repo.js";
import { createDemoRepo, runCliCaptured } from "../support/helpers/run-cli.js";
import {
  loadRules,
  type OpenAIStandIn,
  type RecordedRequest,
  rulesResponder,
  startOpenAIStandIn,
} from "../support/stand-ins/openai/index.js";

/**
 * Issue 10, item 3: a pull request's base side is the live version, which the default branch's
 * `push` job (the README's recipe: `promptgate eval --env <baseline>` into the cache folder the PR
 * jobs restore) has already evaluated. The PR's run must then send nothing for its base side.
 * Both runs are the CLI on a real git repository made from examples/, with one cache folder and
 * one key, as the two jobs share them through `actions/cache`.
 */
const PR_FILES = ["prompts/support-answer/v3.prompt", "prompts/ticket-triage/v2.prompt"];

let repo: GitRepo;
let standIn: OpenAIStandIn;
let cacheDir: string;

beforeAll(async () => {
  standIn = await startOpenAIStandIn({
    seed: 5,
    validate: true,
    responder: rulesResponder(await loadRules(join(EXAMPLES, "stand-in.yaml"))),
  });
  repo = await createDemoRepo(PR_FILES);
  cacheDir = await mkdtemp(join(tmpdir(), "promptgate-runner-cache-"));
});
afterAll(async () => {
  await standIn.close();
  await repo.remove();
  await rm(cacheDir, { recursive: true, force: true });
});

function cli(args: string[]) {
  return runCliCaptured(args, {
    cwd: repo.root,
    env: {
      OPENAI_BASE_URL: standIn.baseURL,
      OPENAI_API_KEY: "test",
      HOME: repo.root,
    },
  });
}

/** The requests sent while `fn` ran, as canonical bodies. */
async function sentDuring(fn: () => Promise<unknown>): Promise<RecordedRequest[]> {
  const before = standIn.requests.length;
  await fn();
  return standIn.requests.slice(before).filter((r) => r.path === "/v1/chat/completions");
}

const bodyOf = (r: RecordedRequest) => canonicalJson(r.body);

/** A pull request branch off main with `files` from examples/, diffed with the shared cache. */
async function runPullRequest(branch: string, files: string[]) {
  await repo.checkout("main");
  await repo.branch(branch);
  for (const f of files) await cp(join(EXAMPLES, f), join(repo.root, f));
  await repo.commit(`the pull request ${branch}`);
  const outDir = join(repo.root, ".promptgate", branch);
  const requests = await sentDuring(() =>
    cli(["diff", "--base", "main", "--head", branch, "--cache-dir", cacheDir, "--out-dir", outDir]),
  );
  const report = parseReportJson(await readFile(join(outDir, "report.json"), "utf8"), branch);
  const comment = await readFile(join(outDir, "comment.md"), "utf8");
  return { requests, report, comment };
}

const baseRunsOf = (report: Report) => report.comparisons.flatMap((c) => (c.base ? [c.base] : []));

describe("the default branch's cache serves a pull request's base side", () => {
  let pushBodies: Set<string>;

  beforeAll(async () => {
    // The `push` job on main: the live versions (what `baseline: production` pins) into the cache.
    const push = await sentDuring(async () => {
      const r = await cli(["eval", "--env", "production", "--as-base", "--cache-dir", cacheDir]);
      expect(r.err).not.toMatch(/error/);
    });
    pushBodies = new Set(push.map(bodyOf));
    expect(pushBodies.size).toBeGreaterThan(0);
  });

  it("sends 0 base-side requests, and the footer counts new requests against answers from the cache", async () => {
    const pr = await runPullRequest("pr-triage", ["prompts/ticket-triage/v2.prompt"]);
    const [base] = baseRunsOf(pr.report);
    expect(`${base?.prompt}@${base?.version}`).toBe("ticket-triage@v1");
    expect(base?.totals.samples).toBeGreaterThanOrEqual(60);
    expect(base?.totals.cacheHits).toBe(base?.totals.samples);
    // Nothing the push job asked (the base's samples, the judge's grading of them) is asked again.
    expect(pr.requests.filter((r) => pushBodies.has(bodyOf(r)))).toEqual([]);
    // What was sent is the head side, request for request.
    const head = pr.report.comparisons[0]?.head;
    expect(head?.totals.cacheHits).toBe(0);
    expect(pr.requests).toHaveLength(head?.totals.samples ?? -1);
    const { samples, newRequests, cacheHits } = pr.report.totals;
    expect(newRequests).toBe(head?.totals.samples);
    expect(cacheHits).toBe(base?.totals.samples);
    expect(pr.comment).toContain(
      `${samples} samples · ${newRequests} new requests, ${cacheHits} from cache`,
    );
  });

  it("serves the critical gate's base top-up samples too, on a PR that fails critical cases", async () => {
    const pr = await runPullRequest("pr-both", PR_FILES);
    const baseRuns = baseRunsOf(pr.report);
    expect(baseRuns.map((r) => `${r.prompt}@${r.version}`).sort()).toEqual([
      "support-answer@v2",
      "ticket-triage@v1",
    ]);
    // The gate drew more base samples of a critical case than the fixed repeats (issue 10 item 1)…
    const toppedUp = baseRuns.flatMap((r) => r.cases.filter((c) => c.samples.length > r.repeats));
    expect(toppedUp.length).toBeGreaterThan(0);
    for (const run of baseRuns) expect(run.totals.cacheHits).toBe(run.totals.samples);
    expect(pr.requests.filter((r) => pushBodies.has(bodyOf(r)))).toEqual([]);
    // Every new request is the head's (ticket-triage@v2's came from the first PR's run).
    const headNew = pr.report.comparisons.reduce(
      (n, c) => n + c.head.totals.samples - c.head.totals.cacheHits,
      0,
    );
    expect(headNew).toBeGreaterThan(0);
    expect(pr.report.totals.newRequests).toBe(headNew);
  });

  it("matched OpenAI's API description on every request", () => {
    expect(standIn.violations).toEqual([]);
  });
});
