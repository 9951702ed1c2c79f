import type { Role } from "../../src/formats/settings.js";
import { roleFromPermission } from "../../src/rollout/index.js";
import type { GitHubRequest } from "../octokit.js";
import { statusOf } from "./errors.js";
import type { RepoRef } from "./repo-ref.js";

/**
 * The actor's repository role from `role_name` and `user.permissions` (never the legacy
 * `permission`, which calls maintainers `write`). Someone GitHub does not know here has none.
 */
export async function readRole(
  octokit: GitHubRequest,
  repo: RepoRef,
  username: string,
): Promise<Role | null> {
  try {
    const { data } = await octokit.request(
      "GET /repos/{owner}/{repo}/collaborators/{username}/permission",
      { ...repo, username },
    );
    return roleFromPermission(data);
  } catch (e) {
    if (statusOf(e) === 404) return null;
    throw e;
  }
}

/**
 * The teams among `teams` the user is an active member of. A team is `slug` (in the repository
 * owner's organization) or `org/slug`. A 404 or 403 means "not a member, as far as we may see":
 * a pending invitation or an unreadable team must not grant anything.
 */
export async function readTeamMemberships(
  octokit: GitHubRequest,
  owner: string,
  teams: readonly string[],
  username: string,
): Promise<string[]> {
  const checks = teams.map(async (team) => {
    const name = team.replace(/^@/, "");
    const [org, slug] = name.includes("/") ? name.split("/", 2) : [owner, name];
    try {
      const { data } = await octokit.request(
        "GET /orgs/{org}/teams/{team_slug}/memberships/{username}",
        { org: org!, team_slug: slug!, username },
      );
      return data.state === "active" ? team : undefined;
    } catch (e) {
      const status = statusOf(e);
      if (status === 404 || status === 403) return undefined;
      throw e;
    }
  });
  return (await Promise.all(checks)).filter((t): t is string => t !== undefined);
}
