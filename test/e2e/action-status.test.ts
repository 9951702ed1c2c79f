import { afterEach, describe, expect, it } from "vitest";
import { findLastChangeInRange } from "../../src/io/github/last-change.js";
import { createGitRepo, type GitRepo } from "../support/helpers/git-repo.js";

// Where the action posts a version's gate: `/promote` reads it on the commit that last changed
// the version's file, so that commit must be the one whose content the pull request evaluated.
let repo: GitRepo | undefined;
afterEach(async () => {
  await repo?.remove();
  repo = undefined;
});

describe("findLastChangeInRange", () => {
  it("names the newest commit of the change that edited the file, never a merge", async () => {
    repo = await createGitRepo();
    const base = await repo.commit("base", { "prompts/a/v1.prompt": "one\n" });
    await repo.branch("feature");
    const added = await repo.commit("add v2", { "prompts/a/v2.prompt": "two\n" });
    await repo.commit("notes", { "notes.md": "x\n" });
    const edited = await repo.commit("edit v2", { "prompts/a/v2.prompt": "two, better\n" });
    await repo.commit("more notes", { "notes.md": "y\n" });
    // GitHub's synthetic merge of the pull request, as actions/checkout gives it.
    await repo.checkout("main");
    await repo.commit("main moves on", { "README.md": "hi\n" });
    await repo.git("merge", "--no-ff", "-m", "merge", "feature");
    const merge = (await repo.git("rev-parse", "HEAD")).trim();

    expect(await findLastChangeInRange(repo.root, base, merge, "prompts/a/v2.prompt")).toBe(edited);
    expect(await findLastChangeInRange(repo.root, base, added, "prompts/a/v2.prompt")).toBe(added);
    expect(
      await findLastChangeInRange(repo.root, base, merge, "prompts/a/v9.prompt"),
    ).toBeUndefined();
  });
});
