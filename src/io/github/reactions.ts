import type { GitHubRequest } from "./client.js";
import { statusOf } from "./errors.js";
import type { RepoRef } from "./repo-ref.js";

export type Reaction = "eyes" | "rocket" | "+1" | "-1" | "confused";

export interface AddedReaction {
  id: number;
  /** false when the app had already reacted so (GitHub answers 200 instead of 201). */
  created: boolean;
}

export async function addReaction(
  octokit: GitHubRequest,
  repo: RepoRef,
  commentId: number,
  content: Reaction,
): Promise<AddedReaction> {
  const res = await octokit.request(
    "POST /repos/{owner}/{repo}/issues/comments/{comment_id}/reactions",
    { ...repo, comment_id: commentId, content },
  );
  return { id: res.data.id, created: res.status === 201 };
}

/** Removes a reaction; one that is already gone is fine. */
export async function removeReaction(
  octokit: GitHubRequest,
  repo: RepoRef,
  commentId: number,
  reactionId: number,
): Promise<void> {
  try {
    await octokit.request(
      "DELETE /repos/{owner}/{repo}/issues/comments/{comment_id}/reactions/{reaction_id}",
      { ...repo, comment_id: commentId, reaction_id: reactionId },
    );
  } catch (e) {
    if (statusOf(e) !== 404) throw e;
  }
}
