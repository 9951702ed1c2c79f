/**
 * Shared by the bot's end-to-end tests and its benchmark: a real Probot server (createProbot +
 * createNodeMiddleware on node:http, 127.0.0.1) running our app against the GitHub stand-in, and
 * recorded `issue_comment` payloads from @octokit/webhooks-examples, edited per command, checked
 * against @octokit/openapi-webhooks, and signed with a real `x-hub-signature-256` HMAC.
 */
import { execFile, spawn } from "node:child_process";
import { createHmac, randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { Ajv, type ValidateFunction } from "ajv";
import * as ajvFormats from "ajv-formats";
import { createNodeMiddleware, createProbot } from "probot";
import { createApp } from "../../bot/app.js";
import type { HandleResult } from "../../bot/handle-comment.js";
import type { SignalResult } from "../../bot/handle-signal.js";
import { RepoCache } from "../../src/io/github/cache.js";
import type { ClientOptions } from "../../src/io/github/client.js";
import { createOctokitClass } from "../../src/io/github/probot-client.js";
import { UNSEEN_MARGIN_S } from "../../src/rollout/conflicts.js";
import { parseReplyResult } from "../../src/rollout/index.js";
import type { GitHubStandIn, Role } from "./stand-ins/github/index.js";

const exec = promisify(execFile);
const require = createRequire(import.meta.url);
const FIXTURES = new URL("./fixtures/webhooks/", import.meta.url);
export const ROOT = fileURLToPath(new URL("../..", import.meta.url));

export const WEBHOOK_SECRET = "promptgate-test-secret";

// ---------------------------------------------------------------------------------------------
// The repository a rollout works on

export const SETTINGS = `version: 1
rollout:
  order: [staging, canary, production]
  rules:
    rollback: { min-role: write, teams: [oncall] }
    promote: { min-role: write }
    promote-production: { min-role: maintain, teams: [ml-release] }
    freeze: { min-role: maintain }
`;

export function environmentsYaml(pins: {
  staging?: string;
  canary?: string;
  canaryTraffic?: number;
  production?: string;
  productionModel?: string;
}): string {
  return `# Which prompt version each environment serves. The bot edits this file: one commit per change.
environments:
  staging:
    prompts:
      support-answer: { version: ${pins.staging ?? "v6"}, model: gpt-4o-mini-2024-07-18 }
  canary:
    traffic: ${pins.canaryTraffic ?? 0}   # percent of production requests
    prompts:
      support-answer: { version: ${pins.canary ?? "v5"}, model: gpt-4o-mini-2024-07-18 }
  production:
    prompts:
      support-answer: { version: ${pins.production ?? "v4"}, model: ${pins.productionModel ?? "gpt-4o-2024-08-06"} }  # live
freezes: {}
`;
}

function promptFile(version: string): string {
  return `---
model: gpt-4o-mini-2024-07-18
---
{{role "system"}}
You answer billing questions for Acme (${version}).
{{role "user"}}
{{question}}
`;
}

export const VERSIONS = ["v1", "v2", "v3", "v4", "v5", "v6"];

export interface RolloutRepo {
  owner: string;
  name: string;
  path: string;
  /** The commit that set production to each version, in order. */
  productionCommits: Record<string, string>;
  /** The commit that added each prompt version file. */
  versionCommits: Record<string, string>;
}

/**
 * A repository whose production went v3 → v4 by hand (so `/rollback production` lands on v3), with
 * every version file added in its own commit (the commits the eval gates hang on).
 */
export async function createRolloutRepo(
  gh: GitHubStandIn,
  owner: string,
  name: string,
  /** root: the folder of promptgate.yaml, environments.yaml and prompts/ (a monorepo's `llm`). */
  options: { settings?: string; canaryTraffic?: number; root?: string } = {},
): Promise<RolloutRepo> {
  const at = (file: string) => (options.root ? `${options.root}/${file}` : file);
  const path = await gh.createRepo(owner, name, { "README.md": "# prompts\n" });
  const versionCommits: Record<string, string> = {};
  for (const v of VERSIONS) {
    versionCommits[v] = await gh.commitFiles(
      owner,
      name,
      { [at(`prompts/support-answer/${v}.prompt`)]: promptFile(v) },
      { message: `Add support-answer ${v}`, author: "carol" },
    );
  }
  const productionCommits: Record<string, string> = {};
  productionCommits.v3 = await gh.commitFiles(
    owner,
    name,
    {
      [at("promptgate.yaml")]: options.settings ?? SETTINGS,
      [at("environments.yaml")]: environmentsYaml({
        production: "v3",
        canaryTraffic: options.canaryTraffic,
      }),
    },
    { message: "Put support-answer v3 live", author: "alice" },
  );
  productionCommits.v4 = await gh.commitFiles(
    owner,
    name,
    {
      [at("environments.yaml")]: environmentsYaml({
        production: "v4",
        canaryTraffic: options.canaryTraffic,
      }),
    },
    { message: "Ship support-answer v4", author: "alice" },
  );
  return { owner, name, path, productionCommits, versionCommits };
}

export async function git(path: string, ...args: string[]): Promise<string> {
  return (
    await exec("git", ["-C", path, ...args], {
      env: { ...process.env, GIT_CONFIG_GLOBAL: "/dev/null" },
    })
  ).stdout;
}

export interface LoggedCommit {
  sha: string;
  parents: string[];
  author: string;
  subject: string;
  body: string;
  trailers: Record<string, string>;
}

/** `git log` of the default branch, newest first, trailers parsed by git itself. */
export async function gitLog(path: string, filePath?: string): Promise<LoggedCommit[]> {
  const format = "%H%x1f%P%x1f%an%x1f%s%x1f%b%x1f%(trailers:only,unfold)%x1e";
  const out = await git(
    path,
    "log",
    `--format=${format}`,
    "main",
    ...(filePath ? ["--", filePath] : []),
  );
  return out
    .split("\x1e")
    .map((r) => r.replace(/^\n/, ""))
    .filter(Boolean)
    .map((record) => {
      const [sha = "", parents = "", author = "", subject = "", body = "", trailerText = ""] =
        record.split("\x1f");
      const trailers: Record<string, string> = {};
      for (const line of trailerText.split("\n")) {
        const m = /^([^:]+):\s*(.*)$/.exec(line);
        if (m) trailers[m[1]!] = m[2]!;
      }
      return { sha, parents: parents.split(" ").filter(Boolean), author, subject, body, trailers };
    });
}

export async function readFileAt(path: string, file: string, rev = "main"): Promise<string> {
  return git(path, "show", `${rev}:${file}`);
}

// ---------------------------------------------------------------------------------------------
// Webhook payloads

let validators:
  | { created: ValidateFunction; edited: ValidateFunction; dispatch: ValidateFunction }
  | undefined;

/** Validators of GitHub's webhook description (OpenAPI 3.1 nullable forms rewritten for ajv). */
function webhookValidators() {
  if (validators) return validators;
  const spec = require("@octokit/openapi-webhooks/generated/api.github.com.json") as {
    webhooks: Record<
      string,
      { post: { requestBody: { content: Record<string, { schema: { $ref: string } }> } } }
    >;
    components: { schemas: Record<string, unknown> };
  };
  const ajv = new Ajv({ strict: false, allErrors: true, logger: false });
  (ajvFormats as unknown as { default: (a: Ajv) => Ajv }).default(ajv);
  ajv.addSchema({ $id: "webhooks", $defs: toJsonSchema(spec.components.schemas) });
  const compile = (name: string) => {
    const ref = spec.webhooks[name]!.post.requestBody.content["application/json"]!.schema.$ref;
    return ajv.compile({ $ref: `webhooks#/$defs/${ref.split("/").pop()}` });
  };
  validators = {
    created: compile("issue-comment-created"),
    edited: compile("issue-comment-edited"),
    dispatch: compile("repository-dispatch-sample.collected"),
  };
  return validators;
}

const DROPPED = new Set([
  "description",
  "title",
  "example",
  "examples",
  "externalDocs",
  "discriminator",
  "xml",
]);

function toJsonSchema(node: unknown): unknown {
  if (node === null || typeof node !== "object") return node;
  if (Array.isArray(node)) return node.map(toJsonSchema);
  const src = node as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(src)) {
    if (DROPPED.has(k) || k.startsWith("x-") || k === "nullable") continue;
    if (k === "$ref" && typeof v === "string")
      out.$ref = v.replace("#/components/schemas/", "webhooks#/$defs/");
    else if (k === "properties" || k === "patternProperties") {
      out[k] = Object.fromEntries(
        Object.entries(v as object).map(([a, b]) => [a, toJsonSchema(b)]),
      );
    } else out[k] = toJsonSchema(v);
  }
  if (src.nullable !== true) return out;
  if (
    typeof out.type === "string" &&
    !("$ref" in out || "allOf" in out || "anyOf" in out || "oneOf" in out)
  ) {
    out.type = [out.type, "null"];
    if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
    return out;
  }
  return { anyOf: [{ type: "null" }, out] };
}

/** Throws when a payload we built no longer matches GitHub's description of the event. */
export function checkPayload(payload: Record<string, unknown>): void {
  const v = webhookValidators()[payload.action === "edited" ? "edited" : "created"];
  if (!v(payload)) {
    throw new Error(
      `payload does not match GitHub's webhook schema: ${JSON.stringify(v.errors?.slice(0, 5))}`,
    );
  }
}

/**
 * A `repository_dispatch` of type `promptgate-signal`, as GitHub delivers it to the app when
 * monitoring calls `POST /repos/{owner}/{repo}/dispatches`. @octokit/webhooks-examples records
 * none, so the repository, sender and installation come from the recorded comment payload,
 * edited as for a comment, and the result is checked against GitHub's description of the event.
 */
export function buildSignalPayload(
  gh: GitHubStandIn,
  repo: { owner: string; name: string },
  clientPayload: Record<string, unknown> | null,
  options: { eventType?: string; sender?: string } = {},
): Record<string, unknown> {
  const recorded = JSON.parse(
    readFileSync(new URL("issue_comment.created.json", FIXTURES), "utf8"),
  ) as PayloadView;
  const ghRepo = gh.repositoryJson(repo.owner, repo.name) as {
    id: number;
    default_branch: string;
    html_url: string;
  };
  const repository = recorded.repository;
  repository.id = ghRepo.id;
  repository.name = repo.name;
  repository.full_name = `${repo.owner}/${repo.name}`;
  repository.owner.login = repo.owner;
  repository.owner.type = "Organization";
  repository.default_branch = ghRepo.default_branch;
  repository.html_url = ghRepo.html_url;
  const sender = recorded.sender;
  const login = options.sender ?? "monitoring";
  sender.login = login;
  sender.id = (gh.userJson(login) as { id: number }).id;
  sender.type = "User";
  const payload: Record<string, unknown> = {
    action: options.eventType ?? "promptgate-signal",
    branch: ghRepo.default_branch,
    client_payload: clientPayload,
    repository,
    ...(recorded.organization
      ? { organization: { ...recorded.organization, login: repo.owner } }
      : {}),
    sender,
    installation: {
      id: gh.installationId(repo.owner),
      node_id: recorded.installation?.node_id ?? "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uMQ==",
    },
  };
  const v = webhookValidators().dispatch;
  if (!v(payload)) {
    throw new Error(
      `payload does not match GitHub's webhook schema: ${JSON.stringify(v.errors?.slice(0, 5))}`,
    );
  }
  return payload;
}

export interface CommentSpec {
  body: string;
  user: string;
  userType?: "User" | "Bot";
  issueNumber: number;
  action?: "created" | "edited";
  locked?: boolean;
}

/**
 * A recorded payload edited to describe a comment that exists in the stand-in (so reactions and
 * replies land on it), in `repo`, with the stand-in's installation id.
 */
export function buildPayload(
  gh: GitHubStandIn,
  repo: { owner: string; name: string },
  spec: CommentSpec,
): Record<string, unknown> {
  const file =
    spec.action === "edited" ? "issue_comment.edited.json" : "issue_comment.created.json";
  const payload = JSON.parse(readFileSync(new URL(file, FIXTURES), "utf8")) as PayloadView;
  const comment = gh.addComment(repo.owner, repo.name, spec.issueNumber, {
    body: spec.body,
    user: spec.user,
  }) as {
    id: number;
    node_id: string;
    html_url: string;
    url: string;
    created_at: string;
    updated_at: string;
  };
  const ghRepo = gh.repositoryJson(repo.owner, repo.name) as {
    id: number;
    default_branch: string;
    html_url: string;
  };

  payload.repository.id = ghRepo.id;
  payload.repository.name = repo.name;
  payload.repository.full_name = `${repo.owner}/${repo.name}`;
  payload.repository.owner.login = repo.owner;
  payload.repository.owner.type = "Organization";
  payload.repository.default_branch = ghRepo.default_branch;
  payload.repository.html_url = ghRepo.html_url;
  if (payload.organization) payload.organization.login = repo.owner;
  payload.issue.number = spec.issueNumber;
  payload.issue.locked = spec.locked ?? false;
  payload.issue.active_lock_reason = spec.locked ? "resolved" : null;
  payload.comment.id = comment.id;
  payload.comment.node_id = comment.node_id;
  payload.comment.body = spec.body;
  payload.comment.html_url = comment.html_url;
  payload.comment.url = comment.url;
  payload.comment.created_at = comment.created_at;
  payload.comment.updated_at = comment.updated_at;
  const user = gh.userJson(spec.user) as { id: number };
  for (const who of [payload.comment.user, payload.sender]) {
    who.login = spec.user;
    who.id = user.id;
    who.type = spec.userType ?? "User";
  }
  if (spec.action === "edited") payload.changes = { body: { from: "/promptgate help" } };
  payload.installation = {
    id: gh.installationId(repo.owner),
    node_id: payload.installation?.node_id ?? "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uMQ==",
  };
  const json = payload as unknown as Record<string, unknown>;
  checkPayload(json);
  return json;
}

/** The parts of a recorded `issue_comment` payload that are edited per command. */
interface PayloadView {
  action: string;
  repository: {
    id: number;
    name: string;
    full_name: string;
    owner: { login: string; type: string };
    default_branch: string;
    html_url: string;
  };
  organization?: { login: string };
  issue: { number: number; locked: boolean; active_lock_reason: string | null };
  comment: {
    id: number;
    node_id: string;
    body: string;
    html_url: string;
    url: string;
    created_at: string;
    updated_at: string;
    user: { login: string; id: number; type: string };
  };
  sender: { login: string; id: number; type: string };
  installation?: { id: number; node_id: string };
  changes?: unknown;
}

export function sign(body: string, secret = WEBHOOK_SECRET): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

export async function deliver(
  url: string,
  payload: Record<string, unknown>,
  options: { secret?: string; event?: string; deliveryId?: string } = {},
): Promise<{ status: number; text: string }> {
  const body = JSON.stringify(payload);
  const res = await fetch(`${url}/api/github/webhooks`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-github-event": options.event ?? "issue_comment",
      "x-github-delivery": options.deliveryId ?? randomUUID(),
      "x-hub-signature-256": sign(body, options.secret),
      "user-agent": "GitHub-Hookshot/test",
    },
    body,
  });
  return { status: res.status, text: await res.text() };
}

// ---------------------------------------------------------------------------------------------
// A bot server

export interface BotServer {
  url: string;
  results: HandleResult[];
  /** What each `repository_dispatch` delivery did, in order. */
  signals: SignalResult[];
  cache: RepoCache;
  close(): Promise<void>;
}

export async function startBot(
  gh: GitHubStandIn,
  options: { client?: ClientOptions; maxRetries?: number; retryDelayMs?: number } = {},
): Promise<BotServer> {
  const results: HandleResult[] = [];
  const signals: SignalResult[] = [];
  const cache = new RepoCache();
  const probot = createProbot({
    overrides: {
      appId: gh.appId,
      privateKey: gh.privateKey,
      secret: WEBHOOK_SECRET,
      baseUrl: gh.url,
      logLevel: "fatal",
      Octokit: createOctokitClass({
        throttle: false,
        timeoutMs: 5_000,
        retries: 1,
        retryBaseMs: 10,
        ...options.client,
      }),
    },
    env: {},
  });
  const middleware = await createNodeMiddleware(
    createApp({
      cache,
      retryDelayMs: options.retryDelayMs ?? 20,
      ...(options.maxRetries !== undefined ? { maxRetries: options.maxRetries } : {}),
      onHandled: (r) => results.push(r),
      onSignal: (r) => signals.push(r),
    }),
    { probot },
  );
  const server: Server = createServer((req, res) => {
    void middleware(req, res, () => {
      res.writeHead(404).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    results,
    signals,
    cache,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

// ---------------------------------------------------------------------------------------------
// A repository, an issue, people with roles, and a way to talk to the bot

export interface Said {
  status: number;
  commentId: number;
  outcome: string | undefined;
  /** The bot's reply to this command, when it posted one. */
  reply: string | undefined;
  result: Record<string, unknown> | undefined;
}

export interface Fixture extends RolloutRepo {
  issue: number;
  /** A command comment by `user`, as GitHub would deliver it (not yet delivered). */
  post(body: string, user?: string, extra?: Partial<CommentSpec>): Record<string, unknown>;
  /** Delivers a payload to `to` (default: the fixture's bot) and reads what the bot did. */
  send(payload: Record<string, unknown>, to?: BotServer): Promise<Said>;
  /** post + send. */
  say(body: string, user?: string, extra?: Partial<CommentSpec>): Promise<Said>;
  /** Delivers a `promptgate-signal` dispatch with this `client_payload`; what the bot did. */
  signal(
    clientPayload: Record<string, unknown> | null,
    to?: BotServer,
  ): Promise<{ status: number; result: SignalResult | undefined }>;
}

export const DEFAULT_ROLES: Record<string, Role> = {
  writer: "write",
  maint: "maintain",
  boss: "admin",
};

export async function createFixture(
  gh: GitHubStandIn,
  bot: BotServer,
  name: string,
  roles: Record<string, Role> = {},
  options: Parameters<typeof createRolloutRepo>[3] = {},
): Promise<Fixture> {
  const owner = "acme";
  const repo = await createRolloutRepo(gh, owner, name, options);
  for (const [user, role] of Object.entries({ ...DEFAULT_ROLES, ...roles })) {
    gh.setRole(owner, name, user, role);
  }
  const issue = gh.createIssue(owner, name, { title: "Incident 42", user: "writer" });
  const post: Fixture["post"] = (body, user = "writer", extra = {}) =>
    buildPayload(gh, { owner, name }, { body, user, issueNumber: issue, ...extra });
  const send: Fixture["send"] = async (payload, to = bot) => {
    const commentId = (payload.comment as { id: number }).id;
    const start = to.results.length;
    const res = await deliver(to.url, payload);
    const handled = to.results.slice(start).find((r) => r.commentId === commentId);
    const reply = handled?.reply
      ? gh.comments(owner, name, issue).find((c) => c.id === handled.reply!.id)?.body
      : undefined;
    return {
      status: res.status,
      commentId,
      outcome: handled?.outcome,
      reply,
      result: reply ? parseReplyResult(reply) : undefined,
    };
  };
  const signal: Fixture["signal"] = async (clientPayload, to = bot) => {
    // GitHub delivers only the events an installation subscribes to (docs/app.yml).
    const { events } = gh.installationJson(owner) as { events: string[] };
    if (!events.includes("repository_dispatch")) {
      throw new Error(
        "the app does not subscribe to repository_dispatch: GitHub would not deliver it",
      );
    }
    const start = to.signals.length;
    const res = await deliver(to.url, buildSignalPayload(gh, { owner, name }, clientPayload), {
      event: "repository_dispatch",
    });
    return { status: res.status, result: to.signals[start] };
  };
  return {
    ...repo,
    issue,
    post,
    send,
    say: (body, user, extra) => send(post(body, user, extra)),
    signal,
  };
}

export function reactionsOf(
  gh: GitHubStandIn,
  repo: { owner: string; name: string },
  commentId: number,
): string[] {
  return gh
    .reactions(repo.owner, repo.name, commentId)
    .map((r) => r.content)
    .sort();
}

// ---------------------------------------------------------------------------------------------
// The bot as its own process, started the way README.md tells users to

export interface BotProcess {
  url: string;
  output(): string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * Runs `node <args>` (e.g. `dist/bot.js`) with Probot's variables pointing at the stand-in as a
 * GitHub Enterprise host (`GHE_PROTOCOL=http`, which makes Probot use `/api/v3`), and waits for
 * Probot's `/ping`.
 */
export async function spawnBotProcess(
  gh: GitHubStandIn,
  args: string[],
  env: Record<string, string> = {},
): Promise<BotProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "/tmp",
      NODE_ENV: "production",
      APP_ID: String(gh.appId),
      PRIVATE_KEY: gh.privateKey,
      WEBHOOK_SECRET,
      PORT: String(port),
      HOST: "127.0.0.1",
      GHE_HOST: gh.host,
      GHE_PROTOCOL: "http",
      LOG_LEVEL: "warn",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (d: Buffer) => {
    output += d.toString();
  });
  child.stderr.on("data", (d: Buffer) => {
    output += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the bot exited (${child.exitCode}): ${output}`);
    const up = await fetch(`${url}/ping`).then(
      (r) => r.ok,
      () => false,
    );
    if (up) break;
    if (Date.now() > deadline) {
      child.kill();
      throw new Error(`the bot did not start: ${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    url,
    output: () => output,
    async stop() {
      if (child.exitCode === null) child.kill("SIGINT");
      await exited;
    },
  };
}

/** Runs `node <args>` to completion. */
export function runNode(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (d: Buffer) => {
      output += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      output += d.toString();
    });
    child.on("exit", (code) => resolve({ code, output }));
  });
}

/**
 * Dates a command's comment past `UNSEEN_MARGIN_S` after it was posted. A test sets its repository
 * up and comments within the same second, which the bot rightly takes for a race (a change less
 * than the margin before a command counts as unseen by its author); people read before they type.
 */
export function typedAfterReading(payload: Record<string, unknown>): Record<string, unknown> {
  const comment = payload.comment as { created_at: string };
  const at = Date.parse(comment.created_at) + (UNSEEN_MARGIN_S + 1) * 1000;
  comment.created_at = new Date(at).toISOString().replace(/\.\d{3}Z$/, "Z");
  return payload;
}
