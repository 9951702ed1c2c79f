import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  buildActionInputs,
  buildRunnerContext,
  runActionInMemory,
} from "../support/helpers/action-harness.js";
import {
  type ActionFolder,
  cloneCheckout,
  openPullRequest,
  type PullRequestRef,
  prepareActionFolder,
  pullRequestRun,
} from "../support/helpers/composite-action.js";
import { createGitRepo, type GitRepo } from "../support/helpers/git-repo.js";
import { runCliCaptured } from "../support/helpers/run-cli.js";
import { type GitHubStandIn, startGitHubStandIn } from "../support/stand-ins/github/index.js";
import { type OpenAIStandIn, startOpenAIStandIn } from "../support/stand-ins/openai/index.js";

/**
 * A monorepo: promptgate.yaml, prompts/ and evals/ live in `llm/`, a subfolder of the git
 * repository, and promptgate runs there (`--root llm`, the action's `working-directory: llm`).
 * git names a revision's files from the repository root (`<sha>:path`) and lists changes from it:
 * every read of a revision must still find `llm/`'s files, and changes outside `llm/` (a prompt
 * file of the same name at the root included) must be ignored. Annotations stay relative to the
 * repository root, as GitHub matches them against the pull request's diff.
 */
let repo: GitRepo;
let llm: OpenAIStandIn;
let temp: string;
let addedV2: string;
let head: string;

const prompt = (model: string, text: string) =>
  `---\nmodel: ${model}\ninput:\n  schema: { name: string }\n---\n{{role "system"}}\n${text}\n{{role "user"}}\n{{name}}\n`;
const GOLDEN_SET = `cases:\n  - id: ada\n    vars: { name: Ada }\n    assert: [{ type: contains, value: Ada }]\n`;
const environments = (version: string) =>
  `environments:\n  production:\n    prompts:\n      greet: { version: ${version}, model: gpt-4o-mini-2024-07-18 }\nfreezes: {}\n`;

beforeAll(async () => {
  llm = await startOpenAIStandIn({ validate: true });
  temp = await mkdtemp(join(tmpdir(), "promptgate-subfolder-"));
  repo = await createGitRepo();
  await repo.commit("base", {
    "README.md": "# the app\n",
    ".gitignore": ".promptgate/\n",
    "llm/promptgate.yaml": `version: 1\nprovider: { base-url: "${llm.baseURL}" }\nrepeats: 1\ngates: { max-regression: 1 }\n`,
    "llm/prompts/greet/v1.prompt": prompt("gpt-4o-mini-2024-07-18", "Greet the user by name."),
    "llm/evals/greet.yaml": GOLDEN_SET,
    "llm/environments.yaml": environments("v1"),
    // A committed folder outside llm/: the pull request's to fill, so never a cache.
    "shared-cache/keep.json": "{}\n",
  });
  await repo.branch("pr", "main");
  // v2 on an undated alias: the lint's warning is an annotation on its file.
  addedV2 = await repo.commit("greet v2", {
    "llm/prompts/greet/v2.prompt": prompt("gpt-4o-mini", "Greet the user warmly by name."),
  });
  // Outside llm/: not promptgate's, even where it looks like a prompt.
  head = await repo.commit("the app", {
    "README.md": "# the app, greeting warmly\n",
    "prompts/greet/v9.prompt": prompt("gpt-4o-mini-2024-07-18", "Not this one."),
  });
  await repo.checkout("main");
});
afterAll(async () => {
  await llm?.close();
  await repo?.remove();
  if (temp) await rm(temp, { recursive: true, force: true });
});
afterEach(() => {
  expect(llm.violations).toEqual([]);
});

function cli(...argv: string[]) {
  return runCliCaptured(argv, {
    cwd: repo.root,
    env: { OPENAI_API_KEY: "test-key", XDG_CACHE_HOME: join(temp, "xdg") },
  });
}

describe("the CLI with --root set to a subfolder of the repository", () => {
  it("validate and eval read the subfolder", async () => {
    const validated = await cli("validate", "--root", "llm");
    expect(validated.err).toBe("");
    expect(validated.out).toMatch(/^ok: 1 prompts \(1 versions\), 1 golden sets \(1 cases\)/);
    expect(validated.code).toBe(0);

    const evaluated = await cli("eval", "--root", "llm", "--no-cache");
    expect(evaluated.err).not.toMatch(/error/);
    expect(evaluated.out).toMatch(/greet@v1\s+gpt-4o-mini-2024-07-18/);
    expect(evaluated.code).toBe(0);
  });

  it("refuses a cache folder git tracks outside the subfolder, as inside it", async () => {
    const r = await cli("eval", "--root", "llm", "--cache-dir", "../shared-cache");
    expect(r.err).toContain(
      "error E_CONFIG: the cache folder ../shared-cache holds files git tracks (../shared-cache/keep.json)",
    );
    expect(r.code).toBe(2);
  });

  it("diff between two commits evaluates base and head of the subfolder only", async () => {
    const outDir = join(temp, "cli-diff");
    const r = await cli(
      "diff",
      "--root",
      "llm",
      "--base",
      "main",
      "--head",
      "pr",
      "--out-dir",
      outDir,
      "--no-cache",
    );
    expect(r.err).not.toMatch(/error E_/);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/greet/);
    expect(r.out).toMatch(/v1 → v2/);
    expect(r.out).not.toMatch(/v9/);
  });

  it("diff against the working tree sees the subfolder's uncommitted files only", async () => {
    await repo.write({
      "llm/prompts/greet/v2.prompt": prompt("gpt-4o-mini-2024-07-18", "Greet them by name."),
      "prompts/greet/v9.prompt": prompt("gpt-4o-mini-2024-07-18", "Not this one."),
    });
    // Staged, v2 comes from `git diff` (tracked); v9 stays untracked (`ls-files --others`).
    await repo.git("add", "llm/prompts/greet/v2.prompt");
    try {
      const r = await cli("diff", "--root", "llm", "--base", "main", "--no-cache");
      expect(r.err).not.toMatch(/error E_/);
      expect(r.code, r.err).toBe(0);
      expect(r.out).toMatch(/v1 → v2/);
      expect(r.out).not.toMatch(/v9/);
    } finally {
      await repo.git("reset", "--quiet");
      await repo.write({ "llm/prompts/greet/v2.prompt": null, "prompts/greet/v9.prompt": null });
    }
  });
});

describe("the action with working-directory set to a subfolder (runAction)", () => {
  it("evaluates base and head, posts the comment and the statuses, annotates from the repository root", async () => {
    const { outcome, comments, statuses, annotations } = await runActionInMemory(
      // working-directory: llm
      buildActionInputs({ root: join(repo.root, "llm") }),
      buildRunnerContext({
        repository: { owner: "acme", repo: "monorepo" },
        workspace: repo.root,
        runnerTemp: temp,
      }),
    );
    expect(outcome.verdict).toBe("pass");
    expect(outcome.failed).toBe(false);

    const body = comments.bodies.at(-1) ?? "";
    expect(body.startsWith("<!-- promptgate:report v1 -->")).toBe(true);
    expect(body).toContain("greet");
    expect(body).not.toContain("v9");
    // The base was evaluated too: both versions ran the golden set.
    const sent = llm.requests.map((r) => JSON.stringify(r.body));
    expect(sent.some((b) => b.includes("Greet the user by name."))).toBe(true);
    expect(sent.some((b) => b.includes("Greet the user warmly by name."))).toBe(true);

    // On the head, and on the commit that last changed the version's file (found by git log).
    expect(statuses.map((s) => [s.sha, s.context, s.state]).sort()).toEqual(
      [
        [head, "promptgate: greet@v2", "success"],
        [addedV2, "promptgate: greet@v2", "success"],
      ].sort(),
    );
    expect(annotations.find((a) => a.title === "promptgate E_LINT")).toMatchObject({
      file: "llm/prompts/greet/v2.prompt",
      line: 2,
    });
  });
});

describe("rollout commands with --root set to a subfolder", () => {
  it("rollback reads environments.yaml's history from the subfolder and commits there", async () => {
    await repo.branch("ship", "pr");
    try {
      await repo.commit("Ship greet v2", { "llm/environments.yaml": environments("v2") });
      const status = await cli("status", "--root", "llm");
      expect(status.code, status.err).toBe(0);
      expect(status.out).toMatch(/production: since .*Ship greet v2/);

      const r = await cli("rollback", "production", "--root", "llm", "--actor", "alice");
      expect(r.code, r.err).toBe(0);
      expect(r.out).toContain("promptgate(production): rollback greet v2 → v1");
      expect(await repo.git("show", "HEAD:llm/environments.yaml")).toBe(environments("v1"));
    } finally {
      await repo.checkout("main");
    }
  });
});

describe("action.yml with working-directory: llm (the built dist in the runner stand-in)", () => {
  const OWNER = "acme";
  const REPO = "monorepo";
  let gh: GitHubStandIn;
  let action: ActionFolder;
  let workspace: string;
  let pull: PullRequestRef & { added: string };

  beforeAll(async () => {
    action = await prepareActionFolder("promptgate-subfolder-action-");
    gh = await startGitHubStandIn();
    await gh.createRepo(OWNER, REPO, {
      "README.md": "# the app\n",
      "llm/promptgate.yaml": `version: 1\nrepeats: 1\ngates: { max-regression: 1 }\n`,
      "llm/prompts/greet/v1.prompt": prompt("gpt-4o-mini-2024-07-18", "Greet the user by name."),
      "llm/evals/greet.yaml": GOLDEN_SET,
    });
    const opened = await openPullRequest(gh, OWNER, REPO, "greet-v2", [
      {
        message: "greet v2",
        files: {
          "llm/prompts/greet/v2.prompt": prompt("gpt-4o-mini", "Greet the user warmly by name."),
        },
      },
      {
        message: "not promptgate's",
        files: { "prompts/greet/v9.prompt": prompt("gpt-4o-mini-2024-07-18", "Not this one.") },
      },
    ]);
    pull = { ...opened, added: opened.commits[0]! };
    // actions/checkout with fetch-depth: 0, at the pull request's head.
    workspace = join(action.temp, "workspace");
    await cloneCheckout(gh, OWNER, REPO, workspace, pull.head);
  }, 180_000);
  afterAll(async () => {
    await gh?.close();
    await action?.dispose();
  });
  afterEach(() => {
    expect(gh.violations.splice(0)).toEqual([]);
  });

  it("evaluates llm/'s base and head, posts the comment and statuses, annotates llm/… paths", async () => {
    const result = await action.run({
      ...pullRequestRun(gh, OWNER, REPO, pull, workspace),
      with: {
        "openai-base-url": llm.baseURL,
        "openai-api-key": "test-key",
        "working-directory": "llm",
        "upload-report": "false",
      },
      runId: 4243,
      // upload-report: false skips the step; the runner stand-in still wants each `uses:` stubbed.
      uses: { "actions/upload-artifact@v4": () => ({}) },
    });
    expect(result.exitCode, result.stderr + result.stdout).toBe(0);
    expect(result.outputs.verdict).toBe("pass");
    const comments = gh.comments(OWNER, REPO, pull.number);
    expect(comments).toHaveLength(1);
    expect(comments[0]?.body).toContain("greet");
    expect(comments[0]?.body).not.toContain("v9");
    expect(gh.statuses(OWNER, REPO, pull.head).map((s) => [s.context, s.state])).toEqual([
      ["promptgate: greet@v2", "success"],
    ]);
    expect(gh.statuses(OWNER, REPO, pull.added).map((s) => [s.context, s.state])).toEqual([
      ["promptgate: greet@v2", "success"],
    ]);
    const lint = result.annotations.find((a) => a.properties.title === "promptgate E_LINT");
    expect(lint, JSON.stringify(result.annotations)).toMatchObject({
      level: "warning",
      properties: { file: "llm/prompts/greet/v2.prompt", line: "2" },
    });
  });
});
