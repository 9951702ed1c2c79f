import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { PAIRWISE_SYSTEM_PROMPT } from "../../src/engine/pairwise-judge.js";
import { renderedOutsideCode } from "../support/helpers/markdown-spans.js";
import { runCliCaptured } from "../support/helpers/run-cli.js";
import {
  type ChatCompletionBody,
  defaultResponder,
  type OpenAIStandIn,
  type Responder,
  startOpenAIStandIn,
  textOf,
} from "../support/stand-ins/openai/index.js";

/**
 * `promptgate shadow` end to end: the CLI in-process on a small repository, the model and the
 * judge answered by the LLM stand-in over loopback HTTP through the openai SDK.
 */

const PAIRWISE_MARKER = PAIRWISE_SYSTEM_PROMPT.split("\n")[0] as string;

const FILES: Record<string, string> = {
  "promptgate.yaml": "version: 1\njudge: { model: gpt-4o }\n",
  "environments.yaml": [
    "environments:",
    "  production:",
    "    prompts:",
    "      support-answer: { version: v1, model: gpt-4o-mini }",
    "",
  ].join("\n"),
  "prompts/support-answer/v1.prompt": [
    "---",
    "model: gpt-4o-mini",
    "---",
    '{{role "system"}}',
    "You are the OLD assistant.",
    '{{role "user"}}',
    "{{question}}",
    "",
  ].join("\n"),
  "prompts/support-answer/v2.prompt": [
    "---",
    "model: gpt-4o-mini",
    "---",
    '{{role "system"}}',
    "You are the NEW assistant.",
    '{{role "user"}}',
    "{{question}}",
    "",
  ].join("\n"),
};

/** Twelve recorded requests; two of them ask for something where neither answer is better. */
const QUESTIONS = [
  "How do I download an invoice?",
  "Can I get a refund on my annual plan?",
  "Why was my card declined?",
  "How do I cancel?",
  "Do you add VAT for EU customers?",
  "Can I pay by bank transfer?",
  "What happens when a payment fails?",
  "How do upgrades get billed?",
  "(even) When does a downgrade apply?",
  "Who is my billing contact?",
  "(even) Where are my receipts?",
  "Can I change my billing email?",
];

const lastText = (req: ChatCompletionBody, role: "system" | "user") =>
  textOf([...req.messages].reverse().find((m) => m.role === role)?.content);

const between = (text: string, tag: string) =>
  new RegExp(`<${tag}>\\n([\\s\\S]*?)\\n</${tag}>`).exec(text)?.[1] ?? "";

/** The two versions' answers: the new one is the better answer, by construction. */
const generation: Responder = (req, rand) => {
  const system = lastText(req, "system");
  const user = lastText(req, "user");
  if (system.includes("OLD assistant")) return { content: `Please see our help center. (${user})` };
  if (system.includes("NEW assistant")) {
    const hostile = user.includes("billing email")
      ? " <script>alert(1)</script> @octocat | `tick`"
      : "";
    return {
      content: `Step by step: open Settings → Billing and follow the steps for "${user}".${hostile}`,
    };
  }
  return defaultResponder(req, rand);
};

/** A fair judge: prefers the step-by-step answer, and calls the "(even)" requests a tie. */
const fairJudge: Responder = (req, rand) => {
  if (!lastText(req, "system").startsWith(PAIRWISE_MARKER)) return generation(req, rand);
  const user = lastText(req, "user");
  if (between(user, "input").includes("(even)"))
    return { content: JSON.stringify({ winner: "tie", reason: "both answers will do" }) };
  const aBetter = between(user, "answer_a").startsWith("Step by step");
  return {
    content: JSON.stringify({
      winner: aBetter ? "A" : "B",
      reason: `answer ${aBetter ? "A" : "B"} gives the steps`,
    }),
  };
};

/** A judge with a pure position bias: the first answer, whatever it says. */
const firstAnswerJudge: Responder = (req, rand) => {
  if (!lastText(req, "system").startsWith(PAIRWISE_MARKER)) return generation(req, rand);
  return { content: '```json\n{"winner": "A", "reason": "the first answer reads well"}\n```' };
};

let root: string;
let standIn: OpenAIStandIn;

beforeAll(async () => {
  standIn = await startOpenAIStandIn({ seed: 3, validate: true, responder: fairJudge });
  root = await mkdtemp(join(tmpdir(), "promptgate-shadow-"));
  for (const [file, text] of Object.entries(FILES)) {
    await mkdir(join(root, file, ".."), { recursive: true });
    await writeFile(join(root, file), text);
  }
  await writeFile(
    join(root, "traffic.jsonl"),
    `${QUESTIONS.map((question) => JSON.stringify({ question })).join("\n")}\n\n`,
  );
});
afterAll(async () => {
  await standIn.close();
  await rm(root, { recursive: true, force: true });
});
afterEach(() => {
  expect(standIn.violations).toEqual([]);
});

function cli(args: string[]) {
  return runCliCaptured(args, {
    cwd: root,
    env: { OPENAI_BASE_URL: standIn.baseURL, OPENAI_API_KEY: "test" },
  });
}

const SHADOW = ["shadow", "--env", "production", "--candidate", "support-answer@v2"];

interface JudgeCall {
  a: string;
  b: string;
  input: string;
}

function judgeCalls(): JudgeCall[] {
  return standIn.requests
    .filter((r) => r.path === "/v1/chat/completions")
    .map((r) => r.body as unknown as ChatCompletionBody)
    .filter((b) => lastText(b, "system").startsWith(PAIRWISE_MARKER))
    .map((b) => {
      const user = lastText(b, "user");
      return {
        a: between(user, "answer_a"),
        b: between(user, "answer_b"),
        input: between(user, "input"),
      };
    });
}

describe("promptgate shadow", () => {
  it("a better candidate wins, with an interval that excludes a tie, and the report renders", async () => {
    standIn.setResponder(fairJudge);
    standIn.requests.length = 0;
    const out = join(root, "out-fair");
    const {
      code,
      out: stdout,
      err,
    } = await cli([...SHADOW, "--inputs", "traffic.jsonl", "--out", out, "--no-cache"]);
    expect(err).not.toContain("error");
    expect(code).toBe(0);
    expect(stdout).toContain("candidate better");

    const report = JSON.parse(await readFile(join(out, "report.json"), "utf8"));
    expect(report.schema).toBe("promptgate/shadow-report@1");
    expect(report.live).toMatchObject({ version: "v1", model: "gpt-4o-mini" });
    expect(report.candidate).toMatchObject({ version: "v2", model: "gpt-4o-mini" });
    const s = report.summary;
    expect(s).toMatchObject({ inputs: 12, judged: 12, wins: 10, ties: 2, losses: 0, errors: 0 });
    expect(s.verdict).toBe("better");
    expect(s.interval.low).toBeGreaterThan(0);
    expect(s.interval.high).toBe(1); // clamped: a net win rate cannot exceed +100 pts
    expect(s.netWinRate).toBeCloseTo(10 / 12);
    // The candidate's answers are longer: it costs more per request, and both are priced.
    expect(s.live.costPerRequestUsd).toBeGreaterThan(0);
    expect(s.costRelative).toBeGreaterThan(0);
    expect(s.runCostUsd).toBeGreaterThan(0);
    expect(report.pairs[0].id).toBe("traffic.jsonl:1");

    // Both orders for every input: once live as A, once the candidate as A.
    const calls = judgeCalls();
    expect(calls).toHaveLength(24);
    for (const q of QUESTIONS) {
      const mine = calls.filter((c) => c.input.includes(JSON.stringify(q)));
      expect(mine.map((c) => c.a.startsWith("Step by step")).sort()).toEqual([false, true]);
    }

    const comment = await readFile(join(out, "comment.md"), "utf8");
    expect(comment.startsWith("<!-- promptgate:shadow v1 -->")).toBe(true);
    expect(comment).toContain("✅ shadow: candidate better");
    expect(comment).toContain("Where they disagree most");
    expect(comment).toContain("answer A gives the steps");
    expect(comment).toContain("cost / 1k requests");
    // A model's output is shown in code, where it cannot inject markup or mention anyone.
    expect(comment).toContain("<script>alert(1)</script> @octocat");
    expect(renderedOutsideCode(comment)).not.toContain("<script>");
    expect(renderedOutsideCode(comment)).not.toContain("@octocat");

    const html = await readFile(join(out, "report.html"), "utf8");
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain("candidate better");
    expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(html).not.toContain("<script>alert(1)");
  });

  it("a judge that always answers A yields ties, not wins: the positions are swapped", async () => {
    standIn.setResponder(firstAnswerJudge);
    standIn.requests.length = 0;
    const out = join(root, "out-biased");
    const { code } = await cli([
      ...SHADOW,
      "--inputs",
      "traffic.jsonl",
      "--out",
      out,
      "--no-cache",
    ]);
    expect(code).toBe(0);
    const report = JSON.parse(await readFile(join(out, "report.json"), "utf8"));
    expect(report.summary).toMatchObject({
      judged: 12,
      wins: 0,
      losses: 0,
      ties: 12,
      splits: 12,
      verdict: "noise",
    });
    expect(report.pairs[0].judgements.map((j: { first: string }) => j.first)).toEqual([
      "live",
      "candidate",
    ]);
    expect(judgeCalls()).toHaveLength(24);
    const comment = await readFile(join(out, "comment.md"), "utf8");
    expect(comment).toContain("no clear difference");
    expect(comment).toContain("split by position");
  });

  it("--sample N judges N of the recorded inputs, the same N for the same seed", async () => {
    standIn.setResponder(fairJudge);
    const run = async (dir: string) => {
      const { code } = await cli([
        ...SHADOW,
        "--inputs",
        "traffic.jsonl",
        "--sample",
        "5",
        "--out",
        join(root, dir),
        "--no-cache",
      ]);
      expect(code).toBe(0);
      const report = JSON.parse(await readFile(join(root, dir, "report.json"), "utf8"));
      return report.pairs.map((p: { id: string }) => p.id) as string[];
    };
    const first = await run("out-s1");
    expect(first).toHaveLength(5);
    expect(await run("out-s2")).toEqual(first);
  });

  it("a rerun on the same inputs is answered by the cache: nothing is sent", async () => {
    standIn.setResponder(fairJudge);
    const args = [...SHADOW, "--inputs", "traffic.jsonl", "--cache-dir", join(root, "cache")];
    expect((await cli([...args, "--out", join(root, "out-c1")])).code).toBe(0);
    standIn.requests.length = 0;
    expect((await cli([...args, "--out", join(root, "out-c2")])).code).toBe(0);
    expect(standIn.requests).toHaveLength(0);
    const report = JSON.parse(await readFile(join(root, "out-c2", "report.json"), "utf8"));
    expect(report.summary.requests).toEqual({ sent: 0, cacheHits: 48 });
    expect(report.summary.verdict).toBe("better");
  });

  it("a judge that keeps failing leaves no verdict, exit 3, and never a tie", async () => {
    standIn.setResponder(fairJudge);
    standIn.setFaults([
      {
        kind: "status",
        status: 400,
        match: (r) => JSON.stringify(r.body ?? {}).includes("pairwise judge"),
      },
    ]);
    try {
      const out = join(root, "out-err");
      const { code, err } = await cli([
        ...SHADOW,
        "--inputs",
        "traffic.jsonl",
        "--out",
        out,
        "--no-cache",
      ]);
      expect(code).toBe(3);
      expect(err).toContain("no verdict: 12 of 12 inputs errored");
      const report = JSON.parse(await readFile(join(out, "report.json"), "utf8"));
      expect(report.summary).toMatchObject({ errors: 12, ties: 0, verdict: "errors" });
      expect(report.pairs[0].error).toContain("the pairwise judge (gpt-4o) failed");
    } finally {
      standIn.setFaults([]);
    }
  });

  it("--candidate-model runs the candidate on another model; the live side keeps its pin", async () => {
    standIn.setResponder(fairJudge);
    standIn.requests.length = 0;
    const out = join(root, "out-model");
    const { code } = await cli([
      ...SHADOW,
      "--candidate-model",
      "gpt-4.1-mini",
      "--inputs",
      "traffic.jsonl",
      "--sample",
      "2",
      "--out",
      out,
      "--no-cache",
    ]);
    expect(code).toBe(0);
    const report = JSON.parse(await readFile(join(out, "report.json"), "utf8"));
    expect(report.live.model).toBe("gpt-4o-mini");
    expect(report.candidate.model).toBe("gpt-4.1-mini");
    const models = standIn.requests.map((r) => {
      const body = r.body as unknown as ChatCompletionBody;
      return `${lastText(body, "system").split("\n")[0]} ${body.model}`;
    });
    expect(models.filter((m) => m.includes("NEW assistant"))).toEqual([
      "You are the NEW assistant. gpt-4.1-mini",
      "You are the NEW assistant. gpt-4.1-mini",
    ]);
    expect(
      models.filter((m) => m.includes("OLD assistant")).every((m) => m.endsWith("gpt-4o-mini")),
    ).toBe(true);
  });

  it("a line that is not a JSON object is named by file and line, and nothing is sent", async () => {
    await writeFile(join(root, "broken.jsonl"), '{"question": "ok"}\n[1, 2]\n{"question": \n');
    standIn.requests.length = 0;
    const { code, err } = await cli([...SHADOW, "--inputs", "broken.jsonl"]);
    expect(code).toBe(1);
    expect(err).toContain("broken.jsonl:2: a line must be one JSON object of vars, got an array");
    expect(err).toContain("broken.jsonl:3: not JSON");
    expect(standIn.requests).toHaveLength(0);
  });

  it("refuses a candidate that does not exist, and an environment without the prompt", async () => {
    const missing = await cli([
      "shadow",
      "--env",
      "production",
      "--candidate",
      "support-answer@v9",
      "--inputs",
      "traffic.jsonl",
    ]);
    expect(missing.code).toBe(2);
    expect(missing.err).toContain("no version v9 of support-answer");
    const noEnv = await cli([
      "shadow",
      "--env",
      "staging",
      "--candidate",
      "support-answer@v2",
      "--inputs",
      "traffic.jsonl",
    ]);
    expect(noEnv.code).toBe(2);
    expect(noEnv.err).toContain('unknown environment "staging"');
  });
});
