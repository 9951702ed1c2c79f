import { z } from "zod";
export declare const NAME_PATTERN: RegExp;
/**
 * The one environment whose `traffic` means something: the share of production's requests that
 * its pins serve (formats.md §4; the bot's `/promote canary --traffic N`, the runtime's split).
 */
export declare const CANARY_ENV = "canary";
/**
 * Where a pin's calls go when its model's provider fails (a timeout, a 5xx, a 429 after the
 * retries, a refused connection): tried in order by the runtime's `callWithFallback`. Without
 * `base-url` a fallback goes to the app's own endpoint, only with another model.
 */
declare const fallbackSchema: z.ZodObject<{
    model: z.ZodString;
    "base-url": z.ZodOptional<z.ZodURL>;
}, z.core.$strict>;
export type Fallback = z.infer<typeof fallbackSchema>;
declare const pinSchema: z.ZodObject<{
    version: z.ZodString;
    model: z.ZodOptional<z.ZodString>;
    fallback: z.ZodOptional<z.ZodArray<z.ZodObject<{
        model: z.ZodString;
        "base-url": z.ZodOptional<z.ZodURL>;
    }, z.core.$strict>>>;
}, z.core.$strict>;
export type Pin = z.infer<typeof pinSchema>;
declare const environmentSchema: z.ZodObject<{
    traffic: z.ZodOptional<z.ZodNumber>;
    prompts: z.ZodDefault<z.ZodRecord<z.ZodString, z.ZodObject<{
        version: z.ZodString;
        model: z.ZodOptional<z.ZodString>;
        fallback: z.ZodOptional<z.ZodArray<z.ZodObject<{
            model: z.ZodString;
            "base-url": z.ZodOptional<z.ZodURL>;
        }, z.core.$strict>>>;
    }, z.core.$strict>>>;
}, z.core.$strict>;
export type Environment = z.infer<typeof environmentSchema>;
declare const freezeSchema: z.ZodObject<{
    by: z.ZodString;
    reason: z.ZodDefault<z.ZodString>;
    since: z.ZodString;
}, z.core.$strict>;
export type Freeze = z.infer<typeof freezeSchema>;
export declare const environmentsSchema: z.ZodObject<{
    environments: z.ZodRecord<z.ZodString, z.ZodObject<{
        traffic: z.ZodOptional<z.ZodNumber>;
        prompts: z.ZodDefault<z.ZodRecord<z.ZodString, z.ZodObject<{
            version: z.ZodString;
            model: z.ZodOptional<z.ZodString>;
            fallback: z.ZodOptional<z.ZodArray<z.ZodObject<{
                model: z.ZodString;
                "base-url": z.ZodOptional<z.ZodURL>;
            }, z.core.$strict>>>;
        }, z.core.$strict>>>;
    }, z.core.$strict>>;
    freezes: z.ZodDefault<z.ZodRecord<z.ZodString, z.ZodObject<{
        by: z.ZodString;
        reason: z.ZodDefault<z.ZodString>;
        since: z.ZodString;
    }, z.core.$strict>>>;
}, z.core.$strict>;
export type Environments = z.infer<typeof environmentsSchema>;
export declare function parseEnvironments(text: string, file?: string): Environments;
/** Every (environment, prompt, version) pin — what "live" means for immutability checks. */
export declare function listPins(envs: Environments): {
    env: string;
    prompt: string;
    pin: Pin;
}[];
export {};
