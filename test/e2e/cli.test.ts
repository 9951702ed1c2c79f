import { execFile } from "node:child_process";
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { renderEvalTable } from "../../src/cli/commands/eval.js";
import { type EvalTarget, runEval } from "../../src/engine/run-eval.js";
import type { ChatModel, ChatResponse } from "../../src/engine/types.js";
import { parseGoldenSet } from "../../src/formats/golden-set.js";
import { parsePromptFile } from "../../src/formats/prompt-file.js";
import { formatUsd } from "../../src/numbers.js";
import { parseReportJson } from "../../src/report/json.js";
import { EXAMPLES, startDemoStandIn } from "../support/helpers/demo-pull-request.js";
import type { GitRepo } from "../support/helpers/git-repo.js";
import { createDemoRepo, runCliCaptured } from "../support/helpers/run-cli.js";
import type { OpenAIStandIn } from "../support/stand-ins/openai/index.js";

/**
 * The CLI on a real git repository made from examples/ (base on main, the pull request on a
 * branch), against the stand-in scripted like the demo.
 */
const PR_FILES = ["prompts/support-answer/v3.prompt", "prompts/ticket-triage/v2.prompt"];

let repo: GitRepo;
let standIn: OpenAIStandIn;

beforeAll(async () => {
  standIn = await startDemoStandIn();
  repo = await createDemoRepo(PR_FILES, "pr");
});
afterAll(async () => {
  await standIn.close();
  await repo.remove();
});
// Every request the CLI sent, and every answer, matched OpenAI's API description.
afterEach(() => {
  expect(standIn.violations).toEqual([]);
});

/** validate on a copy of examples/ with some files edited. */
async function validateEdited(edits: Record<string, (text: string) => string>) {
  const dir = await mkdtemp(join(tmpdir(), "promptgate-edited-"));
  try {
    await cp(EXAMPLES, dir, { recursive: true });
    for (const [file, edit] of Object.entries(edits)) {
      const path = join(dir, file);
      const text = await readFile(path, "utf8");
      const edited = edit(text);
      expect(edited).not.toBe(text);
      await writeFile(path, edited);
    }
    return await cli(["validate", "--root", dir]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function cli(args: string[], env: Record<string, string | undefined> = {}) {
  return runCliCaptured(args, {
    cwd: repo.root,
    env: {
      OPENAI_BASE_URL: standIn.baseURL,
      OPENAI_API_KEY: "test",
      // The default cache is the user's (~/.cache/promptgate): keep the tests' own.
      XDG_CACHE_HOME: join(repo.root, ".promptgate", "xdg"),
      ...env,
    },
  });
}

describe("promptgate CLI", () => {
  it("validate reports every error located, and exits 1", async () => {
    const broken = await mkdtemp(join(tmpdir(), "promptgate-broken-"));
    try {
      await cp(EXAMPLES, broken, { recursive: true });
      const settings = join(broken, "promptgate.yaml");
      await writeFile(
        settings,
        (await readFile(settings, "utf8")).replace("confidence:", "confidance:"),
      );
      const triage = join(broken, "evals/ticket-triage.yaml");
      await writeFile(
        triage,
        (await readFile(triage, "utf8")).replace("type: is-json", "type: is-jsn"),
      );
      const { code, err } = await cli(["validate", "--root", broken]);
      expect(code).toBe(1);
      expect(err).toContain(
        'error E_SCHEMA: promptgate.yaml:10:3: unknown key "confidance" at gates',
      );
      expect(err).toMatch(/evals\/ticket-triage\.yaml:13:17: unknown assertion type "is-jsn"/);
    } finally {
      await rm(broken, { recursive: true, force: true });
    }
    expect((await cli(["validate"])).out).toMatch(
      /^ok: 3 prompts \(7 versions\), 3 golden sets \(55 cases\), 3 environments/,
    );
  });

  it("validate checks each pin's fallbacks: known models, no target twice", async () => {
    const { code, err } = await validateEdited({
      "environments.yaml": (t) =>
        t.replace(
          "      ticket-triage: { version: v1, model: gpt-4o-mini-2024-07-18 }\n      summarize-thread: { version: v1,",
          "      ticket-triage: { version: v1, model: gpt-4o-mini-2024-07-18, fallback: [{ model: gpt-4o-minii }, { model: gpt-4o-mini-2024-07-18 }] }\n      summarize-thread: { version: v1,",
        ),
    });
    expect(code).toBe(1);
    expect(err).toContain(`environments.yaml:18:`);
    expect(err).toContain(`production's ticket-triage fallback 1: unknown model "gpt-4o-minii"`);
    expect(err).toContain(
      "production's ticket-triage fallback 2 repeats gpt-4o-mini-2024-07-18, a target tried before it",
    );
  });

  it("validate runs the checks a run makes before sending anything, located in the golden set", async () => {
    const { code, err } = await validateEdited({
      "promptgate.yaml": (t) => t.replace("judge: { model: gpt-4o-2024-08-06 }\n", ""),
      "evals/ticket-triage.yaml": (t) =>
        t.replace("required: [category, priority],", "required: category,"),
    });
    expect(code).toBe(1);
    expect(err).toContain(
      "error E_CONFIG: evals/support-answer.yaml:118:9: llm-rubric needs a judge model, and none is set",
    );
    expect(err).toContain(
      "error E_SCHEMA: evals/ticket-triage.yaml:17:13: contains-json: invalid JSON Schema: schema is invalid: data/required must be array",
    );
  });

  it("validate exits 1 for every problem in the files, a missing pin included", async () => {
    const pin = await validateEdited({
      "environments.yaml": (t) =>
        t.replace(
          "summarize-thread: { version: v1, model",
          "summarize-thread: { version: v9, model",
        ),
    });
    expect(pin.err).toMatch(
      /^error E_NOT_FOUND: environments\.yaml:19:25: production pins summarize-thread@v9, which does not exist/,
    );
    expect(pin.code).toBe(1);

    const more = await validateEdited({
      "promptgate.yaml": (t) =>
        t.replace("summarize-thread: 8000/day", "summarise-thread: 8000/day"),
      "environments.yaml": (t) =>
        t.replace("freezes: {}", "freezes: { prodution: { by: a, since: x } }"),
      "prompts/support-answer/v1.prompt": (t) => t.replace("{{question}}", "{{question}"),
    });
    expect(more.code).toBe(1);
    expect(more.err.split("\n").filter((l) => l.startsWith("error"))).toEqual([
      'error E_PROMPT: prompts/support-answer/v1.prompt:10:11: template syntax error: unexpected "}"',
      'error E_NOT_FOUND: environments.yaml:20:12: freeze of unknown environment "prodution"',
      'error E_NOT_FOUND: promptgate.yaml:16:3: traffic for unknown prompt "summarise-thread"',
    ]);
  });

  it("eval prints a table, writes the result file, and exits by the absolute gates", async () => {
    const out = join(repo.root, ".promptgate", "eval.json");
    const r = await cli(["eval", "--out", out, "--prompt", "ticket-triage", "--no-cache"]);
    expect(r.err).toMatch(/eval: 60\/60 samples/);
    expect(r.err).not.toMatch(/error/);
    expect(r.out).toMatch(/ticket-triage@v2\s+gpt-4\.1-nano-2025-04-14\s+20×3/);
    const result = JSON.parse(await readFile(out, "utf8"));
    expect(result.schema).toBe("promptgate/eval-result@1");
    expect(result.runs[0].cases).toHaveLength(20);
    expect(r.code).toBe(result.runs[0].totals.passRate >= 0.8 ? 0 : 1);
    // Every sample streamed beside the result as it completed, each placed by prompt and case.
    const lines = (await readFile(out.replace(/\.json$/, ".samples.jsonl"), "utf8"))
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(60);
    expect(lines[0]).toMatchObject({ prompt: "ticket-triage", version: "v2" });
    const streamed = lines.filter((l) => l.case === result.runs[0].cases[0].id);
    expect(streamed.map((l) => l.sample).sort((a, b) => a.index - b.index)).toEqual(
      result.runs[0].cases[0].samples,
    );
  });

  it("eval refuses to run without a key against OpenAI, with a hint", async () => {
    const r = await cli(["eval"], { OPENAI_BASE_URL: undefined, OPENAI_API_KEY: undefined });
    expect(r.code).toBe(2);
    expect(r.err).toContain("OPENAI_API_KEY is not set");
    expect(r.err).toContain("hint:");
  });

  it("diff compares base and head, writes the four reports, and blocks the regression", async () => {
    const outDir = join(repo.root, ".promptgate", "full");
    const r = await cli(["diff", "--base", "main", "--head", "pr", "--out-dir", outDir]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^BLOCKED: support-answer v2 → v3 regresses/);
    expect(r.err.trimEnd().split("\n").at(-1)).toMatch(
      /^promptgate diff: blocked by [a-z-]+(, [a-z-]+)*: support-answer v2 → v3 regresses/,
    );
    expect((await readdir(outDir)).sort()).toEqual([
      "comment.md",
      "report.html",
      "report.json",
      "summary.md",
    ]);
    const report = parseReportJson(
      await readFile(join(outDir, "report.json"), "utf8"),
      "report.json",
    );
    const byPrompt = new Map(report.comparisons.map((c) => [c.prompt, c]));
    expect([...byPrompt.keys()].sort()).toEqual(["support-answer", "ticket-triage"]);
    expect(byPrompt.get("support-answer")).toMatchObject({ verdict: "worse", blocked: true });
    expect(byPrompt.get("ticket-triage")?.verdict).toBe("better");
    expect(report.head.sha).toBe((await repo.git("rev-parse", "pr")).trim());
    const comment = await readFile(join(outDir, "comment.md"), "utf8");
    expect(comment.startsWith("<!-- promptgate:report v1 -->")).toBe(true);
    expect(comment.length).toBeLessThanOrEqual(65_536);
  });

  it("cost and the comment agree on the same inputs; cost labels its upper bound", async () => {
    const outDir = join(repo.root, ".promptgate", "cost-agrees");
    const diff = await cli(["diff", "--base", "main", "--head", "pr", "--out-dir", outDir]);
    expect(diff.code).toBe(1);
    const reportPath = join(outDir, "report.json");
    const report = parseReportJson(await readFile(reportPath, "utf8"), "report.json");
    const comment = await readFile(join(outDir, "comment.md"), "utf8");
    for (const c of report.comparisons) {
      const monthly = formatUsd(c.cost.monthlyHeadUsd);
      // The comment escapes "$" (&#36;): markdown engines read $…$ as math.
      expect(comment).toContain(`${monthly.replace("$", "&#36;")}/mo`);
      const r = await cli([
        "cost",
        "--prompt",
        `${c.prompt}@${c.head.version}`,
        "--measured",
        reportPath,
        "--json",
      ]);
      expect(r.code, r.err).toBe(0);
      const [e] = JSON.parse(r.out);
      expect(e.basis).toBe("measured");
      expect(formatUsd(e.monthlyUsd)).toBe(monthly);
      // The upper bound prices every answer at maxOutputTokens: never below the expected cost.
      expect(e.upperBound.monthlyUsd).toBeGreaterThanOrEqual(e.monthlyUsd);
    }
    const table = await cli(["cost"]);
    expect(table.out).toContain("upper bound/month");
    expect(table.out).toMatch(/expected cost: \d+ output tokens estimated per answer/);
    expect(table.out).toMatch(/\d+ estimated/);
  });

  it("diff shows an edited environments.yaml with whether each newly pinned version passed its gate", async () => {
    await repo.branch("pr-pin", "pr");
    const envFile = join(repo.root, "environments.yaml");
    const text = await readFile(envFile, "utf8");
    const staging = text.indexOf("staging:");
    const edited =
      text.slice(0, staging) +
      text
        .slice(staging)
        .replace("support-answer: { version: v2", "support-answer: { version: v3")
        .replace(
          "ticket-triage: { version: v1, model: gpt-4o-mini-2024-07-18 }",
          "ticket-triage: { version: v2 }",
        );
    await repo.commit("pin the new versions in staging", { "environments.yaml": edited });
    const outDir = join(repo.root, ".promptgate", "pins");
    await cli(["diff", "--base", "main", "--head", "pr-pin", "--out-dir", outDir]);
    await repo.checkout("pr");
    const report = parseReportJson(await readFile(join(outDir, "report.json"), "utf8"), "pins");
    const pins = report.environmentChanges.filter((c) => c.kind === "pin");
    expect(pins).toEqual([
      expect.objectContaining({
        env: "staging",
        prompt: "support-answer",
        after: { version: "v3", model: "gpt-4o-mini-2024-07-18" },
        gatePassed: false,
      }),
      expect.objectContaining({
        env: "staging",
        prompt: "ticket-triage",
        after: { version: "v2" },
        gatePassed: true,
      }),
    ]);
    const comment = await readFile(join(outDir, "comment.md"), "utf8");
    expect(comment).toMatch(/staging/);
  });

  it("eval and diff stop a misspelt var before sending anything, and exit 1 as for a bad file", async () => {
    await repo.branch("pr-typo", "pr");
    const setFile = join(repo.root, "evals/ticket-triage.yaml");
    const text = await readFile(setFile, "utf8");
    const typo = text.replace('        subject: "Login from', '        subjet: "Login from');
    expect(typo).not.toBe(text);
    await repo.commit("a misspelt var", { "evals/ticket-triage.yaml": typo });
    const sent = standIn.requests.length;
    try {
      const evaluated = await cli(["eval", "--prompt", "ticket-triage", "--no-cache"]);
      const diffed = await cli(["diff", "--base", "main", "--head", "pr-typo"]);
      for (const r of [evaluated, diffed]) {
        expect(r.err).toMatch(
          /^error E_SCHEMA: evals\/ticket-triage\.yaml:7:9: case "login-from-unknown-country": var "subjet" is read by no version of ticket-triage; did you mean "subject"\?/,
        );
        expect(r.code).toBe(1);
      }
      expect(standIn.requests.length).toBe(sent);
    } finally {
      await repo.checkout("pr");
    }
  });

  it("report --merge joins the shards of a sharded diff into the same verdicts", async () => {
    const shard = (k: number) => join(repo.root, ".promptgate", `shard-${k}`);
    for (const k of [1, 2]) {
      await cli([
        "diff",
        "--base",
        "main",
        "--head",
        "pr",
        "--shard",
        `${k}/2`,
        "--out-dir",
        shard(k),
      ]);
    }
    const merged = join(repo.root, ".promptgate", "merged");
    const r = await cli([
      "report",
      "--merge",
      join(shard(1), "report.json"),
      join(shard(2), "report.json"),
      "--out-dir",
      merged,
    ]);
    expect(r.code).toBe(1);
    const report = parseReportJson(await readFile(join(merged, "report.json"), "utf8"), "merged");
    expect(report.totals.shards).toBe(2);
    expect(report.comparisons.map((c) => [c.prompt, c.verdict]).sort()).toEqual([
      ["support-answer", "worse"],
      ["ticket-triage", "better"],
    ]);
  });

  it("the shipped bundle connects to nothing but loopback and writes only to its outputs and cache", async () => {
    const home = await mkdtemp(join(tmpdir(), "promptgate-home-"));
    try {
      const before = await repo.git("status", "--porcelain", "--ignored");
      const { stdout } = await promisify(execFile)(
        process.execPath,
        [
          "--import",
          resolve("test/support/fixtures/loopback-only.mjs"),
          resolve("dist/cli.js"),
          "diff",
          "--base",
          "main",
          "--head",
          "pr",
          "--out-dir",
          ".promptgate/guarded",
        ],
        {
          cwd: repo.root,
          env: {
            PATH: process.env.PATH,
            HOME: home,
            TMPDIR: home,
            // The cache in the ignored folder, so HOME stays empty and the check below holds.
            XDG_CACHE_HOME: join(repo.root, ".promptgate", "xdg"),
            OPENAI_BASE_URL: standIn.baseURL,
            OPENAI_API_KEY: "test",
          },
        },
      ).catch((e: { stdout: string; code: number }) => {
        expect(e.code).toBe(1); // blocked, as above: the run itself completed
        return e;
      });
      expect(stdout).toMatch(/^BLOCKED: /);
      expect(await readdir(home)).toEqual([]);
      // Only the ignored .promptgate/ folder changed: no tracked or stray file was written.
      const after = await repo.git("status", "--porcelain", "--ignored");
      expect(after).toBe(before);
      expect(await readdir(join(repo.root, ".promptgate"))).toContain("guarded");
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });

  it("prints help for every command and rejects unknown flags", async () => {
    for (const name of ["eval", "diff", "cost", "validate", "report"]) {
      const r = await cli([name, "--help"]);
      expect(r.code).toBe(0);
      expect(r.out).toContain(`promptgate ${name}`);
    }
    const bad = await cli(["eval", "--repeat", "3"]);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/Unknown option '--repeat'; did you mean --repeats\?/);
  });

  it("verbs and flags get the bot's did-you-mean", async () => {
    const verb = await cli(["evl"]);
    expect(verb.code).toBe(2);
    expect(verb.err.split("\n")[0]).toBe(
      'error E_USAGE: unknown command "evl"; did you mean `promptgate eval`?',
    );
    const flag = await cli(["eval", "--promt", "support-answer"]);
    expect(flag.code).toBe(2);
    expect(flag.err.split("\n")[0]).toBe(
      "error E_USAGE: Unknown option '--promt'; did you mean --prompt?",
    );
    // A far guess is no guess.
    expect((await cli(["deploy"])).err).not.toContain("did you mean");
  });

  it("a missing input file exits 2 with its path, not 4 (a bug)", async () => {
    const r = await cli(["report", "--merge", "missing.json"]);
    expect(r.code).toBe(2);
    expect(r.err.split("\n")[0]).toBe(
      `error E_NOT_FOUND: cannot read ${join(repo.root, "missing.json")}: no such file`,
    );
  });

  it("eval's exit 1 says which gate blocked which prompt, in one line on stderr", async () => {
    const r = await cli(["eval", "--prompt", "support-answer@v3"]);
    expect(r.code).toBe(1);
    const last = r.err.trimEnd().split("\n").at(-1);
    expect(last).toMatch(
      /^promptgate eval: blocked by (min-pass-rate|critical): support-answer@v3/,
    );
  });
});

describe("eval's unknown cost says why, so the hint names what would help", () => {
  /** One case, two repeats, of a prompt on `model`, run against a scripted endpoint. */
  async function evalTable(model: string, answer: (index: number) => ChatResponse) {
    const t: EvalTarget = {
      version: parsePromptFile(
        `---\nmodel: ${model}\n---\nAnswer {{question}}\n`,
        "prompts/helper/v1.prompt",
        "helper",
        "v1",
      ),
      goldenSet: {
        prompt: "helper",
        file: "evals/helper.yaml",
        set: parseGoldenSet(
          'cases:\n  - id: c0\n    vars: { question: "q" }\n    assert: [{ type: icontains, value: answered }]\n',
          "evals/helper.yaml",
        ),
      },
      repeats: 2,
    };
    const chat: ChatModel = { complete: async (req) => answer(req.sampleIndex) };
    const result = await runEval([t], { chat, prices: {}, concurrency: 1 }, "test");
    return renderEvalTable(result);
  }
  const reply = (promptTokens: number, completionTokens: number): ChatResponse => ({
    output: "answered",
    usage: { promptTokens, completionTokens },
    latencyMs: 1,
    cached: false,
  });

  it("no-price: names the model to add under prices:", async () => {
    const out = await evalTable("acme-ft-helper-2026", () => reply(100, 20));
    expect(out).toMatch(/helper@v1\s+acme-ft-helper-2026\s+.*unknown †/);
    expect(out).toContain(
      "† helper@v1: cost unknown: no price for acme-ft-helper-2026. Add it under prices: in promptgate.yaml (USD per 1M input and output tokens).",
    );
    expect(out).not.toMatch(/\$0(\.0+)?\b/);
  });

  it("no-usage: a priced model on an endpoint that reports no token usage is not a missing price", async () => {
    const out = await evalTable("gpt-4o-mini-2024-07-18", () => reply(0, 0));
    expect(out).toMatch(/unknown †/);
    expect(out).toContain(
      "† helper@v1: cost unknown: the endpoint reported no token usage, so cost cannot be computed.",
    );
    expect(out).not.toContain("prices:");
    expect(out).not.toMatch(/\$0(\.0+)?\b/);
  });

  it("no-samples: a priced model whose every sample errored has nothing to price", async () => {
    const out = await evalTable("gpt-4o-mini-2024-07-18", () => {
      throw new Error("the endpoint fell over");
    });
    expect(out).toContain("† helper@v1: cost unknown: no successful sample to price.");
    expect(out).not.toContain("prices:");
  });

  it("a run with a known cost and one without both read right, each with its own reason", async () => {
    // Half the samples without usage: one unpriced sample makes the run's cost unknown.
    const out = await evalTable("gpt-4o-mini-2024-07-18", (i) =>
      i === 0 ? reply(100, 20) : reply(0, 0),
    );
    expect(out).toContain("the endpoint reported no token usage");
    expect(out).not.toContain("prices:");
    const priced = await evalTable("gpt-4o-mini-2024-07-18", () => reply(100, 20));
    expect(priced).not.toContain("unknown");
    expect(priced).not.toContain("†");
  });
});
