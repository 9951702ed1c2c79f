import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { shardOfCase } from "../../src/compare/shards.js";
import type { PromptComparison } from "../../src/compare/types.js";
import { mergeReports, parseReportJson } from "../../src/report/json.js";
import type { Report } from "../../src/report/model.js";
import { EXAMPLES } from "../support/helpers/demo-pull-request.js";
import { errorOf } from "../support/helpers/errors.js";
import type { GitRepo } from "../support/helpers/git-repo.js";
import { createDemoRepo, runCliCaptured } from "../support/helpers/run-cli.js";
import {
  loadRules,
  rulesResponder,
  startOpenAIStandIn,
} from "../support/stand-ins/openai/index.js";

/**
 * Issue 15 item 3: a diff spread over a matrix of 4 shards (by case), merged, says what one
 * unsharded run says: the same verdicts, intervals, critical checks and cost, to the last bit.
 * Each run gets its own LLM stand-in, as each matrix job reaches the endpoint on its own; one
 * request at a time, so a case's identical requests get the stand-in's answers in sample order.
 */
const PR_FILES = ["prompts/support-answer/v3.prompt", "prompts/ticket-triage/v2.prompt"];

let repo: GitRepo;
let rules: Awaited<ReturnType<typeof loadRules>>;
let unsharded: Report;
let shards: Report[];

async function diff(outDir: string, ...extra: string[]): Promise<Report> {
  const standIn = await startOpenAIStandIn({
    seed: 11,
    validate: true,
    responder: rulesResponder(rules),
  });
  try {
    const { code, err } = await runCliCaptured(
      ["diff", "--base", "main", "--head", "pr", "--no-cache", "--concurrency", "1"]
        .concat(["--out-dir", outDir])
        .concat(extra),
      { cwd: repo.root, env: { OPENAI_BASE_URL: standIn.baseURL, OPENAI_API_KEY: "test" } },
    );
    expect(standIn.violations).toEqual([]);
    // The example pull request regresses support-answer: the unsharded run blocks (exit 1).
    expect([0, 1], err).toContain(code);
  } finally {
    await standIn.close();
  }
  return parseReportJson(await readFile(join(outDir, "report.json"), "utf8"), outDir);
}

beforeAll(async () => {
  rules = await loadRules(join(EXAMPLES, "stand-in.yaml"));
  repo = await createDemoRepo(PR_FILES, "pr");
  const out = (name: string) => join(repo.root, ".promptgate", name);
  unsharded = await diff(out("whole"));
  shards = [];
  for (const k of [1, 2, 3, 4]) shards.push(await diff(out(`shard-${k}`), "--shard", `${k}/4`));
}, 120_000);

afterAll(async () => {
  await repo?.remove();
});

/** A comparison less what differs between any two runs: the latency of each answer. */
function withoutLatency(c: PromptComparison): unknown {
  return JSON.parse(
    JSON.stringify(c, (key, value) =>
      key === "latencyMs" || key === "meanLatencyMs" ? undefined : value,
    ),
  );
}

describe("sharded diff (shard: i/n) merged", () => {
  it("spreads every golden set over the shards, each case in exactly one", () => {
    for (const c of unsharded.comparisons) {
      const counts = shards.map(
        (s) => s.comparisons.find((x) => x.prompt === c.prompt)?.head.cases.length ?? 0,
      );
      // 20 cases over 4 shards: none gets them all, together they have each once.
      expect(Math.max(...counts)).toBeLessThan(c.head.cases.length);
      expect(counts.reduce((a, b) => a + b, 0)).toBe(c.head.cases.length);
    }
    for (const [i, s] of shards.entries()) {
      expect(s.shard).toMatchObject({ index: i + 1, count: 4 });
      for (const c of s.comparisons) {
        for (const k of c.head.cases) expect(shardOfCase(c.prompt, k.id, 4)).toBe(i + 1);
      }
    }
  });

  it("gives the unsharded run's verdict, intervals and cost", () => {
    const merged = mergeReports([...shards].reverse(), ["4.json", "3.json", "2.json", "1.json"]);
    expect(merged.shard).toBeUndefined();
    expect(merged.totals.shards).toBe(4);
    expect(merged.verdict).toEqual(unsharded.verdict);
    expect(unsharded.verdict.overall).toBe("blocked");
    expect(merged.totals.costUsd).toBe(unsharded.totals.costUsd);
    expect(merged.totals.samples).toBe(unsharded.totals.samples);
    expect(merged.comparisons.map((c) => c.prompt)).toEqual(
      unsharded.comparisons.map((c) => c.prompt),
    );
    for (const [i, c] of merged.comparisons.entries()) {
      const whole = unsharded.comparisons[i]!;
      expect(c.interval).toEqual(whole.interval);
      expect(c.interval).not.toBeNull();
      expect(c.delta).toBe(whole.delta);
      expect(c.cost).toEqual(whole.cost);
      expect(withoutLatency(c)).toEqual(withoutLatency(whole));
    }
    expect(merged.changes).toEqual(unsharded.changes);
    expect(merged.environmentChanges).toEqual(unsharded.environmentChanges);
    expect(merged.settings).toEqual(unsharded.settings);
  });

  it("a shard's own numbers are not the run's: its interval differs from the merged one", () => {
    const whole = unsharded.comparisons[0]!;
    const part = shards[0]!.comparisons.find((c) => c.prompt === whole.prompt)!;
    expect(part.interval).not.toEqual(whole.interval);
  });

  it("names a missing shard", () => {
    const [a, b, , d] = shards as [Report, Report, Report, Report];
    const err = errorOf(() => mergeReports([a, b, d], ["1.json", "2.json", "4.json"]));
    expect(err.message).toBe("shard 3/4 is missing");
    expect(err.hint).toMatch(/every shard of the matrix/);
  });

  it("names a duplicated shard and the files that hold it", () => {
    const [a, b, c, d] = shards as [Report, Report, Report, Report];
    const err = errorOf(() =>
      mergeReports([a, b, b, c, d], ["1.json", "2.json", "2-again.json", "3.json", "4.json"]),
    );
    expect(err.message).toBe("shard 2/4 is given twice: 2.json and 2-again.json");
  });

  it("refuses shards of different matrices or commits", () => {
    const [a, b, c, d] = shards as [Report, Report, Report, Report];
    const other = { ...d, shard: { ...d.shard!, count: 5 } };
    expect(errorOf(() => mergeReports([a, b, c, other], ["1", "2", "3", "4"])).message).toBe(
      "1 is shard 1/4 but 4 is shard 4/5: not one matrix",
    );
    // A shard judged by lenient gates (a hand-edited artifact) must not lend them to the merge.
    const lenient = {
      ...d,
      shard: { ...d.shard!, gates: { ...d.shard!.gates, maxRegression: 1 } },
    };
    expect(errorOf(() => mergeReports([a, b, c, lenient], ["1", "2", "3", "4"])).message).toBe(
      "1 and 4 were judged by different gates",
    );
    const moved = { ...d, head: { ref: "pr", sha: "f".repeat(40) } };
    expect(errorOf(() => mergeReports([a, b, c, moved], ["1", "2", "3", "4"])).message).toMatch(
      /^1 and 4 evaluated different head commits/,
    );
  });

  it("eval --shard i/n runs that shard's cases and says so", async () => {
    const standIn = await startOpenAIStandIn({ seed: 11, responder: rulesResponder(rules) });
    try {
      const ids: string[][] = [];
      for (const k of [1, 2]) {
        const { out } = await runCliCaptured(
          ["eval", "--prompt", "ticket-triage", "--no-cache", "--json", "--shard", `${k}/2`],
          { cwd: repo.root, env: { OPENAI_BASE_URL: standIn.baseURL, OPENAI_API_KEY: "test" } },
        );
        const result = JSON.parse(out) as {
          shard: unknown;
          runs: { prompt: string; cases: { id: string }[] }[];
        };
        expect(result.shard).toEqual({ index: k, count: 2 });
        const cases = result.runs.flatMap((r) => r.cases.map((c) => c.id));
        for (const id of cases) expect(shardOfCase("ticket-triage", id, 2)).toBe(k);
        ids.push(cases);
      }
      const whole = unsharded.comparisons.find((c) => c.prompt === "ticket-triage")!;
      expect([...ids.flat()].sort()).toEqual(whole.head.cases.map((c) => c.id).sort());
    } finally {
      await standIn.close();
    }
  });

  it("report --merge writes the merged report and exits like the unsharded diff", async () => {
    const files = [1, 2, 3, 4].map((k) => join(".promptgate", `shard-${k}`, "report.json"));
    const out = join(repo.root, ".promptgate", "merged");
    const { code } = await runCliCaptured(["report", "--merge", ...files, "--out-dir", out], {
      cwd: repo.root,
    });
    expect(code).toBe(1);
    const merged = parseReportJson(await readFile(join(out, "report.json"), "utf8"), "merged");
    expect(merged.verdict).toEqual(unsharded.verdict);
  });
});
