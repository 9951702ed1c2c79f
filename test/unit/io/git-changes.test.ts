import { rename } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { listChangedFiles } from "../../../src/io/git-changes.js";
import { createGitRepo, type GitRepo } from "../../support/helpers/git-repo.js";

/**
 * The changed files of a monorepo's subfolder (`root` = `llm/`): git names them from the
 * repository's top; promptgate wants them relative to `root`, and none from outside it.
 */
let repo: GitRepo;

beforeAll(async () => {
  repo = await createGitRepo();
  await repo.commit("base", {
    "README.md": "# app\n",
    "prompts/top/v1.prompt": "top\n",
    "llm/prompts/greet/v1.prompt": "hello\n",
    "llm/evals/greet.yaml": "cases: []\n",
  });
  await repo.branch("pr", "main");
  await repo.commit("pr", {
    "README.md": "# app, changed\n",
    "prompts/top/v2.prompt": "top 2\n",
    "llm/prompts/greet/v2.prompt": "hello 2\n",
    "llm/evals/greet.yaml": null,
  });
  await repo.checkout("main");
});
afterAll(async () => {
  await repo?.remove();
});

it("between commits: paths relative to the subfolder, nothing from outside it", async () => {
  const changes = await listChangedFiles(join(repo.root, "llm"), "main", "pr");
  expect(changes).toEqual([
    { status: "deleted", path: "evals/greet.yaml" },
    { status: "added", path: "prompts/greet/v2.prompt" },
  ]);
});

it("in the working tree: a plain mv inside the subfolder is a rename, outside files are ignored", async () => {
  await rename(
    join(repo.root, "llm/prompts/greet/v1.prompt"),
    join(repo.root, "llm/prompts/greet/v3.prompt"),
  );
  await repo.write({ "README.md": "# edited\n", "prompts/top/v3.prompt": "top 3\n" });
  try {
    const changes = await listChangedFiles(join(repo.root, "llm"), "main", "worktree");
    expect(changes).toEqual([
      { status: "renamed", path: "prompts/greet/v3.prompt", oldPath: "prompts/greet/v1.prompt" },
    ]);
  } finally {
    await repo.git("checkout", "--", ".");
    await repo.write({ "llm/prompts/greet/v3.prompt": null, "prompts/top/v3.prompt": null });
  }
});
