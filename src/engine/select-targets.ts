import { PromptgateError } from "../errors.js";
import { findVersion, latestVersion, type Repo, requireEnvironment } from "../formats/repo.js";
import { AUTO_INITIAL_REPEATS } from "../formats/settings.js";
import type { EvalTarget } from "./run-eval.js";

export interface TargetSelection {
  /**
   * `name` (latest version) or `name@version`; empty means every prompt that has a golden set.
   * With `env`: narrows the run to these of the environment's pins (see `envTargets`).
   */
  prompts: string[];
  /** Evaluate what this environment pins (version and model). */
  env?: string;
  repeats?: number;
}

/** Resolves a repeats setting to a fixed count; `auto` is adaptive only in `diff`. */
export function fixedRepeats(repo: Repo, prompt: string, override?: number): number {
  if (override !== undefined) return override;
  const r = repo.goldenSets.get(prompt)?.set.repeats ?? repo.settings.repeats;
  return r === "auto" ? Math.min(AUTO_INITIAL_REPEATS, repo.settings.maxRepeats) : r;
}

export function selectTargets(repo: Repo, sel: TargetSelection): EvalTarget[] {
  const wanted = new Map<string, { version?: string; model?: string }>();
  if (sel.env) {
    for (const [prompt, pin] of envTargets(repo, sel.env, sel.prompts)) wanted.set(prompt, pin);
  } else {
    for (const spec of sel.prompts) {
      const { prompt, version } = parseSpec(spec);
      wanted.set(prompt, { version });
    }
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

function parseSpec(spec: string): { prompt: string; version?: string } {
  const at = spec.indexOf("@");
  return at < 0 ? { prompt: spec } : { prompt: spec.slice(0, at), version: spec.slice(at + 1) };
}

/**
 * The pins `--env` evaluates: all of the environment's, or only those `--prompt` names. With an
 * environment, `--prompt NAME` keeps the version and model the environment pins for NAME (never
 * the latest version), and a prompt the environment does not pin is an error rather than a run of
 * something it does not serve. `--prompt NAME@VERSION` is accepted only when VERSION is the pinned
 * one: `--env` means "what the environment serves", and another version with the environment's
 * model would be a pair no environment serves (a pin is version and model together), run under the
 * environment's name. Evaluating another version is `--prompt NAME@VERSION` without `--env`.
 */
function envTargets(
  repo: Repo,
  envName: string,
  specs: string[],
): [string, { version: string; model?: string }][] {
  const env = requireEnvironment(repo, envName);
  const pins = Object.entries(env.prompts);
  if (pins.length === 0) {
    throw new PromptgateError("E_NOT_FOUND", `environment "${envName}" pins no prompts`, {
      hint: `add pins under environments.${envName}.prompts in ${repo.settings.paths.environments}`,
    });
  }
  if (specs.length === 0) return pins;

  const pinned = pins.map(([prompt, pin]) => `${prompt}@${pin.version}`).join(", ");
  const out: [string, { version: string; model?: string }][] = [];
  for (const spec of specs) {
    const { prompt, version } = parseSpec(spec);
    const pin = Object.hasOwn(env.prompts, prompt) ? env.prompts[prompt] : undefined;
    if (!pin) {
      const other = repo.prompts.has(prompt)
        ? `; --prompt ${prompt} without --env runs its latest version`
        : `; there is no prompt "${prompt}" (in ${repo.settings.paths.prompts}/)`;
      throw new PromptgateError(
        "E_NOT_FOUND",
        `environment "${envName}" does not pin prompt "${prompt}"`,
        { hint: `${envName} pins: ${pinned}${other}` },
      );
    }
    if (version !== undefined && version !== pin.version) {
      throw new PromptgateError(
        "E_USAGE",
        `environment "${envName}" pins ${prompt}@${pin.version}, not ${version}`,
        {
          hint: `--env runs what an environment pins: --prompt ${prompt} --env ${envName} runs ${pin.version}; --prompt ${prompt}@${version} without --env runs ${version}`,
        },
      );
    }
    if (!out.some(([p]) => p === prompt)) out.push([prompt, pin]);
  }
  return out;
}
