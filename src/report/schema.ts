import { z } from "zod";
import type { PromptComparison } from "../compare/types.js";
import type { PromptRun, SampleErrorKind } from "../engine/types.js";
import { ASSERTION_TYPES } from "../formats/golden-set.js";
import { REPORT_SCHEMA, type Report } from "./model.js";

/**
 * The zod description of report.json (docs/report-schema.md). Objects are not strict: a reader of
 * v1 ignores fields that a later v1 writer adds, which is what keeps additions compatible; anything
 * else changes the version, and readers refuse versions they do not know.
 */

const num = z.number();
const rate = z.number().min(0).max(1);

const SAMPLE_ERROR_KINDS = [
  "rate-limit",
  "server",
  "timeout",
  "connection",
  "bad-response",
  "client",
  "render",
] as const satisfies readonly SampleErrorKind[];

const usageSchema = z.object({
  promptTokens: num,
  completionTokens: num,
  cachedTokens: num.optional(),
});

const assertionResultSchema = z.object({
  type: z.enum(ASSERTION_TYPES),
  negated: z.boolean(),
  pass: z.boolean(),
  score: num,
  weight: num,
  reason: z.string(),
});

const sampleSchema = z.discriminatedUnion("kind", [
  z.object({
    kind: z.literal("ok"),
    index: z.number().int().min(0),
    output: z.string(),
    usage: usageSchema,
    latencyMs: num,
    costUsd: num.nullable(),
    model: z.string().optional(),
    cached: z.boolean(),
    pass: z.boolean(),
    score: num,
    assertions: z.array(assertionResultSchema),
    brief: z.literal(true).optional(),
  }),
  z.object({
    kind: z.literal("error"),
    index: z.number().int().min(0),
    error: z.object({
      kind: z.enum(SAMPLE_ERROR_KINDS),
      message: z.string(),
      status: num.optional(),
    }),
    latencyMs: num,
  }),
]);

const caseResultSchema = z.object({
  id: z.string(),
  tags: z.array(z.string()),
  critical: z.boolean(),
  vars: z.record(z.string(), z.unknown()),
  samples: z.array(sampleSchema),
  passRate: rate.nullable(),
  score: num.nullable(),
  errors: z.number().int().min(0),
});

const totalsSchema = z.object({
  samples: z.number().int().min(0),
  errors: z.number().int().min(0),
  cacheHits: z.number().int().min(0),
  promptTokens: num,
  completionTokens: num,
  costUsd: num.nullable(),
  costPerRequestUsd: num.nullable(),
  passRate: rate.nullable(),
  score: num.nullable(),
  meanLatencyMs: num.nullable(),
});

const chatParamsSchema = z.object({
  temperature: num.optional(),
  max_tokens: num.optional(),
  top_p: num.optional(),
  stop: z.array(z.string()).optional(),
  seed: num.optional(),
  frequency_penalty: num.optional(),
  presence_penalty: num.optional(),
});

const promptRunSchema = z.object({
  prompt: z.string(),
  version: z.string(),
  file: z.string(),
  contentHash: z.string(),
  model: z.string(),
  params: chatParamsSchema,
  goldenSetFile: z.string(),
  repeats: z.number().int().min(0),
  cases: z.array(caseResultSchema),
  totals: totalsSchema,
}) satisfies z.ZodType<PromptRun>;

const sideSchema = z
  .object({ passRate: rate, score: num, samples: z.number().int(), errors: z.number().int() })
  .nullable();

const intervalSchema = z.object({
  low: num,
  high: num,
  level: z.number().gt(0).lt(1),
  method: z.enum(["paired-bootstrap", "paired-t", "group-sequential"]),
});

const costSideSchema = z.object({
  perRequestUsd: num.nullable(),
  unknownModels: z.array(z.string()),
});

const comparisonSchema = z.object({
  prompt: z.string(),
  base: promptRunSchema.nullable(),
  head: promptRunSchema,
  basePassRate: rate.nullable(),
  headPassRate: rate.nullable(),
  delta: z.number().min(-1).max(1).nullable(),
  interval: intervalSchema.nullable(),
  crossCheck: intervalSchema.optional(),
  sequential: z
    .object({
      look: z.number().int().min(1),
      looks: z.number().int().min(1),
      critical: num,
      reason: z.string().optional(),
      detect: z.number().optional(),
    })
    .optional(),
  detectable: num.nullable(),
  // Added within v1: optional, so reports written before it still read.
  maxRegression: z.number().min(0).max(1).optional(),
  verdict: z.enum(["better", "worse", "noise", "errors"]),
  cases: z.array(
    z.object({
      id: z.string(),
      tags: z.array(z.string()),
      critical: z.boolean(),
      base: sideSchema,
      head: sideSchema,
      delta: num.nullable(),
    }),
  ),
  addedCases: z.array(z.string()),
  removedCases: z.array(z.string()),
  // Added within v1: optional, so reports written before it still read.
  droppedCases: z.array(z.string()).optional(),
  criticalFailures: z.array(z.string()),
  // Added within v1: optional, so reports written before it still read.
  criticalChecks: z
    .array(
      z.object({
        id: z.string(),
        status: z.enum(["broken", "already-failing", "not-proven", "no-result"]),
        base: z.object({ passes: z.number().int(), samples: z.number().int() }).nullable(),
        head: z.object({ passes: z.number().int(), samples: z.number().int() }),
        p: z.number().min(0).max(1).nullable(),
        alpha: z.number().min(0).max(1),
      }),
    )
    .optional(),
  errors: z.object({ base: num, head: num, samples: num }),
  cost: z.object({
    base: costSideSchema,
    head: costSideSchema,
    relative: num.nullable(),
    requestsPerDay: num.nullable(),
    monthlyBaseUsd: num.nullable(),
    monthlyHeadUsd: num.nullable(),
  }),
  gates: z.array(
    z.object({
      gate: z.enum([
        "min-pass-rate",
        "max-regression",
        "critical",
        "max-cost-increase",
        "golden-set-edits",
        "errors",
      ]),
      status: z.enum(["pass", "fail", "warn", "skipped"]),
      message: z.string(),
    }),
  ),
  blocked: z.boolean(),
  samplesSpent: z.number().int().min(0),
}) satisfies z.ZodType<PromptComparison>;

const revisionSchema = z.object({ ref: z.string(), sha: z.string() });
const pinSchema = z.object({
  version: z.string(),
  model: z.string().optional(),
  fallback: z.array(z.object({ model: z.string(), "base-url": z.string().optional() })).optional(),
});

export const reportSchema = z.object({
  schema: z.literal(REPORT_SCHEMA),
  generatedAt: z.string(),
  repository: z.string().optional(),
  serverUrl: z.string().optional(),
  base: revisionSchema,
  head: revisionSchema,
  runUrl: z.string().optional(),
  comparisons: z.array(comparisonSchema),
  changes: z.array(
    z.object({
      prompt: z.string(),
      kind: z.enum([
        "new-version",
        "edited-draft",
        "golden-set",
        "new-prompt",
        "model-swap",
        "deleted",
        "renamed",
      ]),
      baseVersion: z.string().optional(),
      headVersion: z.string().optional(),
      file: z.string().optional(),
      oldFile: z.string().optional(),
      promptDiff: z.string().optional(),
    }),
  ),
  environmentChanges: z.array(
    z.discriminatedUnion("kind", [
      z.object({
        kind: z.literal("pin"),
        env: z.string(),
        prompt: z.string(),
        before: pinSchema.nullable(),
        after: pinSchema.nullable(),
        needsGate: z.boolean(),
        gatePassed: z.boolean().nullable(),
      }),
      z.object({
        kind: z.literal("traffic"),
        env: z.string(),
        before: num.nullable(),
        after: num.nullable(),
      }),
      z.object({
        kind: z.literal("environment"),
        env: z.string(),
        change: z.enum(["added", "removed"]),
      }),
      z.object({
        kind: z.literal("freeze"),
        env: z.string(),
        change: z.enum(["frozen", "unfrozen"]),
        by: z.string().optional(),
        reason: z.string().optional(),
      }),
    ]),
  ),
  notices: z.array(
    z.object({
      kind: z.string(),
      message: z.string(),
      prompt: z.string().optional(),
      file: z.string().optional(),
    }),
  ),
  settings: z.object({
    repeats: z.union([z.number().int().min(1), z.literal("auto")]),
    maxRepeats: z.number().int().min(1).optional(),
    models: z.array(z.string()),
    judge: z.string().optional(),
    confidence: z.number().gt(0).lt(1),
    maxRegression: z.number().min(0).max(1),
    baseline: z.string().optional(),
    suite: z
      .object({ name: z.string(), cases: z.number().int().min(0), of: z.number().int().min(0) })
      .optional(),
  }),
  totals: z.object({
    samples: z.number().int().min(0),
    cacheHits: z.number().int().min(0),
    newRequests: z.number().int().min(0),
    wallMs: z.number().min(0),
    errors: z.number().int().min(0),
    costUsd: num.nullable(),
    shards: z.number().int().min(1),
  }),
  verdict: z.object({
    overall: z.enum(["pass", "blocked", "errors"]),
    reason: z.string(),
  }),
  // Added within v1: only a shard's report has it.
  shard: z
    .object({
      index: z.number().int().min(1),
      count: z.number().int().min(1),
      gates: z.object({
        minPassRate: rate.optional(),
        maxRegression: rate,
        confidence: z.number().gt(0).lt(1),
        critical: z.enum(["block", "strict", "warn", "off"]),
        goldenSetEdits: z.enum(["warn", "block"]),
        maxCostIncrease: z.number().min(0).optional(),
        maxErrorRate: rate,
        detect: z.number().gt(0).max(1),
      }),
      plan: z.array(
        z.object({
          prompt: z.string(),
          base: z.array(z.string()).nullable(),
          head: z.array(z.string()),
        }),
      ),
    })
    .refine((s) => s.index <= s.count, { message: "shard index above its count" })
    .optional(),
}) satisfies z.ZodType<Report>;
