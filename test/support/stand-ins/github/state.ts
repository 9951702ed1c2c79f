/** Everything the stand-in knows besides git objects, and the lookups the routes share. */
import { randomBytes } from "node:crypto";
import type { GitIdentity, GitRepo } from "./git.js";
import type { AppInfo } from "./json.js";
import type {
  CommentRecord,
  DeploymentRecord,
  DispatchRecord,
  RepoRecord,
  Role,
  UserRecord,
} from "./model.js";

export interface Installation {
  id: number;
  account: UserRecord;
  createdAt: string;
}

export type Credential =
  | { kind: "app" }
  | {
      kind: "installation";
      installationId: number;
      /** Repository names the token was narrowed to, or undefined for all of the account's. */
      repositories: Set<string> | undefined;
      expiresAt: number;
    }
  | { kind: "token"; login: string };

export interface TeamMembership {
  state: "active" | "pending";
  role: "member" | "maintainer";
}

/** The login GitHub shows for `GITHUB_TOKEN` writes, with its real account id. */
export const ACTIONS_BOT: UserRecord = { login: "github-actions[bot]", id: 41898282, type: "Bot" };

export class StandInState {
  private counter = 100_000;
  readonly users = new Map<string, UserRecord>();
  readonly repos = new Map<string, RepoRecord>();
  readonly installations = new Map<number, Installation>();
  readonly tokens = new Map<string, Credential>();
  readonly teams = new Map<string, { id: number; members: Map<string, TeamMembership> }>();
  readonly comments = new Map<number, CommentRecord>();
  readonly deployments: DeploymentRecord[] = [];
  readonly dispatches: DispatchRecord[] = [];
  readonly app: AppInfo;
  readonly botUser: UserRecord;

  constructor(app: Omit<AppInfo, "owner"> & { ownerLogin: string }) {
    this.users.set(ACTIONS_BOT.login.toLowerCase(), ACTIONS_BOT);
    const owner = this.ensureUser(app.ownerLogin, "Organization");
    this.app = {
      id: app.id,
      slug: app.slug,
      name: app.name,
      owner,
      permissions: app.permissions,
      events: app.events,
      createdAt: app.createdAt,
    };
    this.botUser = this.ensureUser(`${app.slug}[bot]`, "Bot");
  }

  nextId(): number {
    this.counter += 1;
    return this.counter;
  }

  /** Accounts exist as soon as anything mentions them, as they would on GitHub. */
  ensureUser(login: string, type?: UserRecord["type"]): UserRecord {
    const key = login.toLowerCase();
    const existing = this.users.get(key);
    if (existing) {
      if (type && existing.type !== type && type === "Organization") existing.type = type;
      return existing;
    }
    const user: UserRecord = {
      login,
      id: this.nextId(),
      type: type ?? (login.endsWith("[bot]") ? "Bot" : "User"),
    };
    this.users.set(key, user);
    return user;
  }

  /** The commit identity GitHub records for an account: its noreply address. */
  identityOf(user: UserRecord): GitIdentity {
    return { name: user.login, email: `${user.id}+${user.login}@users.noreply.github.com` };
  }

  /** The account behind a commit email, when it is one of GitHub's noreply addresses we know. */
  userByEmail(email: string): UserRecord | undefined {
    const match = /^(?:\d+\+)?([^@]+)@users\.noreply\.github\.com$/i.exec(email);
    return match ? this.users.get((match[1] as string).toLowerCase()) : undefined;
  }

  repoKey(owner: string, name: string): string {
    return `${owner}/${name}`.toLowerCase();
  }

  getRepo(owner: string, name: string): RepoRecord | undefined {
    return this.repos.get(this.repoKey(owner, name));
  }

  requireRepo(owner: string, name: string): RepoRecord {
    const repo = this.getRepo(owner, name);
    if (!repo) throw new Error(`no repository ${owner}/${name} in the stand-in`);
    return repo;
  }

  installationFor(owner: string): Installation | undefined {
    for (const installation of this.installations.values()) {
      if (installation.account.login.toLowerCase() === owner.toLowerCase()) return installation;
    }
    return undefined;
  }

  install(owner: string): Installation {
    const existing = this.installationFor(owner);
    if (existing) return existing;
    const installation: Installation = {
      id: this.nextId(),
      account: this.ensureUser(owner),
      createdAt: new Date().toISOString().replace(/\.\d{3}Z$/, "Z"),
    };
    this.installations.set(installation.id, installation);
    return installation;
  }

  issueToken(credential: Credential, prefix: "ghs" | "ghp"): string {
    const token = `${prefix}_${randomBytes(18).toString("base64url")}`;
    this.tokens.set(token, credential);
    return token;
  }

  /** The effective role: explicit grants first, then ownership, then repository visibility. */
  roleOf(repo: RepoRecord, login: string): Role {
    const explicit = repo.roles.get(login.toLowerCase());
    if (explicit) return explicit;
    const owner = this.users.get(repo.owner.toLowerCase());
    if (owner?.type === "User" && owner.login.toLowerCase() === login.toLowerCase()) {
      return "admin";
    }
    return repo.private ? "none" : "read";
  }

  associationOf(repo: RepoRecord, login: string): string {
    if (login.toLowerCase() === repo.owner.toLowerCase()) return "OWNER";
    const explicit = repo.roles.get(login.toLowerCase());
    if (explicit && explicit !== "none") return "COLLABORATOR";
    for (const [key, team] of this.teams) {
      if (key.startsWith(`${repo.owner.toLowerCase()}/`) && team.members.has(login.toLowerCase())) {
        return "MEMBER";
      }
    }
    return "NONE";
  }

  repoCovered(credential: Credential, repo: RepoRecord): boolean {
    if (credential.kind === "token") return true;
    if (credential.kind === "app") return false;
    const installation = this.installations.get(credential.installationId);
    if (!installation || installation.account.login.toLowerCase() !== repo.owner.toLowerCase()) {
      return false;
    }
    return !credential.repositories || credential.repositories.has(repo.name.toLowerCase());
  }

  gitOf(owner: string, name: string): GitRepo {
    return this.requireRepo(owner, name).git;
  }
}
