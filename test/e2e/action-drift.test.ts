import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { driftIssueMarker } from "../../src/report/drift-issue.js";
import {
  type ActionFolder,
  cloneCheckout,
  prepareActionFolder,
} from "../support/helpers/composite-action.js";
import { CASES, driftResponder, FILES } from "../support/helpers/drift-fixture.js";
import { type GitHubStandIn, startGitHubStandIn } from "../support/stand-ins/github/index.js";
import { type OpenAIStandIn, startOpenAIStandIn } from "../support/stand-ins/openai/index.js";
import type { CompositeResult } from "../support/stand-ins/runner/index.js";

/**
 * `mode: drift` as a scheduled workflow runs it: action.yml in the runner stand-in, the built
 * bundle, a checkout of the default branch, the GitHub and OpenAI stand-ins.
 */
const OWNER = "acme";
const REPO = "drift-bot";

let gh: GitHubStandIn;
let llm: OpenAIStandIn;
let action: ActionFolder;
let workspace: string;
let answeredWell = CASES;

beforeAll(async () => {
  action = await prepareActionFolder("promptgate-action-drift-");
  [gh, llm] = await Promise.all([
    startGitHubStandIn(),
    startOpenAIStandIn({ validate: true, responder: driftResponder(() => answeredWell) }),
  ]);
  await gh.createRepo(OWNER, REPO, FILES);
  // actions/checkout of the default branch.
  workspace = join(action.temp, "workspace");
  await cloneCheckout(gh, OWNER, REPO, workspace);
}, 120_000);

afterAll(async () => {
  await Promise.all([gh?.close(), llm?.close()]);
  await action?.dispose();
});

afterEach(() => {
  expect(llm.violations.splice(0)).toEqual([]);
  expect(gh.violations.splice(0)).toEqual([]);
});

async function runDrift(withInputs: Record<string, string> = {}): Promise<CompositeResult> {
  return action.run({
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
