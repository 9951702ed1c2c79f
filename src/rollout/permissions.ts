import type { Role, Rule, Settings } from "../formats/settings.js";
import { CANARY, type ParsedCommand } from "./command.js";

/**
 * Who may run what. Rules come from `promptgate.yaml` on the default branch (the caller reads it
 * from there, never from a pull request); the role comes from the collaborator-permission API.
 */

/** The largest canary share the `promote` rule may set; above it, `promote-production` applies. */
const MAX_CANARY_SHARE_BY_PROMOTE = 50;

/**
 * The share of production requests a command gives canary, whichever form sets it:
 * `/promote canary --traffic N` or `/promote <env> to canary --traffic N`. Undefined when the
 * command does not set it (`/promote canary to production` only stops canary: that is a
 * production deploy anyway). The permission rule and the production-freeze check of the plan
 * both read the share from here, so neither form can slip past one of them.
 */
export function canaryShareSetBy(command: ParsedCommand): number | undefined {
  if (command.kind === "canary-traffic") return command.traffic;
  if (command.kind === "promote" && command.to === CANARY) return command.traffic;
  return undefined;
}

/** Whether a command puts more than {@link MAX_CANARY_SHARE_BY_PROMOTE} % of production on canary. */
function isCanaryMajority(command: ParsedCommand): boolean {
  const share = canaryShareSetBy(command);
  return share !== undefined && share > MAX_CANARY_SHARE_BY_PROMOTE;
}

export const ROLE_ORDER: readonly Role[] = ["read", "triage", "write", "maintain", "admin"];

export function roleRank(role: Role): number {
  return ROLE_ORDER.indexOf(role);
}

/** The subset of `GET /repos/{owner}/{repo}/collaborators/{username}/permission` we read. */
export interface CollaboratorPermission {
  /** Legacy: reports `maintain` as `write` and `triage` as `read`. Deliberately ignored. */
  permission?: string | null;
  role_name?: string | null;
  user?: {
    permissions?: {
      admin?: boolean;
      maintain?: boolean;
      push?: boolean;
      triage?: boolean;
      pull?: boolean;
    } | null;
  } | null;
}

/**
 * The actor's role from `role_name` and `user.permissions`, the higher of the two (a custom
 * repository role has its own `role_name` and shows its base role in the flags). Never the
 * legacy `permission` field, which would let a maintainer look like a writer.
 */
export function roleFromPermission(response: CollaboratorPermission): Role | null {
  let best: Role | null = null;
  const consider = (role: Role) => {
    if (best === null || roleRank(role) > roleRank(best)) best = role;
  };
  const named = response.role_name?.toLowerCase();
  if (named && (ROLE_ORDER as readonly string[]).includes(named)) consider(named as Role);
  const flags = response.user?.permissions;
  if (flags) {
    if (flags.admin) consider("admin");
    if (flags.maintain) consider("maintain");
    if (flags.push) consider("write");
    if (flags.triage) consider("triage");
    if (flags.pull) consider("read");
  }
  return best;
}

export type RuleName = "rollback" | "promote" | "promote-production" | "freeze";

export type PermissionDecision =
  | { allowed: true; via: string }
  | { allowed: false; needed: string; seen: string; message: string };

export interface PermissionInput {
  command: ParsedCommand;
  settings: Settings;
  role: Role | null;
  /** Teams (slugs, or `org/slug`) the actor is an active member of, among those the rule names. */
  teams: readonly string[];
  /**
   * Teams of the rule whose membership GitHub would not show (403: the token lacks
   * `members: read`). They grant nothing, and a refusal says they could not be checked rather
   * than implying the actor is not a member.
   */
  unreadableTeams?: readonly string[];
  /** Whether the command changes production; derived from the command when left out. */
  isProductionTarget?: boolean;
}

/** The rule a command falls under, or undefined when anyone who can comment may run it. */
export function selectRule(
  command: ParsedCommand,
  settings: Settings,
  isProductionTarget?: boolean,
): { name: RuleName; rule: Rule } | undefined {
  const rules = settings.rollout.rules;
  switch (command.kind) {
    case "rollback":
      return { name: "rollback", rule: rules.rollback };
    case "promote":
    case "canary-traffic": {
      const to = command.kind === "promote" ? command.to : CANARY;
      // Canary serving most of production is a production deploy: it needs the same people,
      // whichever form sets the share, and whatever the caller says about the target.
      const production =
        (isProductionTarget ?? to === settings.rollout.production) || isCanaryMajority(command);
      return production
        ? { name: "promote-production", rule: rules.promoteProduction }
        : { name: "promote", rule: rules.promote };
    }
    case "freeze":
    case "unfreeze":
      return { name: "freeze", rule: rules.freeze };
    case "help":
    case "status":
    case "none":
    case "invalid":
      return undefined;
  }
}

/** The teams worth asking GitHub about for this command (so the caller makes no other calls). */
export function listTeamsToCheck(
  command: ParsedCommand,
  settings: Settings,
  isProductionTarget?: boolean,
): string[] {
  return selectRule(command, settings, isProductionTarget)?.rule.teams ?? [];
}

const teamSlug = (t: string) => t.replace(/^@/, "").split("/").pop()!.toLowerCase();

/** Why a team rule could not be checked, and what fixes it. */
const TEAM_UNREADABLE = "the token cannot read team membership (needs `members: read`; see README)";

const RULE_WORDS: Record<RuleName, string> = {
  rollback: "rollback",
  promote: "promote",
  "promote-production": "promote to production",
  freeze: "freeze and unfreeze",
};

export function decidePermission(input: PermissionInput): PermissionDecision {
  const { command, role } = input;
  const selected = selectRule(command, input.settings, input.isProductionTarget);
  if (!selected) return { allowed: true, via: "anyone who can comment" };
  const { name, rule } = selected;

  const memberships = new Set(input.teams.map(teamSlug));
  const team = rule.teams.find((t) => memberships.has(teamSlug(t)));
  // Admins may edit the file by hand anyway, so no rule locks them out.
  const byRole = role !== null && (role === "admin" || roleRank(role) >= roleRank(rule.minRole));
  const seen = describeSeen(role, input.teams);

  if (!byRole && team === undefined) {
    const neededText = [
      `the ${rule.minRole} role`,
      ...rule.teams.map((t) => `membership of team ${t}`),
    ].join(" or ");
    const unchecked = rule.teams.filter((t) =>
      (input.unreadableTeams ?? []).some((u) => teamSlug(u) === teamSlug(t)),
    );
    const couldNotCheck =
      unchecked.length > 0
        ? `; could not check ${unchecked.map((t) => `team ${t}`).join(", ")}: ${TEAM_UNREADABLE}`
        : "";
    return {
      allowed: false,
      needed: neededText,
      seen: `${seen}${unchecked.length > 0 ? ` (team membership unreadable)` : ""}`,
      message: `${RULE_WORDS[name]} needs ${neededText}; you have ${seen}${couldNotCheck}`,
    };
  }

  const overrides = [
    ...(command.kind === "promote" && command.force ? ["--force"] : []),
    ...(command.kind === "promote" && command.forceOrder ? ["--force-order"] : []),
  ];
  if (overrides.length > 0 && role !== "admin") {
    const flags = overrides.map((f) => `\`${f}\``).join(" and ");
    return {
      allowed: false,
      needed: "the admin role",
      seen,
      message: `${flags} needs the admin role; you have ${seen}`,
    };
  }
  return {
    allowed: true,
    via: byRole ? `the ${role} role (rule ${name})` : `team ${team} (rule ${name})`,
  };
}

function describeSeen(role: Role | null, teams: readonly string[]): string {
  const r = role === null ? "no access to the repository" : `the ${role} role`;
  return teams.length > 0 ? `${r} and membership of ${teams.join(", ")}` : r;
}
