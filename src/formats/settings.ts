import { z } from "zod";
import { parseYaml } from "./located-yaml.js";

/**
 * `repeats: auto` samples each case this many times first (capped at `max-repeats`): the adaptive
 * design's first fill, and all that runs where nothing is compared (`eval`, a new prompt).
 */
export const AUTO_INITIAL_REPEATS = 3;

/** `promptgate.yaml`: kebab-case in the file, camelCase in code. */
const roleSchema = z.enum(["read", "triage", "write", "maintain", "admin"]);
export type Role = z.infer<typeof roleSchema>;

const ruleSchema = z
  .strictObject({
    "min-role": roleSchema.optional(),
    teams: z.array(z.string().min(1)).optional(),
  })
  .transform((r) => ({ minRole: r["min-role"], teams: r.teams ?? [] }));

function withDefaultRole(
  rule: { minRole: Role | undefined; teams: string[] } | undefined,
  minRole: Role,
): { minRole: Role; teams: string[] } {
  return { minRole: rule?.minRole ?? minRole, teams: rule?.teams ?? [] };
}

/** A GitHub login, a bot's with its `[bot]`: `github-actions[bot]`, `my-app[bot]`, `octocat`. */
export const GITHUB_LOGIN_PATTERN = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:\[bot\])?$/;
/** Who posts the eval gates when the action runs with the workflow's GITHUB_TOKEN. */
export const DEFAULT_GATE_CREATOR = "github-actions[bot]";

/**
 * A path of `paths:`: relative and inside the repository. The file is written by whoever opens
 * the pull request, and promptgate reads what it names (`../../etc/passwd`, `/home/runner/...`).
 */
export function isInsideRepository(path: string): boolean {
  if (/^([/\\]|[A-Za-z]:)/.test(path)) return false;
  let depth = 0;
  for (const part of path.split(/[/\\]+/)) {
    if (part === "..") depth--;
    else if (part !== "" && part !== ".") depth++;
    if (depth < 0) return false;
  }
  return depth > 0;
}

const repoPath = z.string().min(1).refine(isInsideRepository, {
  message: "must be a relative path inside the repository (no leading /, and no .. out of it)",
});

/** The most samples one run may draw when promptgate.yaml and the inputs set no `max-samples`. */
export const DEFAULT_MAX_SAMPLES = 20_000;

const repeatsSchema = z.union([z.number().int().min(1).max(100), z.literal("auto")]);

/** "50000/day", "1.5M/month", "1000/hour" or a plain number per day. */
const trafficSchema = z.union([z.number().nonnegative(), z.string()]).transform((v, ctx) => {
  if (typeof v === "number") return v;
  const m = /^\s*([0-9][0-9_,.]*)\s*([kKmM]?)\s*\/\s*(hour|day|week|month)\s*$/.exec(v);
  if (!m) {
    ctx.addIssue({
      code: "custom",
      message: `traffic "${v}" is not like "50000/day" or "2M/month"`,
    });
    return z.NEVER;
  }
  const base = Number(m[1]!.replace(/[_,]/g, ""));
  const scale = { "": 1, k: 1e3, K: 1e3, m: 1e6, M: 1e6 }[m[2] as ""] ?? 1;
  const perDay = { hour: 24, day: 1, week: 1 / 7, month: 12 / 365 }[m[3] as "day"];
  return base * scale * perDay;
});

const priceSchema = z
  .strictObject({
    input: z.number().nonnegative(),
    output: z.number().nonnegative(),
    "cached-input": z.number().nonnegative().optional(),
  })
  .transform((p) => ({ input: p.input, output: p.output, cachedInput: p["cached-input"] }));
export type PriceOverride = z.output<typeof priceSchema>;

/**
 * A suite: the cases of each golden set that carry any of `tags` (a `critical: true` case carries
 * the tag `critical`), plus the untagged ones with `include-untagged`; without `tags`, every case.
 */
const suiteSchema = z
  .strictObject({
    tags: z.array(z.string().min(1)).min(1).optional(),
    "include-untagged": z.boolean().default(false),
  })
  .transform((s) => ({ tags: s.tags, includeUntagged: s["include-untagged"] }));
export type SuiteDefinition = z.output<typeof suiteSchema>;

export const settingsSchema = z
  .strictObject({
    version: z.literal(1),
    paths: z
      .strictObject({
        prompts: repoPath.default("prompts"),
        evals: repoPath.default("evals"),
        environments: repoPath.default("environments.yaml"),
      })
      .default({ prompts: "prompts", evals: "evals", environments: "environments.yaml" }),
    provider: z
      .strictObject({
        "base-url": z.url().optional(),
        concurrency: z.number().int().min(1).max(1000).default(16),
        "timeout-s": z.number().positive().max(3600).default(60),
        retries: z.number().int().min(0).max(10).default(3),
      })
      .default({ concurrency: 16, "timeout-s": 60, retries: 3 }),
    // `prompt`: the repository's own rubric prompt (a Dotprompt file), read from the same revision.
    judge: z.strictObject({ model: z.string().min(1), prompt: repoPath.optional() }).optional(),
    embeddings: z.strictObject({ model: z.string().min(1) }).optional(),
    repeats: repeatsSchema.default(3),
    "max-repeats": z.number().int().min(1).max(100).default(10),
    baseline: z.string().min(1).default("production"),
    gates: z
      .strictObject({
        "min-pass-rate": z.number().min(0).max(1).optional(),
        "max-regression": z.number().min(0).max(1).default(0.02),
        confidence: z.number().gt(0.5).lt(1).default(0.95),
        // block: a critical case blocks when this change made it worse (an exact per-case test);
        // strict: when it fails any head sample, as before; warn: the evidence rule, warning only.
        critical: z.enum(["block", "strict", "warn", "off"]).default("block"),
        "golden-set-edits": z.enum(["warn", "block"]).default("warn"),
        "max-cost-increase": z.number().min(0).optional(),
        "max-error-rate": z.number().min(0).max(1).default(0.1),
        // The smallest drop `repeats: auto` is planned to find (with power = confidence).
        detect: z.number().gt(0).max(1).default(0.1),
      })
      .default({
        "max-regression": 0.02,
        confidence: 0.95,
        critical: "block",
        "golden-set-edits": "warn",
        "max-error-rate": 0.1,
        detect: 0.1,
      }),
    // What one run may spend: a golden set is written by whoever opens the pull request.
    limits: z
      .strictObject({
        "max-samples": z.number().int().min(1).default(DEFAULT_MAX_SAMPLES),
        "max-output-tokens": z.number().int().min(1).optional(),
        "max-cost": z.number().positive().optional(),
      })
      .default({ "max-samples": DEFAULT_MAX_SAMPLES }),
    traffic: z.record(z.string(), trafficSchema).default({}),
    suites: z
      .record(
        z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, "must match [a-z0-9][a-z0-9._-]*"),
        suiteSchema,
      )
      .default({}),
    lint: z
      .strictObject({ "model-aliases": z.enum(["warn", "error", "off"]).default("warn") })
      .default({ "model-aliases": "warn" }),
    prices: z.record(z.string(), priceSchema).default({}),
    rollout: z
      .strictObject({
        order: z.array(z.string().min(1)).min(1).default(["staging", "canary", "production"]),
        production: z.string().min(1).default("production"),
        // The only account whose `promptgate: <prompt>@<version>` status passes an eval gate.
        "gate-creator": z
          .string()
          .regex(GITHUB_LOGIN_PATTERN, "must be a GitHub login, like github-actions[bot]")
          .default(DEFAULT_GATE_CREATOR),
        rules: z
          .strictObject({
            rollback: ruleSchema.optional(),
            promote: ruleSchema.optional(),
            "promote-production": ruleSchema.optional(),
            freeze: ruleSchema.optional(),
          })
          .default({}),
      })
      .default({
        order: ["staging", "canary", "production"],
        production: "production",
        "gate-creator": DEFAULT_GATE_CREATOR,
        rules: {},
      }),
    // Which monitoring signals (`repository_dispatch` of type `promptgate-signal`) may roll back
    // without a person: none unless listed, since an alert then commits to the default branch.
    "auto-rollback": z
      .strictObject({
        environments: z.array(z.string().min(1)).min(1),
        metrics: z.array(z.string().min(1)).min(1),
        // A signal without `at` cannot say whether it is about the version already rolled back
        // from: within this many minutes of a rollback, it does not roll back again (0: it may).
        "cooldown-minutes": z.number().int().min(0).max(1440).default(15),
      })
      .optional(),
  })
  .transform((s) => ({
    version: s.version,
    paths: s.paths,
    provider: {
      baseUrl: s.provider["base-url"],
      concurrency: s.provider.concurrency,
      timeoutMs: s.provider["timeout-s"] * 1000,
      retries: s.provider.retries,
    },
    judge: s.judge,
    embeddings: s.embeddings,
    repeats: s.repeats,
    maxRepeats: s["max-repeats"],
    baseline: s.baseline,
    gates: {
      minPassRate: s.gates["min-pass-rate"],
      maxRegression: s.gates["max-regression"],
      confidence: s.gates.confidence,
      critical: s.gates.critical,
      goldenSetEdits: s.gates["golden-set-edits"],
      maxCostIncrease: s.gates["max-cost-increase"],
      maxErrorRate: s.gates["max-error-rate"],
      detect: s.gates.detect,
    },
    limits: {
      maxSamples: s.limits["max-samples"],
      maxOutputTokens: s.limits["max-output-tokens"],
      /** Dollars, estimated before the run. */
      maxCost: s.limits["max-cost"],
    },
    /** Requests per day, per prompt. */
    trafficPerDay: s.traffic,
    suites: s.suites,
    lint: { modelAliases: s.lint["model-aliases"] },
    prices: s.prices,
    rollout: {
      order: s.rollout.order,
      production: s.rollout.production,
      gateCreator: s.rollout["gate-creator"],
      // Each field defaults on its own: naming an on-call team adds a way in, it does not take
      // the default role's away (to let only the team in, raise `min-role` to admin).
      rules: {
        rollback: withDefaultRole(s.rollout.rules.rollback, "write"),
        promote: withDefaultRole(s.rollout.rules.promote, "write"),
        promoteProduction: withDefaultRole(s.rollout.rules["promote-production"], "maintain"),
        freeze: withDefaultRole(s.rollout.rules.freeze, "maintain"),
      },
    },
    autoRollback: s["auto-rollback"] && {
      environments: s["auto-rollback"].environments,
      metrics: s["auto-rollback"].metrics,
      cooldownMinutes: s["auto-rollback"]["cooldown-minutes"],
    },
  }));

export type Settings = z.output<typeof settingsSchema>;
export type Repeats = Settings["repeats"];
export type Rule = Settings["rollout"]["rules"]["rollback"];

export const SETTINGS_FILE = "promptgate.yaml";

export function parseSettings(text: string, file = SETTINGS_FILE): Settings {
  return parseYaml(text, file, settingsSchema).value;
}

/** A repository's settings: its `promptgate.yaml` text parsed, or the defaults when it has none. */
export function parseSettingsOrDefaults(text: string | undefined, file = SETTINGS_FILE): Settings {
  return text === undefined ? defaultSettings() : parseSettings(text, file);
}

/** The settings a repository without `promptgate.yaml` gets. */
export function defaultSettings(): Settings {
  return settingsSchema.parse({ version: 1 });
}
