import { z } from "zod";
import { parseYaml } from "./located-yaml.js";

export const NAME_PATTERN = /^[a-z0-9][a-z0-9._-]*$/;

/**
 * The one environment whose `traffic` means something: the share of production's requests that
 * its pins serve (formats.md §4; the bot's `/promote canary --traffic N`, the runtime's split).
 */
export const CANARY_ENV = "canary";
const nameSchema = z.string().regex(NAME_PATTERN, "must match [a-z0-9][a-z0-9._-]*");

/**
 * Where a pin's calls go when its model's provider fails (a timeout, a 5xx, a 429 after the
 * retries, a refused connection): tried in order by the runtime's `callWithFallback`. Without
 * `base-url` a fallback goes to the app's own endpoint, only with another model.
 */
const fallbackSchema = z.strictObject({
  model: z.string().min(1),
  "base-url": z.url({ protocol: /^https?$/ }).optional(),
});
export type Fallback = z.infer<typeof fallbackSchema>;

const pinSchema = z.strictObject({
  version: nameSchema,
  model: z.string().min(1).optional(),
  fallback: z.array(fallbackSchema).min(1).optional(),
});
export type Pin = z.infer<typeof pinSchema>;

const environmentSchema = z.strictObject({
  traffic: z.number().int().min(0).max(100).optional(),
  prompts: z.record(nameSchema, pinSchema).default({}),
});
export type Environment = z.infer<typeof environmentSchema>;

const freezeSchema = z.strictObject({
  by: z.string().min(1),
  reason: z.string().default(""),
  since: z.string().min(1),
});
export type Freeze = z.infer<typeof freezeSchema>;

export const environmentsSchema = z.strictObject({
  environments: z.record(nameSchema, environmentSchema),
  freezes: z.record(nameSchema, freezeSchema).default({}),
});
export type Environments = z.infer<typeof environmentsSchema>;

export function parseEnvironments(text: string, file = "environments.yaml"): Environments {
  return parseYaml(text, file, environmentsSchema).value;
}

/** Every (environment, prompt, version) pin — what "live" means for immutability checks. */
export function listPins(envs: Environments): { env: string; prompt: string; pin: Pin }[] {
  const out: { env: string; prompt: string; pin: Pin }[] = [];
  for (const [env, e] of Object.entries(envs.environments)) {
    for (const [prompt, pin] of Object.entries(e.prompts)) out.push({ env, prompt, pin });
  }
  return out;
}
