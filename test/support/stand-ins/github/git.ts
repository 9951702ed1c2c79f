/**
 * A bare git repository: every commit the stand-in makes is a real one that `git log` shows.
 *
 * Speed matters because the bot's benchmark and race tests run through the stand-in, and a git
 * process costs 3–15 ms here. So objects are read through one long-lived `git cat-file --batch`
 * and written as loose objects directly (the same bytes `git hash-object -w` writes; `git fsck`
 * checks them in the tests). Refs are read from their files; every ref *update* goes through
 * `git update-ref <ref> <new> <old>`, git's own compare-and-swap, so concurrent writers — this
 * process, another one, or a test running git — can never both win.
 */
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { createHash, randomUUID } from "node:crypto";
import { access, mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { deflateSync } from "node:zlib";

export interface GitIdentity {
  name: string;
  email: string;
  /** ISO 8601; now when absent. */
  date?: string;
}

export interface TreeEntry {
  mode: string;
  type: "blob" | "tree" | "commit";
  sha: string;
  /** Blobs only. */
  size?: number;
  path: string;
}

export interface CommitInfo {
  sha: string;
  tree: string;
  parents: string[];
  author: Required<GitIdentity>;
  committer: Required<GitIdentity>;
  message: string;
}

/** One change to a tree: a blob (or subtree, mode 040000) at a path, or `sha: null` to delete. */
export interface TreeChange {
  path: string;
  mode: string;
  sha: string | null;
}

export interface FileDiff {
  status: "added" | "removed" | "modified" | "renamed" | "copied" | "changed";
  filename: string;
  previousFilename?: string;
  sha: string | null;
  additions: number;
  deletions: number;
  patch?: string;
}

type ObjectType = "blob" | "tree" | "commit" | "tag";

interface GitObject {
  type: ObjectType;
  data: Buffer;
}

export class GitError extends Error {
  constructor(
    readonly args: string[],
    readonly code: number | null,
    readonly stderr: string,
  ) {
    super(`git ${args.join(" ")} exited ${code}: ${stderr.trim()}`);
    this.name = "GitError";
  }
}

export const EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904";
const ZERO = "0000000000000000000000000000000000000000";
const FULL_SHA = /^[0-9a-f]{40}$/;

const BASE_ENV = {
  GIT_CONFIG_NOSYSTEM: "1",
  GIT_CONFIG_GLOBAL: "/dev/null",
  GIT_TERMINAL_PROMPT: "0",
  LC_ALL: "C",
};

function gitEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? "/usr/bin:/bin", ...BASE_ENV, ...extra };
}

export function runGit(
  cwd: string,
  args: string[],
  options: { input?: string | Buffer; env?: Record<string, string> } = {},
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn("git", ["-c", "gc.auto=0", ...args], {
      cwd,
      env: gitEnv(options.env),
      stdio: ["pipe", "pipe", "pipe"],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => out.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => err.push(chunk));
    child.on("error", reject);
    child.on("close", (code) => {
      if (code === 0) resolve(Buffer.concat(out));
      else reject(new GitError(args, code, Buffer.concat(err).toString("utf8")));
    });
    child.stdin.on("error", () => {}); // git may exit before reading all input
    child.stdin.end(options.input ?? "");
  });
}

/** `git cat-file --batch`, kept running: one line in, one object out, in order. */
class ObjectReader {
  private child: ChildProcessWithoutNullStreams | undefined;
  private buffer: Buffer = Buffer.alloc(0);
  private readonly waiting: {
    resolve: (o: GitObject | undefined) => void;
    reject: (e: Error) => void;
  }[] = [];

  constructor(private readonly cwd: string) {}

  read(name: string): Promise<GitObject | undefined> {
    const child = this.start();
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      child.stdin.write(`${name}\n`);
    });
  }

  close(): void {
    this.child?.stdin.end();
    this.child = undefined;
  }

  private start(): ChildProcessWithoutNullStreams {
    if (this.child) return this.child;
    const child = spawn("git", ["cat-file", "--batch"], { cwd: this.cwd, env: gitEnv() });
    child.stdout.on("data", (chunk: Buffer) => {
      this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
      this.drain();
    });
    const fail = (error: Error) => {
      if (this.child === child) this.child = undefined;
      for (const waiter of this.waiting.splice(0)) waiter.reject(error);
    };
    child.on("error", fail);
    child.on("close", () => fail(new Error("git cat-file --batch exited")));
    child.stdin.on("error", () => {});
    // A reader left open must not keep a test process alive.
    child.unref();
    for (const stream of [child.stdin, child.stdout, child.stderr]) {
      (stream as unknown as { unref?: () => void }).unref?.();
    }
    this.child = child;
    return child;
  }

  private drain(): void {
    for (;;) {
      const newline = this.buffer.indexOf(10);
      if (newline < 0) return;
      const header = this.buffer.subarray(0, newline).toString("utf8");
      const [, type, size] = header.split(" ");
      if (type === "missing" || type === "ambiguous" || size === undefined) {
        this.buffer = this.buffer.subarray(newline + 1);
        this.waiting.shift()?.resolve(undefined);
        continue;
      }
      const length = Number(size);
      if (this.buffer.length < newline + 1 + length + 1) return;
      const data = Buffer.from(this.buffer.subarray(newline + 1, newline + 1 + length));
      this.buffer = this.buffer.subarray(newline + 1 + length + 1);
      this.waiting.shift()?.resolve({ type: type as ObjectType, data });
    }
  }
}

export class GitRepo {
  private readonly objects = new Map<string, GitObject>();
  private readonly commits = new Map<string, CommitInfo>();
  private readonly reader: ObjectReader;

  constructor(readonly path: string) {
    this.reader = new ObjectReader(path);
  }

  static async init(
    path: string,
    branch: string,
    files: Record<string, string | Buffer>,
    commit: { message: string; author: GitIdentity },
  ): Promise<{ repo: GitRepo; sha: string }> {
    await mkdir(path, { recursive: true });
    await runGit(path, ["init", "--bare", "--quiet", `--initial-branch=${branch}`]);
    const repo = new GitRepo(path);
    const changes: TreeChange[] = [];
    for (const [file, content] of Object.entries(files)) {
      changes.push({ path: file, mode: "100644", sha: await repo.writeBlob(content) });
    }
    const tree = await repo.writeTree(undefined, changes);
    const sha = await repo.commitTree({
      tree,
      parents: [],
      message: commit.message,
      author: commit.author,
      committer: commit.author,
    });
    await repo.updateRef(`refs/heads/${branch}`, sha, null);
    return { repo, sha };
  }

  close(): void {
    this.reader.close();
  }

  git(args: string[], options?: { input?: string | Buffer; env?: Record<string, string> }) {
    return runGit(this.path, args, options);
  }

  // ---- objects --------------------------------------------------------------------------------

  private async readObject(sha: string): Promise<GitObject | undefined> {
    const cached = this.objects.get(sha);
    if (cached) return cached;
    if (!FULL_SHA.test(sha)) return undefined;
    const object = await this.reader.read(sha);
    if (object) this.objects.set(sha, object);
    return object;
  }

  private async writeObject(type: ObjectType, data: Buffer): Promise<string> {
    const header = Buffer.from(`${type} ${data.length}\0`);
    const sha = createHash("sha1").update(header).update(data).digest("hex");
    if (this.objects.has(sha)) return sha;
    const dir = join(this.path, "objects", sha.slice(0, 2));
    const file = join(dir, sha.slice(2));
    const exists = await access(file).then(
      () => true,
      () => false,
    );
    if (!exists) {
      await mkdir(dir, { recursive: true });
      const tmp = join(dir, `tmp_obj_${randomUUID()}`);
      await writeFile(tmp, deflateSync(Buffer.concat([header, data])), { mode: 0o444 });
      await rename(tmp, file);
    }
    this.objects.set(sha, { type, data });
    return sha;
  }

  async objectType(sha: string): Promise<string | undefined> {
    return (await this.readObject(sha))?.type;
  }

  async readBlob(sha: string): Promise<Buffer> {
    const object = await this.readObject(sha);
    if (object?.type !== "blob") throw new Error(`${sha} is not a blob`);
    return object.data;
  }

  writeBlob(content: string | Buffer): Promise<string> {
    return this.writeObject("blob", typeof content === "string" ? Buffer.from(content) : content);
  }

  async readTree(sha: string): Promise<TreeEntry[]> {
    const object = await this.readObject(sha);
    if (object?.type !== "tree") throw new Error(`${sha} is not a tree`);
    const entries: TreeEntry[] = [];
    const data = object.data;
    for (let i = 0; i < data.length; ) {
      const space = data.indexOf(32, i);
      const nul = data.indexOf(0, space);
      const rawMode = data.subarray(i, space).toString("utf8");
      const mode = rawMode.padStart(6, "0");
      const sha = data.subarray(nul + 1, nul + 21).toString("hex");
      const type = mode === "040000" ? "tree" : mode === "160000" ? "commit" : "blob";
      entries.push({ mode, type, sha, path: data.subarray(space + 1, nul).toString("utf8") });
      i = nul + 21;
    }
    return entries;
  }

  private async withSizes(entries: TreeEntry[]): Promise<TreeEntry[]> {
    for (const entry of entries) {
      if (entry.type === "blob") entry.size = (await this.readBlob(entry.sha)).length;
    }
    return entries;
  }

  /** Tree sha of a commit or tree sha. */
  async treeOf(treeish: string): Promise<string | undefined> {
    const object = await this.readObject(treeish);
    if (object?.type === "tree") return treeish;
    if (object?.type === "commit") return (await this.readCommit(treeish)).tree;
    return undefined;
  }

  /** The entry at `path` in a commit or tree, or undefined; "" is the root tree itself. */
  async entryAt(treeish: string, path: string): Promise<TreeEntry | undefined> {
    const root = await this.treeOf(treeish);
    if (!root) return undefined;
    const parts = path.split("/").filter(Boolean);
    let entry: TreeEntry = { mode: "040000", type: "tree", sha: root, path: "" };
    for (const part of parts) {
      if (entry.type !== "tree") return undefined;
      const next = (await this.readTree(entry.sha)).find((e) => e.path === part);
      if (!next) return undefined;
      entry = next;
    }
    if (entry.type === "blob") entry = { ...entry, size: (await this.readBlob(entry.sha)).length };
    return { ...entry, path: parts.join("/") };
  }

  /** Entries of a tree (or of `path` inside it), recursively with subtrees listed too. */
  async lsTree(
    treeish: string,
    options: { recursive?: boolean; path?: string } = {},
  ): Promise<TreeEntry[]> {
    const start = options.path ? await this.entryAt(treeish, options.path) : undefined;
    const root = options.path ? start?.sha : await this.treeOf(treeish);
    if (!root || (start && start.type !== "tree")) throw new Error(`no tree at ${options.path}`);
    const walk = async (sha: string, prefix: string): Promise<TreeEntry[]> => {
      const out: TreeEntry[] = [];
      for (const entry of await this.readTree(sha)) {
        const path = prefix + entry.path;
        out.push({ ...entry, path });
        if (options.recursive && entry.type === "tree")
          out.push(...(await walk(entry.sha, `${path}/`)));
      }
      return out;
    };
    return this.withSizes(await walk(root, ""));
  }

  /** A new tree from `base` (or empty) with the changes applied; unchanged subtrees are shared. */
  async writeTree(base: string | undefined, changes: TreeChange[]): Promise<string> {
    const apply = async (
      sha: string | undefined,
      todo: TreeChange[],
    ): Promise<string | undefined> => {
      const entries = new Map<string, { mode: string; sha: string }>();
      if (sha) for (const e of await this.readTree(sha)) entries.set(e.path, e);
      const nested = new Map<string, TreeChange[]>();
      for (const change of todo) {
        const [head = "", ...rest] = change.path.split("/").filter(Boolean);
        if (rest.length === 0) {
          if (change.sha === null) entries.delete(head);
          else entries.set(head, { mode: change.mode.padStart(6, "0"), sha: change.sha });
        } else {
          nested.set(head, [...(nested.get(head) ?? []), { ...change, path: rest.join("/") }]);
        }
      }
      for (const [name, inner] of nested) {
        const existing = entries.get(name);
        const subtree = await apply(existing?.mode === "040000" ? existing.sha : undefined, inner);
        if (subtree) entries.set(name, { mode: "040000", sha: subtree });
        else entries.delete(name);
      }
      if (entries.size === 0) return undefined;
      return this.writeObject("tree", serializeTree(entries));
    };
    return (await apply(base, changes)) ?? this.writeObject("tree", Buffer.alloc(0));
  }

  async commitTree(commit: {
    tree: string;
    parents: string[];
    message: string;
    author: GitIdentity;
    committer: GitIdentity;
  }): Promise<string> {
    const lines = [`tree ${commit.tree}`, ...commit.parents.map((p) => `parent ${p}`)];
    lines.push(`author ${formatIdentity(commit.author)}`);
    lines.push(`committer ${formatIdentity(commit.committer)}`);
    // As `git commit` does, end the message with a newline so trailers parse the same way.
    const message = commit.message.endsWith("\n") ? commit.message : `${commit.message}\n`;
    return this.writeObject("commit", Buffer.from(`${lines.join("\n")}\n\n${message}`));
  }

  async readCommit(sha: string): Promise<CommitInfo> {
    const cached = this.commits.get(sha);
    if (cached) return cached;
    const object = await this.readObject(sha);
    if (object?.type !== "commit") throw new Error(`${sha} is not a commit`);
    const info = parseRawCommit(sha, object.data.toString("utf8"));
    this.commits.set(sha, info);
    return info;
  }

  // ---- refs -----------------------------------------------------------------------------------

  /** The sha a full ref points at, without peeling; loose refs first, then packed-refs. */
  async refSha(ref: string): Promise<string | undefined> {
    if (!/^(refs\/|HEAD$)/.test(ref) || ref.includes("..")) return undefined;
    const loose = await readFile(join(this.path, ref), "utf8").catch(() => undefined);
    if (loose !== undefined) {
      const value = loose.trim();
      return value.startsWith("ref: ") ? this.refSha(value.slice(5)) : value;
    }
    const packed = await readFile(join(this.path, "packed-refs"), "utf8").catch(() => "");
    for (const line of packed.split("\n")) {
      const [sha, name] = line.split(" ");
      if (name === ref && sha && FULL_SHA.test(sha)) return sha;
    }
    return undefined;
  }

  /** A branch, tag, full ref or sha → the commit sha, or undefined. */
  async resolveCommit(ref: string): Promise<string | undefined> {
    const peel = async (sha: string | undefined): Promise<string | undefined> => {
      for (let depth = 0; sha && depth < 5; depth++) {
        const object = await this.readObject(sha);
        if (object?.type === "commit") return sha;
        if (object?.type !== "tag") return undefined;
        sha = /^object ([0-9a-f]{40})/.exec(object.data.toString("utf8"))?.[1];
      }
      return undefined;
    };
    if (FULL_SHA.test(ref)) return peel(ref);
    const candidates = ref.startsWith("refs/")
      ? [ref]
      : [`refs/heads/${ref}`, `refs/tags/${ref}`, `refs/${ref}`];
    for (const candidate of candidates) {
      const sha = await this.refSha(candidate);
      if (sha) return peel(sha);
    }
    // Abbreviated shas and expressions (`main~1`) are git's to resolve.
    try {
      const out = await this.git(["rev-parse", "--verify", "--quiet", `${ref}^{commit}`]);
      return out.toString("utf8").trim() || undefined;
    } catch {
      return undefined;
    }
  }

  async listRefs(prefix: string): Promise<{ ref: string; sha: string; type: string }[]> {
    const out = await this.git([
      "for-each-ref",
      "--format=%(refname)%00%(objectname)%00%(objecttype)",
      prefix,
    ]);
    return out
      .toString("utf8")
      .split("\n")
      .filter(Boolean)
      .map((line) => {
        const [ref = "", sha = "", type = ""] = line.split("\0");
        return { ref, sha, type };
      });
  }

  /**
   * Compare-and-swap on a ref: moves it only if it still points at `expected` (null: must not
   * exist yet). Returns false when another writer got there first.
   */
  async updateRef(ref: string, sha: string, expected: string | null): Promise<boolean> {
    try {
      await this.git(["update-ref", ref, sha, expected ?? ZERO]);
      return true;
    } catch (e) {
      if (e instanceof GitError) return false;
      throw e;
    }
  }

  async deleteRef(ref: string, expected: string): Promise<boolean> {
    try {
      await this.git(["update-ref", "-d", ref, expected]);
      return true;
    } catch (e) {
      if (e instanceof GitError) return false;
      throw e;
    }
  }

  // ---- history --------------------------------------------------------------------------------

  async isAncestor(ancestor: string, descendant: string): Promise<boolean> {
    try {
      await this.git(["merge-base", "--is-ancestor", ancestor, descendant]);
      return true;
    } catch (e) {
      if (e instanceof GitError && e.code === 1) return false;
      throw e;
    }
  }

  async mergeBase(a: string, b: string): Promise<string | undefined> {
    try {
      return (await this.git(["merge-base", a, b])).toString("utf8").trim() || undefined;
    } catch {
      return undefined;
    }
  }

  /** The tree of merging `b` into `a`, as `git merge-tree` builds it; undefined on a conflict. */
  async mergeTree(a: string, b: string): Promise<string | undefined> {
    try {
      const out = (await this.git(["merge-tree", "--write-tree", a, b])).toString("utf8");
      return out.split("\n")[0]?.trim() || undefined;
    } catch (e) {
      if (e instanceof GitError && e.code === 1) return undefined;
      throw e;
    }
  }

  async countCommits(range: string): Promise<number> {
    return Number((await this.git(["rev-list", "--count", range])).toString("utf8").trim());
  }

  /** Commits reachable from `ref`, newest first, optionally only those touching `path`. */
  async log(options: {
    ref: string;
    path?: string;
    skip?: number;
    max?: number;
    since?: string;
    until?: string;
  }): Promise<CommitInfo[]> {
    const args = ["rev-list"];
    if (options.skip) args.push(`--skip=${options.skip}`);
    if (options.max !== undefined) args.push(`--max-count=${options.max}`);
    if (options.since) args.push(`--since=${options.since}`);
    if (options.until) args.push(`--until=${options.until}`);
    args.push(options.ref);
    if (options.path) args.push("--", options.path);
    const shas = (await this.git(args)).toString("utf8").split("\n").filter(Boolean);
    return Promise.all(shas.map((sha) => this.readCommit(sha)));
  }

  /** The files changed from `base` to `head`, as GitHub lists them (renames detected). */
  async diff(base: string | undefined, head: string): Promise<FileDiff[]> {
    const from = base ?? EMPTY_TREE;
    const [raw, numstat, patch] = await Promise.all([
      this.git(["diff-tree", "-r", "-z", "-M", "--no-abbrev", "--raw", from, head]),
      this.git(["diff-tree", "-r", "-z", "-M", "--numstat", from, head]),
      this.git(["diff-tree", "-r", "-M", "-p", "--no-color", from, head]),
    ]);
    const rawFields = raw.toString("utf8").split("\0");
    const entries: FileDiff[] = [];
    for (let i = 0; i < rawFields.length - 1; ) {
      const meta = rawFields[i++] as string;
      const [, , oldSha, newSha, statusField = ""] = meta.slice(1).split(" ");
      const letter = statusField[0];
      const first = rawFields[i++] as string;
      const second = letter === "R" || letter === "C" ? (rawFields[i++] as string) : undefined;
      const status = STATUS[letter ?? "M"] ?? "changed";
      const entry: FileDiff = {
        status,
        filename: second ?? first,
        sha: status === "removed" ? (oldSha ?? null) : (newSha ?? null),
        additions: 0,
        deletions: 0,
      };
      if (second) entry.previousFilename = first;
      entries.push(entry);
    }
    const counts = numstat.toString("utf8").split("\0");
    for (let i = 0, n = 0; i < counts.length - 1 && n < entries.length; n++) {
      const [added = "0", deleted = "0", path = ""] = (counts[i++] as string).split("\t");
      if (path === "") i += 2; // a rename: old and new names follow
      const entry = entries[n] as FileDiff;
      entry.additions = Number(added) || 0;
      entry.deletions = Number(deleted) || 0;
    }
    const chunks = patch
      .toString("utf8")
      .split(/^diff --git /m)
      .slice(1);
    chunks.forEach((chunk, n) => {
      const entry = entries[n];
      const hunk = chunk.indexOf("\n@@");
      if (entry && hunk >= 0) entry.patch = chunk.slice(hunk + 1).replace(/\n$/, "");
    });
    return entries;
  }
}

const STATUS: Record<string, FileDiff["status"]> = {
  A: "added",
  D: "removed",
  M: "modified",
  R: "renamed",
  C: "copied",
  T: "changed",
};

/** Git's tree order: byte order of names, with a subtree's name compared as `name/`. */
function serializeTree(entries: Map<string, { mode: string; sha: string }>): Buffer {
  const key = (name: string, mode: string) =>
    Buffer.from(mode === "040000" ? `${name}/` : name, "utf8");
  const sorted = [...entries].sort(([a, ea], [b, eb]) =>
    Buffer.compare(key(a, ea.mode), key(b, eb.mode)),
  );
  return Buffer.concat(
    sorted.flatMap(([name, entry]) => [
      Buffer.from(`${entry.mode.replace(/^0/, "")} ${name}\0`, "utf8"),
      Buffer.from(entry.sha, "hex"),
    ]),
  );
}

function formatIdentity(identity: GitIdentity): string {
  const clean = (text: string) => text.replace(/[<>\n]/g, "").trim();
  const parsed = identity.date ? new Date(identity.date) : new Date();
  const date = Number.isNaN(parsed.getTime()) ? new Date() : parsed;
  const zone = /([+-])(\d\d):?(\d\d)$/.exec(identity.date ?? "");
  const offset = zone ? `${zone[1]}${zone[2]}${zone[3]}` : "+0000";
  return `${clean(identity.name)} <${clean(identity.email)}> ${Math.floor(date.getTime() / 1000)} ${offset}`;
}

function parseRawCommit(sha: string, raw: string): CommitInfo {
  const split = raw.indexOf("\n\n");
  const headers = (split >= 0 ? raw.slice(0, split) : raw).split("\n");
  const message = split >= 0 ? raw.slice(split + 2) : "";
  const info: CommitInfo = {
    sha,
    tree: "",
    parents: [],
    author: { name: "", email: "", date: "" },
    committer: { name: "", email: "", date: "" },
    message,
  };
  for (const line of headers) {
    const space = line.indexOf(" ");
    const key = line.slice(0, space);
    const value = line.slice(space + 1);
    if (key === "tree") info.tree = value;
    else if (key === "parent") info.parents.push(value);
    else if (key === "author") info.author = parseIdentity(value);
    else if (key === "committer") info.committer = parseIdentity(value);
  }
  return info;
}

function parseIdentity(value: string): Required<GitIdentity> {
  const match = /^(.*) <(.*)> (\d+) ([+-])(\d\d)(\d\d)$/.exec(value);
  if (!match) return { name: value, email: "", date: new Date(0).toISOString() };
  const [, name = "", email = "", seconds = "0", sign, hours = "00", minutes = "00"] = match;
  const offsetMin = (sign === "-" ? -1 : 1) * (Number(hours) * 60 + Number(minutes));
  const local = new Date((Number(seconds) + offsetMin * 60) * 1000).toISOString().slice(0, 19);
  const zone = offsetMin === 0 ? "Z" : `${sign}${hours}:${minutes}`;
  return { name, email, date: `${local}${zone}` };
}
