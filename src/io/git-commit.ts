import { spawn } from "node:child_process";
import { PromptgateError } from "../errors.js";
import { git } from "./file-sources.js";

/** Writing one file's change as a local commit, the way the CLI's rollout commands record it. */

/** A hand edit in progress would be committed under the bot's message: refuse instead. */
export async function requireCleanFile(root: string, path: string): Promise<void> {
  const status = (await git(root, ["status", "--porcelain", "--", path])).trim();
  if (status !== "") {
    throw new PromptgateError("E_USAGE", `${path} has uncommitted changes`, {
      hint: "commit or discard them first: the command commits this file alone",
    });
  }
}

/** git's `user.name`, or undefined when none is set. */
export async function readGitUserName(root: string): Promise<string | undefined> {
  const name = (await git(root, ["config", "user.name"]).catch(() => "")).trim();
  return name === "" ? undefined : name;
}

/** Commits `path` alone with `message`, whatever else is staged, and returns the new commit. */
export async function commitFile(root: string, path: string, message: string): Promise<string> {
  await new Promise<void>((done, fail) => {
    // `--only` with a pathspec commits this file and nothing else that happens to be staged.
    const child = spawn("git", ["commit", "--quiet", "--only", "-F", "-", "--", path], {
      cwd: root,
    });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    child.on("error", fail);
    child.on("close", (code) =>
      code === 0
        ? done()
        : fail(
            new PromptgateError("E_GIT", `git commit failed: ${stderr.trim()}`, {
              hint: "check git's user.name and user.email, and that the checkout is not mid-merge",
            }),
          ),
    );
    child.stdin.end(message);
  });
  return (await git(root, ["rev-parse", "HEAD"])).trim();
}
