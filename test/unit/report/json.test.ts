import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { parseSettings } from "../../../src/formats/settings.js";
import {
  describeSettings,
  mergeReports,
  parseReportJson,
  REPORT_SCHEMA,
  type Report,
  renderComment,
  reportSchema,
  toJson,
} from "../../../src/report/index.js";
import { buildReport } from "../../support/fixtures/report/build-report.js";
import { errorOf } from "../../support/helpers/errors.js";

describe("totals", () => {
  it("count what this run spent: an answer from the cache cost nothing now", () => {
    const report = buildReport({ only: ["summarize-thread"] });
    let spent = 0;
    let cachedCost = 0;
    for (const c of report.comparisons) {
      for (const run of c.base ? [c.base, c.head] : [c.head]) {
        for (const k of run.cases) {
          for (const s of k.samples) {
            if (s.kind !== "ok") continue;
            if (s.cached) cachedCost += s.costUsd ?? 0;
            else spent += s.costUsd ?? 0;
          }
        }
      }
    }
    expect(cachedCost).toBeGreaterThan(0);
    expect(report.totals.costUsd).toBeCloseTo(spent, 12);
  });
});

describe("toJson / parseReportJson", () => {
  it("round-trips a report exactly", () => {
    const report = buildReport({ hostile: true });
    const text = toJson(report);
    expect(parseReportJson(text, "report.json")).toEqual(report);
    expect(report.comparisons[0]!.crossCheck?.method).toBe("paired-bootstrap");
    expect(text.endsWith("}\n")).toBe(true);
  });

  it("keeps the cases left out of Δ and where an adaptive run stopped", () => {
    const report = buildReport({ allErroredOnHead: 2 });
    const classify = report.comparisons.find((c) => c.prompt === "classify-intent")!;
    expect(classify.droppedCases).toEqual(["intent-039", "intent-040"]);
    const adaptive = {
      ...report,
      comparisons: report.comparisons.map((c) =>
        c === classify ? { ...c, sequential: { look: 2, looks: 5, critical: 3.35 } } : c,
      ),
    };
    const parsed = parseReportJson(toJson(adaptive), "report.json");
    expect(parsed).toEqual(adaptive);
    expect(parsed.comparisons.find((c) => c.prompt === "classify-intent")).toMatchObject({
      droppedCases: ["intent-039", "intent-040"],
      sequential: { look: 2, looks: 5, critical: 3.35 },
    });
  });

  it("reads a v1 report written before droppedCases and sequential were added", () => {
    const data = JSON.parse(toJson(buildReport({ allErroredOnHead: 2 })));
    for (const c of data.comparisons) {
      delete c.droppedCases;
      delete c.sequential;
    }
    const parsed = parseReportJson(JSON.stringify(data), "old.json");
    expect(parsed.schema).toBe(REPORT_SCHEMA);
    expect(parsed.comparisons[0]).not.toHaveProperty("droppedCases");
    // The count is still there for the reader: the paired cases without a Δ.
    expect(renderComment(parsed)).toContain("; 2 cases left out of Δ: no result on one side");
  });

  it("ignores fields a later v1 writer adds", () => {
    const data = JSON.parse(toJson(buildReport({ only: ["summarize-thread"] })));
    data.dashboardHint = "new";
    data.comparisons[0].someNewField = 1;
    const parsed = parseReportJson(JSON.stringify(data), "r.json");
    expect(parsed).not.toHaveProperty("dashboardHint");
    expect(parsed.comparisons[0]!.prompt).toBe("summarize-thread");
  });

  it("rejects an unknown schema version with a clear error", () => {
    const data = JSON.parse(toJson(buildReport({ only: ["summarize-thread"] })));
    data.schema = "promptgate/report@2";
    const err = errorOf(() => parseReportJson(JSON.stringify(data), "shard-1/report.json"));
    expect(err.code).toBe("E_SCHEMA");
    expect(err.message).toBe(
      `shard-1/report.json: report schema version 2 is not supported; this promptgate reads ${REPORT_SCHEMA}`,
    );
    expect(err.hint).toMatch(/upgrade promptgate/);
  });

  it("tells an eval result from a report", () => {
    const err = errorOf(() =>
      parseReportJson('{"schema":"promptgate/eval-result@1","runs":[]}', "eval.json"),
    );
    expect(err.message).toBe(
      'eval.json: "promptgate/eval-result@1" is not a report (expected "promptgate/report@1")',
    );
  });

  it("rejects a file without a schema, and text that is not JSON", () => {
    expect(errorOf(() => parseReportJson("[1,2]", "a.json")).message).toBe(
      'a.json: not a promptgate report: no "schema" field',
    );
    expect(errorOf(() => parseReportJson('{"schema": ', "b.json")).message).toMatch(
      /^b\.json: not valid JSON: /,
    );
  });

  it("names the path of a wrong field", () => {
    const data = JSON.parse(toJson(buildReport({ only: ["summarize-thread"] })));
    data.comparisons[0].head.cases[1].samples[0].kind = "maybe";
    delete data.totals.samples;
    const err = errorOf(() => parseReportJson(JSON.stringify(data), "r.json"));
    expect(err.code).toBe("E_SCHEMA");
    expect(err.message).toContain("comparisons[0].head.cases[1].samples[0].kind");
    expect(err.message).toContain("totals.samples");
  });
});

describe("mergeReports", () => {
  const all = buildReport();
  const shardA = buildReport({ only: ["support-answer", "classify-intent"] });
  const shardB = buildReport({ only: ["summarize-thread", "triage-ticket"] });
  const viaJson = (r: Report, name: string) => parseReportJson(toJson(r), name);

  it("merges two shards into one report", () => {
    const merged = mergeReports([viaJson(shardA, "a.json"), viaJson(shardB, "b.json")]);
    expect(merged.comparisons.map((c) => c.prompt)).toEqual([
      "support-answer",
      "classify-intent",
      "summarize-thread",
      "triage-ticket",
    ]);
    expect(merged.totals.samples).toBe(shardA.totals.samples + shardB.totals.samples);
    expect(merged.totals.samples).toBe(all.totals.samples);
    expect(merged.totals.cacheHits).toBe(all.totals.cacheHits);
    expect(merged.totals.newRequests).toBe(all.totals.newRequests);
    expect(merged.totals.newRequests).toBe(all.totals.samples - all.totals.cacheHits);
    expect(merged.totals.errors).toBe(12);
    expect(merged.totals.wallMs).toBe(2 * 134_200);
    expect(merged.totals.shards).toBe(2);
    expect(merged.totals.costUsd).toBeNull(); // triage-ticket's price is unknown
    expect(merged.settings.models).toEqual(all.settings.models);
    expect(merged.verdict).toEqual(all.verdict);
    expect(renderComment(merged)).toContain("wall time: 4m 28s (summed over 2 shards)");
  });

  it("adds up the suite's cases over the shards, which split the prompts", () => {
    const withSuite = (r: Report, cases: number, of: number): Report => ({
      ...r,
      settings: { ...r.settings, suite: { name: "smoke", cases, of } },
    });
    const merged = mergeReports([
      viaJson(withSuite(shardA, 3, 10), "a.json"),
      viaJson(withSuite(shardB, 4, 20), "b.json"),
    ]);
    expect(merged.settings.suite).toEqual({ name: "smoke", cases: 7, of: 30 });
    expect(renderComment(merged)).toContain("suite smoke: 7 of 30 cases");
    expect(mergeReports([shardA, shardB]).settings.suite).toBeUndefined();
  });

  it("keeps each shard's cases left out of Δ", () => {
    const a = buildReport({ only: ["support-answer", "classify-intent"], allErroredOnHead: 3 });
    const merged = mergeReports([viaJson(a, "a.json"), viaJson(shardB, "b.json")]);
    const dropped = Object.fromEntries(merged.comparisons.map((c) => [c.prompt, c.droppedCases]));
    expect(dropped).toEqual({
      "support-answer": [],
      "classify-intent": ["intent-038", "intent-039", "intent-040"],
      "summarize-thread": [],
      "triage-ticket": [],
    });
    expect(renderComment(merged)).toContain("; 3 cases left out of Δ: no result on one side");
  });

  it("keeps changes that every shard reports once", () => {
    const a = { ...shardA, changes: [...shardA.changes, ...all.changes.slice(-1)] };
    const b = { ...shardB, changes: [...shardB.changes, ...all.changes.slice(-1)] };
    const merged = mergeReports([a, b]);
    expect(merged.changes.filter((c) => c.kind === "deleted")).toHaveLength(1);
    expect(merged.changes).toHaveLength(all.changes.length);
  });

  it("refuses a prompt evaluated by two shards, naming both", () => {
    const err = errorOf(() =>
      mergeReports(
        [shardA, shardB, buildReport({ only: ["classify-intent"] })],
        ["shard-a/report.json", "shard-b/report.json", "shard-c/report.json"],
      ),
    );
    expect(err.code).toBe("E_CONFIG");
    expect(err.message).toBe(
      'prompt "classify-intent" was evaluated by two shards: shard-a/report.json and shard-c/report.json',
    );
  });

  it("refuses shards of different commits", () => {
    const other = { ...shardB, head: { ref: "x", sha: "1".repeat(40) } };
    expect(errorOf(() => mergeReports([shardA, other])).message).toMatch(
      /shard 1 and shard 2 evaluated different head commits/,
    );
  });

  it("recomputes the verdict: blocked if any shard is blocked", () => {
    expect(shardB.verdict.overall).toBe("pass");
    expect(shardA.verdict.overall).toBe("blocked");
    expect(mergeReports([shardB, shardA]).verdict.overall).toBe("blocked");
  });

  it("recomputes the verdict: errors if any errors and none blocked, else pass", () => {
    const errors = buildReport({ only: ["classify-intent"], manyErrors: true });
    expect(errors.verdict.overall).toBe("errors");
    expect(mergeReports([shardB, errors]).verdict.overall).toBe("errors");
    const support = buildReport({ only: ["support-answer"] });
    expect(mergeReports([errors, support]).verdict.overall).toBe("blocked");
    const summarize = buildReport({ only: ["summarize-thread"] });
    const triage = buildReport({ only: ["triage-ticket"] });
    expect(mergeReports([summarize, triage]).verdict.overall).toBe("pass");
  });

  it("reads a v1 report written before totals.newRequests: samples not from the cache", () => {
    const old = JSON.parse(toJson(shardA)) as { totals: Record<string, unknown> };
    delete old.totals.newRequests;
    const read = parseReportJson(JSON.stringify(old), "old.json");
    expect(read.totals.newRequests).toBe(shardA.totals.samples - shardA.totals.cacheHits);
  });

  it("needs at least one report", () => {
    expect(errorOf(() => mergeReports([])).code).toBe("E_USAGE");
  });
});

describe("docs/report-schema.md", () => {
  const doc = readFileSync(new URL("../../../docs/report-schema.md", import.meta.url), "utf8");

  it("documents every field of the report, its settings and totals", () => {
    const shape = reportSchema.shape;
    const keys = [
      ...Object.keys(shape),
      ...Object.keys(shape.settings.shape),
      ...Object.keys(shape.totals.shape),
    ];
    const missing = keys.filter((k) => !doc.includes(`\`${k}\``));
    expect(missing).toEqual([]);
  });

  it("documents every field of a comparison", () => {
    const fields = Object.keys(reportSchema.shape.comparisons.element.shape);
    const missing = fields.filter((k) => !doc.includes(`\`${k}\``));
    expect(missing).toEqual([]);
  });

  it("documents the version it describes, and the schema converts to JSON Schema", () => {
    expect(doc).toContain(`# The report JSON schema — \`${REPORT_SCHEMA}\``);
    const json = z.toJSONSchema(reportSchema) as { properties: Record<string, unknown> };
    expect(Object.keys(json.properties)).toContain("comparisons");
  });
});

describe("describeSettings", () => {
  const base = parseSettings(
    "version: 1\nrepeats: 3\nbaseline: staging\ngates: { max-regression: 0.02, confidence: 0.9 }\n",
  );
  const head = parseSettings(
    "version: 1\nrepeats: 5\nmax-repeats: 12\njudge: { model: gpt-4o }\ngates: { max-regression: 0.5, confidence: 0.6 }\n",
  );

  it("takes the gates from the base, so a pull request cannot loosen its own, and the judge from the head", () => {
    expect(describeSettings(base, head)).toEqual({
      repeats: 5,
      maxRepeats: 12,
      judge: "gpt-4o",
      confidence: 0.9,
      maxRegression: 0.02,
      baseline: "staging",
    });
  });

  it("states the repeats the run used when there was one", () => {
    expect(describeSettings(base, head, { repeats: "auto", maxRepeats: 8 })).toMatchObject({
      repeats: "auto",
      maxRepeats: 8,
    });
  });
});
