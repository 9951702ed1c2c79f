import type { Role } from "../../formats/settings.js";
import { roleFromPermission } from "../../rollout/index.js";
import type { GitHubRequest } from "./client.js";
import { isPermissionDenied, statusOf } from "./errors.js";
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

export interface TeamMemberships {
  /** Teams the user is an active member of. */
  member: string[];
  /**
   * Teams GitHub would not tell us about (403): the token lacks `members: read` (GITHUB_TOKEN
   * never has it). Not a membership, but not a "no" either: the refusal must say so.
   */
  unreadable: string[];
}

/**
 * The teams among `teams` the user is an active member of. A team is `slug` (in the repository
 * owner's organization) or `org/slug`. A 404 means "not a member" (GitHub's answer for
 * non-members and pending invitations alike); a 403 means the token may not read membership,
 * which grants nothing but is reported as unreadable. A rate-limit 403 is a failure, thrown.
 */
export async function readTeamMemberships(
  octokit: GitHubRequest,
  owner: string,
  teams: readonly string[],
  username: string,
): Promise<TeamMemberships> {
  const checks = teams.map(
    async (team): Promise<{ team: string; state: "member" | "unreadable" } | undefined> => {
      const name = team.replace(/^@/, "");
      const [org, slug] = name.includes("/") ? name.split("/", 2) : [owner, name];
      try {
        const { data } = await octokit.request(
          "GET /orgs/{org}/teams/{team_slug}/memberships/{username}",
          { org: org!, team_slug: slug!, username },
        );
        return data.state === "active" ? { team, state: "member" } : undefined;
      } catch (e) {
        const status = statusOf(e);
        if (status === 404) return undefined;
        if (isPermissionDenied(e)) return { team, state: "unreadable" };
        throw e;
      }
    },
  );
  const answers = (await Promise.all(checks)).filter((a) => a !== undefined);
  return {
    member: answers.filter((a) => a.state === "member").map((a) => a.team),
    unreadable: answers.filter((a) => a.state === "unreadable").map((a) => a.team),
  };
}
