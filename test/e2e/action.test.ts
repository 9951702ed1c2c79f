import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { parseReportJson } from "../../src/report/json.js";
import {
  type ActionFolder,
  cloneCheckout,
  fetchCheckout,
  git,
  openPullRequest,
  type PullRequestRef,
  prepareActionFolder,
  pullRequestRun,
} from "../support/helpers/composite-action.js";
import { EXAMPLES, readDemo, startDemoStandIn } from "../support/helpers/demo-pull-request.js";
import { type GitHubStandIn, startGitHubStandIn } from "../support/stand-ins/github/index.js";
import type { OpenAIStandIn } from "../support/stand-ins/openai/index.js";
import { type CompositeResult, splitTemplate } from "../support/stand-ins/runner/index.js";

/**
 * action.yml as GitHub runs it: the runner stand-in executes the composite step, which runs the
 * BUILT bundle (dist/action.js, built here into a temporary folder) against the GitHub stand-in
 * (comments, statuses, validated against GitHub's OpenAPI description) and the LLM stand-in
 * scripted like the demo, on a real checkout of a pull request made from examples/.
 */
const PR_FILES = ["prompts/support-answer/v3.prompt", "prompts/ticket-triage/v2.prompt"];
const OWNER = "acme";
const REPO = "support-bot";

let gh: GitHubStandIn;
let llm: OpenAIStandIn;
let action: ActionFolder;
let workspace: string;
let pull: PullRequestRef;
let firstPrCommit: string;
/** What the action asked actions/upload-artifact to upload (its `with:`), in order. */
const uploads: Record<string, string>[] = [];
const ARTIFACT_URL = "https://github.com/acme/support-bot/actions/runs/4242/artifacts/99";
const REPORT_HTML_URL = "https://acme.github.io/support-bot/report.html";

beforeAll(async () => {
  // The action as a user's workflow fetches it: action.yml next to dist/action.js.
  action = await prepareActionFolder("promptgate-action-test-");

  [gh, llm] = await Promise.all([startGitHubStandIn(), startDemoStandIn()]);
  const demo = await readDemo(PR_FILES);
  await gh.createRepo(OWNER, REPO, demo.main);
  // Two commits, so the commit that added a version (where /promote reads its gate) is not the head.
  const [supportV3, triageV2] = PR_FILES as [string, string];
  const opened = await openPullRequest(gh, OWNER, REPO, "new-prompts", [
    { message: "support-answer v3", files: { [supportV3]: demo.pr[supportV3]! } },
    { message: "ticket-triage v2", files: { [triageV2]: demo.pr[triageV2]! } },
  ]);
  firstPrCommit = opened.commits[0]!;
  pull = opened;

  // actions/checkout with fetch-depth: 0, at the pull request's head.
  workspace = join(action.temp, "workspace");
  await cloneCheckout(gh, OWNER, REPO, workspace, pull.head);
}, 120_000);

afterAll(async () => {
  await Promise.all([gh?.close(), llm?.close()]);
  await action?.dispose();
});

afterEach(() => {
  // Every request to either stand-in, and every answer, matched the API's OpenAPI description.
  expect(llm.violations.splice(0)).toEqual([]);
  expect(gh.violations.splice(0)).toEqual([]);
});

const MARKER = "<!-- promptgate:report v1 -->";

/** The comment writes (not reads) GitHub received since request number `since`. */
function commentWrites(since: number) {
  return gh.requests
    .slice(since)
    .filter((r) => r.operation?.includes("comments") && r.method !== "GET");
}

async function runAction(
  withInputs: Record<string, string>,
  p: PullRequestRef = pull,
): Promise<CompositeResult> {
  return action.run({
    ...pullRequestRun(gh, OWNER, REPO, p, workspace),
    with: { "openai-base-url": llm.baseURL, ...withInputs },
    runId: 4242,
    uses: {
      // GitHub's upload needs the runner's artifact service: stubbed, returning its outputs.
      "actions/upload-artifact@v4": (w) => {
        uploads.push(w);
        return { "artifact-id": "99", "artifact-url": ARTIFACT_URL };
      },
    },
  });
}

/**
 * Commits `files` on a new `branch`, opens its pull request and checks its head out for `run`,
 * then puts the shared pull request's head back for the next test.
 */
async function onPullRequest(
  branch: string,
  files: Record<string, string>,
  message: string,
  run: (p: PullRequestRef) => Promise<void>,
  from?: string,
): Promise<void> {
  const p = await openPullRequest(gh, OWNER, REPO, branch, [{ message, files }], { from });
  await fetchCheckout(workspace, branch, p.head);
  try {
    await run(p);
  } finally {
    await git(workspace, "checkout", "--quiet", "--detach", pull.head);
  }
}

describe("the GitHub Action (action.yml through the runner stand-in)", () => {
  it("blocks the regression: one comment, the statuses, the summary, the outputs, a failed step", async () => {
    const result = await runAction({ "report-html-url": REPORT_HTML_URL });
    expect(result.exitCode, result.stderr + result.stdout).not.toBe(0);
    expect(result.outcome).toBe("failure");
    expect(result.outputs.verdict).toBe("blocked");
    expect(result.outputs.summary).toMatch(/^support-answer v2 → v3 regresses/);
    expect(result.annotations.some((a) => a.level === "error" && /blocked/.test(a.message))).toBe(
      true,
    );
    // The log: progress folded in a group (the last line at 100 %), the verdict, the comment's link.
    const group = /^::group::promptgate: evaluating 2 prompts\n([\s\S]*?)^::endgroup::$/m.exec(
      result.stdout,
    );
    expect(group, result.stdout).not.toBeNull();
    const progress = group![1]!.split("\n").filter((l) => / samples \(\d+%\)/.test(l));
    expect(progress.length).toBeGreaterThanOrEqual(2);
    expect(progress.at(-1)).toMatch(/^(\d+)\/\1 samples \(100%\)/);
    expect(result.stdout).toMatch(/^blocked: support-answer v2 → v3 regresses/m);
    // The failed gate sits on the prompt's file, so the pull request's diff shows it.
    const gate = result.annotations.find((a) => a.properties.title?.includes("support-answer@v3"));
    expect(gate, JSON.stringify(result.annotations)).toMatchObject({
      level: "error",
      properties: { file: "prompts/support-answer/v3.prompt", line: "1", col: "1" },
    });

    const comments = gh.comments(OWNER, REPO, pull.number);
    expect(comments).toHaveLength(1);
    const comment = comments[0]!;
    expect(comment.body.startsWith("<!-- promptgate:report v1 -->")).toBe(true);
    expect(comment.body).toContain("❌");
    expect(comment.user).toBe("github-actions[bot]");
    expect(result.outputs["comment-url"]).toMatch(new RegExp(`#issuecomment-${comment.id}$`));
    expect(result.stdout).toContain(`the pull request comment: ${result.outputs["comment-url"]}`);
    // The pending comment came first, then the report replaced it in place.
    const writes = gh.requests.filter(
      (r) => r.operation?.includes("comments") && r.method !== "GET",
    );
    // Then the link to the uploaded report, edited into the same comment.
    expect(writes.map((r) => r.method)).toEqual(["POST", "PATCH", "PATCH"]);
    expect((writes[0]!.body as { body: string }).body).toMatch(
      /⏳ evaluating 2 prompts, \d+ samples/,
    );

    const statuses = gh.statuses(OWNER, REPO, pull.head);
    expect(
      Object.fromEntries(statuses.map((s) => [s.context, s.state])),
      JSON.stringify(statuses),
    ).toEqual({
      "promptgate: support-answer@v3": "failure",
      "promptgate: ticket-triage@v2": "success",
    });
    expect(statuses[0]?.targetUrl).toBe(`https://github.com/${OWNER}/${REPO}/actions/runs/4242`);
    expect(gh.statuses(OWNER, REPO, firstPrCommit).map((s) => [s.context, s.state])).toEqual([
      ["promptgate: support-answer@v3", "failure"],
    ]);

    expect(result.summary).toContain("support-answer");
    expect(result.summary).not.toContain("<!-- promptgate:report v1 -->");

    // The report folder was uploaded by the action itself, and the comment and summary link it.
    expect(uploads.at(-1)).toMatchObject({
      name: "promptgate-report",
      path: result.outputs["report-dir"],
    });
    expect(result.outputs["artifact-url"]).toBe(ARTIFACT_URL);
    const linked = gh.comments(OWNER, REPO, pull.number)[0]!.body;
    expect(linked).toContain(`[full report](${ARTIFACT_URL})`);
    expect(linked).toMatch(/\[run\]\([^)]+\) · \[full report\]/);
    expect(result.summary).toContain(`(${ARTIFACT_URL})`);
    // report-html-url: each case the comment names links to its anchor in the published page,
    // before and after the artifact link is edited in.
    expect(linked).toMatch(
      new RegExp(`\\(${REPORT_HTML_URL.replace(/[.]/g, "\\.")}#case-support-answer-[\\w-]+\\)`),
    );
    expect(result.summary).toContain(`${REPORT_HTML_URL}#case-support-answer-`);

    const reportDir = result.outputs["report-dir"]!;
    expect(reportDir.startsWith(result.runnerTemp)).toBe(true);
    expect((await readdir(reportDir)).sort()).toEqual([
      "comment.md",
      "report.html",
      "report.json",
      "summary.md",
    ]);
    const report = parseReportJson(await readFile(join(reportDir, "report.json"), "utf8"), "r");
    expect(report.head.sha).toBe(pull.head);
    expect(report.base.sha).toBe(pull.base);
    expect(report.repository).toBe(`${OWNER}/${REPO}`);
    expect(gh.violations).toEqual([]);
    expect(llm.violations).toEqual([]);
  });

  it("a second run edits the same comment in place and passes with fail-on: never", async () => {
    const before = gh.comments(OWNER, REPO, pull.number);
    const requestsBefore = gh.requests.length;
    const result = await runAction({ "fail-on": "never" });
    expect(result.exitCode, result.stderr + result.stdout).toBe(0);
    expect(result.outputs.verdict).toBe("blocked");
    // The step passes, but the block shows in the run's annotations as warnings, never errors.
    expect(result.annotations.filter((a) => a.level === "error")).toEqual([]);
    expect(
      result.annotations.some(
        (a) => a.level === "warning" && /^promptgate blocked: .*fail-on: never/.test(a.message),
      ),
    ).toBe(true);
    expect(
      result.annotations.some(
        (a) => a.level === "warning" && a.properties.file === "prompts/support-answer/v3.prompt",
      ),
    ).toBe(true);
    const after = gh.comments(OWNER, REPO, pull.number);
    expect(after.map((c) => c.id)).toEqual(before.map((c) => c.id));
    const writes = gh.requests
      .slice(requestsBefore)
      .filter((r) => r.operation?.includes("comments") && r.method !== "GET");
    // The pending note, the report, and its link, all onto the existing comment.
    expect(writes.map((r) => `${r.method} ${r.path}`)).toEqual([
      `PATCH /repos/${OWNER}/${REPO}/issues/comments/${before[0]!.id}`,
      `PATCH /repos/${OWNER}/${REPO}/issues/comments/${before[0]!.id}`,
      `PATCH /repos/${OWNER}/${REPO}/issues/comments/${before[0]!.id}`,
    ]);
    expect(after[0]!.body).toContain("❌");
    expect(gh.violations).toEqual([]);
  });

  it("a pull request that changes no prompt passes without a comment or a status", async () => {
    await onPullRequest("docs-only", { "README.md": "# support bot\n" }, "docs", async (p) => {
      const llmRequests = llm.requests.length;
      const result = await runAction({}, p);
      expect(result.exitCode, result.stderr + result.stdout).toBe(0);
      expect(result.outputs.verdict).toBe("pass");
      expect(result.outputs.summary).toBe("no changed prompt to evaluate");
      expect(result.outputs["comment-url"]).toBe("");
      expect(gh.comments(OWNER, REPO, p.number)).toEqual([]);
      expect(gh.statuses(OWNER, REPO, p.head)).toEqual([]);
      expect(llm.requests.length).toBe(llmRequests);
      expect(result.summary).toContain("no changed prompt to evaluate");

      // The prompt changes were reverted after an earlier run: its comment must not keep saying ❌.
      const earlier = gh.addComment(OWNER, REPO, p.number, {
        body: "<!-- promptgate:report v1 -->\n### ❌ blocked: an earlier run",
        user: "github-actions[bot]",
      });
      const again = await runAction({}, p);
      expect(again.exitCode, again.stderr + again.stdout).toBe(0);
      const comments = gh.comments(OWNER, REPO, p.number);
      expect(comments.map((c) => c.id)).toEqual([earlier.id]);
      expect(comments[0]!.body).toMatch(/^<!-- promptgate:report v1 -->/);
      expect(comments[0]!.body).toContain("no changed prompt to evaluate");
      expect(comments[0]!.body).not.toContain("❌");
      expect(again.outputs["comment-url"]).toBe(earlier.html_url);
    });
    expect(gh.violations).toEqual([]);
  });

  it("a pull request that only pins an existing version shows whether that version passed its gate", async () => {
    // summarize-thread v2 is on main already (live in staging); its gate is on the commit that added it.
    const added = (await gh.resolve(OWNER, REPO, "main"))!;
    gh.setStatus(OWNER, REPO, added, {
      state: "success",
      context: "promptgate: summarize-thread@v2",
    });
    const envs = (await readFile(join(EXAMPLES, "environments.yaml"), "utf8")).replace(
      /(production:\n(?:.*\n)*?\s+summarize-thread: \{ version: )v1/,
      "$1v2",
    );
    await onPullRequest(
      "pin-summary",
      { "environments.yaml": envs },
      "summarize-thread v2 to production",
      async (p) => {
        const result = await runAction({}, p);
        expect(result.exitCode, result.stderr + result.stdout).toBe(0);
        const report = JSON.parse(
          await readFile(join(result.outputs["report-dir"]!, "report.json"), "utf8"),
        ) as { environmentChanges: unknown[] };
        expect(report.environmentChanges).toEqual([
          expect.objectContaining({
            kind: "pin",
            env: "production",
            prompt: "summarize-thread",
            after: { version: "v2", model: "gpt-4o-mini-2024-07-18" },
            gatePassed: true,
          }),
        ]);
        const comments = gh.comments(OWNER, REPO, p.number);
        expect(comments).toHaveLength(1);
        expect(comments[0]!.body).toContain("summarize-thread");
      },
    );
    expect(gh.violations).toEqual([]);
  });

  it("evaluates a model swap in environments.yaml without touching the version's gate", async () => {
    const envs = (await readFile(join(EXAMPLES, "environments.yaml"), "utf8")).replace(
      /(production:\n(?:.*\n)*?\s+ticket-triage: \{ version: v1, model: )gpt-4o-mini-2024-07-18/,
      "$1gpt-4.1-nano-2025-04-14",
    );
    await onPullRequest(
      "swap-model",
      { "environments.yaml": envs },
      "ticket-triage on gpt-4.1-nano in production",
      async (p) => {
        const result = await runAction({ "fail-on": "never" }, p);
        expect(result.exitCode, result.stderr + result.stdout).toBe(0);
        const report = JSON.parse(
          await readFile(join(result.outputs["report-dir"]!, "report.json"), "utf8"),
        ) as {
          changes: { kind: string; prompt: string }[];
          comparisons: { head: { model: string } }[];
        };
        expect(report.changes).toEqual([
          expect.objectContaining({ kind: "model-swap", prompt: "ticket-triage" }),
        ]);
        expect(report.comparisons.map((c) => c.head.model)).toEqual(["gpt-4.1-nano-2025-04-14"]);
        // The swap's status stays on the pull request, under its own context.
        expect(gh.statuses(OWNER, REPO, p.head).map((s) => s.context)).toEqual([
          "promptgate: ticket-triage@v1 on gpt-4.1-nano-2025-04-14",
        ]);
      },
    );
  });

  it("with a read-only token (a fork's pull request) it warns, and still reports and decides", async () => {
    const number = gh.createPull(OWNER, REPO, { head: "new-prompts", title: "from a fork" });
    const refused = {
      kind: "status",
      status: 403,
      message: "Resource not accessible by integration",
    } as const;
    gh.setFaults([
      { ...refused, method: "POST", path: /\/issues\/\d+\/comments$/ },
      { ...refused, method: "POST", path: /\/statuses\// },
    ]);
    try {
      const result = await runAction({}, { ...pull, number, branch: "new-prompts" });
      expect(result.exitCode).not.toBe(0);
      expect(result.outputs.verdict).toBe("blocked");
      expect(result.outputs["comment-url"]).toBe("");
      const warnings = result.annotations.filter((a) => a.level === "warning");
      expect(warnings.length).toBeGreaterThan(0);
      expect(warnings[0]?.message).toMatch(/403.*pull-requests: write/);
      expect(result.summary).toContain("support-answer");
      expect(gh.comments(OWNER, REPO, number)).toEqual([]);
    } finally {
      gh.setFaults([]);
    }
    expect(gh.violations).toEqual([]);
  });

  it("takes only a bot's comment as its own: a pasted marker is left alone", async () => {
    const number = gh.createPull(OWNER, REPO, { head: "new-prompts", title: "marker pasted" });
    const pasted = gh.addComment(OWNER, REPO, number, {
      body: `${MARKER}\nwhy does the bot comment start with this?`,
      user: "mallory",
    });
    const requestsBefore = gh.requests.length;
    const result = await runAction(
      { "fail-on": "never" },
      { ...pull, number, branch: "new-prompts" },
    );
    expect(result.exitCode, result.stderr + result.stdout).toBe(0);
    const comments = gh.comments(OWNER, REPO, number);
    expect(comments.map((c) => c.user)).toEqual(["mallory", "github-actions[bot]"]);
    expect(comments[0]!.body).toBe(pasted.body);
    const ours = comments[1]!;
    expect(ours.body).toContain("❌");
    expect(result.outputs["comment-url"]).toMatch(new RegExp(`#issuecomment-${ours.id}$`));
    expect(commentWrites(requestsBefore).map((r) => `${r.method} ${r.path}`)).toEqual([
      `POST /repos/${OWNER}/${REPO}/issues/${number}/comments`,
      `PATCH /repos/${OWNER}/${REPO}/issues/comments/${ours.id}`,
      // The report's link, edited into ours too, never into the pasted one.
      `PATCH /repos/${OWNER}/${REPO}/issues/comments/${ours.id}`,
    ]);
  });

  it("without OPENAI_API_KEY it fails before the ⏳ comment, saying how to fix it", async () => {
    const number = gh.createPull(OWNER, REPO, { head: "new-prompts", title: "no key" });
    const requestsBefore = gh.requests.length;
    const llmRequests = llm.requests.length;
    // No key and no openai-base-url: the endpoint is OpenAI's, which needs one.
    const noKey = { "openai-base-url": "" };
    const result = await runAction(noKey, { ...pull, number, branch: "new-prompts" });
    expect(result.exitCode).not.toBe(0);
    expect(result.outcome).toBe("failure");
    expect(result.outputs.verdict).toBe("errors");
    expect(result.outputs.summary).toMatch(/^OPENAI_API_KEY is not set/);
    expect(result.outputs["report-dir"]).toBe("");
    expect(result.outputs["comment-url"]).toBe("");
    const errors = result.annotations.filter((a) => a.level === "error");
    expect(errors).toHaveLength(1);
    expect(errors[0]!.message).toMatch(
      /OPENAI_API_KEY is not set[\s\S]*hint: .*secrets\.OPENAI_API_KEY/,
    );
    expect(result.summary).toMatch(/^### ⚠️ errors: /);
    expect(result.summary).toContain("error E_CONFIG: OPENAI_API_KEY is not set");
    expect(result.summary).toContain("How to fix");
    expect(result.summary).not.toContain(MARKER);
    // Nothing posted: no "⏳ evaluating" left behind, no status, nothing sent to the model.
    expect(commentWrites(requestsBefore)).toEqual([]);
    expect(gh.comments(OWNER, REPO, number)).toEqual([]);
    expect(gh.requests.slice(requestsBefore).filter((r) => r.method === "POST")).toEqual([]);
    expect(llm.requests.length).toBe(llmRequests);

    // An earlier run's comment must not keep its verdict: the error replaces it, in place.
    const pasted = gh.addComment(OWNER, REPO, number, {
      body: `${MARKER}\nquoted`,
      user: "mallory",
    });
    const earlier = gh.addComment(OWNER, REPO, number, {
      body: `${MARKER}\n### ✅ pass: an earlier run`,
      user: "github-actions[bot]",
    });
    const again = await runAction(noKey, { ...pull, number, branch: "new-prompts" });
    expect(again.exitCode).not.toBe(0);
    expect(again.outputs.verdict).toBe("errors");
    expect(again.outputs["comment-url"]).toBe(earlier.html_url);
    const comments = gh.comments(OWNER, REPO, number);
    expect(comments.map((c) => c.id)).toEqual([pasted.id, earlier.id]);
    expect(comments[0]!.body).toBe(pasted.body);
    const body = comments[1]!.body;
    expect(body.startsWith(`${MARKER}\n### ⚠️ errors: `)).toBe(true);
    expect(body).toContain("OPENAI_API_KEY is not set");
    expect(body).toContain("<code>openai-api-key: ");
    expect(body).not.toContain("✅");
    expect(body).toContain(`https://github.com/${OWNER}/${REPO}/actions/runs/4242`);
  });

  it("an llm-rubric golden set without a judge fails before the ⏳ comment", async () => {
    const settings = (await readFile(join(EXAMPLES, "promptgate.yaml"), "utf8")).replace(
      /^judge:.*\n/m,
      "",
    );
    await onPullRequest(
      "no-judge",
      { "promptgate.yaml": settings },
      "no judge",
      async (p) => {
        const requestsBefore = gh.requests.length;
        const result = await runAction({}, p);
        expect(result.exitCode).not.toBe(0);
        expect(result.outputs.verdict).toBe("errors");
        const errors = result.annotations.filter((a) => a.level === "error");
        expect(errors.map((a) => a.message)).toEqual([
          // The engine's wording may change; the point is the error, its hint, and no ⏳ comment.
          expect.stringMatching(/^error E_CONFIG: .*llm-rubric.*judge[\s\S]*hint: add `judge:/),
        ]);
        expect(result.summary).toMatch(/^### ⚠️ errors: .*llm-rubric/);
        expect(result.summary).toContain("<code>judge:");
        expect(commentWrites(requestsBefore)).toEqual([]);
      },
      pull.head,
    );
  });

  it("an error after the ⏳ comment replaces it in place with the error", async () => {
    const number = gh.createPull(OWNER, REPO, { head: "new-prompts", title: "report refused" });
    // GitHub refuses a comment it finds too long with 422; the short error comment then fits.
    gh.setFaults([
      {
        kind: "status",
        status: 422,
        method: "PATCH",
        path: /\/issues\/comments\/\d+$/,
        message: "Validation Failed: body is too long (maximum is 65536 characters)",
        times: 1,
      },
    ]);
    const requestsBefore = gh.requests.length;
    try {
      const result = await runAction(
        { "fail-on": "never" },
        { ...pull, number, branch: "new-prompts" },
      );
      // An error fails the step whatever fail-on says: there is no verdict to judge.
      expect(result.exitCode).not.toBe(0);
      expect(result.outputs.verdict).toBe("errors");
      expect(result.outputs.summary).toMatch(/body is too long/);
      const errors = result.annotations.filter((a) => a.level === "error");
      expect(errors).toHaveLength(1);
      expect(errors[0]!.message).toMatch(/body is too long/);

      const comments = gh.comments(OWNER, REPO, number);
      expect(comments).toHaveLength(1);
      const comment = comments[0]!;
      const writes = commentWrites(requestsBefore);
      expect(writes.map((r) => `${r.method} ${r.status}`)).toEqual([
        "POST 201",
        "PATCH 422",
        "PATCH 200",
      ]);
      expect((writes[0]!.body as { body: string }).body).toMatch(/⏳ evaluating/);
      expect(writes.slice(1).every((w) => w.path.endsWith(`/comments/${comment.id}`))).toBe(true);
      expect(comment.body.startsWith(`${MARKER}\n### ⚠️ errors: `)).toBe(true);
      expect(comment.body).toContain("body is too long");
      expect(comment.body).not.toContain("⏳");
      expect(result.outputs["comment-url"]).toMatch(new RegExp(`#issuecomment-${comment.id}$`));
      expect(result.summary).toMatch(/^### ⚠️ errors: .*body is too long/);
    } finally {
      gh.setFaults([]);
    }
  });

  it("with a read-only token and no key (a fork's pull request), a refused error comment does not hide the error", async () => {
    const number = gh.createPull(OWNER, REPO, { head: "new-prompts", title: "fork, no secrets" });
    const earlier = gh.addComment(OWNER, REPO, number, {
      body: `${MARKER}\n### ✅ pass: an earlier run`,
      user: "github-actions[bot]",
    });
    const refused = {
      kind: "status",
      status: 403,
      message: "Resource not accessible by integration",
    } as const;
    gh.setFaults([
      { ...refused, method: "POST", path: /\/issues\/\d+\/comments$/ },
      { ...refused, method: "PATCH", path: /\/issues\/comments\/\d+$/ },
      { ...refused, method: "POST", path: /\/statuses\// },
    ]);
    try {
      const result = await runAction(
        { "openai-base-url": "" },
        { ...pull, number, branch: "new-prompts" },
      );
      expect(result.exitCode).not.toBe(0);
      expect(result.outputs.verdict).toBe("errors");
      expect(result.outputs["comment-url"]).toBe("");
      const errors = result.annotations.filter((a) => a.level === "error");
      expect(errors.map((a) => a.message)).toEqual([
        expect.stringMatching(/^error E_CONFIG: OPENAI_API_KEY is not set/),
      ]);
      const warnings = result.annotations.filter((a) => a.level === "warning");
      expect(warnings.map((a) => a.message)).toEqual([
        expect.stringMatching(
          /could not show the error in the pull request comment: GitHub refused \(403\)/,
        ),
      ]);
      expect(result.summary).toContain("OPENAI_API_KEY is not set");
      expect(gh.comments(OWNER, REPO, number).map((c) => c.body)).toEqual([earlier.body]);
    } finally {
      gh.setFaults([]);
    }
  });

  it("a located error is an annotation on its file, line and column", async () => {
    const triage = "evals/ticket-triage.yaml";
    const text = (await readFile(join(EXAMPLES, triage), "utf8")).replace(
      "type: is-json",
      "type: is-jsn",
    );
    await onPullRequest(
      "bad-assertion",
      { [triage]: text },
      "misspelt assertion",
      async (p) => {
        const result = await runAction({}, p);
        expect(result.exitCode).not.toBe(0);
        const located = result.annotations.filter((a) => a.properties.file === triage);
        expect(located, JSON.stringify(result.annotations)).toHaveLength(1);
        expect(located[0]).toMatchObject({
          level: "error",
          message: expect.stringMatching(/unknown assertion type "is-jsn"/),
          properties: { line: "13", col: "17" },
        });
        // Once, located: no second, unlocated copy of the same error.
        expect(result.annotations.filter((a) => a.level === "error")).toHaveLength(1);
      },
      pull.head,
    );
  });

  it("a prompt the pull request moves to an undated model alias gets a warning on its model: line", async () => {
    const support = "prompts/support-answer/v3.prompt";
    const text = (await readFile(join(EXAMPLES, support), "utf8")).replace(
      "model: gpt-4o-mini-2024-07-18",
      "model: gpt-4o-mini",
    );
    await onPullRequest(
      "alias-model",
      { [support]: text },
      "support-answer v3 on an alias",
      async (p) => {
        const result = await runAction({ "fail-on": "never" }, p);
        expect(result.exitCode, result.stderr + result.stdout).toBe(0);
        const lint = result.annotations.filter((a) => /undated alias/.test(a.message));
        expect(lint, JSON.stringify(result.annotations)).toEqual([
          {
            level: "warning",
            message: expect.stringContaining(
              "support-answer@v3: model `gpt-4o-mini` is an undated alias; pin `gpt-4o-mini-2024-07-18`: an alias changes under you",
            ),
            properties: expect.objectContaining({ file: support, line: "2", col: "8" }),
          },
        ]);
      },
      pull.head,
    );
  });

  it("an unknown suite input fails the step naming the suites there are, before any request", async () => {
    const sent = llm.requests.length;
    const result = await runAction({ suite: "nightly" });
    expect(result.exitCode).not.toBe(0);
    expect(result.outputs.verdict).toBe("errors");
    const errors = result.annotations.filter((a) => a.level === "error");
    // The demo's promptgate.yaml (the base's) names its suites.
    expect(errors.map((a) => a.message).join("\n")).toMatch(
      /unknown suite "nightly"[\s\S]*suites: smoke, full, extended/,
    );
    expect(llm.requests.length).toBe(sent);
  });

  it("with upload-report: false, uploads nothing and links nothing", async () => {
    const before = uploads.length;
    const result = await runAction({ "upload-report": "false", "fail-on": "never" });
    expect(result.exitCode, result.stderr + result.stdout).toBe(0);
    expect(uploads.length).toBe(before);
    expect(result.outputs["artifact-url"]).toBe("");
    expect(result.outputs["report-dir"]).not.toBe("");
  });

  it("refuses a bad input before touching GitHub, naming it", async () => {
    const requestsBefore = gh.requests.length;
    const result = await runAction({ "fail-on": "sometimes" });
    expect(result.exitCode).not.toBe(0);
    expect(result.annotations.map((a) => a.message).join("\n")).toMatch(
      /input fail-on must be one of blocked, errors, never, got "sometimes"/,
    );
    expect(gh.requests.length).toBe(requestsBefore);
  });
});

describe("the runner stand-in", () => {
  it("splits templates without closing on }} inside a string literal", () => {
    const template = ["a $", "{{ format('}}{0}', x) }} b"].join("");
    expect(splitTemplate(template)).toEqual([
      { kind: "text", text: "a " },
      { kind: "expression", text: "format('}}{0}', x)" },
      { kind: "text", text: " b" },
    ]);
  });

  it("rejects inputs that action.yml does not declare", async () => {
    await expect(runAction({ "fail-onn": "never" })).rejects.toThrow(/unexpected input.*fail-onn/);
  });
});
