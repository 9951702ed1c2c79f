import { isNode } from "yaml";
import { PromptgateError, PromptgateErrors } from "../errors.js";
import { type Environments, environmentsSchema, NAME_PATTERN } from "./environments.js";
import { type GoldenSet, goldenSetSchema } from "./golden-set.js";
import { parseYaml } from "./located-yaml.js";
import { compareVersions, type PromptVersion, parsePromptFile } from "./prompt-file.js";
import { defaultSettings, SETTINGS_FILE, type Settings, settingsSchema } from "./settings.js";

/**
 * Read access to one revision of a repository: the working tree, or a git commit.
 * Paths are POSIX and relative to the repository root.
 */
export interface FileSource {
  /** A short name for messages: "worktree", or an abbreviated sha. */
  readonly label: string;
  read(path: string): Promise<string | undefined>;
  /** Every file below `dir`, recursively, as paths relative to the root. */
  list(dir: string): Promise<string[]>;
}

export interface LoadedGoldenSet {
  prompt: string;
  file: string;
  set: GoldenSet;
}

export interface Repo {
  source: FileSource;
  settings: Settings;
  environments: Environments | undefined;
  /** prompt → versions in natural order. */
  prompts: Map<string, PromptVersion[]>;
  goldenSets: Map<string, LoadedGoldenSet>;
}

/**
 * Loads and validates every file promptgate reads, collecting all located errors before
 * throwing so `promptgate validate` can report them in one pass.
 */
export async function loadRepo(source: FileSource): Promise<Repo> {
  const errors: PromptgateError[] = [];
  const collect = <T>(fn: () => T): T | undefined => {
    try {
      return fn();
    } catch (e) {
      if (e instanceof PromptgateErrors) errors.push(...e.errors);
      else if (e instanceof PromptgateError) errors.push(e);
      else throw e;
      return undefined;
    }
  };

  const settingsText = await source.read(SETTINGS_FILE);
  const settings =
    settingsText === undefined
      ? defaultSettings()
      : (collect(() => parseYaml(settingsText, SETTINGS_FILE, settingsSchema).value) ??
        defaultSettings());
  const { paths } = settings;

  const prompts = new Map<string, PromptVersion[]>();
  for (const file of await source.list(paths.prompts)) {
    const rel = file.slice(paths.prompts.length + 1);
    const m = /^([^/]+)\/([^/]+)\.prompt$/.exec(rel);
    if (!m) continue;
    const [, prompt = "", version = ""] = m;
    if (!NAME_PATTERN.test(prompt)) {
      errors.push(
        new PromptgateError(
          "E_PROMPT",
          `prompt folder name "${prompt}" must match [a-z0-9][a-z0-9._-]*`,
          {
            location: { file },
          },
        ),
      );
      continue;
    }
    const text = (await source.read(file)) ?? "";
    const pv = collect(() => parsePromptFile(text, file, prompt, version));
    if (!pv) continue;
    const list = prompts.get(prompt) ?? [];
    list.push(pv);
    prompts.set(prompt, list);
  }
  for (const list of prompts.values()) list.sort((a, b) => compareVersions(a.version, b.version));

  const goldenSets = new Map<string, LoadedGoldenSet>();
  for (const file of await source.list(paths.evals)) {
    const m = /^([^/]+)\.ya?ml$/.exec(file.slice(paths.evals.length + 1));
    if (!m) continue;
    const prompt = m[1] ?? "";
    const text = (await source.read(file)) ?? "";
    const set = collect(() => parseYaml(text, file, goldenSetSchema).value);
    if (!set) continue;
    if (!prompts.has(prompt)) {
      errors.push(
        new PromptgateError("E_NOT_FOUND", `golden set for unknown prompt "${prompt}"`, {
          location: { file, line: 1, column: 1 },
          hint: `add ${paths.prompts}/${prompt}/v1.prompt or rename the file after an existing prompt`,
        }),
      );
      continue;
    }
    goldenSets.set(prompt, { prompt, file, set });
  }

  let environments: Environments | undefined;
  const envText = await source.read(paths.environments);
  if (envText !== undefined) {
    const parsed = collect(() => parseYaml(envText, paths.environments, environmentsSchema));
    if (parsed) {
      environments = parsed.value;
      // A pin must name a version that exists, or a deploy would point at nothing.
      for (const [env, e] of Object.entries(parsed.value.environments)) {
        for (const [prompt, pin] of Object.entries(e.prompts)) {
          const versions = prompts.get(prompt);
          if (versions?.some((v) => v.version === pin.version)) continue;
          const node = parsed.doc.getIn(["environments", env, "prompts", prompt], true);
          const pos =
            isNode(node) && node.range ? parsed.lineCounter.linePos(node.range[0]) : undefined;
          errors.push(
            new PromptgateError(
              "E_NOT_FOUND",
              versions
                ? `${env} pins ${prompt}@${pin.version}, which does not exist (have ${versions.map((v) => v.version).join(", ")})`
                : `${env} pins unknown prompt "${prompt}"`,
              {
                location: { file: paths.environments, line: pos?.line, column: pos?.col },
                hint: `add ${paths.prompts}/${prompt}/${pin.version}.prompt or pin an existing version`,
              },
            ),
          );
        }
      }
    }
  }

  if (errors.length > 0) throw new PromptgateErrors(errors);
  return { source, settings, environments, prompts, goldenSets };
}

export function findVersion(
  repo: Repo,
  prompt: string,
  version: string,
): PromptVersion | undefined {
  return repo.prompts.get(prompt)?.find((v) => v.version === version);
}

export function latestVersion(repo: Repo, prompt: string): PromptVersion | undefined {
  return repo.prompts.get(prompt)?.at(-1);
}
