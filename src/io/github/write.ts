import type { GitHubRequest } from "./client.js";
import { statusOf } from "./errors.js";
import type { RepoRef } from "./repo-ref.js";

export type WriteResult =
  | {
      kind: "written";
      commitSha: string;
      parentSha: string | undefined;
      blobSha: string;
      htmlUrl: string | undefined;
      author: string;
      date: string;
    }
  /** The file is no longer at `blobSha`: re-read, and re-plan or stop. */
  | { kind: "conflict" };

/**
 * Compare-and-swap on one file: the contents API commits only when the file is still at the blob
 * we read (GitHub answers 409 otherwise). The Octokit is configured not to retry a 409, so it
 * reaches us at once instead of being re-sent with the same stale sha.
 */
export async function writeFileIfUnchanged(
  octokit: GitHubRequest,
  repo: RepoRef,
  file: { path: string; branch: string; blobSha: string; text: string; message: string },
): Promise<WriteResult> {
  try {
    const { data } = await octokit.request("PUT /repos/{owner}/{repo}/contents/{path}", {
      ...repo,
      path: file.path,
      branch: file.branch,
      sha: file.blobSha,
      message: file.message,
      content: Buffer.from(file.text, "utf8").toString("base64"),
      // Never re-sent by the retry plugin: a lost answer must come back to the caller, who
      // checks whether the commit landed before saying anything.
      request: { retries: 0 },
    });
    const commit = data.commit;
    return {
      kind: "written",
      commitSha: commit.sha ?? "",
      parentSha: commit.parents?.[0]?.sha,
      blobSha: data.content?.sha ?? "",
      htmlUrl: commit.html_url,
      author: commit.author?.name ?? "",
      date: commit.committer?.date ?? commit.author?.date ?? "",
    };
  } catch (e) {
    if (statusOf(e) === 409) return { kind: "conflict" };
    throw e;
  }
}
