import { findOverride, isKnownToPriceTable } from "../cost/prices.js";
import { PromptgateError } from "../errors.js";
import { environmentsSchema } from "../formats/environments.js";
import { locator, parseYaml } from "../formats/located-yaml.js";
import type { Repo } from "../formats/repo.js";

/**
 * `promptgate validate`'s checks of each pin's `fallback` list. A fallback runs only in an outage,
 * so a mistake in it shows exactly when nobody can fix it: its model must be one the price table
 * or promptgate.yaml's `prices:` knows (a typo is caught here, a local model gets a price entry),
 * and no entry may repeat a target before it (it would retry the provider that just failed).
 */
export async function checkFallbacks(repo: Repo): Promise<PromptgateError[]> {
  const envs = repo.environments?.environments;
  if (!envs) return [];
  const file = repo.settings.paths.environments;
  const text = await repo.source.read(file);
  const at =
    text === undefined ? undefined : locator(parseYaml(text, file, environmentsSchema), file);
  const errors: PromptgateError[] = [];
  for (const [env, e] of Object.entries(envs)) {
    for (const [prompt, pin] of Object.entries(e.prompts)) {
      const fallbacks = pin.fallback ?? [];
      const own =
        pin.model ?? repo.prompts.get(prompt)?.find((v) => v.version === pin.version)?.model;
      const seen = new Set<string>(own ? [targetKey(own, undefined)] : []);
      for (const [i, fallback] of fallbacks.entries()) {
        const path = ["environments", env, "prompts", prompt, "fallback", i];
        const location = at?.key(path, "model") ?? { file };
        const where = `${env}'s ${prompt} fallback ${i + 1}`;
        if (!isKnownModel(fallback.model, repo)) {
          errors.push(
            new PromptgateError(
              "E_CONFIG",
              `${where}: unknown model "${fallback.model}" (not in the price table nor in promptgate.yaml's prices)`,
              {
                location,
                hint: `check the spelling; for a model the price table does not know (a fine-tune, a local model), add it under \`prices:\` in promptgate.yaml`,
              },
            ),
          );
        }
        const key = targetKey(fallback.model, fallback["base-url"]);
        if (seen.has(key)) {
          errors.push(
            new PromptgateError(
              "E_CONFIG",
              `${where} repeats ${fallback["base-url"] ? `${fallback.model} at ${fallback["base-url"]}` : fallback.model}, a target tried before it`,
              {
                location,
                hint: "a fallback is tried when the targets before it failed: name another model or another base-url",
              },
            ),
          );
        }
        seen.add(key);
      }
    }
  }
  return errors;
}

function targetKey(model: string, baseUrl: string | undefined): string {
  return `${(baseUrl ?? "").replace(/\/+$/, "")}\0${model.trim().toLowerCase()}`;
}

/** Looked up as prices are: exact, case-insensitively, then without a snapshot date. */
function isKnownModel(model: string, repo: Repo): boolean {
  const lower = model.trim().toLowerCase();
  return (
    [model, lower, lower.replace(/-\d{4}-\d{2}-\d{2}$/, "")].some(isKnownToPriceTable) ||
    findOverride(model, repo.settings.prices) !== undefined
  );
}
