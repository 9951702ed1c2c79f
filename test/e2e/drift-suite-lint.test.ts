import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { driftResponder, FILES, MODEL } from "../support/helpers/drift-fixture.js";
import { runCliCaptured } from "../support/helpers/run-cli.js";
import {
  type OpenAIStandIn,
  startOpenAIStandIn,
  textOf,
} from "../support/stand-ins/openai/index.js";

/**
 * `promptgate drift --suite` and drift's model-pinning lint, with `--record FILE` and the LLM
 * stand-in: which questions reach the model is what the suite selected.
 */
let openai: OpenAIStandIn;
let root: string;

/** q01–q03 tagged smoke, q04 critical (the tag `critical`), q05 adversarial, the rest untagged. */
const TAGS: Record<string, string> = {
  q01: "\n    tags: [smoke]",
  q02: "\n    tags: [smoke, billing]",
  q03: "\n    tags: [smoke]",
  q04: "\n    critical: true",
  q05: "\n    tags: [adversarial]",
};
const SUITE_FILES: Record<string, string> = {
  ...FILES,
  "promptgate.yaml":
    "version: 1\nrepeats: 2\ngates: { max-regression: 0.02 }\nsuites:\n  smoke: { tags: [critical, smoke] }\n  extended: { tags: [adversarial] }\n",
  "evals/support-answer.yaml": (FILES["evals/support-answer.yaml"] ?? "").replace(
    /id: (q\d\d)/g,
    (line, id: string) => `${line}${TAGS[id] ?? ""}`,
  ),
  // Three environments serve the same support-answer pin; two serve a greeting whose golden set
  // the smoke suite holds no case of.
  "environments.yaml": `environments:
  staging:
    prompts:
      support-answer: { version: v1, model: ${MODEL} }
      greeting: { version: v1, model: ${MODEL} }
  canary:
    prompts:
      support-answer: { version: v1, model: ${MODEL} }
  production:
    prompts:
      support-answer: { version: v1, model: ${MODEL} }
      greeting: { version: v1, model: ${MODEL} }
`,
  "prompts/greeting/v1.prompt": `---\nmodel: ${MODEL}\ninput:\n  schema: { name: string }\n---\nGreet {{name}}.\n`,
  "evals/greeting.yaml":
    'cases:\n  - id: g1\n    vars: { name: "Ada" }\n    assert: [{ type: icontains, value: "ada" }]\n  - id: g2\n    vars: { name: "Bo" }\n    assert: [{ type: icontains, value: "bo" }]\n',
};

beforeAll(async () => {
  openai = await startOpenAIStandIn({ validate: true, responder: driftResponder(() => 20) });
  root = await mkdtemp(join(tmpdir(), "promptgate-drift-suite-"));
  for (const [path, text] of Object.entries(SUITE_FILES)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), text);
  }
});
afterAll(async () => {
  await openai.close();
  await rm(root, { recursive: true, force: true });
});
afterEach(() => {
  expect(openai.violations).toEqual([]);
});

function drift(args: string[]) {
  return runCliCaptured(["drift", "--root", root, ...args], {
    cwd: root,
    env: {
      OPENAI_BASE_URL: openai.baseURL,
      OPENAI_API_KEY: "test",
      XDG_CACHE_HOME: join(root, ".xdg"),
    },
  });
}

/** The question numbers the model was asked since `from`, sorted, once each. */
function askedQuestions(from: number): number[] {
  const asked = openai.requests.slice(from).map((r) => {
    const messages = (r.body?.messages ?? []) as { content?: unknown }[];
    const text = textOf(messages.at(-1)?.content as Parameters<typeof textOf>[0]);
    return Number(/question (\d+)/.exec(text)?.[1] ?? -1);
  });
  return [...new Set(asked)].sort((a, b) => a - b);
}

describe("promptgate drift --suite", () => {
  it("runs exactly the suite's cases, once for a pin three environments share", async () => {
    const file = join(root, "records", "smoke.json");
    const before = openai.requests.length;
    const r = await drift(["--record", file, "--suite", "smoke", "--repeats", "2"]);
    expect(r.code).toBe(0);
    // q01–q03 (smoke) and q04 (critical), two samples each, for the one shared pin; no greeting.
    expect(askedQuestions(before)).toEqual([1, 2, 3, 4]);
    expect(openai.requests.length - before).toBe(4 * 2);
    // The watched golden sets counted once per evaluated pin: support-answer's 20, greeting's 2.
    expect(r.err).toContain("suite smoke: 4 of 22 cases");
    expect(r.out).toContain("production greeting: skipped: suite smoke holds none of its cases");
    const saved = JSON.parse(await readFile(file, "utf8"));
    expect(Object.keys(saved.records).sort()).toEqual([
      "canary/support-answer",
      "production/support-answer",
      "staging/support-answer",
    ]);
    const recorded = saved.records["production/support-answer"].run.cases.map(
      (c: { id: string }) => c.id,
    );
    expect(recorded).toEqual(["q01", "q02", "q03", "q04"]);
  });

  it("runs another suite's cases, and only the environments asked for", async () => {
    const before = openai.requests.length;
    const r = await drift([
      "--record",
      join(root, "records", "extended.json"),
      "--suite",
      "extended",
      "--env",
      "canary",
      "--repeats",
      "1",
    ]);
    expect(r.code).toBe(0);
    expect(askedQuestions(before)).toEqual([5]);
    expect(r.err).toContain("suite extended: 1 of 20 cases");
  });
});

describe("drift's model-pinning lint", () => {
  const envFile = () => join(root, "environments.yaml");

  it("warns of the pins it checks that name an alias, their fallbacks' too, and still runs", async () => {
    const pinned = await readFile(envFile(), "utf8");
    await writeFile(
      envFile(),
      pinned.replace(
        `  canary:\n    prompts:\n      support-answer: { version: v1, model: ${MODEL} }`,
        `  canary:\n    prompts:\n      support-answer: { version: v1, model: gpt-4o-mini, fallback: [{ model: gpt-4o }] }`,
      ),
    );
    try {
      const before = openai.requests.length;
      const r = await drift([
        "--record",
        join(root, "records", "lint.json"),
        "--suite",
        "extended",
        "--repeats",
        "1",
      ]);
      expect(r.code).toBe(0);
      // Each at its line of environments.yaml: the pin's model, then its fallback's.
      expect(r.err).toContain(
        "warning E_LINT: environments.yaml:8:45: canary pins support-answer@v1: model `gpt-4o-mini` is an undated alias; pin `gpt-4o-mini-2024-07-18`",
      );
      expect(r.err).toContain(
        "warning E_LINT: environments.yaml:8:78: canary pins support-answer@v1, fallback 1: model `gpt-4o` is an undated alias",
      );
      // Only the pins it checks: production's and staging's dated pins say nothing.
      expect(r.err.match(/warning E_LINT/g)).toHaveLength(2);
      expect(openai.requests.length).toBeGreaterThan(before);
      // --env leaves canary out: its pins are not linted.
      const others = await drift([
        "--record",
        join(root, "records", "lint.json"),
        "--suite",
        "extended",
        "--env",
        "production",
        "--repeats",
        "1",
      ]);
      expect(others.err).not.toContain("E_LINT");
    } finally {
      await writeFile(envFile(), pinned);
    }
  });

  it("lints the version a pin without a model serves", async () => {
    const pinned = await readFile(envFile(), "utf8");
    const prompt = join(root, "prompts", "greeting", "v1.prompt");
    const text = await readFile(prompt, "utf8");
    await writeFile(
      envFile(),
      pinned.replaceAll(`greeting: { version: v1, model: ${MODEL} }`, "greeting: { version: v1 }"),
    );
    await writeFile(prompt, text.replace(`model: ${MODEL}`, "model: gpt-4o-mini"));
    try {
      const r = await drift([
        "--record",
        join(root, "records", "v.json"),
        "--suite",
        "extended",
        "--repeats",
        "1",
      ]);
      expect(r.code).toBe(0);
      // Once, though two environments pin it.
      expect(r.err.match(/warning E_LINT: .*greeting@v1: model `gpt-4o-mini`/g)).toHaveLength(1);
    } finally {
      await writeFile(envFile(), pinned);
      await writeFile(prompt, text);
    }
  });

  it("with lint.model-aliases: error, refuses before any request (exit 1)", async () => {
    const pinned = await readFile(envFile(), "utf8");
    const settings = join(root, "promptgate.yaml");
    const strictless = await readFile(settings, "utf8");
    await writeFile(
      envFile(),
      pinned.replace(
        `  production:\n    prompts:\n      support-answer: { version: v1, model: ${MODEL} }`,
        `  production:\n    prompts:\n      support-answer: { version: v1, model: ${MODEL}, fallback: [{ model: claude-3-5-sonnet-latest }] }`,
      ),
    );
    await writeFile(settings, `${strictless}lint: { model-aliases: error }\n`);
    try {
      const before = openai.requests.length;
      const r = await drift(["--record", join(root, "records", "strict.json")]);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(
        /error E_LINT: environments\.yaml:\d+:\d+: production pins support-answer@v1, fallback 1: model `claude-3-5-sonnet-latest` is an undated alias/,
      );
      expect(openai.requests.length).toBe(before);
    } finally {
      await writeFile(envFile(), pinned);
      await writeFile(settings, strictless);
    }
  });
});
