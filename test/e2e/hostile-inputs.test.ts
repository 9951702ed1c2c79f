import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createGitRepo, type GitRepo } from "../support/helpers/git-repo.js";
import { runCliCaptured } from "../support/helpers/run-cli.js";
import { type OpenAIStandIn, startOpenAIStandIn } from "../support/stand-ins/openai/index.js";

/**
 * Issue 9's attacks that a pull request makes with its files, each through the CLI against the
 * stand-in: what the PR writes must neither hang the run, nor leak the key, nor plant answers,
 * nor read outside the repository.
 */
let standIn: OpenAIStandIn;
const repos: GitRepo[] = [];
const dirs: string[] = [];

beforeAll(async () => {
  standIn = await startOpenAIStandIn({ seed: 5, validate: true });
});
afterAll(async () => {
  await standIn.close();
  for (const r of repos) await r.remove();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});
afterEach(() => {
  standIn.setFaults([]);
  standIn.setResponder((req) => ({ content: `echo ${req.model}` }));
  standIn.requests.length = 0;
  expect(standIn.violations).toEqual([]);
});

const PROMPT = [
  "---",
  "model: gpt-4o-mini-2024-07-18",
  "config: { temperature: 0, maxOutputTokens: 50 }",
  "input:",
  "  schema:",
  "    question: string",
  "---",
  "{{question}}",
  "",
].join("\n");

function goldenSet(assertion: string, cases = 1): string {
  const lines = ["cases:"];
  for (let i = 0; i < cases; i++) {
    lines.push(`  - id: c${i}`, `    vars: { question: "q${i}" }`, `    assert: [${assertion}]`);
  }
  return `${lines.join("\n")}\n`;
}

/** A repository with one prompt `p` and its golden set; `files` override or add. */
async function makeRepo(files: Record<string, string | null> = {}): Promise<GitRepo> {
  const repo = await createGitRepo();
  repos.push(repo);
  await repo.commit("base", {
    "promptgate.yaml": "version: 1\nrepeats: 1\n",
    "prompts/p/v1.prompt": PROMPT,
    "evals/p.yaml": goldenSet("{ type: contains, value: q }"),
    ...files,
  });
  return repo;
}

async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), "promptgate-hostile-"));
  dirs.push(d);
  return d;
}

function cli(cwd: string, args: string[], env: Record<string, string | undefined> = {}) {
  return runCliCaptured(args, {
    cwd,
    env: { OPENAI_BASE_URL: standIn.baseURL, OPENAI_API_KEY: "test", ...env },
  });
}

describe("a golden-set regex cannot hang the run (attack 5)", () => {
  it("a catastrophic pattern on a long output is an error for the sample, and the run ends", async () => {
    const repo = await makeRepo({
      "evals/p.yaml": goldenSet(String.raw`{ type: regex, value: '([\w\s]*)*$' }`, 2),
    });
    // 60 word characters then one that is not: 2^60 ways to split the run before `$` fails.
    standIn.setResponder(() => ({ content: `${"a".repeat(60)}!` }));
    const out = join(await tempDir(), "eval.json");
    const r = await cli(repo.root, ["eval", "--no-cache", "--out", out]);
    const result = JSON.parse(await readFile(out, "utf8"));
    const samples = result.runs[0].cases.flatMap((c: { samples: unknown[] }) => c.samples);
    expect(samples).toHaveLength(2);
    for (const s of samples) {
      expect(s).toMatchObject({ kind: "error", error: { kind: "timeout" } });
      expect(s.error.message).toMatch(/^regex timed out after \d+ ms/);
    }
    expect(r.err).toMatch(/2\/2 samples/);
  });

  it("an ordinary regex still grades in the run's own thread, and a slow-looking one in the worker", async () => {
    const repo = await makeRepo({
      "evals/p.yaml": goldenSet(
        String.raw`{ type: regex, value: '\d+ days' }, { type: regex, value: '(\d+)+ days' }, { type: not-regex, value: '(x+)+y' }`,
      ),
    });
    standIn.setResponder(() => ({ content: "within 5 days" }));
    const out = join(await tempDir(), "eval.json");
    const r = await cli(repo.root, ["eval", "--no-cache", "--out", out]);
    const result = JSON.parse(await readFile(out, "utf8"));
    const [sample] = result.runs[0].cases[0].samples;
    expect(sample).toMatchObject({ kind: "ok", pass: true });
    expect(r.code).toBe(0);
  });
});

describe("no report file holds the key or the endpoint's password (attack 7)", () => {
  const KEY = "sk-test-Hostile0123456789abcdefKEY";
  const PASSWORD = "pw-Hostile-4242";

  async function reportFiles(dir: string): Promise<string[]> {
    const names = await readdir(dir);
    return Promise.all(names.map((n) => readFile(join(dir, n), "utf8")));
  }

  function expectClean(texts: string[]) {
    expect(texts.length).toBeGreaterThan(0);
    for (const t of texts) {
      expect(t).not.toContain(KEY);
      expect(t).not.toContain(PASSWORD);
      expect(t).not.toContain("Hostile0123456789");
    }
  }

  it("an endpoint whose 401 echoes the key, reached through a user:pass@ URL: eval and diff", async () => {
    const repo = await makeRepo();
    await repo.branch("pr");
    await repo.commit("v2", {
      "prompts/p/v2.prompt": PROMPT.replace("{{question}}", "Answer: {{question}}"),
    });
    standIn.setFaults([
      {
        kind: "status",
        status: 401,
        body: {
          error: {
            message: `Incorrect API key provided: ${KEY}. Your URL had ${PASSWORD}.`,
            type: "invalid_request_error",
            param: null,
            code: "invalid_api_key",
          },
        },
      },
    ]);
    const url = new URL(standIn.baseURL);
    url.username = "ci";
    url.password = PASSWORD;
    const env = { OPENAI_API_KEY: KEY, OPENAI_BASE_URL: undefined };
    const out = await tempDir();

    const ev = await cli(
      repo.root,
      ["eval", "--no-cache", "--base-url", url.href, "--out", join(out, "eval.json")],
      env,
    );
    expect(standIn.requests.length).toBeGreaterThan(0);
    expect(ev.code).not.toBe(0);
    const evalJson = await readFile(join(out, "eval.json"), "utf8");
    expect(evalJson).toMatch(/"kind": "client"/);
    expectClean([evalJson, ev.out, ev.err]);

    const reports = join(out, "report");
    const diff = await cli(
      repo.root,
      [
        "diff",
        "--base",
        "main",
        "--head",
        "pr",
        "--no-cache",
        "--base-url",
        url.href,
        "--out-dir",
        reports,
      ],
      env,
    );
    expect(diff.code).toBe(3);
    const files = await reportFiles(reports);
    expect(files).toHaveLength(4);
    // The errors are there, only without the secrets.
    expect(files.join("\n")).toMatch(/Incorrect API key provided: \*\*\*/);
    expectClean([...files, diff.out, diff.err]);
  });
});

describe("hostile files are located errors, exit 1, for validate and eval (attacks 9, 10)", () => {
  const bomb = [
    "cases:",
    "  - id: c0",
    '    vars: { question: "q" }',
    "    assert: [{ type: contains, value: q }]",
    "x0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]",
    ...Array.from(
      { length: 8 },
      (_, i) => `x${i + 1}: &a${i + 1} [${Array(9).fill(`*a${i}`).join(", ")}]`,
    ),
    "",
  ].join("\n");

  async function both(files: Record<string, string | null>, raw?: Record<string, Uint8Array>) {
    const repo = await makeRepo(files);
    if (raw)
      for (const [f, bytes] of Object.entries(raw)) await writeFile(join(repo.root, f), bytes);
    const validate = await cli(repo.root, ["validate"]);
    const run = await cli(repo.root, ["eval", "--no-cache"]);
    return { validate, run };
  }

  function expectLocated(r: { code: number; err: string }, pattern: RegExp) {
    expect(r.err).toMatch(pattern);
    expect(r.code).toBe(1);
  }

  it("an alias bomb in a golden set", async () => {
    const { validate, run } = await both({ "evals/p.yaml": bomb });
    // Located at the first alias, a line the reader can go to.
    const located = /error E_LIMIT: evals\/p\.yaml:6:\d+: aliases expand too far/;
    expectLocated(validate, located);
    expectLocated(run, located);
    expect(standIn.requests).toHaveLength(0);
  });

  it("nesting deeper than the limit, in a golden set and in a prompt's front matter", async () => {
    const deep = `cases: ${"[".repeat(500)}${"]".repeat(500)}\n`;
    const frontMatter = PROMPT.replace(
      "input:",
      `extra: ${"{a: ".repeat(300)}1${"}".repeat(300)}\ninput:`,
    );
    const { validate, run } = await both({
      "evals/p.yaml": deep,
      "prompts/p/v1.prompt": frontMatter,
    });
    for (const r of [validate, run]) {
      expect(r.err).toMatch(/error E_LIMIT: evals\/p\.yaml:1: nested more than 100 levels deep/);
      expect(r.code).toBe(1);
    }
    // The front matter's line in the file, after its `---`.
    expect(validate.err).toMatch(/error E_LIMIT: prompts\/p\/v1\.prompt:4: nested more than 100/);
  });

  it("a file over the size limit is refused unread", async () => {
    const big = goldenSet("{ type: contains, value: q }") + `# ${"x".repeat(3 * 1024 * 1024)}\n`;
    const { validate, run } = await both({ "evals/p.yaml": big });
    const located = /error E_LIMIT: evals\/p\.yaml: the file is 3\.0 MB, over the 2 MB limit/;
    expectLocated(validate, located);
    expectLocated(run, located);
  });

  it("bytes that are not UTF-8, at their line and column", async () => {
    const text = Buffer.from(goldenSet("{ type: contains, value: q }"), "utf8");
    // "q0" → "q\xff" on line 3 (`    vars: { question: "q0" }`).
    const at = text.indexOf("q0");
    text[at + 1] = 0xff;
    const { validate, run } = await both({}, { "evals/p.yaml": text });
    const located = /error E_ENCODING: evals\/p\.yaml:3:\d+: not UTF-8: byte 0xff/;
    expectLocated(validate, located);
    expectLocated(run, located);
  });

  it("a template variable its own input.schema does not declare, at the template's line", async () => {
    const prompt = PROMPT.replace("{{question}}", "{{question}}\nReply in {{langauge}}.");
    const { validate, run } = await both({ "prompts/p/v1.prompt": prompt });
    // Line 9 of the file: the template's line 2, after seven lines of front matter.
    const located =
      /error E_PROMPT: prompts\/p\/v1\.prompt:9:12: the template reads \{\{langauge\}\}, which input\.schema does not declare/;
    expectLocated(validate, located);
    expectLocated(run, located);
    expect(standIn.requests).toHaveLength(0);
  });

  it("paths.* outside the repository (attack 10), and a symlink out of it", async () => {
    const outside = await tempDir();
    await writeFile(join(outside, "secret.yaml"), "environments: {}\n");
    const { validate, run } = await both({
      "promptgate.yaml": `version: 1\npaths:\n  environments: ../../../../../..${outside}/secret.yaml\n`,
    });
    const located =
      /error E_SCHEMA: promptgate\.yaml:3:17: must be a relative path inside the repository/;
    expectLocated(validate, located);
    expectLocated(run, located);

    const repo = await makeRepo();
    const { symlink } = await import("node:fs/promises");
    await symlink(join(outside, "secret.yaml"), join(repo.root, "environments.yaml"));
    const linked = await cli(repo.root, ["validate"]);
    expect(linked.err).toMatch(/environments\.yaml leads outside the repository: refused/);
    expect(linked.code).not.toBe(0);
  });
});

describe("a response cache the pull request planted changes nothing (attack 2)", () => {
  const CASES = 40;
  const BROKEN = 10; // head answers these wrong: a 25-point regression
  const set = () => {
    const lines = ["cases:"];
    for (let i = 0; i < CASES; i++) {
      lines.push(
        `  - id: c${i}`,
        `    vars: { question: "q${i}" }`,
        "    assert: [{ type: contains, value: right }]",
      );
    }
    return `${lines.join("\n")}\n`;
  };
  const honest = (req: { messages: unknown[] }) => {
    const text = JSON.stringify(req.messages);
    const i = Number(/q(\d+)/.exec(text)?.[1]);
    return { content: text.includes("v2 style") && i < BROKEN ? "wrong" : "right" };
  };

  it("planted entries under .promptgate/cache/ are not read, and their tags would not verify", async () => {
    const repo = await makeRepo({
      "promptgate.yaml": "version: 1\nrepeats: 1\n",
      "evals/p.yaml": set(),
    });
    await repo.branch("pr");
    await repo.write({
      "prompts/p/v2.prompt": PROMPT.replace("{{question}}", "v2 style: {{question}}"),
    });
    // The attacker fills a cache with every answer right, with a key of their own, under the
    // README's old cache-dir, and commits it with the pull request.
    standIn.setResponder(() => ({ content: "right" }));
    const planted = await cli(
      repo.root,
      [
        "diff",
        "--base",
        "main",
        "--head",
        "worktree",
        "--cache-dir",
        ".promptgate/cache",
        "--out-dir",
        await tempDir(),
      ],
      { OPENAI_API_KEY: "sk-attacker-0000000000000000" },
    );
    expect(planted.code).toBe(0);
    const entries = (await repo.git("ls-files", "--others", "--", ".promptgate/cache"))
      .trim()
      .split("\n");
    expect(entries.length).toBeGreaterThanOrEqual(2 * CASES);
    await repo.commit("v2, and a cache");

    standIn.setResponder(honest);
    standIn.requests.length = 0;
    const env = { OPENAI_API_KEY: "sk-org-key-1111111111111111", XDG_CACHE_HOME: await tempDir() };
    // The default cache is outside the checkout: the planted files are not even looked at.
    const run = await cli(
      repo.root,
      ["diff", "--base", "main", "--head", "pr", "--out-dir", await tempDir()],
      env,
    );
    expect(standIn.requests.length).toBe(2 * CASES);
    expect(run.out).toMatch(/^BLOCKED: /);
    expect(run.code).toBe(1);

    // Pointed at the committed folder: refused, before any request.
    standIn.requests.length = 0;
    const tracked = await cli(
      repo.root,
      [
        "diff",
        "--base",
        "main",
        "--head",
        "pr",
        "--cache-dir",
        ".promptgate/cache",
        "--out-dir",
        await tempDir(),
      ],
      env,
    );
    expect(tracked.err).toMatch(
      /error E_CONFIG: the cache folder \.promptgate\/cache holds files git tracks/,
    );
    expect(tracked.err).toContain("hint:");
    expect(tracked.code).toBe(2);
    expect(standIn.requests).toHaveLength(0);

    // The same files copied to an untracked folder: signed with another key, every one a miss.
    const copy = await tempDir();
    const { cp } = await import("node:fs/promises");
    await cp(join(repo.root, ".promptgate/cache"), copy, { recursive: true });
    const copied = await cli(
      repo.root,
      ["diff", "--base", "main", "--head", "pr", "--cache-dir", copy, "--out-dir", await tempDir()],
      env,
    );
    expect(standIn.requests.length).toBe(2 * CASES);
    expect(copied.code).toBe(1);
  });
});
