import { execFile } from "node:child_process";
import { cp, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { driftIssueMarker } from "../../src/report/drift-issue.js";
import { CASES, driftResponder, FILES } from "../support/helpers/drift-fixture.js";
import { ISOLATED_GIT_ENV } from "../support/helpers/git-repo.js";
import { type GitHubStandIn, startGitHubStandIn } from "../support/stand-ins/github/index.js";
import { type OpenAIStandIn, startOpenAIStandIn } from "../support/stand-ins/openai/index.js";
import {
  type CompositeResult,
  disposeRun,
  runComposite,
} from "../support/stand-ins/runner/index.js";

/**
 * `mode: drift` as a scheduled workflow runs it: action.yml in the runner stand-in, the built
 * bundle, a checkout of the default branch, the GitHub and OpenAI stand-ins.
 */
const run = promisify(execFile);
const OWNER = "acme";
const REPO = "drift-bot";

let gh: GitHubStandIn;
let llm: OpenAIStandIn;
let temp: string;
let actionPath: string;
let workspace: string;
let answeredWell = CASES;
const runs: CompositeResult[] = [];

beforeAll(async () => {
  temp = await mkdtemp(join(tmpdir(), "promptgate-action-drift-"));
  actionPath = join(temp, "action");
  await run(process.execPath, ["scripts/build.mjs", "--outdir", join(actionPath, "dist")]);
  await cp("action.yml", join(actionPath, "action.yml"));
  [gh, llm] = await Promise.all([
    startGitHubStandIn(),
    startOpenAIStandIn({ validate: true, responder: driftResponder(() => answeredWell) }),
  ]);
  await gh.createRepo(OWNER, REPO, FILES);
  workspace = join(temp, "workspace");
  await run("git", ["clone", "--quiet", gh.repoPath(OWNER, REPO), workspace], {
    env: ISOLATED_GIT_ENV,
  });
}, 120_000);

afterAll(async () => {
  await Promise.all(runs.map(disposeRun));
  await Promise.all([gh?.close(), llm?.close()]);
  if (temp) await rm(temp, { recursive: true, force: true });
});

afterEach(() => {
  expect(llm.violations.splice(0)).toEqual([]);
  expect(gh.violations.splice(0)).toEqual([]);
});

async function runDrift(withInputs: Record<string, string> = {}): Promise<CompositeResult> {
  const result = await runComposite({
    actionPath,
    with: {
      mode: "drift",
      "openai-base-url": llm.baseURL,
      "openai-api-key": "sk-test",
      "upload-report": "false",
      ...withInputs,
    },
    eventName: "schedule",
    event: { schedule: "17 3 * * *", repository: gh.repositoryJson(OWNER, REPO) },
    repository: `${OWNER}/${REPO}`,
    workspace,
    token: gh.githubToken,
    apiUrl: gh.url,
    sha: (await gh.resolve(OWNER, REPO, "main")) ?? "",
    ref: "refs/heads/main",
    runId: 77,
    uses: {
      // A drift run writes no report folder, so the upload step is skipped: never called.
      "actions/upload-artifact@v4": () => {
        throw new Error("drift uploaded a report");
      },
    },
  });
  runs.push(result);
  return result;
}

const marked = () =>
  gh
    .issues(OWNER, REPO)
    .filter((i) =>
      i.body?.startsWith(driftIssueMarker({ environment: "production", prompt: "support-answer" })),
    );

describe("the action with mode: drift", () => {
  it("records, then opens one issue on a drop (failing by fail-on), then closes it", async () => {
    answeredWell = CASES;
    const first = await runDrift();
    expect(first.stderr).not.toMatch(/::error/);
    expect(first.outcome).toBe("success");
    expect(first.outputs.verdict).toBe("pass");
    expect(first.outputs.summary).toContain("1 recorded as new baselines");
    expect(first.summary).toContain("## promptgate drift");
    expect(marked()).toEqual([]);

    answeredWell = CASES / 2;
    const drop = await runDrift();
    expect(drop.outcome).toBe("failure");
    expect(drop.outputs.verdict).toBe("blocked");
    const [issue] = marked();
    expect(marked()).toHaveLength(1);
    expect(issue?.state).toBe("open");
    expect(drop.outputs.summary).toBe(
      `quality dropped: production/support-answer (#${issue?.number})`,
    );
    // The report link is the run's page.
    expect(issue?.body).toContain(`(https://github.com/${OWNER}/${REPO}/actions/runs/77)`);

    const quiet = await runDrift({ "fail-on": "never" });
    expect(quiet.outcome).toBe("success");
    expect(marked()).toHaveLength(1);

    answeredWell = CASES;
    const back = await runDrift();
    expect(back.outcome).toBe("success");
    expect(marked().map((i) => i.state)).toEqual(["closed"]);
    expect(back.summary).toContain(`issue #${issue?.number} closed`);
  }, 180_000); // four runs of the bundled action: slow on a loaded 2-core runner
});
