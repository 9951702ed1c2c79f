import { afterAll, describe, expect, it } from "vitest";
import { detectChanges } from "../../src/compare/changes.js";
import { comparePromptRuns } from "../../src/compare/compare-runs.js";
import { runDiff } from "../../src/compare/run-diff.js";
import type { PromptComparison } from "../../src/compare/types.js";
import { summariseCase, summariseRun } from "../../src/engine/run-eval.js";
import type { ChatModel, PromptRun } from "../../src/engine/types.js";
import { type FileSource, loadRepo, type Repo } from "../../src/formats/repo.js";
import { createOpenAIModels } from "../../src/io/openai-client.js";
import {
  createLatentResponder,
  createStandInChatModel,
  latentPassProbability,
} from "../support/helpers/stand-in-chat-model.js";
import { startOpenAIStandIn } from "../support/stand-ins/openai/index.js";

/**
 * The statistical claims of docs/statistics.md, end to end: two real Dotprompt versions of a
 * prompt, a golden set asserting `contains: PASS`, the LLM stand-in's seeded noise, the engine
 * (createSampler, assertions, pricing), the base-vs-head driver `runDiff` with fixed and adaptive
 * repeats, and the comparison's verdict. Nothing is simulated below the chat model.
 *
 * The latent design (test/support/helpers/stand-in-chat-model.ts): each case's pass probability on base
 * is p = 0.1 + 0.9 · u^(1/4), u uniform from a hash of (world, the case's user message), so each
 * comparison's world is a fresh golden set of 100 cases with a Beta(4, 1) spread over [0.1, 1]
 * (mean 0.82, a tail of hard cases). "Equally good": head's p is base's. "10 points worse": every
 * case's p drops by exactly 0.10 (the floor keeps it ≥ 0), so the true Δ is exactly −10 points.
 * Base and head are different prompt texts, so their requests and seeded streams differ and their
 * samples are independent. For this spread, 100 cases × 3 repeats give the paired t a standard
 * error of about 3.2 points (E[p(1−p)] = 0.126 on base, 0.180 on head): power against a 10-point
 * drop ≈ Φ(0.10/0.032 − 1.98) ≈ 87 %, the figure docs/statistics.md quotes for this design, while
 * a false "worse" is nominally 2.5 % (one side of 95 %). With 200 comparisons a rate's sampling
 * error is about ±2.4 points, hence the bounds 7 % and 80 %.
 *
 * Each comparison runs `repeats: auto` (1 → 10) through runDiff; the fixed design's verdict comes
 * from the same run's first three samples per case and side, which are exactly what a fixed run
 * draws (checked against runDiff's fixed path), so both designs face the same worlds and samples.
 * The bulk runs in-process (createStandInChatModel: the stand-in's responder and random-stream
 * derivation without HTTP); three comparisons go over loopback HTTP through the openai SDK and
 * must give the in-process answers exactly.
 */

const COMPARISONS = 200;
const CASES = 100;
const FIXED_REPEATS = 3;
const MAX_REPEATS = 10;
/** 200 adaptive comparisons are ~250k samples through the engine: more than the default 30 s on a busy machine. */
const SIMULATION_TIMEOUT_MS = 180_000;
const DROP = -0.1;
const PROMPT = "support-answer";

const promptFile = (version: string, instruction: string) =>
  [
    "---",
    "model: gpt-4o-mini",
    "config: { temperature: 0.7, maxOutputTokens: 200 }",
    "---",
    '{{role "system"}}',
    `You are the support assistant (version ${version}). ${instruction}`,
    '{{role "user"}}',
    "Ticket #{{ticket}} ({{topic}}): {{question}}",
    "",
  ].join("\n");

const V1 = promptFile("v1", "Answer the customer's ticket.");
const V2 = promptFile("v2", "Answer the customer's ticket briefly, citing the relevant policy.");

const TOPICS = ["billing", "refund", "shipping", "login", "privacy"];
const topicOf = (i: number) => TOPICS[i % TOPICS.length] ?? "billing";
const questionOf = (i: number) => `Question number ${i} about my account`;
/** Case i's user message as the template renders it: what the latent design hashes. */
const userMessage = (i: number) => `Ticket #${1000 + i} (${topicOf(i)}): ${questionOf(i)}`;

function goldenSetYaml(): string {
  const lines = ["cases:"];
  for (let i = 0; i < CASES; i++) {
    lines.push(
      `  - id: ticket-${i}`,
      `    vars: { ticket: ${1000 + i}, topic: ${topicOf(i)}, question: "${questionOf(i)}" }`,
      "    assert: [{ type: contains, value: PASS }]",
    );
  }
  return `${lines.join("\n")}\n`;
}

function memorySource(label: string, files: Record<string, string>): FileSource {
  return {
    label,
    read: async (path) => files[path],
    list: async (dir) =>
      Object.keys(files)
        .filter((p) => p.startsWith(`${dir}/`))
        .sort(),
  };
}

interface Fixture {
  base: Repo;
  head: Repo;
}

/** Base has v1; head adds v2. Gates are the defaults (95 %, max-regression 2 points). */
async function loadFixture(repeats: number | "auto"): Promise<Fixture> {
  const settings = `version: 1\nrepeats: ${repeats}\nmax-repeats: ${MAX_REPEATS}\n`;
  const common = {
    "promptgate.yaml": settings,
    [`prompts/${PROMPT}/v1.prompt`]: V1,
    [`evals/${PROMPT}.yaml`]: goldenSetYaml(),
  };
  return {
    base: await loadRepo(memorySource("base", common)),
    head: await loadRepo(memorySource("head", { ...common, [`prompts/${PROMPT}/v2.prompt`]: V2 })),
  };
}

const fixtures = { fixed: loadFixture(FIXED_REPEATS), adaptive: loadFixture("auto") };

type Design = keyof typeof fixtures;

async function compare(
  design: Design,
  chat: ChatModel,
  concurrency = 64,
): Promise<PromptComparison> {
  const { base, head } = await fixtures[design];
  const changes = detectChanges({
    base,
    head,
    changedFiles: [{ status: "added", path: `prompts/${PROMPT}/v2.prompt` }],
  });
  const result = await runDiff(
    { base, head, changes },
    { chat, prices: head.settings.prices, concurrency },
  );
  expect(result.comparisons).toHaveLength(1);
  return result.comparisons[0] as PromptComparison;
}

const httpModel = (baseURL: string): ChatModel =>
  createOpenAIModels({ baseURL, apiKey: "test", timeoutMs: 10_000, maxRetries: 0 });

const responderFor = (world: number, drop: number) =>
  createLatentResponder({ world, shift: { v1: 0, v2: drop } });

/** One simulated comparison: its world and its stand-in seed are both `seed`. */
function compareInProcess(design: Design, seed: number, drop: number): Promise<PromptComparison> {
  return compare(design, createStandInChatModel({ seed, responder: responderFor(seed, drop) }));
}

/**
 * The fixed design's comparison from an adaptive run: each case's first three samples on each side
 * are exactly the samples a fixed 3-repeat run draws (the same requests get the same n-th seeded
 * streams), checked against runDiff's fixed path below. So one adaptive run gives both designs'
 * verdicts on the same golden set and the same samples, for the price of one.
 */
async function fixedPrefix(adaptive: PromptComparison): Promise<PromptComparison> {
  const { base } = await fixtures.fixed;
  const goldenCases = new Map(
    (base.goldenSets.get(PROMPT)?.set.cases ?? []).map((c) => [c.id, c] as const),
  );
  const truncate = (run: PromptRun): PromptRun => {
    const cases = run.cases.map((c) => {
      const golden = goldenCases.get(c.id);
      if (!golden) throw new Error(`no golden case ${c.id}`);
      return summariseCase(
        golden,
        c.samples.filter((s) => s.index < FIXED_REPEATS),
      );
    });
    return { ...run, repeats: FIXED_REPEATS, cases, totals: summariseRun(cases) };
  };
  if (!adaptive.base) throw new Error("the adaptive run has no base");
  // The verdict reads the paired t interval; the bootstrap is only a cross-check, so skip it here.
  return comparePromptRuns(truncate(adaptive.base), truncate(adaptive.head), {
    gates: base.settings.gates,
    requestsPerDay: null,
    bootstrapDraws: 0,
  });
}

const hasFixedPrefix = (c: PromptComparison): boolean =>
  [c.base, c.head].every((run) =>
    (run?.cases ?? []).every((k) => k.samples.length >= FIXED_REPEATS),
  );

interface Tally {
  runs: number;
  worse: number;
  better: number;
  samples: number;
}

const newTally = (): Tally => ({ runs: 0, worse: 0, better: 0, samples: 0 });

function count(t: Tally, c: PromptComparison): void {
  expect(c.errors).toEqual({ base: 0, head: 0, samples: c.samplesSpent });
  t.runs++;
  t.samples += c.samplesSpent;
  if (c.verdict === "worse") t.worse++;
  if (c.verdict === "better") t.better++;
}

/** COMPARISONS worlds from `firstSeed` on, each run adaptively; the fixed verdict from its prefix. */
async function simulate(
  firstSeed: number,
  drop: number,
): Promise<{ fixed: Tally; adaptive: Tally }> {
  const fixed = newTally();
  const adaptive = newTally();
  for (let k = 0; k < COMPARISONS; k++) {
    const a = await compareInProcess("adaptive", firstSeed + k, drop);
    count(adaptive, a);
    // An adaptive run that stopped before three samples a case (futility at the first look) has
    // no fixed prefix: run the fixed design on the same world.
    count(
      fixed,
      hasFixedPrefix(a)
        ? await fixedPrefix(a)
        : await compareInProcess("fixed", firstSeed + k, drop),
    );
  }
  expect(fixed.samples).toBe(COMPARISONS * 2 * CASES * FIXED_REPEATS);
  // (the adaptive design may stop for futility after 1 or 2 samples a case: see docs/statistics.md)
  return { fixed, adaptive };
}

const EQUAL_SEEDS = 1;
const WORSE_SEEDS = 100_001;

const results: {
  equal?: { fixed: Tally; adaptive: Tally };
  worse?: { fixed: Tally; adaptive: Tally };
} = {};
const pct = (t: Tally, v: "worse" | "better") => `${((100 * t[v]) / t.runs).toFixed(1)} %`;
const mean = (t: Tally) => (t.samples / t.runs).toFixed(0);

afterAll(() => {
  const { equal, worse } = results;
  if (!equal || !worse) return;
  const row = (name: string, design: "fixed" | "adaptive") =>
    `  ${name.padEnd(26)} ${pct(equal[design], "worse").padStart(7)} ${pct(worse[design], "worse").padStart(13)}   ${mean(equal[design]).padStart(5)} / ${mean(worse[design]).padStart(5)}`;
  console.log(
    [
      `statistics through the LLM stand-in and runDiff: ${COMPARISONS} comparisons each, ${CASES} cases, same worlds for both designs`,
      `  ${"design".padEnd(26)} false "worse"  finds −10 pts   mean samples (equal / worse)`,
      row(`fixed ${FIXED_REPEATS} repeats`, "fixed"),
      row(`adaptive 1 → ${MAX_REPEATS} repeats`, "adaptive"),
      `  (fixed ${MAX_REPEATS} repeats would spend ${2 * CASES * MAX_REPEATS} samples per comparison)`,
    ].join("\n"),
  );
});

const outputsOf = (c: PromptComparison) =>
  [c.base, c.head].flatMap((run) =>
    (run?.cases ?? []).flatMap((k) =>
      k.samples.map((s) =>
        s.kind === "ok" ? [k.id, s.index, s.output, s.usage, s.pass] : [k.id, s.index, s.error],
      ),
    ),
  );

describe("the in-process stand-in model", () => {
  it("gives the same answers as the HTTP stand-in through the openai SDK, sample for sample", async () => {
    const seed = 424_242;
    const standIn = await startOpenAIStandIn({
      seed,
      responder: responderFor(seed, DROP),
      validate: true,
    });
    try {
      // Concurrency 1: the same request order on both paths, so even sample indices line up.
      const viaHttp = await compare("fixed", httpModel(standIn.baseURL), 1);
      const local = await compare(
        "fixed",
        createStandInChatModel({ seed, responder: responderFor(seed, DROP) }),
        1,
      );
      expect(standIn.requests).toHaveLength(2 * CASES * FIXED_REPEATS);
      expect(standIn.violations).toEqual([]);
      expect(outputsOf(local)).toEqual(outputsOf(viaHttp));
      expect(local.delta).toBe(viaHttp.delta);
      expect(local.interval).toEqual(viaHttp.interval);
      expect(local.crossCheck).toEqual(viaHttp.crossCheck);
      expect(local.verdict).toBe(viaHttp.verdict);
      expect(local.cost).toEqual(viaHttp.cost);
      expect(local.cost.head.perRequestUsd).toBeGreaterThan(0);
    } finally {
      await standIn.close();
    }
  });

  it("samples each case's latent pass probability, independently on base and head", async () => {
    const seed = 7;
    const chat = createStandInChatModel({ seed, responder: responderFor(seed, DROP) });
    const c = await compare("fixed", chat);
    expect(chat.requests).toBe(2 * CASES * FIXED_REPEATS);
    let expectedBase = 0;
    for (let i = 0; i < CASES; i++) {
      expectedBase += latentPassProbability(seed, userMessage(i)) / CASES;
    }
    expect(expectedBase).toBeGreaterThan(0.7);
    expect(expectedBase).toBeLessThan(0.95);
    // The sd of a side's mean over 300 draws is at most 2.9 points: allow 4 sd.
    expect(Math.abs((c.basePassRate ?? 0) - expectedBase)).toBeLessThan(0.115);
    expect(Math.abs((c.headPassRate ?? 0) - (expectedBase + DROP))).toBeLessThan(0.115);
    // Some cases split their outcomes, so the stream really draws; and base and head outcomes are
    // not copies of each other (identical requests would have given identical streams).
    const split = c.cases.filter((k) => (k.base?.passRate ?? 0) % 1 !== 0);
    expect(split.length).toBeGreaterThan(10);
    const differ = c.cases.filter((k) => {
      const b = c.base?.cases
        .find((x) => x.id === k.id)
        ?.samples.map((s) => s.kind === "ok" && s.pass);
      const h = c.head.cases
        .find((x) => x.id === k.id)
        ?.samples.map((s) => s.kind === "ok" && s.pass);
      return JSON.stringify(b) !== JSON.stringify(h);
    });
    expect(differ.length).toBeGreaterThan(CASES / 4);
  });

  it("a fixed run's samples are the first three of an adaptive run's, so one run serves both designs", async () => {
    let checked = 0;
    for (const [seed, drop] of [
      [EQUAL_SEEDS, 0],
      [EQUAL_SEEDS + 1, 0],
      [WORSE_SEEDS, DROP],
      [WORSE_SEEDS + 1, DROP],
      [WORSE_SEEDS + 2, DROP],
      [WORSE_SEEDS + 3, DROP],
    ] as const) {
      const fixed = await compareInProcess("fixed", seed, drop);
      const adaptive = await compareInProcess("adaptive", seed, drop);
      if (!hasFixedPrefix(adaptive)) continue;
      checked++;
      const prefix = await fixedPrefix(adaptive);
      const rates = (c: PromptComparison) =>
        c.cases.map((k) => [k.id, k.base?.passRate, k.head?.passRate, k.base?.samples]);
      expect(rates(prefix)).toEqual(rates(fixed));
      expect(prefix.delta).toBe(fixed.delta);
      expect(prefix.interval).toEqual(fixed.interval);
      expect(prefix.verdict).toBe(fixed.verdict);
      expect(prefix.samplesSpent).toBe(fixed.samplesSpent);
    }
    expect(checked).toBeGreaterThan(0);
  });
});

describe(`${COMPARISONS} seeded comparisons through runDiff and the stand-in`, () => {
  it(
    "equally good prompts: 'worse' in at most 7 %, fixed and adaptive",
    async () => {
      const { fixed, adaptive } = await simulate(EQUAL_SEEDS, 0);
      results.equal = { fixed, adaptive };
      for (const t of [fixed, adaptive]) {
        expect(t.worse / t.runs).toBeLessThanOrEqual(0.07);
        expect(t.better / t.runs).toBeLessThanOrEqual(0.07);
      }
      expect(adaptive.samples / adaptive.runs).toBeLessThanOrEqual(2 * CASES * MAX_REPEATS);
    },
    SIMULATION_TIMEOUT_MS,
  );

  it(
    "head 10 points worse (100 cases × 3 repeats): 'worse' in at least 80 %, fixed and adaptive",
    async () => {
      const { fixed, adaptive } = await simulate(WORSE_SEEDS, DROP);
      results.worse = { fixed, adaptive };
      for (const t of [fixed, adaptive]) {
        expect(t.worse / t.runs).toBeGreaterThanOrEqual(0.8);
        expect(t.better).toBe(0);
      }
      // Adaptive: clearly fewer samples than fixed 10.
      expect(adaptive.samples / adaptive.runs).toBeLessThan(0.75 * 2 * CASES * MAX_REPEATS);
    },
    SIMULATION_TIMEOUT_MS,
  );

  it("more comparisons end to end over loopback HTTP through the openai SDK, fixed and adaptive", async () => {
    const runs: { design: Design; seed: number; drop: number }[] = [
      { design: "fixed", seed: EQUAL_SEEDS, drop: 0 },
      { design: "adaptive", seed: WORSE_SEEDS + 1, drop: DROP },
    ];
    for (const { design, seed, drop } of runs) {
      const standIn = await startOpenAIStandIn({ seed, responder: responderFor(seed, drop) });
      try {
        const viaHttp = await compare(design, httpModel(standIn.baseURL), 16);
        const local = await compareInProcess(design, seed, drop);
        expect(standIn.requests).toHaveLength(viaHttp.samplesSpent);
        // Arrival order may differ under concurrency; each case's pass rates may not.
        const rates = (c: PromptComparison) =>
          c.cases.map((k) => [k.id, k.base?.passRate, k.head?.passRate, k.base?.samples]);
        expect(rates(viaHttp)).toEqual(rates(local));
        expect(viaHttp.samplesSpent).toBe(local.samplesSpent);
        expect(viaHttp.verdict).toBe(local.verdict);
        expect(viaHttp.interval).toEqual(local.interval);
      } finally {
        await standIn.close();
      }
    }
  });
});
