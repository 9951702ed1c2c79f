import { z } from "zod";
/**
 * `repeats: auto` samples each case this many times first (capped at `max-repeats`): the adaptive
 * design's first fill, and all that runs where nothing is compared (`eval`, a new prompt).
 */
export declare const AUTO_INITIAL_REPEATS = 3;
/** `promptgate.yaml`: kebab-case in the file, camelCase in code. */
declare const roleSchema: z.ZodEnum<{
    read: "read";
    triage: "triage";
    write: "write";
    maintain: "maintain";
    admin: "admin";
}>;
export type Role = z.infer<typeof roleSchema>;
/** A GitHub login, a bot's with its `[bot]`: `github-actions[bot]`, `my-app[bot]`, `octocat`. */
export declare const GITHUB_LOGIN_PATTERN: RegExp;
/** Who posts the eval gates when the action runs with the workflow's GITHUB_TOKEN. */
export declare const DEFAULT_GATE_CREATOR = "github-actions[bot]";
/**
 * A path of `paths:`: relative and inside the repository. The file is written by whoever opens
 * the pull request, and promptgate reads what it names (`../../etc/passwd`, `/home/runner/...`).
 */
export declare function isInsideRepository(path: string): boolean;
/** The most samples one run may draw when promptgate.yaml and the inputs set no `max-samples`. */
export declare const DEFAULT_MAX_SAMPLES = 20000;
declare const priceSchema: z.ZodPipe<z.ZodObject<{
    input: z.ZodNumber;
    output: z.ZodNumber;
    "cached-input": z.ZodOptional<z.ZodNumber>;
}, z.core.$strict>, z.ZodTransform<{
    input: number;
    output: number;
    cachedInput: number | undefined;
}, {
    input: number;
    output: number;
    "cached-input"?: number | undefined;
}>>;
export type PriceOverride = z.output<typeof priceSchema>;
/**
 * A suite: the cases of each golden set that carry any of `tags` (a `critical: true` case carries
 * the tag `critical`), plus the untagged ones with `include-untagged`; without `tags`, every case.
 */
declare const suiteSchema: z.ZodPipe<z.ZodObject<{
    tags: z.ZodOptional<z.ZodArray<z.ZodString>>;
    "include-untagged": z.ZodDefault<z.ZodBoolean>;
}, z.core.$strict>, z.ZodTransform<{
    tags: string[] | undefined;
    includeUntagged: boolean;
}, {
    "include-untagged": boolean;
    tags?: string[] | undefined;
}>>;
export type SuiteDefinition = z.output<typeof suiteSchema>;
export declare const settingsSchema: z.ZodPipe<z.ZodObject<{
    version: z.ZodLiteral<1>;
    paths: z.ZodDefault<z.ZodObject<{
        prompts: z.ZodDefault<z.ZodString>;
        evals: z.ZodDefault<z.ZodString>;
        environments: z.ZodDefault<z.ZodString>;
    }, z.core.$strict>>;
    provider: z.ZodDefault<z.ZodObject<{
        "base-url": z.ZodOptional<z.ZodURL>;
        concurrency: z.ZodDefault<z.ZodNumber>;
        "timeout-s": z.ZodDefault<z.ZodNumber>;
        retries: z.ZodDefault<z.ZodNumber>;
    }, z.core.$strict>>;
    judge: z.ZodOptional<z.ZodObject<{
        model: z.ZodString;
        prompt: z.ZodOptional<z.ZodString>;
    }, z.core.$strict>>;
    embeddings: z.ZodOptional<z.ZodObject<{
        model: z.ZodString;
    }, z.core.$strict>>;
    repeats: z.ZodDefault<z.ZodUnion<readonly [z.ZodNumber, z.ZodLiteral<"auto">]>>;
    "max-repeats": z.ZodDefault<z.ZodNumber>;
    baseline: z.ZodDefault<z.ZodString>;
    gates: z.ZodDefault<z.ZodObject<{
        "min-pass-rate": z.ZodOptional<z.ZodNumber>;
        "max-regression": z.ZodDefault<z.ZodNumber>;
        confidence: z.ZodDefault<z.ZodNumber>;
        critical: z.ZodDefault<z.ZodEnum<{
            strict: "strict";
            block: "block";
            warn: "warn";
            off: "off";
        }>>;
        "golden-set-edits": z.ZodDefault<z.ZodEnum<{
            block: "block";
            warn: "warn";
        }>>;
        "max-cost-increase": z.ZodOptional<z.ZodNumber>;
        "max-error-rate": z.ZodDefault<z.ZodNumber>;
        detect: z.ZodDefault<z.ZodNumber>;
    }, z.core.$strict>>;
    limits: z.ZodDefault<z.ZodObject<{
        "max-samples": z.ZodDefault<z.ZodNumber>;
        "max-output-tokens": z.ZodOptional<z.ZodNumber>;
        "max-cost": z.ZodOptional<z.ZodNumber>;
    }, z.core.$strict>>;
    traffic: z.ZodDefault<z.ZodRecord<z.ZodString, z.ZodPipe<z.ZodUnion<readonly [z.ZodNumber, z.ZodString]>, z.ZodTransform<number, string | number>>>>;
    suites: z.ZodDefault<z.ZodRecord<z.ZodString, z.ZodPipe<z.ZodObject<{
        tags: z.ZodOptional<z.ZodArray<z.ZodString>>;
        "include-untagged": z.ZodDefault<z.ZodBoolean>;
    }, z.core.$strict>, z.ZodTransform<{
        tags: string[] | undefined;
        includeUntagged: boolean;
    }, {
        "include-untagged": boolean;
        tags?: string[] | undefined;
    }>>>>;
    lint: z.ZodDefault<z.ZodObject<{
        "model-aliases": z.ZodDefault<z.ZodEnum<{
            error: "error";
            warn: "warn";
            off: "off";
        }>>;
    }, z.core.$strict>>;
    prices: z.ZodDefault<z.ZodRecord<z.ZodString, z.ZodPipe<z.ZodObject<{
        input: z.ZodNumber;
        output: z.ZodNumber;
        "cached-input": z.ZodOptional<z.ZodNumber>;
    }, z.core.$strict>, z.ZodTransform<{
        input: number;
        output: number;
        cachedInput: number | undefined;
    }, {
        input: number;
        output: number;
        "cached-input"?: number | undefined;
    }>>>>;
    rollout: z.ZodDefault<z.ZodObject<{
        order: z.ZodDefault<z.ZodArray<z.ZodString>>;
        production: z.ZodDefault<z.ZodString>;
        "gate-creator": z.ZodDefault<z.ZodString>;
        rules: z.ZodDefault<z.ZodObject<{
            rollback: z.ZodOptional<z.ZodPipe<z.ZodObject<{
                "min-role": z.ZodOptional<z.ZodEnum<{
                    read: "read";
                    triage: "triage";
                    write: "write";
                    maintain: "maintain";
                    admin: "admin";
                }>>;
                teams: z.ZodOptional<z.ZodArray<z.ZodString>>;
            }, z.core.$strict>, z.ZodTransform<{
                minRole: "read" | "triage" | "write" | "maintain" | "admin" | undefined;
                teams: string[];
            }, {
                "min-role"?: "read" | "triage" | "write" | "maintain" | "admin" | undefined;
                teams?: string[] | undefined;
            }>>>;
            promote: z.ZodOptional<z.ZodPipe<z.ZodObject<{
                "min-role": z.ZodOptional<z.ZodEnum<{
                    read: "read";
                    triage: "triage";
                    write: "write";
                    maintain: "maintain";
                    admin: "admin";
                }>>;
                teams: z.ZodOptional<z.ZodArray<z.ZodString>>;
            }, z.core.$strict>, z.ZodTransform<{
                minRole: "read" | "triage" | "write" | "maintain" | "admin" | undefined;
                teams: string[];
            }, {
                "min-role"?: "read" | "triage" | "write" | "maintain" | "admin" | undefined;
                teams?: string[] | undefined;
            }>>>;
            "promote-production": z.ZodOptional<z.ZodPipe<z.ZodObject<{
                "min-role": z.ZodOptional<z.ZodEnum<{
                    read: "read";
                    triage: "triage";
                    write: "write";
                    maintain: "maintain";
                    admin: "admin";
                }>>;
                teams: z.ZodOptional<z.ZodArray<z.ZodString>>;
            }, z.core.$strict>, z.ZodTransform<{
                minRole: "read" | "triage" | "write" | "maintain" | "admin" | undefined;
                teams: string[];
            }, {
                "min-role"?: "read" | "triage" | "write" | "maintain" | "admin" | undefined;
                teams?: string[] | undefined;
            }>>>;
            freeze: z.ZodOptional<z.ZodPipe<z.ZodObject<{
                "min-role": z.ZodOptional<z.ZodEnum<{
                    read: "read";
                    triage: "triage";
                    write: "write";
                    maintain: "maintain";
                    admin: "admin";
                }>>;
                teams: z.ZodOptional<z.ZodArray<z.ZodString>>;
            }, z.core.$strict>, z.ZodTransform<{
                minRole: "read" | "triage" | "write" | "maintain" | "admin" | undefined;
                teams: string[];
            }, {
                "min-role"?: "read" | "triage" | "write" | "maintain" | "admin" | undefined;
                teams?: string[] | undefined;
            }>>>;
        }, z.core.$strict>>;
    }, z.core.$strict>>;
    "auto-rollback": z.ZodOptional<z.ZodObject<{
        environments: z.ZodArray<z.ZodString>;
        metrics: z.ZodArray<z.ZodString>;
        "cooldown-minutes": z.ZodDefault<z.ZodNumber>;
    }, z.core.$strict>>;
}, z.core.$strict>, z.ZodTransform<{
    version: 1;
    paths: {
        prompts: string;
        evals: string;
        environments: string;
    };
    provider: {
        baseUrl: string | undefined;
        concurrency: number;
        timeoutMs: number;
        retries: number;
    };
    judge: {
        model: string;
        prompt?: string | undefined;
    } | undefined;
    embeddings: {
        model: string;
    } | undefined;
    repeats: number | "auto";
    maxRepeats: number;
    baseline: string;
    gates: {
        minPassRate: number | undefined;
        maxRegression: number;
        confidence: number;
        critical: "strict" | "block" | "warn" | "off";
        goldenSetEdits: "block" | "warn";
        maxCostIncrease: number | undefined;
        maxErrorRate: number;
        detect: number;
    };
    limits: {
        maxSamples: number;
        maxOutputTokens: number | undefined;
        /** Dollars, estimated before the run. */
        maxCost: number | undefined;
    };
    /** Requests per day, per prompt. */
    trafficPerDay: Record<string, number>;
    suites: Record<string, {
        tags: string[] | undefined;
        includeUntagged: boolean;
    }>;
    lint: {
        modelAliases: "error" | "warn" | "off";
    };
    prices: Record<string, {
        input: number;
        output: number;
        cachedInput: number | undefined;
    }>;
    rollout: {
        order: string[];
        production: string;
        gateCreator: string;
        rules: {
            rollback: {
                minRole: Role;
                teams: string[];
            };
            promote: {
                minRole: Role;
                teams: string[];
            };
            promoteProduction: {
                minRole: Role;
                teams: string[];
            };
            freeze: {
                minRole: Role;
                teams: string[];
            };
        };
    };
    autoRollback: {
        environments: string[];
        metrics: string[];
        cooldownMinutes: number;
    } | undefined;
}, {
    version: 1;
    paths: {
        prompts: string;
        evals: string;
        environments: string;
    };
    provider: {
        concurrency: number;
        "timeout-s": number;
        retries: number;
        "base-url"?: string | undefined;
    };
    repeats: number | "auto";
    "max-repeats": number;
    baseline: string;
    gates: {
        "max-regression": number;
        confidence: number;
        critical: "strict" | "block" | "warn" | "off";
        "golden-set-edits": "block" | "warn";
        "max-error-rate": number;
        detect: number;
        "min-pass-rate"?: number | undefined;
        "max-cost-increase"?: number | undefined;
    };
    limits: {
        "max-samples": number;
        "max-output-tokens"?: number | undefined;
        "max-cost"?: number | undefined;
    };
    traffic: Record<string, number>;
    suites: Record<string, {
        tags: string[] | undefined;
        includeUntagged: boolean;
    }>;
    lint: {
        "model-aliases": "error" | "warn" | "off";
    };
    prices: Record<string, {
        input: number;
        output: number;
        cachedInput: number | undefined;
    }>;
    rollout: {
        order: string[];
        production: string;
        "gate-creator": string;
        rules: {
            rollback?: {
                minRole: "read" | "triage" | "write" | "maintain" | "admin" | undefined;
                teams: string[];
            } | undefined;
            promote?: {
                minRole: "read" | "triage" | "write" | "maintain" | "admin" | undefined;
                teams: string[];
            } | undefined;
            "promote-production"?: {
                minRole: "read" | "triage" | "write" | "maintain" | "admin" | undefined;
                teams: string[];
            } | undefined;
            freeze?: {
                minRole: "read" | "triage" | "write" | "maintain" | "admin" | undefined;
                teams: string[];
            } | undefined;
        };
    };
    judge?: {
        model: string;
        prompt?: string | undefined;
    } | undefined;
    embeddings?: {
        model: string;
    } | undefined;
    "auto-rollback"?: {
        environments: string[];
        metrics: string[];
        "cooldown-minutes": number;
    } | undefined;
}>>;
export type Settings = z.output<typeof settingsSchema>;
export type Repeats = Settings["repeats"];
export type Rule = Settings["rollout"]["rules"]["rollback"];
export declare const SETTINGS_FILE = "promptgate.yaml";
export declare function parseSettings(text: string, file?: string): Settings;
/** A repository's settings: its `promptgate.yaml` text parsed, or the defaults when it has none. */
export declare function parseSettingsOrDefaults(text: string | undefined, file?: string): Settings;
/** The settings a repository without `promptgate.yaml` gets. */
export declare function defaultSettings(): Settings;
export {};
