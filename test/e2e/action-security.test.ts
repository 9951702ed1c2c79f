import { cp, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  type ActionFolder,
  cloneCheckout,
  fetchCheckout,
  git,
  prepareActionFolder,
  pullRequestRun,
} from "../support/helpers/composite-action.js";
import { type GitHubStandIn, startGitHubStandIn } from "../support/stand-ins/github/index.js";
import { type OpenAIStandIn, startOpenAIStandIn } from "../support/stand-ins/openai/index.js";
import type { CompositeResult } from "../support/stand-ins/runner/index.js";

/**
 * A hostile pull request against the action as users run it: action.yml through the runner
 * stand-in, executing the BUILT bundle, against the GitHub and OpenAI stand-ins. Covers the
 * attacks of issue 9 that need the action's own entry point (an endpoint named by the head, a
 * planted cache, a secret in an error), the pull_request_target false green, and the second stage
 * of the README's fork recipe (workflow_run).
 */
const OWNER = "acme";
const KEY = "sk-org-key-1111111111111111";
const CASES = 20;
const BROKEN = 5; // the head answers these wrong: a 25-point regression

let gh: GitHubStandIn;
/** The endpoint the base (or the workflow) names. */
let trusted: OpenAIStandIn;
/** The endpoint a pull request names. */
let other: OpenAIStandIn;
let action: ActionFolder;
/** The action's temporary folder: the workspaces and artifacts go beside the action. */
let temp: string;
let repoCount = 0;

const PROMPT = (style: string) =>
  [
    "---",
    "model: gpt-4o-mini-2024-07-18",
    "config: { temperature: 0, maxOutputTokens: 50 }",
    "input:",
    "  schema:",
    "    question: string",
    "---",
    `${style}{{question}}`,
    "",
  ].join("\n");

function goldenSet(): string {
  const lines = ["cases:"];
  for (let i = 0; i < CASES; i++) {
    lines.push(
      `  - id: c${i}`,
      `    vars: { question: "q${i}" }`,
      "    assert: [{ type: contains, value: right }]",
    );
  }
  return `${lines.join("\n")}\n`;
}

const settings = (provider = "") =>
  `version: 1\nrepeats: 1\n${provider}gates: { max-regression: 0.02 }\n`;

/** v1 answers every case right; v2 ("v2 style") gets the first BROKEN wrong. */
const honest = (req: { messages: unknown[] }) => {
  const text = JSON.stringify(req.messages);
  const i = Number(/q(\d+)/.exec(text)?.[1]);
  return { content: text.includes("v2 style") && i < BROKEN ? "wrong" : "right" };
};

beforeAll(async () => {
  action = await prepareActionFolder("promptgate-action-security-");
  temp = action.temp;
  [gh, trusted, other] = await Promise.all([
    startGitHubStandIn(),
    startOpenAIStandIn({ validate: true, responder: honest }),
    startOpenAIStandIn({ responder: () => ({ content: "right" }) }),
  ]);
}, 120_000);

afterAll(async () => {
  await Promise.all([gh?.close(), trusted?.close(), other?.close()]);
  await action?.dispose();
});

afterEach(() => {
  expect(gh.violations.splice(0)).toEqual([]);
  expect(trusted.violations.splice(0)).toEqual([]);
});

interface Pull {
  repo: string;
  number: number;
  head: string;
  base: string;
}

/**
 * A repository whose main has prompt p v1 (settings from `baseSettings`), and a pull request
 * adding v2 with `headFiles`; `workspace` is a clone checked out at `checkout` ("base" or "head").
 */
async function pullRequest(
  baseSettings: string,
  headFiles: Record<string, string>,
  checkout: "base" | "head" = "head",
): Promise<Pull & { workspace: string }> {
  const repo = `prompts-${++repoCount}`;
  await gh.createRepo(OWNER, repo, {
    "promptgate.yaml": baseSettings,
    "prompts/p/v1.prompt": PROMPT(""),
    "evals/p.yaml": goldenSet(),
  });
  const base = (await gh.resolve(OWNER, repo, "main"))!;
  const workspace = join(temp, `workspace-${repoCount}`);
  // Cloned before the pull request exists: its head is not in the checkout, as a fork's is not.
  await cloneCheckout(gh, OWNER, repo, workspace);
  const head = await gh.commitFiles(
    OWNER,
    repo,
    { "prompts/p/v2.prompt": PROMPT("v2 style: "), ...headFiles },
    { branch: "feature", message: "p v2" },
  );
  const number = gh.createPull(OWNER, repo, { head: "feature" });
  // GitHub keeps every pull request's head, a fork's too, as refs/pull/N/head.
  await git(gh.repoPath(OWNER, repo), "update-ref", `refs/pull/${number}/head`, head);
  if (checkout === "head") await fetchCheckout(workspace, "feature", head);
  return { repo, number, head, base, workspace };
}

/** A pull_request run on `p` unless `event` names another event (its payload and GITHUB_SHA). */
async function runAction(
  p: Pull & { workspace: string },
  withInputs: Record<string, string>,
  event: { name: string; payload?: Record<string, unknown>; sha?: string } = {
    name: "pull_request",
  },
): Promise<CompositeResult> {
  const pr = pullRequestRun(gh, OWNER, p.repo, { ...p, branch: "feature" }, p.workspace);
  return action.run({
    ...pr,
    // The report upload is action.test.ts's to test: here the report folder itself is read. The
    // runner resolves every `uses:` of action.yml, as GitHub does, so the step still needs a stand-in.
    with: { "openai-api-key": KEY, "upload-report": "false", ...withInputs },
    uses: { "actions/upload-artifact@v4": () => ({}) },
    eventName: event.name,
    event: event.payload ?? pr.event,
    sha: event.sha ?? pr.sha,
    runId: 77,
  });
}

async function readReportFiles(dir: string): Promise<string> {
  if (!dir) return "";
  const names = await readdir(dir);
  const texts = await Promise.all(names.map((n) => readFile(join(dir, n), "utf8")));
  return texts.join("\n");
}

const NOTICE =
  "this PR changes the model endpoint (provider.base-url); it takes effect after merge";

describe("attack 1: a head promptgate.yaml naming another endpoint", () => {
  it("sends nothing to it, with the endpoint from the base or from openai-base-url", async () => {
    const headSettings = (url: string) => ({
      "promptgate.yaml": settings(`provider: { base-url: "${url}" }\n`),
    });
    // The base names the endpoint, the input is empty (the README's setup).
    const a = await pullRequest(
      settings(`provider: { base-url: "${trusted.baseURL}" }\n`),
      headSettings(other.baseURL),
    );
    const trustedBefore = trusted.requests.length;
    const first = await runAction(a, {});
    expect(first.outputs.verdict, first.stderr + first.stdout).toBe("blocked");
    expect(other.requests).toEqual([]);
    expect(trusted.requests.length - trustedBefore).toBe(2 * CASES);
    expect(trusted.requests.at(-1)?.headers.authorization).toBe(`Bearer ${KEY}`);
    const [comment] = gh.comments(OWNER, a.repo, a.number);
    expect(comment?.body).toContain(NOTICE);

    // The base names none, the workflow passes openai-base-url.
    const b = await pullRequest(settings(), headSettings(other.baseURL));
    const second = await runAction(b, { "openai-base-url": trusted.baseURL });
    expect(second.outputs.verdict, second.stderr + second.stdout).toBe("blocked");
    expect(other.requests).toEqual([]);
    expect(gh.comments(OWNER, b.repo, b.number)[0]?.body).toContain(NOTICE);
  });
});

describe("attack 2: a response cache committed with the pull request", () => {
  it("changes nothing: not read by default, refused as cache-dir, a miss when copied", async () => {
    const p = await pullRequest(settings(), {});
    const withUrl = { "openai-base-url": trusted.baseURL };
    // The attacker fills a cache with every answer right, with a key of their own, in the
    // checkout's .promptgate/cache, and commits it with the pull request.
    const trustedResponder = honest;
    trusted.setResponder(() => ({ content: "right" }));
    const planted = await runAction(p, {
      ...withUrl,
      "openai-api-key": "sk-attacker-0000000000000000",
      "cache-dir": ".promptgate/cache",
    });
    trusted.setResponder(trustedResponder);
    expect(planted.outputs.verdict, planted.stderr + planted.stdout).toBe("pass");
    const cacheDir = join(p.workspace, ".promptgate/cache");
    const files: Record<string, string> = {};
    for (const e of await readdir(cacheDir, { recursive: true, withFileTypes: true })) {
      if (!e.isFile()) continue;
      const path = join(e.parentPath, e.name);
      files[relative(p.workspace, path)] = await readFile(path, "utf8");
    }
    expect(Object.keys(files).length).toBeGreaterThanOrEqual(2 * CASES);
    // Kept aside for the last check; the checkout gets them back from the commit.
    const copy = join(temp, `planted-${p.repo}`);
    await cp(cacheDir, copy, { recursive: true });
    await rm(cacheDir, { recursive: true });
    const head = await gh.commitFiles(OWNER, p.repo, files, {
      branch: "feature",
      message: "and a cache",
    });
    await fetchCheckout(p.workspace, "feature", head);
    const q = { ...p, head };

    // The default cache (RUNNER_TEMP) never looks at the checkout: every request is sent.
    let before = trusted.requests.length;
    const plain = await runAction(q, withUrl);
    expect(trusted.requests.length - before).toBe(2 * CASES);
    expect(plain.outputs.verdict).toBe("blocked");
    expect(plain.exitCode).not.toBe(0);
    expect(gh.statuses(OWNER, p.repo, head).map((s) => [s.context, s.state])).toContainEqual([
      "promptgate: p@v2",
      "failure",
    ]);

    // Pointed at the committed folder: refused before any request.
    before = trusted.requests.length;
    const tracked = await runAction(q, { ...withUrl, "cache-dir": ".promptgate/cache" });
    expect(tracked.outputs.verdict).toBe("errors");
    expect(tracked.annotations.map((a) => a.message).join("\n")).toMatch(
      /E_CONFIG: the cache folder \.promptgate\/cache holds files git tracks/,
    );
    expect(trusted.requests.length).toBe(before);

    // The same files in an untracked folder: signed with another key, every one a miss.
    before = trusted.requests.length;
    const copied = await runAction(q, { ...withUrl, "cache-dir": copy });
    expect(trusted.requests.length - before).toBe(2 * CASES);
    expect(copied.outputs.verdict).toBe("blocked");
  }, 120_000); // four runs of the action: slower than one on a loaded machine
});

describe("secrets in error texts", () => {
  it("an endpoint echoing the key and the URL's password: neither reaches a comment, a status, the summary, the report or the log", async () => {
    const p = await pullRequest(settings(), {});
    const password = "pa55word-zyx-987";
    const url = new URL(trusted.baseURL);
    url.username = "alice";
    url.password = password;
    const echo = `Incorrect API key provided: ${KEY} (${url.href}, password ${password})`;
    trusted.setFaults([
      {
        kind: "status",
        status: 401,
        body: {
          error: {
            message: echo,
            type: "invalid_request_error",
            code: "invalid_api_key",
            param: null,
          },
        },
      },
    ]);
    try {
      const result = await runAction(p, { "openai-base-url": url.href });
      expect(trusted.requests.length).toBeGreaterThan(0);
      expect(result.outputs.verdict).toBe("errors");
      const texts = [
        // `::add-mask::` is how the step tells the runner what to mask; the log never shows it.
        result.stdout
          .split("\n")
          .filter((line) => !line.startsWith("::add-mask::"))
          .join("\n"),
        result.stderr,
        result.summary,
        JSON.stringify(result.outputs),
        JSON.stringify(result.annotations),
        ...gh.comments(OWNER, p.repo, p.number).map((c) => c.body),
        JSON.stringify(gh.statuses(OWNER, p.repo, p.head)),
        await readReportFiles(result.outputs["report-dir"] ?? ""),
      ].join("\n");
      // The run said something of the failure, with the secrets taken out.
      expect(texts).toMatch(/Incorrect API key provided/);
      expect(texts).not.toContain(KEY);
      expect(texts).not.toContain(password);
      expect(texts).not.toContain(encodeURIComponent(password));
    } finally {
      trusted.setFaults([]);
    }

    // An error of the run itself (GitHub refusing the report, quoting what it was sent) reaches
    // the action's error boundary: the comment shown in place of the report, the summary, the
    // step's error and outputs.
    gh.setFaults([
      {
        kind: "status",
        status: 422,
        method: "PATCH",
        path: /\/issues\/comments\/\d+$/,
        message: `Validation Failed: body quotes ${KEY} and ${url.href}`,
        times: 1,
      },
    ]);
    try {
      const result = await runAction(p, { "openai-base-url": url.href, "fail-on": "never" });
      expect(result.outputs.verdict).toBe("errors");
      const comments = gh.comments(OWNER, p.repo, p.number).map((c) => c.body);
      const texts = [
        result.stdout
          .split("\n")
          .filter((line) => !line.startsWith("::add-mask::"))
          .join("\n"),
        result.stderr,
        result.summary,
        JSON.stringify(result.outputs),
        ...comments,
      ].join("\n");
      expect(comments.at(-1)).toMatch(/Validation Failed: body quotes \*\*\*/);
      expect(result.outputs.summary).toMatch(/Validation Failed: body quotes \*\*\*/);
      expect(texts).not.toContain(KEY);
      expect(texts).not.toContain(password);
    } finally {
      gh.setFaults([]);
    }
  });
});

describe("pull_request_target (a false green)", () => {
  it("refuses to run with the default head, and evaluates the pull request's head when given", async () => {
    // The workflow runs from the base branch; actions/checkout checks out the base.
    const p = await pullRequest(
      settings(`provider: { base-url: "${trusted.baseURL}" }\n`),
      {},
      "base",
    );
    const event = { name: "pull_request_target", sha: p.base };
    const before = trusted.requests.length;
    const refused = await runAction(p, {}, event);
    expect(refused.exitCode).not.toBe(0);
    expect(refused.outputs.verdict).toBe("errors");
    const errors = refused.annotations.filter((a) => a.level === "error").map((a) => a.message);
    expect(errors).toEqual([
      expect.stringMatching(
        /^error E_CONFIG: under pull_request_target the checkout is the base branch[\s\S]*hint: .*fork recipe/,
      ),
    ]);
    expect(refused.outputs.summary).not.toMatch(/no changed prompt/);
    expect(trusted.requests.length).toBe(before);
    expect(gh.comments(OWNER, p.repo, p.number)).toEqual([]);

    // `head` given: the head commit (absent from the checkout) is fetched and evaluated.
    const given = await runAction(p, { head: p.head }, event);
    expect(given.outputs.verdict, given.stderr + given.stdout).toBe("blocked");
    expect(trusted.requests.length - before).toBe(2 * CASES);
    expect(gh.statuses(OWNER, p.repo, p.head).map((s) => [s.context, s.state])).toEqual([
      ["promptgate: p@v2", "failure"],
    ]);
  });
});

describe("the fork recipe's second stage (workflow_run)", () => {
  const workflowRun = (p: Pull, headSha = p.head) => ({
    name: "workflow_run",
    sha: p.base,
    payload: {
      action: "completed",
      workflow_run: {
        id: 5001,
        name: "promptgate-pr",
        event: "pull_request",
        status: "completed",
        conclusion: "success",
        head_sha: headSha,
        head_branch: "feature",
        // GitHub lists no pull request for a fork's run.
        pull_requests: [],
      },
      repository: gh.repositoryJson(OWNER, p.repo),
    },
  });

  async function artifact(files: Record<string, string>): Promise<string> {
    const dir = await mkdtemp(join(temp, "artifact-"));
    for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
    return dir;
  }

  it("evaluates the pull request with the base's settings, comments on it and posts statuses on its head", async () => {
    const p = await pullRequest(
      settings(`provider: { base-url: "${trusted.baseURL}" }\n`),
      // The pull request's own settings, which must not be used: another endpoint.
      { "promptgate.yaml": settings(`provider: { base-url: "${other.baseURL}" }\n`) },
      "base",
    );
    // A second pull request, whose conversation must stay untouched.
    const bystander = gh.createPull(OWNER, p.repo, { head: "feature", title: "bystander" });
    const dir = await artifact({ number: `${p.number}\n`, "head-sha": `${p.head}\n` });
    const before = trusted.requests.length;
    const result = await runAction(p, { "pull-request-artifact": dir }, workflowRun(p));
    expect(result.outputs.verdict, result.stderr + result.stdout).toBe("blocked");
    expect(other.requests).toEqual([]);
    expect(trusted.requests.length - before).toBe(2 * CASES);
    const comments = gh.comments(OWNER, p.repo, p.number);
    expect(comments).toHaveLength(1);
    expect(comments[0]!.body).toContain("❌");
    expect(comments[0]!.body).toContain(NOTICE);
    expect(gh.comments(OWNER, p.repo, bystander)).toEqual([]);
    expect(gh.statuses(OWNER, p.repo, p.head).map((s) => [s.context, s.state])).toEqual([
      ["promptgate: p@v2", "failure"],
    ]);
    expect(gh.statuses(OWNER, p.repo, p.base)).toEqual([]);
    // Nothing of the pull request was checked out: the workspace is still the base.
    expect(await git(p.workspace, "rev-parse", "HEAD")).toBe(p.base);
  });

  it("refuses an artifact that is malformed, or that names a pull request GitHub does not confirm", async () => {
    const p = await pullRequest(
      settings(`provider: { base-url: "${trusted.baseURL}" }\n`),
      {},
      "base",
    );
    // Another pull request, with another head: an artifact may name it, but may not act on it.
    await gh.createBranch(OWNER, p.repo, "victim", p.base);
    const victimHead = await gh.commitFiles(
      OWNER,
      p.repo,
      { "README.md": "victim\n" },
      { branch: "victim" },
    );
    const victim = gh.createPull(OWNER, p.repo, { head: "victim" });
    const cases: [Record<string, string>, RegExp][] = [
      [{ number: "1; rm -rf /" }, /`number` must hold a pull request number/],
      [{ number: "0" }, /`number` must hold a pull request number/],
      [{ number: `${p.number}`, "head-sha": "HEAD" }, /`head-sha` must hold a 40-hex/],
      [
        { number: `${p.number}`, "head-sha": victimHead },
        /is not the commit the first stage ran on/,
      ],
      [{ number: `${victim}` }, new RegExp(`pull request #${victim}'s head is ${victimHead}`)],
      [{}, /no `number` file/],
    ];
    const before = trusted.requests.length;
    for (const [files, message] of cases) {
      const dir = await artifact(files);
      const result = await runAction(p, { "pull-request-artifact": dir }, workflowRun(p));
      expect(result.exitCode).not.toBe(0);
      expect(result.outputs.verdict).toBe("errors");
      const errors = result.annotations.filter((a) => a.level === "error");
      expect(errors.map((a) => a.message).join("\n")).toMatch(message);
    }
    expect(trusted.requests.length).toBe(before);
    expect(gh.comments(OWNER, p.repo, p.number)).toEqual([]);
    expect(gh.comments(OWNER, p.repo, victim)).toEqual([]);
    expect(gh.statuses(OWNER, p.repo, victimHead)).toEqual([]);
  });
});

describe("pinned versions' gates in the comment", () => {
  it("are believed from the base's rollout.gate-creator, not from github-actions[bot] by default", async () => {
    const envs = (version: string) =>
      `environments:\n  production:\n    prompts:\n      p: { version: ${version}, model: gpt-4o-mini-2024-07-18 }\n`;
    const repo = `prompts-${++repoCount}`;
    await gh.createRepo(OWNER, repo, {
      "promptgate.yaml": settings('rollout: { gate-creator: "promptgate-app[bot]" }\n'),
      "prompts/p/v1.prompt": PROMPT(""),
      "prompts/p/v2.prompt": PROMPT("v2 style: "),
      "evals/p.yaml": goldenSet(),
      "environments.yaml": envs("v1"),
    });
    const base = (await gh.resolve(OWNER, repo, "main"))!;
    // v2's gate, on the commit that added it: a success from the app the base trusts, and a
    // later failure from github-actions[bot], which this repository does not trust.
    await gh.setStatus(OWNER, repo, base, {
      state: "success",
      context: "promptgate: p@v2",
      creator: "promptgate-app[bot]",
    });
    await gh.setStatus(OWNER, repo, base, { state: "failure", context: "promptgate: p@v2" });
    const workspace = join(temp, `workspace-${repoCount}`);
    const head = await gh.commitFiles(
      OWNER,
      repo,
      { "environments.yaml": envs("v2") },
      { branch: "feature", message: "p v2 to production" },
    );
    await cloneCheckout(gh, OWNER, repo, workspace, head);
    const number = gh.createPull(OWNER, repo, { head: "feature" });
    const result = await runAction(
      { repo, number, head, base, workspace },
      { "openai-base-url": trusted.baseURL },
    );
    expect(result.exitCode, result.stderr + result.stdout).toBe(0);
    const report = JSON.parse(
      await readFile(join(result.outputs["report-dir"]!, "report.json"), "utf8"),
    ) as { environmentChanges: { prompt: string; gatePassed: boolean | null }[] };
    expect(report.environmentChanges).toEqual([
      expect.objectContaining({ prompt: "p", gatePassed: true }),
    ]);
  });
});
