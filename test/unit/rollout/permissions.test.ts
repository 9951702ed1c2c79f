import { describe, expect, test } from "vitest";
import { parseSettings, type Role } from "../../../src/formats/settings.js";
import { parseCommand } from "../../../src/rollout/command.js";
import {
  decidePermission,
  listTeamsToCheck,
  roleFromPermission,
} from "../../../src/rollout/permissions.js";

const settings = parseSettings(`
version: 1
rollout:
  order: [staging, canary, production]
  rules:
    rollback: { min-role: write, teams: [oncall] }
    promote: { min-role: write }
    promote-production: { min-role: maintain, teams: [acme/ml-release] }
    freeze: { min-role: maintain }
`);

function decide(text: string, role: Role | null, teams: string[] = []) {
  return decidePermission({ command: parseCommand(text), settings, role, teams });
}

describe("decidePermission", () => {
  const cases: [string, Role | null, string[], boolean][] = [
    ["/rollback production", "write", [], true],
    ["/rollback production", "triage", [], false],
    ["/rollback production", "read", ["oncall"], true],
    ["/rollback production", null, [], false],
    ["/promote staging to canary", "write", [], true],
    ["/promote staging to canary", "triage", [], false],
    ["/promote canary --traffic 10", "write", [], true],
    ["/promote canary --traffic 50", "write", [], true],
    // Most of production on canary is a production deploy: the production rule applies.
    ["/promote canary --traffic 51", "write", [], false],
    ["/promote canary --traffic 100", "maintain", [], true],
    ["/promote canary --traffic 100", "read", ["ml-release"], true],
    ["/promote canary to production", "write", [], false],
    ["/promote canary to production", "maintain", [], true],
    ["/promote canary to production", "admin", [], true],
    ["/promote canary to production", "write", ["ml-release"], true],
    ["/promote canary to production", "write", ["acme/ml-release"], true],
    ["/promote canary to production", "write", ["oncall"], false],
    ["/promote canary to production --force", "maintain", [], false],
    ["/promote canary to production --force", "admin", [], true],
    ["/promote staging to production --force-order", "maintain", ["ml-release"], false],
    ["/promote staging to production --force-order", "admin", [], true],
    ["/promptgate freeze production", "write", [], false],
    ["/promptgate freeze production", "maintain", [], true],
    ["/promptgate unfreeze production", "maintain", [], true],
    ["/promptgate help", "read", [], true],
    ["/promptgate status", null, [], true],
  ];
  test.each(cases)("%s by %s %j → %s", (text, role, teams, allowed) => {
    expect(decide(text, role, teams).allowed).toBe(allowed);
  });

  test("write is refused for a production promote, naming the role needed and seen", () => {
    expect(decide("/promote canary to production", "write")).toEqual({
      allowed: false,
      needed: "the maintain role or membership of team acme/ml-release",
      seen: "the write role",
      message:
        "promote to production needs the maintain role or membership of team acme/ml-release; you have the write role",
    });
  });

  test("maintain is allowed and says why", () => {
    expect(decide("/promote canary to production", "maintain")).toEqual({
      allowed: true,
      via: "the maintain role (rule promote-production)",
    });
    expect(decide("/rollback production", "read", ["oncall"])).toEqual({
      allowed: true,
      via: "team oncall (rule rollback)",
    });
  });

  test("--force needs admin even for a release-team member", () => {
    expect(decide("/promote canary to production --force", "write", ["ml-release"])).toMatchObject({
      allowed: false,
      needed: "the admin role",
      message:
        "`--force` needs the admin role; you have the write role and membership of ml-release",
    });
  });

  test("the caller may say which target is production", () => {
    const command = parseCommand("/promote staging to canary");
    expect(
      decidePermission({ command, settings, role: "write", teams: [], isProductionTarget: true }),
    ).toMatchObject({ allowed: false });
  });

  // Whichever form sets canary's share, a majority of production on canary is a production deploy.
  const canaryShareForms = ["/promote canary --traffic", "/promote staging to canary --traffic"];

  test.each(canaryShareForms)("`%s 100` by a writer falls under promote-production", (form) => {
    const text = `${form} 100`;
    expect(decide(text, "write")).toEqual({
      allowed: false,
      needed: "the maintain role or membership of team acme/ml-release",
      seen: "the write role",
      message:
        "promote to production needs the maintain role or membership of team acme/ml-release; you have the write role",
    });
    expect(decide(text, "maintain")).toEqual({
      allowed: true,
      via: "the maintain role (rule promote-production)",
    });
    expect(decide(text, "read", ["ml-release"]).allowed).toBe(true);
    expect(listTeamsToCheck(parseCommand(text), settings)).toEqual(["acme/ml-release"]);
    // Saying the target is not production does not lower the rule for canary's share.
    expect(
      decidePermission({
        command: parseCommand(text),
        settings,
        role: "write",
        teams: [],
        isProductionTarget: false,
      }).allowed,
    ).toBe(false);
  });

  test.each(canaryShareForms)("`%s 50` stays under promote, 51 does not", (form) => {
    expect(decide(`${form} 50`, "write")).toEqual({
      allowed: true,
      via: "the write role (rule promote)",
    });
    expect(decide(`${form} 51`, "write")).toMatchObject({ allowed: false });
  });

  test("a rule naming only teams keeps its default role, and adds the teams beside it", () => {
    const teamsOnly = parseSettings(`
version: 1
rollout:
  rules:
    rollback: { teams: [oncall] }
    freeze: {}
`);
    const command = parseCommand("/rollback production");
    const d = (role: Role | null, teams: string[] = [], text = "/rollback production") =>
      decidePermission({ command: parseCommand(text), settings: teamsOnly, role, teams });
    expect(d("write").allowed).toBe(true);
    expect(d("read", ["oncall"]).allowed).toBe(true);
    expect(d("read")).toMatchObject({
      allowed: false,
      needed: "the write role or membership of team oncall",
    });
    // An empty rule is the default rule, not "admins only".
    expect(d("maintain", [], "/promptgate freeze production").allowed).toBe(true);
    expect(d("write", [], "/promptgate freeze production").allowed).toBe(false);

    // Letting only the team in takes a role nobody below admin has; admins still may.
    const teamOnly = parseSettings(`
version: 1
rollout:
  rules:
    rollback: { min-role: admin, teams: [oncall] }
`);
    expect(
      decidePermission({ command, settings: teamOnly, role: "maintain", teams: [] }),
    ).toMatchObject({ allowed: false, needed: "the admin role or membership of team oncall" });
    expect(
      decidePermission({ command, settings: teamOnly, role: "admin", teams: [] }).allowed,
    ).toBe(true);
  });

  test("a team whose membership could not be read grants nothing and the refusal says why", () => {
    const decision = decidePermission({
      command: parseCommand("/rollback production"),
      settings,
      role: "read",
      teams: [],
      unreadableTeams: ["oncall"],
    });
    expect(decision).toEqual({
      allowed: false,
      needed: "the write role or membership of team oncall",
      seen: "the read role (team membership unreadable)",
      message:
        "rollback needs the write role or membership of team oncall; you have the read role; could not check team oncall: the token cannot read team membership (needs `members: read`; see README)",
    });
    // A team of another rule is not mentioned.
    expect(
      decidePermission({
        command: parseCommand("/promptgate freeze production"),
        settings,
        role: "read",
        teams: [],
        unreadableTeams: ["oncall"],
      }),
    ).not.toMatchObject({ message: expect.stringContaining("could not check") });
  });

  test("defaults without rules: rollback write, production maintain, freeze maintain", () => {
    const defaults = parseSettings("version: 1\n");
    const d = (text: string, role: Role) =>
      decidePermission({ command: parseCommand(text), settings: defaults, role, teams: [] })
        .allowed;
    expect(d("/rollback production", "write")).toBe(true);
    expect(d("/promote staging to canary", "write")).toBe(true);
    expect(d("/promote canary to production", "write")).toBe(false);
    expect(d("/promote canary to production", "maintain")).toBe(true);
    expect(d("/promptgate freeze production", "write")).toBe(false);
  });

  test("only the teams of the applicable rule are worth a membership call", () => {
    expect(listTeamsToCheck(parseCommand("/promote canary to production"), settings)).toEqual([
      "acme/ml-release",
    ]);
    expect(listTeamsToCheck(parseCommand("/rollback canary"), settings)).toEqual(["oncall"]);
    expect(listTeamsToCheck(parseCommand("/promptgate status"), settings)).toEqual([]);
  });
});

describe("roleFromPermission", () => {
  test("a maintainer is maintain, though the legacy field says write", () => {
    expect(
      roleFromPermission({
        permission: "write",
        role_name: "maintain",
        user: {
          permissions: { admin: false, maintain: true, push: true, triage: true, pull: true },
        },
      }),
    ).toBe("maintain");
  });

  test("triage is triage, though the legacy field says read", () => {
    expect(
      roleFromPermission({
        permission: "read",
        role_name: "triage",
        user: {
          permissions: { admin: false, maintain: false, push: false, triage: true, pull: true },
        },
      }),
    ).toBe("triage");
  });

  test("a custom role falls back to its base role's flags", () => {
    expect(
      roleFromPermission({
        permission: "write",
        role_name: "release-captain",
        user: {
          permissions: { admin: false, maintain: true, push: true, triage: true, pull: true },
        },
      }),
    ).toBe("maintain");
  });

  test("the legacy field alone grants nothing", () => {
    expect(roleFromPermission({ permission: "admin" })).toBeNull();
    expect(roleFromPermission({ permission: "none", role_name: "none", user: null })).toBeNull();
  });

  test("admin", () => {
    expect(roleFromPermission({ role_name: "admin", user: { permissions: { admin: true } } })).toBe(
      "admin",
    );
  });
});
