import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, it } from "vitest";
import { gitRevisionSource } from "../../../src/io/file-sources.js";
import { readGitHistory } from "../../../src/io/git-history.js";
import { createGitRepo, type GitRepo, ISOLATED_GIT_ENV } from "../../support/helpers/git-repo.js";

/**
 * A revision's files, read with git from where `root` is: a repository's top, a subfolder of it
 * (a monorepo's `llm/`: paths relative to it, nothing from outside), or a bare repository (a
 * runtime source reading a mirror), where git has no working tree to be relative to.
 */
const exec = promisify(execFile);
const ENVIRONMENTS = (v: string) =>
  `environments:\n  production:\n    prompts:\n      greet: { version: ${v}, model: gpt-4o-mini-2024-07-18 }\n`;
let repo: GitRepo;
let bare: string;

beforeAll(async () => {
  repo = await createGitRepo();
  await repo.commit("one", {
    "promptgate.yaml": "version: 1\n# top\n",
    "llm/promptgate.yaml": "version: 1\n# llm\n",
    "llm/prompts/greet/v1.prompt": "hello\n",
    "llm/environments.yaml": ENVIRONMENTS("v1"),
  });
  await repo.commit("two", { "llm/environments.yaml": ENVIRONMENTS("v2") });
  bare = join(repo.root, ".git-bare");
  await exec("git", ["clone", "--quiet", "--bare", repo.root, bare], { env: ISOLATED_GIT_ENV });
});
afterAll(async () => {
  await repo?.remove();
});

it("in a subfolder, reads and lists that folder's files, relative to it", async () => {
  const source = await gitRevisionSource(join(repo.root, "llm"), "HEAD");
  expect(await source.read("promptgate.yaml")).toBe("version: 1\n# llm\n");
  expect(await source.list("prompts")).toEqual(["prompts/greet/v1.prompt"]);
  expect(await source.read("../promptgate.yaml")).toBeUndefined();
});

it("at the top of a working tree and in a bare repository, reads from the top", async () => {
  for (const root of [repo.root, bare]) {
    const source = await gitRevisionSource(root, "HEAD");
    expect(await source.read("promptgate.yaml")).toBe("version: 1\n# top\n");
    expect(await source.read("llm/prompts/greet/v1.prompt")).toBe("hello\n");
  }
});

it("reads a file's history from a subfolder and from a bare repository", async () => {
  const fromSubfolder = await readGitHistory(join(repo.root, "llm"), "environments.yaml", 10);
  const fromBare = await readGitHistory(bare, "llm/environments.yaml", 10);
  for (const history of [fromSubfolder, fromBare]) {
    expect(history.map((h) => [h.subject, h.environments.environments.production])).toEqual([
      ["two", { prompts: { greet: { version: "v2", model: "gpt-4o-mini-2024-07-18" } } }],
      ["one", { prompts: { greet: { version: "v1", model: "gpt-4o-mini-2024-07-18" } } }],
    ]);
  }
});
