import { comparePromptRuns } from "../compare/compare-runs.js";
import { passedGate } from "../compare/run-diff.js";
import { gatesOfShard, type ShardPlanEntry } from "../compare/shards.js";
import type { PromptComparison } from "../compare/types.js";
import { summariseRun } from "../engine/run-eval.js";
import type { CaseResult, PromptRun } from "../engine/types.js";
import { PromptgateError } from "../errors.js";
import { createReport, type Report } from "./model.js";

/**
 * The reports of an Actions matrix (`shard: i/n`, each shard ran some cases of every prompt) as
 * the one report an unsharded run would have written: the cases are put back in the plan's order
 * and every comparison is computed again from them (interval, verdict, critical checks, cost,
 * gates), never averaged from the shards' partial summaries.
 */
export function mergeShardReports(reports: readonly Report[], names: readonly string[]): Report {
  const nameOf = (i: number) => names[i] ?? `shard report ${i + 1}`;
  const shards = reports.map((r, i) => {
    if (!r.shard) {
      throw new PromptgateError(
        "E_CONFIG",
        `${nameOf(i)} is not a shard's report, but others given with it are`,
        { hint: "merge the report.json of every shard of one run, and nothing else" },
      );
    }
    return { report: r, shard: r.shard, name: nameOf(i) };
  });
  const first = shards[0]!;
  const count = first.shard.count;
  for (const s of shards) {
    if (s.shard.count !== count) {
      throw new PromptgateError(
        "E_CONFIG",
        `${first.name} is shard ${first.shard.index}/${count} but ${s.name} is shard ${s.shard.index}/${s.shard.count}: not one matrix`,
        { hint: "merge only the shards of one run" },
      );
    }
    for (const side of ["base", "head"] as const) {
      if (s.report[side].sha !== first.report[side].sha) {
        throw new PromptgateError(
          "E_CONFIG",
          `${first.name} and ${s.name} evaluated different ${side} commits (${first.report[side].sha.slice(0, 7)} and ${s.report[side].sha.slice(0, 7)})`,
          { hint: "merge only the shards of one run" },
        );
      }
    }
  }
  const byIndex = new Map<number, string>();
  for (const s of shards) {
    const seen = byIndex.get(s.shard.index);
    if (seen !== undefined) {
      throw new PromptgateError(
        "E_CONFIG",
        `shard ${s.shard.index}/${count} is given twice: ${seen} and ${s.name}`,
        { hint: "download each shard's artifact once" },
      );
    }
    byIndex.set(s.shard.index, s.name);
  }
  const missing = Array.from({ length: count }, (_, i) => i + 1).filter((i) => !byIndex.has(i));
  if (missing.length > 0) {
    throw new PromptgateError(
      "E_CONFIG",
      `shard${missing.length > 1 ? "s" : ""} ${missing.map((i) => `${i}/${count}`).join(", ")} ${missing.length > 1 ? "are" : "is"} missing`,
      {
        hint: "every shard of the matrix must finish and upload its report before the merge (needs: the matrix job)",
      },
    );
  }
  const plan = first.shard.plan;
  const planText = JSON.stringify(plan);
  for (const s of shards) {
    if (JSON.stringify(s.shard.plan) !== planText) {
      throw new PromptgateError(
        "E_CONFIG",
        `${first.name} and ${s.name} planned different evaluations`,
        { hint: "merge only the shards of one run" },
      );
    }
  }

  const gatesText = JSON.stringify(first.shard.gates);
  for (const s of shards) {
    if (JSON.stringify(s.shard.gates) !== gatesText) {
      throw new PromptgateError(
        "E_CONFIG",
        `${first.name} and ${s.name} were judged by different gates`,
        { hint: "merge only the shards of one run" },
      );
    }
  }
  const gates = gatesOfShard(first.shard.gates);
  const comparisons = plan.map((entry) => mergePrompt(entry, shards, gates));
  const order = new Map(plan.map((e, i) => [e.prompt, i]));
  const rank = (prompt: string) => order.get(prompt) ?? plan.length;
  const changes = uniqueBy(
    shards.flatMap((s) => s.report.changes),
    (c) => [c.prompt, c.kind, c.baseVersion, c.headVersion, c.file, c.oldFile].join("\u0000"),
  ).sort((a, b) => rank(a.prompt) - rank(b.prompt));
  // Whether a newly pinned version this run evaluated passed its gate is the merged comparison's
  // to say (as markPinGates does for one run); the others each shard read alike.
  const kinds = new Map(changes.map((c) => [c.prompt, c.kind]));
  const environmentChanges = first.report.environmentChanges.map((c) => {
    if (c.kind !== "pin" || !c.needsGate || !c.after) return c;
    const version = c.after.version;
    const evaluated = comparisons.find(
      (x) =>
        x.prompt === c.prompt && x.head.version === version && kinds.get(x.prompt) !== "model-swap",
    );
    return evaluated ? { ...c, gatePassed: passedGate(evaluated) } : c;
  });
  const notices = uniqueBy(
    shards.flatMap((s) => s.report.notices),
    (n) => JSON.stringify(n),
  );
  const latest = reports.reduce((a, r) =>
    Date.parse(r.generatedAt) > Date.parse(a.generatedAt) ? r : a,
  );
  const { models: _models, ...settings } = first.report.settings;
  const repeats = shards.map((s) => s.report.settings.repeats);
  const numeric = repeats.filter((r): r is number => r !== "auto");
  const merged = createReport({
    generatedAt: latest.generatedAt,
    ...pick(reports, "repository"),
    ...pick(reports, "serverUrl"),
    ...pick(reports, "runUrl"),
    base: first.report.base,
    head: first.report.head,
    comparisons,
    changes,
    environmentChanges,
    notices,
    settings: {
      ...settings,
      repeats: numeric.length === repeats.length ? Math.max(...numeric) : "auto",
    },
    wallMs: reports.reduce((acc, r) => acc + r.totals.wallMs, 0),
  });
  merged.totals.shards = count;
  return merged;
}

type Shards = readonly { report: Report; name: string }[];

function mergePrompt(
  entry: ShardPlanEntry,
  shards: Shards,
  gates: ReturnType<typeof gatesOfShard>,
): PromptComparison {
  const parts = shards.flatMap((s) =>
    s.report.comparisons.filter((c) => c.prompt === entry.prompt).map((c) => ({ c, name: s.name })),
  );
  const lead = parts[0];
  if (lead === undefined) {
    throw new PromptgateError(
      "E_CONFIG",
      `no shard evaluated ${entry.prompt}, which the run planned`,
      { hint: "write the shards again with one version of promptgate" },
    );
  }
  const side = (which: "base" | "head", ids: readonly string[]): PromptRun => {
    const cases = new Map<string, { k: CaseResult; name: string }>();
    let run: PromptRun | null = null;
    for (const { c, name } of parts) {
      const r = c[which];
      if (r === null) continue;
      run ??= r;
      for (const k of r.cases) {
        const seen = cases.get(k.id);
        if (seen) {
          throw new PromptgateError(
            "E_CONFIG",
            `case "${k.id}" of ${entry.prompt} (${which}) was evaluated by two shards: ${seen.name} and ${name}`,
            { hint: "merge only the shards of one run" },
          );
        }
        cases.set(k.id, { k, name });
      }
    }
    const ordered = ids.map((id) => {
      const found = cases.get(id);
      if (!found) {
        throw new PromptgateError(
          "E_CONFIG",
          `case "${id}" of ${entry.prompt} (${which}) is in no shard's report`,
          { hint: "merge the report of every shard of the run" },
        );
      }
      return found.k;
    });
    const template = run ?? lead.c[which] ?? lead.c.head;
    return { ...template, cases: ordered, totals: summariseRun(ordered) };
  };
  const base = entry.base === null ? null : side("base", entry.base);
  const head = side("head", entry.head);
  const compared = comparePromptRuns(base, head, {
    gates,
    requestsPerDay: lead.c.cost.requestsPerDay,
  });
  // The golden-set-edits gate reads the golden sets, not the cases: every shard states the same.
  const edits = lead.c.gates.filter((g) => g.gate === "golden-set-edits");
  if (edits.length === 0) return compared;
  return {
    ...compared,
    gates: [...compared.gates, ...edits],
    blocked: compared.blocked || edits.some((g) => g.status === "fail"),
  };
}

function pick<K extends "repository" | "serverUrl" | "runUrl">(
  reports: readonly Report[],
  key: K,
): Partial<Pick<Report, K>> {
  const value = reports.find((r) => r[key] !== undefined)?.[key];
  return value === undefined ? {} : ({ [key]: value } as Partial<Pick<Report, K>>);
}

/** The items whose key was not seen before, in order. */
export function uniqueBy<T>(items: T[], key: (t: T) => string): T[] {
  const seen = new Set<string>();
  return items.filter((t) => {
    const k = key(t);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
