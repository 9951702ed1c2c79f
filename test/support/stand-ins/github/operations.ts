/**
 * The REST operations the stand-in serves, spelled exactly as GitHub's OpenAPI description spells
 * its paths, so each route maps to one operation of `@octokit/openapi` for validation.
 */
export const SERVED_OPERATIONS = [
  "GET /app",
  "GET /app/installations/{installation_id}",
  "POST /app/installations/{installation_id}/access_tokens",
  "GET /repos/{owner}/{repo}/installation",
  "GET /repos/{owner}/{repo}",
  "GET /repos/{owner}/{repo}/contents/{path}",
  "PUT /repos/{owner}/{repo}/contents/{path}",
  "DELETE /repos/{owner}/{repo}/contents/{path}",
  "POST /repos/{owner}/{repo}/git/blobs",
  "GET /repos/{owner}/{repo}/git/blobs/{file_sha}",
  "POST /repos/{owner}/{repo}/git/trees",
  "GET /repos/{owner}/{repo}/git/trees/{tree_sha}",
  "POST /repos/{owner}/{repo}/git/commits",
  "GET /repos/{owner}/{repo}/git/commits/{commit_sha}",
  "GET /repos/{owner}/{repo}/git/ref/{ref}",
  "GET /repos/{owner}/{repo}/git/matching-refs/{ref}",
  "POST /repos/{owner}/{repo}/git/refs",
  "PATCH /repos/{owner}/{repo}/git/refs/{ref}",
  "DELETE /repos/{owner}/{repo}/git/refs/{ref}",
  "GET /repos/{owner}/{repo}/commits",
  "GET /repos/{owner}/{repo}/commits/{ref}",
  "GET /repos/{owner}/{repo}/commits/{ref}/status",
  "GET /repos/{owner}/{repo}/commits/{ref}/statuses",
  "GET /repos/{owner}/{repo}/commits/{ref}/check-runs",
  "POST /repos/{owner}/{repo}/statuses/{sha}",
  "POST /repos/{owner}/{repo}/check-runs",
  "GET /repos/{owner}/{repo}/check-runs/{check_run_id}",
  "PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}",
  "GET /repos/{owner}/{repo}/issues",
  "POST /repos/{owner}/{repo}/issues",
  "GET /repos/{owner}/{repo}/issues/{issue_number}",
  "GET /repos/{owner}/{repo}/issues/{issue_number}/comments",
  "POST /repos/{owner}/{repo}/issues/{issue_number}/comments",
  "GET /repos/{owner}/{repo}/issues/comments/{comment_id}",
  "PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}",
  "DELETE /repos/{owner}/{repo}/issues/comments/{comment_id}",
  "GET /repos/{owner}/{repo}/issues/comments/{comment_id}/reactions",
  "POST /repos/{owner}/{repo}/issues/comments/{comment_id}/reactions",
  "DELETE /repos/{owner}/{repo}/issues/comments/{comment_id}/reactions/{reaction_id}",
  "GET /repos/{owner}/{repo}/pulls/{pull_number}",
  "GET /repos/{owner}/{repo}/pulls/{pull_number}/files",
  "GET /repos/{owner}/{repo}/collaborators/{username}/permission",
  "GET /orgs/{org}/teams/{team_slug}/memberships/{username}",
  "GET /repos/{owner}/{repo}/deployments",
  "POST /repos/{owner}/{repo}/deployments",
  "GET /repos/{owner}/{repo}/deployments/{deployment_id}",
  "GET /repos/{owner}/{repo}/deployments/{deployment_id}/statuses",
  "POST /repos/{owner}/{repo}/deployments/{deployment_id}/statuses",
  "POST /repos/{owner}/{repo}/dispatches",
  "GET /repos/{owner}/{repo}/commits/{commit_sha}/pulls",
] as const;

export type OperationKey = (typeof SERVED_OPERATIONS)[number];

/**
 * Parameters that may hold `/`. GitHub marks some with `x-multi-segment`; git refs are not marked
 * but `heads/main` arrives raw from curl and encoded (`heads%2Fmain`) from Octokit.
 */
export const MULTI_SEGMENT: Partial<Record<OperationKey, string>> = {
  "GET /repos/{owner}/{repo}/contents/{path}": "path",
  "PUT /repos/{owner}/{repo}/contents/{path}": "path",
  "DELETE /repos/{owner}/{repo}/contents/{path}": "path",
  "GET /repos/{owner}/{repo}/git/trees/{tree_sha}": "tree_sha",
  "GET /repos/{owner}/{repo}/git/ref/{ref}": "ref",
  "GET /repos/{owner}/{repo}/git/matching-refs/{ref}": "ref",
  "PATCH /repos/{owner}/{repo}/git/refs/{ref}": "ref",
  "DELETE /repos/{owner}/{repo}/git/refs/{ref}": "ref",
  "POST /repos/{owner}/{repo}/statuses/{sha}": "sha",
};

export type AppPermissionLevel = "read" | "write";

/**
 * The GitHub App permission each operation needs (GitHub's "fine-grained permissions" tables).
 * Installation tokens without it get 403 "Resource not accessible by integration", so a bot
 * whose manifest lacks a permission fails here as it would on GitHub.
 */
export const REQUIRED_PERMISSION: Partial<Record<OperationKey, [string, AppPermissionLevel]>> = {
  "GET /repos/{owner}/{repo}": ["metadata", "read"],
  "GET /repos/{owner}/{repo}/contents/{path}": ["contents", "read"],
  "PUT /repos/{owner}/{repo}/contents/{path}": ["contents", "write"],
  "DELETE /repos/{owner}/{repo}/contents/{path}": ["contents", "write"],
  "POST /repos/{owner}/{repo}/git/blobs": ["contents", "write"],
  "GET /repos/{owner}/{repo}/git/blobs/{file_sha}": ["contents", "read"],
  "POST /repos/{owner}/{repo}/git/trees": ["contents", "write"],
  "GET /repos/{owner}/{repo}/git/trees/{tree_sha}": ["contents", "read"],
  "POST /repos/{owner}/{repo}/git/commits": ["contents", "write"],
  "GET /repos/{owner}/{repo}/git/commits/{commit_sha}": ["contents", "read"],
  "GET /repos/{owner}/{repo}/git/ref/{ref}": ["contents", "read"],
  "GET /repos/{owner}/{repo}/git/matching-refs/{ref}": ["contents", "read"],
  "POST /repos/{owner}/{repo}/git/refs": ["contents", "write"],
  "PATCH /repos/{owner}/{repo}/git/refs/{ref}": ["contents", "write"],
  "DELETE /repos/{owner}/{repo}/git/refs/{ref}": ["contents", "write"],
  "GET /repos/{owner}/{repo}/commits": ["contents", "read"],
  "GET /repos/{owner}/{repo}/commits/{ref}": ["contents", "read"],
  "GET /repos/{owner}/{repo}/commits/{ref}/status": ["statuses", "read"],
  "GET /repos/{owner}/{repo}/commits/{ref}/statuses": ["statuses", "read"],
  "POST /repos/{owner}/{repo}/statuses/{sha}": ["statuses", "write"],
  "GET /repos/{owner}/{repo}/commits/{ref}/check-runs": ["checks", "read"],
  "POST /repos/{owner}/{repo}/check-runs": ["checks", "write"],
  "GET /repos/{owner}/{repo}/check-runs/{check_run_id}": ["checks", "read"],
  "PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}": ["checks", "write"],
  "GET /repos/{owner}/{repo}/issues": ["issues", "read"],
  "POST /repos/{owner}/{repo}/issues": ["issues", "write"],
  "GET /repos/{owner}/{repo}/issues/{issue_number}": ["issues", "read"],
  "GET /repos/{owner}/{repo}/issues/{issue_number}/comments": ["issues", "read"],
  "POST /repos/{owner}/{repo}/issues/{issue_number}/comments": ["issues", "write"],
  "GET /repos/{owner}/{repo}/issues/comments/{comment_id}": ["issues", "read"],
  "PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}": ["issues", "write"],
  "DELETE /repos/{owner}/{repo}/issues/comments/{comment_id}": ["issues", "write"],
  "GET /repos/{owner}/{repo}/issues/comments/{comment_id}/reactions": ["issues", "read"],
  "POST /repos/{owner}/{repo}/issues/comments/{comment_id}/reactions": ["issues", "write"],
  "DELETE /repos/{owner}/{repo}/issues/comments/{comment_id}/reactions/{reaction_id}": [
    "issues",
    "write",
  ],
  "GET /repos/{owner}/{repo}/pulls/{pull_number}": ["pull_requests", "read"],
  "GET /repos/{owner}/{repo}/pulls/{pull_number}/files": ["pull_requests", "read"],
  "GET /repos/{owner}/{repo}/commits/{commit_sha}/pulls": ["pull_requests", "read"],
  "GET /repos/{owner}/{repo}/collaborators/{username}/permission": ["metadata", "read"],
  "GET /orgs/{org}/teams/{team_slug}/memberships/{username}": ["members", "read"],
  "GET /repos/{owner}/{repo}/deployments": ["deployments", "read"],
  "POST /repos/{owner}/{repo}/deployments": ["deployments", "write"],
  "GET /repos/{owner}/{repo}/deployments/{deployment_id}": ["deployments", "read"],
  "GET /repos/{owner}/{repo}/deployments/{deployment_id}/statuses": ["deployments", "read"],
  "POST /repos/{owner}/{repo}/deployments/{deployment_id}/statuses": ["deployments", "write"],
  "POST /repos/{owner}/{repo}/dispatches": ["contents", "write"],
};
