import { cp, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { evaluateAssertions } from "../../src/engine/assertions/index.js";
import type { ChatModel, ChatResponse } from "../../src/engine/types.js";
import { loadRepo } from "../../src/formats/repo.js";
import { worktreeSource } from "../../src/io/file-sources.js";
import { runCliCaptured } from "../support/helpers/run-cli.js";

/**
 * `promptgate import promptfoo` on two configs in the style of promptfoo's examples
 * (test/support/fixtures/promptfoo/): what it writes passes `validate`, and grading fixed outputs gives
 * the results promptfoo's semantics give (the same rules as test/promptfoo-parity.test.ts).
 */

const FIXTURES = new URL("../support/fixtures/promptfoo/", import.meta.url).pathname;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "promptgate-import-"));
  await cp(FIXTURES, dir, { recursive: true });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function cli(cwd: string, ...args: string[]) {
  return runCliCaptured(args, { cwd });
}

/** 1-based line of the first line of `file` that contains `text`. */
async function lineOf(file: string, text: string): Promise<number> {
  const lines = (await readFile(file, "utf8")).split("\n");
  const i = lines.findIndex((l) => l.includes(text));
  expect(i, `${text} in ${file}`).toBeGreaterThanOrEqual(0);
  return i + 1;
}

class Judge implements ChatModel {
  constructor(private readonly pass: boolean) {}
  async complete(): Promise<ChatResponse> {
    return {
      output: JSON.stringify({ pass: this.pass, score: this.pass ? 1 : 0, reason: "scripted" }),
      usage: { promptTokens: 5, completionTokens: 5 },
      latencyMs: 1,
      cached: false,
    };
  }
}

/** Grades `output` against the imported case `id` of the golden set `prompt`. */
async function grade(root: string, prompt: string, id: string, output: string, judgePass = true) {
  const repo = await loadRepo(worktreeSource(root));
  const set = repo.goldenSets.get(prompt);
  expect(set, prompt).toBeDefined();
  const c = set?.set.cases.find((x) => x.id === id);
  expect(c, id).toBeDefined();
  const v = await evaluateAssertions(c?.assert ?? [], {
    output,
    latencyMs: 10,
    costUsd: 0.0001,
    judge: { model: new Judge(judgePass), modelId: "gpt-4o-mini" },
    threshold: c?.threshold,
  });
  return v.pass ? "pass" : "fail";
}

describe("promptgate import promptfoo: a getting-started style config", () => {
  const cwd = () => join(dir, "translate");

  it("writes prompts, golden sets and settings, and lists what it left out with file and line", async () => {
    const r = await cli(cwd(), "import", "promptfoo", "promptfooconfig.yaml", "--out", "out");
    expect(r.code, r.err).toBe(1);
    expect(r.out).toContain("wrote out/prompts/translate/v1.prompt");
    expect(r.out).toContain("wrote out/prompts/rephrase/v1.prompt");
    expect(r.out).toContain("wrote out/evals/translate.yaml");
    expect(r.out).toContain("wrote out/promptgate.yaml");
    const config = join(cwd(), "promptfooconfig.yaml");
    expect(r.err).toMatch(
      new RegExp(
        `promptfooconfig\\.yaml:${await lineOf(config, "type: javascript")}:\\d+: javascript is not carried over: promptgate runs no code`,
      ),
    );
    expect(r.err).toMatch(
      new RegExp(
        `promptfooconfig\\.yaml:${await lineOf(config, "type: python")}:\\d+: python is not carried over`,
      ),
    );
    expect(r.err).toMatch(
      new RegExp(
        `promptfooconfig\\.yaml:${await lineOf(config, "  - openai:gpt-4o-mini")}:\\d+: providers are not carried over`,
      ),
    );
    const prompt = await readFile(join(cwd(), "out/prompts/translate/v1.prompt"), "utf8");
    expect(prompt).toBe(
      "---\nmodel: gpt-4o-mini\n---\nTranslate the following text into {{language}}. Answer with the translation only.\n\n{{input}}\n",
    );
  });

  it("validate accepts what it wrote", async () => {
    const r = await cli(cwd(), "validate", "--root", "out");
    // promptfoo's `openai:gpt-4o-mini` is kept as written, so only the alias lint speaks.
    expect(withoutAliasWarnings(r.err)).toBe("");
    expect(r.err).toContain("pin `gpt-4o-mini-2024-07-18`");
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^ok: 2 prompts \(2 versions\), 2 golden sets \(6 cases\)/);
  });

  it("grades outputs as promptfoo would", async () => {
    const root = join(cwd(), "out");
    for (const prompt of ["translate", "rephrase"]) {
      expect(await grade(root, prompt, "french-greeting", "Bonjour le monde")).toBe("pass");
      // defaultTest's not-icontains reaches every case.
      expect(await grade(root, prompt, "french-greeting", "As an AI: bonjour monde")).toBe("fail");
      // {{expected}} rendered from the case's vars.
      expect(await grade(root, prompt, "german-morning", "Guten Morgen")).toBe("pass");
      expect(await grade(root, prompt, "german-morning", "Good morning")).toBe("fail");
      // Case threshold 0.5 over (not-icontains, icontains gracias); "muchas" has weight 0.
      expect(await grade(root, prompt, "spanish-score-requirement", "Gracias")).toBe("pass");
      expect(await grade(root, prompt, "spanish-score-requirement", "Thanks a lot")).toBe("pass");
      expect(await grade(root, prompt, "spanish-score-requirement", "As an AI, thanks")).toBe(
        "fail",
      );
    }
  });
});

describe("promptgate import promptfoo: tests and a schema in files, defaultTest vars", () => {
  const cwd = () => join(dir, "json-extract");

  it("imports tests from a file and inlines the schema file", async () => {
    const r = await cli(cwd(), "import", "promptfoo", "promptfooconfig.yaml", "--out", "out");
    expect(r.code, r.err).toBe(1);
    const tests = join(cwd(), "tests.yaml");
    expect(r.err).toMatch(
      new RegExp(
        `tests\\.yaml:${await lineOf(tests, "type: webhook")}:\\d+: webhook is not carried over`,
      ),
    );
    expect(r.err).toMatch(
      new RegExp(
        `tests\\.yaml:${await lineOf(tests, "options:")}:\\d+: "options" is not carried over`,
      ),
    );
    const evals = await readFile(join(cwd(), "out/evals/prompt.yaml"), "utf8");
    expect(evals).toContain("required:");
    expect(evals).not.toContain("file://");
    const settings = await readFile(join(cwd(), "out/promptgate.yaml"), "utf8");
    expect(settings).toContain("judge: { model: gpt-4o-mini }");
  });

  it("validate accepts what it wrote", async () => {
    const r = await cli(cwd(), "validate", "--root", "out");
    // promptfoo's `openai:gpt-4o-mini` is kept as written, so only the alias lint speaks.
    expect(withoutAliasWarnings(r.err)).toBe("");
    expect(r.err).toContain("pin `gpt-4o-mini-2024-07-18`");
    expect(r.code).toBe(0);
  });

  it("grades outputs as promptfoo would", async () => {
    const root = join(cwd(), "out");
    const order = '{"id": "A-17", "total": 12.5, "currency": "USD"}';
    expect(await grade(root, "prompt", "simple-order", order)).toBe("pass");
    expect(
      await grade(
        root,
        "prompt",
        "simple-order",
        '{"currency": "USD", "total": 12.5, "id": "A-17"}',
      ),
    ).toBe("pass");
    expect(await grade(root, "prompt", "simple-order", '{"id": "A-17", "total": "12.50"}')).toBe(
      "fail",
    );
    const b9 = '{"id": "B-9", "total": 40, "currency": "EUR"}';
    expect(await grade(root, "prompt", "order-id-appears", b9)).toBe("pass");
    expect(
      await grade(
        root,
        "prompt",
        "order-id-appears",
        '{"id": "B-9", "total": 40, "currency": "USD"}',
      ),
    ).toBe("fail");
    const c3 = '{"id": "C-3", "total": 0}';
    expect(await grade(root, "prompt", "judged-summary", c3, true)).toBe("pass");
    expect(await grade(root, "prompt", "judged-summary", c3, false)).toBe("fail");
    expect(await grade(root, "prompt", "judged-summary", '{"total": 0}', true)).toBe("fail");
  });

  it("keeps files that exist and refuses a missing config", async () => {
    const again = await cli(cwd(), "import", "promptfoo", "promptfooconfig.yaml", "--out", "out");
    expect(again.out).toContain("kept out/promptgate.yaml (exists)");
    expect((await cli(cwd(), "import", "promptfoo", "nope.yaml")).code).toBe(2);
    expect((await cli(cwd(), "import", "langsmith", "promptfooconfig.yaml")).code).toBe(2);
  });
});

/** stderr without the model-alias lint's warnings (each a line and its hint). */
function withoutAliasWarnings(err: string): string {
  return err.replace(/^warning E_LINT: .*\n {2}hint: .*\n/gm, "");
}
