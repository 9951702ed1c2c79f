import type { PromptComparison } from "../compare/types.js";
import { PromptgateError } from "../errors.js";
import { mergeShardReports, uniqueBy } from "./merge-shards.js";
import { decideVerdict, REPORT_SCHEMA, type Report } from "./model.js";
import { reportSchema } from "./schema.js";

/** report.json: the input of `promptgate report --merge` and of anyone's dashboards. */
export function toJson(report: Report): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

export function parseReportJson(text: string, file: string): Report {
  let data: unknown;
  try {
    data = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (err) {
    throw new PromptgateError("E_SCHEMA", `not valid JSON: ${(err as Error).message}`, {
      location: { file },
      hint: "pass the report.json that `promptgate diff` wrote",
    });
  }
  const schema =
    typeof data === "object" && data !== null && !Array.isArray(data)
      ? (data as Record<string, unknown>).schema
      : undefined;
  if (typeof schema !== "string") {
    throw new PromptgateError("E_SCHEMA", `not a promptgate report: no "schema" field`, {
      location: { file },
      hint: `a report starts with "schema": "${REPORT_SCHEMA}"`,
    });
  }
  if (schema !== REPORT_SCHEMA) {
    const version = /^promptgate\/report@(\d+)$/.exec(schema)?.[1];
    if (version !== undefined) {
      throw new PromptgateError(
        "E_SCHEMA",
        `report schema version ${version} is not supported; this promptgate reads ${REPORT_SCHEMA}`,
        {
          location: { file },
          hint:
            Number(version) > 1
              ? "a newer promptgate wrote it: upgrade promptgate, or merge with the version that wrote the shards"
              : "write the report again with this version of promptgate",
        },
      );
    }
    throw new PromptgateError(
      "E_SCHEMA",
      `"${schema}" is not a report (expected "${REPORT_SCHEMA}")`,
      {
        location: { file },
        hint: "`promptgate report --merge` takes the report.json files that `promptgate diff` wrote",
      },
    );
  }
  const parsed = reportSchema.safeParse(withNewRequests(data));
  if (!parsed.success) {
    const issues = parsed.error.issues;
    const shown = issues
      .slice(0, 5)
      .map((i) => `${formatPath(i.path)}: ${i.message}`)
      .join("; ");
    const more = issues.length > 5 ? ` (and ${issues.length - 5} more)` : "";
    throw new PromptgateError("E_SCHEMA", `invalid report: ${shown}${more}`, {
      location: { file },
      hint: "the file was edited or truncated; write it again with `promptgate diff`",
    });
  }
  return parsed.data;
}

/**
 * `totals.newRequests` was added within v1: a report written before it has every sample that did
 * not come from the cache counted as a new request (render errors included, which it cannot tell).
 */
function withNewRequests(data: unknown): unknown {
  if (data === null || typeof data !== "object") return data;
  const totals = (data as { totals?: unknown }).totals;
  if (totals === null || typeof totals !== "object" || "newRequests" in totals) return data;
  const { samples, cacheHits } = totals as { samples?: unknown; cacheHits?: unknown };
  if (typeof samples !== "number" || typeof cacheHits !== "number") return data;
  return { ...data, totals: { ...totals, newRequests: Math.max(0, samples - cacheHits) } };
}

function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return "(root)";
  return path
    .map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`))
    .join("");
}

/**
 * Shards each evaluate a subset of the changed prompts of the same two revisions; their reports
 * merge into the one report the comment is rendered from. `names` (file names, usually) are what
 * errors call the shards. Reports of a `shard: i/n` matrix (each ran some cases of every prompt)
 * are merged case by case and compared again (merge-shards.ts).
 */
export function mergeReports(reports: readonly Report[], names: readonly string[] = []): Report {
  const nameOf = (i: number) => names[i] ?? `shard ${i + 1}`;
  const first = reports[0];
  if (first === undefined) {
    throw new PromptgateError("E_USAGE", "no report to merge", {
      hint: "pass the report.json of every shard",
    });
  }
  if (reports.some((r) => r.shard !== undefined)) return mergeShardReports(reports, names);
  for (const [i, r] of reports.entries()) {
    for (const side of ["base", "head"] as const) {
      if (r[side].sha !== first[side].sha) {
        throw new PromptgateError(
          "E_CONFIG",
          `${nameOf(0)} and ${nameOf(i)} evaluated different ${side} commits (${first[side].sha.slice(0, 7)} and ${r[side].sha.slice(0, 7)})`,
          { hint: "merge only the shards of one run" },
        );
      }
    }
  }

  const owner = new Map<string, number>();
  const comparisons: PromptComparison[] = [];
  for (const [i, r] of reports.entries()) {
    for (const c of r.comparisons) {
      const seen = owner.get(c.prompt);
      if (seen !== undefined) {
        throw new PromptgateError(
          "E_CONFIG",
          `prompt "${c.prompt}" was evaluated by two shards: ${nameOf(seen)} and ${nameOf(i)}`,
          { hint: "give each shard a disjoint set of prompts" },
        );
      }
      owner.set(c.prompt, i);
      comparisons.push(c);
    }
  }

  // Every shard detects the same changes; keep each once.
  const changes = uniqueBy(
    reports.flatMap((r) => r.changes),
    (c) => [c.prompt, c.kind, c.baseVersion, c.headVersion, c.file, c.oldFile].join("\u0000"),
  );
  const environmentChanges = uniqueBy(
    reports.flatMap((r) => r.environmentChanges),
    (c) => JSON.stringify(c),
  );
  const notices = uniqueBy(
    reports.flatMap((r) => r.notices),
    (n) => JSON.stringify(n),
  );

  const latest = reports.reduce((a, r) =>
    Date.parse(r.generatedAt) > Date.parse(a.generatedAt) ? r : a,
  );
  const merged: Report = {
    schema: REPORT_SCHEMA,
    generatedAt: latest.generatedAt,
    base: first.base,
    head: first.head,
    comparisons,
    changes,
    environmentChanges,
    notices,
    settings: {
      ...first.settings,
      models: [...new Set(reports.flatMap((r) => r.settings.models))].sort(),
    },
    totals: {
      samples: sum(reports, (r) => r.totals.samples),
      cacheHits: sum(reports, (r) => r.totals.cacheHits),
      newRequests: sum(reports, (r) => r.totals.newRequests),
      wallMs: sum(reports, (r) => r.totals.wallMs),
      errors: sum(reports, (r) => r.totals.errors),
      costUsd: reports.some((r) => r.totals.costUsd === null)
        ? null
        : sum(reports, (r) => r.totals.costUsd ?? 0),
      shards: sum(reports, (r) => r.totals.shards),
    },
    verdict: decideVerdict(comparisons),
  };
  const pick = <K extends "repository" | "serverUrl" | "runUrl">(key: K) =>
    reports.find((r) => r[key] !== undefined)?.[key];
  const repository = pick("repository");
  const serverUrl = pick("serverUrl");
  const runUrl = pick("runUrl");
  const judge = reports.find((r) => r.settings.judge !== undefined)?.settings.judge;
  if (repository !== undefined) merged.repository = repository;
  if (serverUrl !== undefined) merged.serverUrl = serverUrl;
  if (runUrl !== undefined) merged.runUrl = runUrl;
  if (judge !== undefined) merged.settings.judge = judge;
  // Shards split the prompts: the suite's cases and the golden sets' add up.
  const suited = reports.flatMap((r) => (r.settings.suite ? [r.settings.suite] : []));
  const suiteName = suited[0]?.name;
  if (suiteName !== undefined) {
    merged.settings.suite = {
      name: suiteName,
      cases: suited.reduce((n, s) => n + s.cases, 0),
      of: suited.reduce((n, s) => n + s.of, 0),
    };
  }
  return merged;
}

function sum(reports: readonly Report[], f: (r: Report) => number): number {
  return reports.reduce((acc, r) => acc + f(r), 0);
}
