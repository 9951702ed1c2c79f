import { z } from "zod";
/** The assertion types of formats.md, in promptfoo's syntax; each may take a `not-` prefix. */
export declare const ASSERTION_TYPES: readonly ["equals", "contains", "icontains", "contains-any", "contains-all", "starts-with", "regex", "is-json", "contains-json", "levenshtein", "similar", "llm-rubric", "cost", "latency"];
export type AssertionType = (typeof ASSERTION_TYPES)[number];
declare const assertionSchema: z.ZodPipe<z.ZodObject<{
    type: z.ZodPipe<z.ZodString, z.ZodTransform<{
        type: AssertionType;
        negated: boolean;
    }, string>>;
    value: z.ZodOptional<z.ZodUnknown>;
    threshold: z.ZodOptional<z.ZodNumber>;
    weight: z.ZodDefault<z.ZodNumber>;
    metric: z.ZodOptional<z.ZodString>;
}, z.core.$strict>, z.ZodTransform<{
    type: "equals" | "contains" | "icontains" | "contains-any" | "contains-all" | "starts-with" | "regex" | "is-json" | "contains-json" | "levenshtein" | "similar" | "llm-rubric" | "cost" | "latency";
    negated: boolean;
    value: unknown;
    threshold: number | undefined;
    weight: number;
    metric: string | undefined;
}, {
    type: {
        type: AssertionType;
        negated: boolean;
    };
    weight: number;
    value?: unknown;
    threshold?: number | undefined;
    metric?: string | undefined;
}>>;
export type Assertion = z.output<typeof assertionSchema>;
declare const caseSchema: z.ZodPipe<z.ZodObject<{
    id: z.ZodString;
    description: z.ZodOptional<z.ZodString>;
    vars: z.ZodDefault<z.ZodRecord<z.ZodString, z.ZodUnknown>>;
    critical: z.ZodDefault<z.ZodBoolean>;
    tags: z.ZodDefault<z.ZodArray<z.ZodString>>;
    threshold: z.ZodOptional<z.ZodNumber>;
    assert: z.ZodArray<z.ZodPipe<z.ZodObject<{
        type: z.ZodPipe<z.ZodString, z.ZodTransform<{
            type: AssertionType;
            negated: boolean;
        }, string>>;
        value: z.ZodOptional<z.ZodUnknown>;
        threshold: z.ZodOptional<z.ZodNumber>;
        weight: z.ZodDefault<z.ZodNumber>;
        metric: z.ZodOptional<z.ZodString>;
    }, z.core.$strict>, z.ZodTransform<{
        type: "equals" | "contains" | "icontains" | "contains-any" | "contains-all" | "starts-with" | "regex" | "is-json" | "contains-json" | "levenshtein" | "similar" | "llm-rubric" | "cost" | "latency";
        negated: boolean;
        value: unknown;
        threshold: number | undefined;
        weight: number;
        metric: string | undefined;
    }, {
        type: {
            type: AssertionType;
            negated: boolean;
        };
        weight: number;
        value?: unknown;
        threshold?: number | undefined;
        metric?: string | undefined;
    }>>>;
}, z.core.$strict>, z.ZodTransform<{
    id: string;
    vars: Record<string, unknown>;
    critical: boolean;
    tags: string[];
    assert: {
        type: "equals" | "contains" | "icontains" | "contains-any" | "contains-all" | "starts-with" | "regex" | "is-json" | "contains-json" | "levenshtein" | "similar" | "llm-rubric" | "cost" | "latency";
        negated: boolean;
        value: unknown;
        threshold: number | undefined;
        weight: number;
        metric: string | undefined;
    }[];
    description?: string | undefined;
    threshold?: number | undefined;
} & {
    assertVars?: string[];
}, {
    id: string;
    vars: Record<string, unknown>;
    critical: boolean;
    tags: string[];
    assert: {
        type: "equals" | "contains" | "icontains" | "contains-any" | "contains-all" | "starts-with" | "regex" | "is-json" | "contains-json" | "levenshtein" | "similar" | "llm-rubric" | "cost" | "latency";
        negated: boolean;
        value: unknown;
        threshold: number | undefined;
        weight: number;
        metric: string | undefined;
    }[];
    description?: string | undefined;
    threshold?: number | undefined;
}>>;
export type GoldenCase = z.output<typeof caseSchema>;
export declare const goldenSetSchema: z.ZodObject<{
    description: z.ZodOptional<z.ZodString>;
    repeats: z.ZodOptional<z.ZodUnion<readonly [z.ZodNumber, z.ZodLiteral<"auto">]>>;
    cases: z.ZodArray<z.ZodPipe<z.ZodObject<{
        id: z.ZodString;
        description: z.ZodOptional<z.ZodString>;
        vars: z.ZodDefault<z.ZodRecord<z.ZodString, z.ZodUnknown>>;
        critical: z.ZodDefault<z.ZodBoolean>;
        tags: z.ZodDefault<z.ZodArray<z.ZodString>>;
        threshold: z.ZodOptional<z.ZodNumber>;
        assert: z.ZodArray<z.ZodPipe<z.ZodObject<{
            type: z.ZodPipe<z.ZodString, z.ZodTransform<{
                type: AssertionType;
                negated: boolean;
            }, string>>;
            value: z.ZodOptional<z.ZodUnknown>;
            threshold: z.ZodOptional<z.ZodNumber>;
            weight: z.ZodDefault<z.ZodNumber>;
            metric: z.ZodOptional<z.ZodString>;
        }, z.core.$strict>, z.ZodTransform<{
            type: "equals" | "contains" | "icontains" | "contains-any" | "contains-all" | "starts-with" | "regex" | "is-json" | "contains-json" | "levenshtein" | "similar" | "llm-rubric" | "cost" | "latency";
            negated: boolean;
            value: unknown;
            threshold: number | undefined;
            weight: number;
            metric: string | undefined;
        }, {
            type: {
                type: AssertionType;
                negated: boolean;
            };
            weight: number;
            value?: unknown;
            threshold?: number | undefined;
            metric?: string | undefined;
        }>>>;
    }, z.core.$strict>, z.ZodTransform<{
        id: string;
        vars: Record<string, unknown>;
        critical: boolean;
        tags: string[];
        assert: {
            type: "equals" | "contains" | "icontains" | "contains-any" | "contains-all" | "starts-with" | "regex" | "is-json" | "contains-json" | "levenshtein" | "similar" | "llm-rubric" | "cost" | "latency";
            negated: boolean;
            value: unknown;
            threshold: number | undefined;
            weight: number;
            metric: string | undefined;
        }[];
        description?: string | undefined;
        threshold?: number | undefined;
    } & {
        assertVars?: string[];
    }, {
        id: string;
        vars: Record<string, unknown>;
        critical: boolean;
        tags: string[];
        assert: {
            type: "equals" | "contains" | "icontains" | "contains-any" | "contains-all" | "starts-with" | "regex" | "is-json" | "contains-json" | "levenshtein" | "similar" | "llm-rubric" | "cost" | "latency";
            negated: boolean;
            value: unknown;
            threshold: number | undefined;
            weight: number;
            metric: string | undefined;
        }[];
        description?: string | undefined;
        threshold?: number | undefined;
    }>>>;
}, z.core.$strict>;
export type GoldenSet = z.output<typeof goldenSetSchema>;
/**
 * Parses a golden set in chunks of cases when its shape allows (chunked-yaml.ts: a big set's
 * peak memory halves); anything the fast path does not accept, errors included, goes through the
 * whole-file parse, so errors are located the same way either way.
 */
export declare function parseGoldenSet(text: string, file: string): GoldenSet;
export {};
