import { createHash } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  type FetchLike,
  githubSource,
  httpsSource,
  openPrompts,
  type PromptRuntime,
  type RemoteSource,
  type RuntimeChange,
} from "../../../src/library/runtime.js";
import { type GitHubStandIn, startGitHubStandIn } from "../../support/stand-ins/github/index.js";

const prompt = (text: string) => `---
model: gpt-4o-mini
input:
  schema: { question: string }
---
{{role "system"}}
${text}
{{role "user"}}
{{question}}
`;

const environments = (production: string) => `environments:
  production:
    prompts:
      support-answer: { version: ${production}, model: gpt-4o-2024-08-06 }
`;

const FILES: Record<string, string> = {
  "promptgate.yaml": "version: 1\n",
  "prompts/support-answer/v3.prompt": prompt("You are v3."),
  "prompts/support-answer/v4.prompt": prompt("You are v4."),
  "evals/support-answer.yaml": "cases:\n  - vars: { question: hi }\n",
  "environments.yaml": environments("v4"),
};

interface Sent {
  url: string;
  headers: Record<string, string>;
  status: number;
}

/**
 * Global fetch, recording what was sent and what came back: the test's window on the wire. In the
 * order the requests were sent, so a request sent after a commit sits after it in the list.
 */
function recordingFetch(sent: Sent[]): FetchLike {
  return async (url, init) => {
    const entry: Sent = { url, headers: init.headers, status: 0 };
    sent.push(entry);
    const res = await fetch(url, init);
    entry.status = res.status;
    return res;
  };
}

/** Counts the reads a load makes: a read is what a refresh parses. */
function countingReads(source: RemoteSource): { source: RemoteSource; reads: () => number } {
  let reads = 0;
  const count = <V extends { read(path: string): Promise<string | undefined> }>(view: V): V => ({
    ...view,
    read(path: string) {
      reads++;
      return view.read(path);
    },
  });
  return {
    source: {
      ...count(source),
      list: (dir) => source.list(dir),
      poll: () => source.poll(),
      snapshot: async () => count(await source.snapshot()),
    },
    reads: () => reads,
  };
}

let gh: GitHubStandIn;
let token: string;
const opened: PromptRuntime[] = [];

beforeAll(async () => {
  gh = await startGitHubStandIn();
  token = gh.createToken("app-reader");
});

afterAll(async () => {
  await gh.close();
});

// A repository per test: one test's rollback must not be the next one's start.
let repoCount = 0;
beforeEach(async () => {
  repoCount += 1;
  await gh.createRepo("acme", `prompts-${repoCount}`, FILES);
});
const repository = () => `acme/prompts-${repoCount}`;

afterEach(() => {
  for (const r of opened.splice(0)) r.close();
  gh.setFaults([]);
  expect(gh.violations).toEqual([]);
});

async function open(
  source: RemoteSource,
  options: { refreshMs?: number; errors?: unknown[] } = {},
): Promise<PromptRuntime> {
  const runtime = await openPrompts({
    source,
    refreshMs: options.refreshMs ?? 0,
    onError: (e) => options.errors?.push(e),
  });
  opened.push(runtime);
  return runtime;
}

const rollBack = (to: string) =>
  gh.commitFiles(
    "acme",
    `prompts-${repoCount}`,
    { "environments.yaml": environments(to) },
    {
      message: `rollback: production support-answer to ${to}`,
    },
  );

describe("githubSource", () => {
  it("serves the default branch's pins through the contents API, raw, with the token", async () => {
    const sent: Sent[] = [];
    const rt = await open(
      githubSource({
        repository: repository(),
        token,
        apiUrl: gh.url,
        fetch: recordingFetch(sent),
      }),
    );
    expect(rt.resolve("production", "support-answer")).toMatchObject({ version: "v4" });
    const contents = sent.filter((s) => s.url.includes("/contents/"));
    expect(contents.length).toBeGreaterThan(0);
    for (const s of contents) {
      expect(s.headers.accept).toBe("application/vnd.github.raw");
      expect(s.headers.authorization).toBe(`Bearer ${token}`);
    }
    // Golden sets are never read by the runtime.
    expect(sent.some((s) => s.url.includes("/contents/evals/"))).toBe(false);
  });

  it("costs one 304 and no parsing when nothing changed", async () => {
    const sent: Sent[] = [];
    const counted = countingReads(
      githubSource({
        repository: repository(),
        token,
        apiUrl: gh.url,
        fetch: recordingFetch(sent),
      }),
    );
    const rt = await open(counted.source);
    const readsAtOpen = counted.reads();
    expect(readsAtOpen).toBeGreaterThan(0);
    sent.length = 0;

    expect(await rt.refresh()).toEqual({ changed: false });
    expect(sent).toHaveLength(1);
    expect(sent[0]?.url).toBe(`${gh.url}/repos/${repository()}/contents/environments.yaml`);
    expect(sent[0]?.headers["if-none-match"]).toMatch(/^"[0-9a-f]{40}"$/);
    expect(sent[0]?.status).toBe(304);
    expect(counted.reads()).toBe(readsAtOpen);
  });

  it("reloads on a new environments.yaml, asking for the other files by their ETags", async () => {
    const sent: Sent[] = [];
    const rt = await open(
      githubSource({
        repository: repository(),
        token,
        apiUrl: gh.url,
        fetch: recordingFetch(sent),
      }),
    );
    await rollBack("v3");
    sent.length = 0;
    expect((await rt.refresh()).changed).toBe(true);
    expect(rt.resolve("production", "support-answer")).toMatchObject({ version: "v3" });
    // The prompt files did not change: they answered 304 and were not sent again.
    const prompts = sent.filter((s) => s.url.includes("/contents/prompts/"));
    expect(prompts.length).toBeGreaterThan(0);
    expect(prompts.every((s) => s.status === 304)).toBe(true);
    // Every file of the load came from one commit.
    const head = await gh.resolve("acme", `prompts-${repoCount}`, "main");
    const refs = new Set(
      sent
        .filter((s) => s.url.includes("?ref="))
        .map((s) => new URL(s.url).searchParams.get("ref")),
    );
    expect([...refs]).toEqual([head]);
  });

  it("brings a rollback committed on GitHub to a running runtime on its next refresh", async () => {
    const sent: Sent[] = [];
    const rt = await open(
      githubSource({
        repository: repository(),
        token,
        // GHES's API root: the stand-in serves /api/v3 as well.
        apiUrl: `${gh.url}/api/v3`,
        fetch: recordingFetch(sent),
      }),
      { refreshMs: 50 },
    );
    expect(rt.resolve("production", "support-answer").version).toBe("v4");
    let changedAt = -1;
    const changed = new Promise<RuntimeChange>((resolve) =>
      rt.onChange((c) => {
        changedAt = sent.length;
        resolve(c);
      }),
    );
    await rollBack("v3");
    const committedAt = sent.length;
    await changed;
    expect(rt.resolve("production", "support-answer").version).toBe("v3");
    // Within one interval: no poll sent after the commit answered "unchanged" (the one that saw
    // it may have been on its way while the commit landed).
    const polls = sent
      .slice(committedAt, changedAt)
      .filter((s) => s.url.endsWith("/contents/environments.yaml"));
    expect(polls.filter((s) => s.status !== 200)).toEqual([]);
  });

  it("reads a given ref", async () => {
    await gh.createBranch("acme", `prompts-${repoCount}`, "release", "main");
    await rollBack("v3"); // on main only
    const rt = await open(
      githubSource({ repository: repository(), ref: "release", token, apiUrl: gh.url }),
    );
    expect(rt.resolve("production", "support-answer").version).toBe("v4");
  });

  it("keeps the last good state on errors, and loads the change once they pass", async () => {
    const errors: unknown[] = [];
    const rt = await open(githubSource({ repository: repository(), token, apiUrl: gh.url }), {
      errors,
    });
    await rollBack("v3");
    // environments.yaml answers (the poll sees the change); the prompt files fail.
    gh.setFaults([{ kind: "status", status: 502, path: /\/contents\/prompts\// }]);
    const failed = await rt.refresh();
    expect(failed.changed).toBe(false);
    expect(failed.error).toBeDefined();
    expect(rt.status().lastError).toBeDefined();
    expect(rt.resolve("production", "support-answer").version).toBe("v4");

    // The poll already saw the new ETag: the next refresh must load anyway, not answer "unchanged".
    gh.setFaults([]);
    expect((await rt.refresh()).changed).toBe(true);
    expect(rt.resolve("production", "support-answer").version).toBe("v3");
    expect(rt.status().lastError).toBeUndefined();
    expect(errors).toHaveLength(1);
  });

  it("says what is wrong when the token cannot read the repository", async () => {
    const attempt = open(
      githubSource({ repository: repository(), token: "not-a-token", apiUrl: gh.url }),
    );
    await expect(attempt).rejects.toThrow(/answered 401/);
  });
});

describe("httpsSource", () => {
  let server: Server;
  let base: string;
  const files = new Map<string, string>();
  const served: { path: string; status: number }[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      const path = decodeURIComponent((req.url ?? "/").slice("/mirror/".length));
      const text = files.get(path);
      if (text === undefined) {
        served.push({ path, status: 404 });
        res.writeHead(404).end();
        return;
      }
      const etag = `"${createHash("sha1").update(text).digest("hex")}"`;
      const status = req.headers["if-none-match"] === etag ? 304 : 200;
      served.push({ path, status });
      res.writeHead(status, { etag });
      res.end(status === 200 ? text : undefined);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/mirror`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  beforeEach(() => {
    files.clear();
    for (const [path, text] of Object.entries(FILES)) files.set(path, text);
    files.set(
      "files.txt",
      "# the mirror's files\npromptgate.yaml\nenvironments.yaml\nprompts/support-answer/v3.prompt\nprompts/support-answer/v4.prompt\n",
    );
    served.length = 0;
  });

  it("follows a mirror listed by a manifest, with one 304 per unchanged refresh", async () => {
    const rt = await open(httpsSource({ baseUrl: base, files: { manifest: "files.txt" } }));
    expect(rt.resolve("production", "support-answer").version).toBe("v4");

    served.length = 0;
    expect(await rt.refresh()).toEqual({ changed: false });
    expect(served).toEqual([{ path: "environments.yaml", status: 304 }]);

    files.set("environments.yaml", environments("v3"));
    expect((await rt.refresh()).changed).toBe(true);
    expect(rt.resolve("production", "support-answer").version).toBe("v3");
  });

  it("takes an explicit list of files", async () => {
    const rt = await open(
      httpsSource({
        baseUrl: `${base}/`,
        files: ["environments.yaml", "prompts/support-answer/v4.prompt"],
      }),
    );
    expect(rt.resolve("production", "support-answer").version).toBe("v4");
  });
});
