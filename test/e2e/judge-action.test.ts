import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { parseGoldenSet } from "../../src/formats/golden-set.js";
import {
  type ActionFolder,
  cloneCheckout,
  prepareActionFolder,
  pullRequestRun,
  readFiles,
} from "../support/helpers/composite-action.js";
import { type GitHubStandIn, startGitHubStandIn } from "../support/stand-ins/github/index.js";
import {
  GRADER_MARKER,
  gradeRubric,
  type OpenAIStandIn,
  startOpenAIStandIn,
  textOf,
} from "../support/stand-ins/openai/index.js";

/**
 * Issue 10, item 5: promptgate evaluates its own grader with its own action. The `rubric-change`
 * job of .github/workflows/judge.yml runs `uses: ./` (this repository's action.yml and dist/) on a
 * pull request that edits the grader's prompt. Here that job runs in the runner stand-in, on a copy
 * of THIS repository's promptgate.yaml, prompts/llm-rubric/ and evals/llm-rubric.yaml (read at
 * test time, so the test follows the real files), with the step's `with:` taken from the workflow
 * itself. The LLM stand-in grades by word overlap, so the verdict measures the plumbing, not a
 * model's judgement: what matters is one comment comparing both sides over the whole golden set.
 */
const ROOT = resolve(".");
const WORKFLOW = ".github/workflows/judge.yml";
const OWNER = "promptgate";
const REPO = "promptgate";
const BRANCH = "rubric-v2";
const SECRET = "sk-test-judge";
/** The sentence the pull request adds to the grader: it tells head requests from base ones. */
const V2_SENTENCE = "A partial answer that misses a required point does not pass.";

interface WorkflowStep {
  uses?: string;
  if?: string;
  with?: Record<string, string>;
}
interface Workflow {
  on: Record<string, { paths?: string[] } | null>;
  jobs: Record<
    string,
    {
      if?: string;
      permissions?: Record<string, string>;
      env?: Record<string, string>;
      steps: WorkflowStep[];
    }
  >;
}

let gh: GitHubStandIn;
let llm: OpenAIStandIn;
let action: ActionFolder;
let workspace: string;
let workflow: Workflow;
let caseCount: number;
/** Cases where the stand-in's word-overlap grader agrees with the human verdict. */
let agreed: number;
const uploads: Record<string, string>[] = [];

/** The `uses: ./` step of the workflow's rubric-change job (undefined when it has none). */
function actionStep(w: Workflow): WorkflowStep | undefined {
  return w.jobs["rubric-change"]?.steps.find((s) => s.uses === "./");
}

/** The workflow's `${{ secrets.OPENAI_API_KEY }}` as the runner would render it. */
function renderSecrets(value: string): string {
  return value.replace(/\$\{\{\s*secrets\.OPENAI_API_KEY\s*\}\}/g, SECRET);
}

beforeAll(async () => {
  workflow = parseYaml(await readFile(join(ROOT, WORKFLOW), "utf8")) as Workflow;
  const set = parseGoldenSet(
    await readFile(join(ROOT, "evals/llm-rubric.yaml"), "utf8"),
    "evals/llm-rubric.yaml",
  );
  caseCount = set.cases.length;
  agreed = set.cases.filter(
    (c) =>
      gradeRubric(String(c.vars.rubric), String(c.vars.output)).pass ===
      c.tags.includes("human-pass"),
  ).length;

  // `uses: ./` is action.yml at the repository root next to the built dist/.
  action = await prepareActionFolder("promptgate-judge-action-");

  [gh, llm] = await Promise.all([
    startGitHubStandIn(),
    startOpenAIStandIn({ validate: true, apiKey: SECRET }),
  ]);
  await gh.createRepo(OWNER, REPO, {
    "promptgate.yaml": await readFile(join(ROOT, "promptgate.yaml"), "utf8"),
    "evals/llm-rubric.yaml": await readFile(join(ROOT, "evals/llm-rubric.yaml"), "utf8"),
    ...(await readFiles(ROOT, "prompts/llm-rubric")),
  });
  // The pull request: a v2 of the grader's prompt, one sentence stricter on partial answers. The
  // stand-in recognises the grader by its first sentence and tags, which v2 keeps.
  const v1 = await readFile(join(ROOT, "prompts/llm-rubric/v1.prompt"), "utf8");
  const marker = '"pass" is true only when the output satisfies the rubric.\n';
  expect(v1).toContain(marker);
  const head = await gh.commitFiles(
    OWNER,
    REPO,
    { "prompts/llm-rubric/v2.prompt": v1.replace(marker, `${marker}${V2_SENTENCE}\n`) },
    { branch: BRANCH, message: "llm-rubric v2: stricter on partial answers" },
  );

  // actions/checkout with fetch-depth: 0 at the pull request's head, as the job does.
  workspace = join(action.temp, "workspace");
  await cloneCheckout(gh, OWNER, REPO, workspace, head);
}, 120_000);

afterAll(async () => {
  await Promise.all([gh?.close(), llm?.close()]);
  await action?.dispose();
});

describe("the judge workflow's rubric-change job (promptgate's action on its own grader)", () => {
  it("still runs this repository's action (`uses: ./`) on pull requests that touch prompts", () => {
    expect(workflow.on.pull_request?.paths).toContain("prompts/**");
    expect(workflow.on.pull_request?.paths).toContain("evals/**");
    const job = workflow.jobs["rubric-change"];
    expect(job?.if).toMatch(/github\.event_name == 'pull_request'/);
    expect(job?.permissions).toMatchObject({ "pull-requests": "write", statuses: "write" });
    const step = actionStep(workflow);
    expect(step, JSON.stringify(job?.steps)).toBeDefined();
    expect(step?.with?.["openai-api-key"]).toMatch(/secrets\.OPENAI_API_KEY/);
  });

  it("comments base vs head of llm-rubric over the whole golden set, with statuses", async () => {
    const step = actionStep(workflow);
    expect(step).toBeDefined();
    const base = (await gh.resolve(OWNER, REPO, "main"))!;
    const head = (await gh.resolve(OWNER, REPO, BRANCH))!;
    const number = gh.createPull(OWNER, REPO, { head: BRANCH });
    const jobEnv = Object.fromEntries(
      Object.entries(workflow.jobs["rubric-change"]?.env ?? {}).map(([k, v]) => [
        k,
        renderSecrets(v),
      ]),
    );
    // The step's `with:` as the workflow writes it; only the endpoint is the stand-in's.
    const withInputs = Object.fromEntries(
      Object.entries(step?.with ?? {}).map(([k, v]) => [k, renderSecrets(String(v))]),
    );
    const result = await action.run({
      ...pullRequestRun(
        gh,
        OWNER,
        REPO,
        { number, head, base, branch: BRANCH },
        workspace,
        "opened",
      ),
      with: { ...withInputs, "openai-base-url": llm.baseURL },
      env: jobEnv,
      runId: 1010,
      uses: {
        "actions/upload-artifact@v4": (w) => {
          uploads.push(w);
          return { "artifact-id": "7", "artifact-url": "https://example.test/artifacts/7" };
        },
      },
    });
    const log = result.stderr + result.stdout;
    expect(["pass", "blocked"], log).toContain(result.outputs.verdict);
    // A block (the stand-in is no judge: its agreement is under the 90 % gate) fails the step.
    expect(result.exitCode === 0, log).toBe(result.outputs.verdict === "pass");

    // Exactly one comment: the report comparing llm-rubric v1 (base) and v2 (head), 62 cases.
    const comments = gh.comments(OWNER, REPO, number);
    expect(comments, log).toHaveLength(1);
    const body = comments[0]!.body;
    expect(body.startsWith("<!-- promptgate:report v1 -->")).toBe(true);
    expect(body).toContain("llm-rubric");
    expect(caseCount).toBeGreaterThanOrEqual(60);
    // Both sides over every case once (repeats: 1), each at the stand-in grader's own agreement
    // with the human verdicts: v2 keeps what the stand-in reads, so base and head are equal.
    const agreement = `${((100 * agreed) / caseCount).toFixed(1)}%`;
    expect(body).toContain(`| **llm-rubric** | v1 → v2 | ${agreement} | ${agreement} |`);
    expect(body).toContain(`${2 * caseCount} samples`);

    const statuses = gh.statuses(OWNER, REPO, head);
    expect(statuses.map((s) => s.context)).toEqual(["promptgate: llm-rubric@v2"]);
    expect(statuses[0]?.state).toBe(result.outputs.verdict === "pass" ? "success" : "failure");

    // The stand-in graded both sides: v1's text (base) and v2's (head), every case on each.
    const systems = llm.requests
      .filter((r) => r.path.endsWith("/chat/completions"))
      .map((r) => {
        const messages = (r.body?.messages ?? []) as { role: string; content: unknown }[];
        return messages
          .filter((m) => m.role === "system" || m.role === "developer")
          .map((m) => textOf(m.content as never))
          .join("\n");
      });
    expect(systems.every((s) => s.includes(GRADER_MARKER))).toBe(true);
    const headRequests = systems.filter((s) => s.includes(V2_SENTENCE)).length;
    const baseRequests = systems.length - headRequests;
    expect(baseRequests).toBeGreaterThanOrEqual(caseCount);
    expect(headRequests).toBeGreaterThanOrEqual(caseCount);
    expect(llm.requests.every((r) => r.headers.authorization === `Bearer ${SECRET}`)).toBe(true);

    expect(uploads.at(-1)).toMatchObject({ name: "promptgate-report" });
    expect(llm.violations).toEqual([]);
    expect(gh.violations).toEqual([]);
  }, 120_000);
});
