import { PromptgateError } from "../errors.js";
import { findVersion, latestVersion, type Repo } from "../formats/repo.js";
import type { EvalTarget } from "./run-eval.js";

export interface TargetSelection {
  /** `name` (latest version) or `name@version`; empty means every prompt that has a golden set. */
  prompts: string[];
  /** Evaluate what this environment pins (version and model). */
  env?: string;
  repeats?: number;
}

/** Resolves a repeats setting to a fixed count; `auto` is adaptive only in `diff`. */
export function fixedRepeats(repo: Repo, prompt: string, override?: number): number {
  if (override !== undefined) return override;
  const r = repo.goldenSets.get(prompt)?.set.repeats ?? repo.settings.repeats;
  return r === "auto" ? Math.min(3, repo.settings.maxRepeats) : r;
}

export function selectTargets(repo: Repo, sel: TargetSelection): EvalTarget[] {
  const wanted = new Map<string, { version?: string; model?: string }>();
  if (sel.env) {
    const env = repo.environments?.environments[sel.env];
    if (!env) {
      const known = Object.keys(repo.environments?.environments ?? {});
      throw new PromptgateError("E_NOT_FOUND", `unknown environment "${sel.env}"`, {
        hint: known.length
          ? `environments: ${known.join(", ")}`
          : `no ${repo.settings.paths.environments}`,
      });
    }
    for (const [prompt, pin] of Object.entries(env.prompts)) wanted.set(prompt, pin);
  }
  for (const spec of sel.prompts) {
    const [prompt = "", version] = spec.split("@");
    wanted.set(prompt, { version, model: wanted.get(prompt)?.model });
  }
  if (wanted.size === 0) for (const prompt of repo.goldenSets.keys()) wanted.set(prompt, {});

  const targets: EvalTarget[] = [];
  for (const [prompt, want] of wanted) {
    if (!repo.prompts.has(prompt)) {
      throw new PromptgateError("E_NOT_FOUND", `unknown prompt "${prompt}"`, {
        hint: `prompts: ${[...repo.prompts.keys()].join(", ") || "none"} (in ${repo.settings.paths.prompts}/)`,
      });
    }
    const version = want.version
      ? findVersion(repo, prompt, want.version)
      : latestVersion(repo, prompt);
    if (!version) {
      const have = repo.prompts.get(prompt)?.map((v) => v.version) ?? [];
      throw new PromptgateError("E_NOT_FOUND", `unknown version ${prompt}@${want.version}`, {
        hint: `versions: ${have.join(", ")}`,
      });
    }
    const goldenSet = repo.goldenSets.get(prompt);
    if (!goldenSet) {
      throw new PromptgateError("E_NOT_FOUND", `prompt "${prompt}" has no golden set`, {
        hint: `add ${repo.settings.paths.evals}/${prompt}.yaml`,
      });
    }
    targets.push({
      version,
      goldenSet,
      model: want.model,
      repeats: fixedRepeats(repo, prompt, sel.repeats),
    });
  }
  return targets;
}
