import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runAction } from "../../action/run.js";
import {
  buildActionInputs,
  buildRunnerContext,
  recordActionDeps,
} from "../support/helpers/action-harness.js";
import { createGitRepo, type GitRepo } from "../support/helpers/git-repo.js";
import { runCliCaptured } from "../support/helpers/run-cli.js";

/**
 * Issue 9, a false green: a folder without promptgate.yaml (a wrong `--root` or
 * `working-directory`) found no prompts, evaluated nothing and passed ("ok: 0 prompts", "$0").
 * Every command and the action now fail with E_CONFIG, exit 2, naming the folder they looked in.
 */
let empty: string;
let repo: GitRepo;
let temp: string;

beforeAll(async () => {
  temp = await mkdtemp(join(tmpdir(), "promptgate-no-settings-"));
  empty = join(temp, "empty");
  await mkdir(empty);
  // A repository whose promptgate.yaml lives in a subfolder, run from its root by mistake.
  repo = await createGitRepo();
  await repo.commit("base", {
    "app/promptgate.yaml": "version: 1\n",
    "app/prompts/greet/v1.prompt": "---\nmodel: gpt-4o-mini\n---\nHello\n",
  });
  await repo.branch("pr");
  await repo.commit("v2", { "app/prompts/greet/v2.prompt": "---\nmodel: gpt-4o-mini\n---\nHi\n" });
});
afterAll(async () => {
  await repo?.remove();
  if (temp) await rm(temp, { recursive: true, force: true });
});

function cli(cwd: string, ...argv: string[]) {
  return runCliCaptured(argv, { cwd, env: { OPENAI_API_KEY: "test-key" } });
}

describe("a command run where there is no promptgate.yaml fails, naming the folder", () => {
  for (const argv of [["validate"], ["cost"], ["eval"]]) {
    it(`promptgate ${argv.join(" ")}`, async () => {
      const r = await cli(empty, ...argv);
      expect(r.code).toBe(2);
      expect(r.out).toBe("");
      expect(r.err).toContain(`error E_CONFIG: no promptgate.yaml in ${empty}`);
      expect(r.err).toContain("hint: run promptgate in the folder that holds promptgate.yaml");
    });
  }

  it("promptgate diff, at the head it compares", async () => {
    const r = await cli(repo.root, "diff", "--base", "main", "--head", "pr");
    expect(r.code).toBe(2);
    expect(r.err).toContain(`error E_CONFIG: no promptgate.yaml in ${repo.root} at pr`);
  });

  it("with --root pointing at the folder that has one, the same commands run", async () => {
    const r = await cli(repo.root, "validate", "--root", "app");
    expect(r.code).toBe(0);
    expect(r.out).toContain("ok: 1 prompts");
  });
});

for (const folder of ["", "nope"]) {
  it(`the action with a working-directory that holds no promptgate.yaml fails, naming it (${folder || "the root"})`, async () => {
    const inputs = buildActionInputs({ root: join(repo.root, folder), comment: false });
    const context = buildRunnerContext({ workspace: repo.root, runnerTemp: temp });
    const { deps, summaries, statuses } = recordActionDeps(inputs);
    const failure = await runAction(inputs, context, deps).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(failure?.message).toContain(
      `error E_CONFIG: no promptgate.yaml in ${join(repo.root, folder)}`,
    );
    expect(summaries.join("\n")).toContain("the action&#39;s <code>working-directory</code> input");
    expect(statuses).toEqual([]);
  });
}
