import { distance } from "fastest-levenshtein";
import { PromptgateError, PromptgateErrors } from "../errors.js";
import { suggestClosest } from "../suggest.js";
import {
  CANARY_ENV,
  type Environment,
  type Environments,
  environmentsSchema,
  NAME_PATTERN,
} from "./environments.js";
import { type GoldenSet, parseGoldenSet } from "./golden-set.js";
import { parseJudgePrompt } from "./judge-prompt.js";
import { type Locator, lazyLocator, locator, parseYaml } from "./located-yaml.js";
import { compareVersions, type PromptVersion, parsePromptFile } from "./prompt-file.js";
import { parsePromptPath } from "./prompt-path.js";
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
  /** Where a path of the set stands in its file (`["cases", 0, "assert", 1]`), when loaded from one. */
  locator?: Locator;
}

export interface Repo {
  source: FileSource;
  settings: Settings;
  environments: Environments | undefined;
  /** prompt → versions in natural order. */
  prompts: Map<string, PromptVersion[]>;
  goldenSets: Map<string, LoadedGoldenSet>;
  /** `judge.prompt` of promptgate.yaml, read from this revision; absent: promptgate's own. */
  judgePrompt?: PromptVersion;
}

/**
 * Loads and validates every file promptgate reads, collecting all located errors before
 * throwing so `promptgate validate` can report them in one pass.
 */
export interface LoadOptions {
  /**
   * Check that names in one file exist in another (a `freezes:` entry, `baseline`, `traffic:`
   * keys…), and report files of the prompts and evals folders whose names look meant to be read
   * but are not (`v9.promt`): on for what a change brings, off for a base revision or a running
   * app, which an upgrade of promptgate must not stop for a typo it could not report before.
   * Default true.
   */
  checkReferences?: boolean;
}

export async function loadRepo(source: FileSource, options: LoadOptions = {}): Promise<Repo> {
  const checkReferences = options.checkReferences ?? true;
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

  // A file that cannot be read as text (over the size limit, not UTF-8) is a located error like
  // any other, and reading goes on, so validate reports every file in one pass.
  const read = async (file: string): Promise<string | undefined> => {
    try {
      return await source.read(file);
    } catch (e) {
      if (e instanceof PromptgateError) {
        errors.push(e);
        return undefined;
      }
      throw e;
    }
  };

  const settingsText = await read(SETTINGS_FILE);
  let settingsAt: Locator | undefined;
  const settings =
    settingsText === undefined
      ? defaultSettings()
      : (collect(() => {
          const parsed = parseYaml(settingsText, SETTINGS_FILE, settingsSchema);
          settingsAt = locator(parsed, SETTINGS_FILE);
          return parsed.value;
        }) ?? defaultSettings());
  const { paths } = settings;

  const prompts = new Map<string, PromptVersion[]>();
  // Every prompt folder and version file, even a broken one: a reference to it is not a typo,
  // and the broken file reports its own error.
  const promptNames = new Set<string>();
  const versionFiles = new Set<string>();
  for (const file of await source.list(paths.prompts)) {
    const rel = file.slice(paths.prompts.length + 1);
    const found = parsePromptPath(rel);
    if (!found) {
      const misnamed = checkReferences ? misnamedPromptFile(rel, paths.prompts) : undefined;
      if (misnamed) errors.push(new PromptgateError("E_PROMPT", misnamed.message, misnamed.more));
      continue;
    }
    const { prompt, version } = found;
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
    promptNames.add(prompt);
    versionFiles.add(`${prompt}@${version}`);
    const text = await read(file);
    if (text === undefined) continue;
    const pv = collect(() => parsePromptFile(text, file, prompt, version));
    if (!pv) continue;
    const list = prompts.get(prompt) ?? [];
    list.push(pv);
    prompts.set(prompt, list);
  }
  for (const list of prompts.values()) list.sort((a, b) => compareVersions(a.version, b.version));

  const goldenSets = new Map<string, LoadedGoldenSet>();
  for (const file of await source.list(paths.evals)) {
    const rel = file.slice(paths.evals.length + 1);
    const m = /^([^/]+)\.ya?ml$/.exec(rel);
    if (!m) {
      const misnamed = checkReferences ? misnamedGoldenSet(rel, paths.evals) : undefined;
      if (misnamed) errors.push(new PromptgateError("E_SCHEMA", misnamed.message, misnamed.more));
      continue;
    }
    const prompt = m[1] ?? "";
    const text = await read(file);
    if (text === undefined) continue;
    const parsed = collect(() => parseGoldenSet(text, file));
    if (!parsed) continue;
    if (!promptNames.has(prompt)) {
      const guess = suggestClosest(prompt, promptNames);
      errors.push(
        new PromptgateError("E_NOT_FOUND", `golden set for unknown prompt "${prompt}"`, {
          location: { file, line: 1, column: 1 },
          hint: guess
            ? `did you mean ${paths.evals}/${guess}${file.slice(file.lastIndexOf("."))}? Rename the file, or add ${paths.prompts}/${prompt}/v1.prompt`
            : `add ${paths.prompts}/${prompt}/v1.prompt or rename the file after an existing prompt`,
        }),
      );
      continue;
    }
    const twin = goldenSets.get(prompt);
    if (twin && checkReferences) {
      // x.yaml and x.yml: one would silently replace the other (a base revision keeps the last).
      errors.push(
        new PromptgateError(
          "E_CONFIG",
          `a second golden set for ${prompt} (the first is ${twin.file}); only one would be read`,
          {
            location: { file },
            hint: `merge the cases into ${twin.file} and remove ${file}`,
          },
        ),
      );
      continue;
    }
    goldenSets.set(prompt, { prompt, file, set: parsed, locator: lazyLocator(text, file) });
  }

  let environments: Environments | undefined;
  const envText = await read(paths.environments);
  if (envText !== undefined) {
    const parsed = collect(() => parseYaml(envText, paths.environments, environmentsSchema));
    if (parsed) {
      environments = parsed.value;
      const envAt = locator(parsed, paths.environments);
      // A pin must name a version that exists, or a deploy would point at nothing.
      for (const [env, e] of Object.entries(parsed.value.environments)) {
        for (const [prompt, pin] of Object.entries(e.prompts)) {
          const versions = prompts.get(prompt);
          if (versions?.some((v) => v.version === pin.version)) continue;
          if (versionFiles.has(`${prompt}@${pin.version}`)) continue;
          errors.push(
            new PromptgateError(
              "E_NOT_FOUND",
              versions
                ? `${env} pins ${prompt}@${pin.version}, which does not exist (have ${versions.map((v) => v.version).join(", ")})`
                : `${env} pins unknown prompt "${prompt}"`,
              {
                location: envAt.at(["environments", env, "prompts", prompt]),
                hint: `add ${paths.prompts}/${prompt}/${pin.version}.prompt or pin an existing version`,
              },
            ),
          );
        }
      }
      if (checkReferences)
        errors.push(...checkEnvironments(parsed.value, envAt, paths.environments));
      // Without environments.yaml nothing is deployed yet: there is no name to check against.
      if (settingsAt && checkReferences) {
        errors.push(
          ...checkEnvironmentNames(settings, settingsAt, parsed.value, paths.environments),
        );
      }
    }
  }
  if (settingsAt && checkReferences)
    errors.push(...checkTraffic(settings, settingsAt, promptNames));

  let judgePrompt: PromptVersion | undefined;
  const judgeFile = settings.judge?.prompt;
  if (judgeFile) {
    const text = await read(judgeFile);
    if (text === undefined) {
      errors.push(
        new PromptgateError("E_NOT_FOUND", `judge.prompt ${judgeFile} does not exist`, {
          location: { file: SETTINGS_FILE },
          hint: "a path from the repository's root to a Dotprompt file using {{rubric}} and {{output}}",
        }),
      );
    } else judgePrompt = collect(() => parseJudgePrompt(text, judgeFile));
  }
  if (errors.length > 0) throw new PromptgateErrors(errors);
  return {
    source,
    settings,
    environments,
    prompts,
    goldenSets,
    ...(judgePrompt ? { judgePrompt } : {}),
  };
}

/*
 * Files in the prompts and evals folders that are not read, though their names say they were
 * meant to be: a misspelt extension (`v9.promt`, `x.ymal`), a case the loader does not match
 * (`v1.PROMPT`), a prompt file outside a prompt's folder. Nothing else is reported: a README,
 * notes, editor backups (`v1.prompt~`, `v1.prompt.bak`) and hidden files are the user's own.
 */
interface Misnamed {
  message: string;
  more: { location: { file: string }; hint: string };
}

const extensionOf = (name: string) => {
  const dot = name.lastIndexOf(".");
  return dot > 0 ? { stem: name.slice(0, dot), ext: name.slice(dot + 1) } : undefined;
};

/** `rel` is a file's path below the prompts folder `dir`, one that loading does not read. */
export function misnamedPromptFile(rel: string, dir: string): Misnamed | undefined {
  const parts = rel.split("/");
  if (parts.some((p) => p.startsWith("."))) return undefined;
  const name = parts.at(-1) ?? "";
  const split = extensionOf(name);
  const ext = split?.ext.toLowerCase();
  // `.prompty` is another tool's format, `.prompt~` an editor's backup: not slips.
  const ours =
    ext !== undefined &&
    ext !== "prompty" &&
    /^[a-z0-9]+$/.test(ext) &&
    (ext === "prompt" || (ext.length >= 4 && distance(ext, "prompt") <= 2));
  const file = `${dir}/${rel}`;
  const layout = `prompt versions are ${dir}/<prompt>/<version>.prompt`;
  if (parts.length === 2) {
    const folder = parts[0] ?? "";
    // A bare `v3` in a prompt's folder is a version without its extension.
    const stem = split && ours ? split.stem : /^v\d+$/.test(name) ? name : undefined;
    if (stem === undefined) return undefined;
    const fixed = `${dir}/${folder}/${stem}.prompt`;
    return {
      message: `not read: prompt versions end in .prompt; rename to ${fixed}`,
      more: { location: { file }, hint: `${layout}; only those are loaded, evaluated and gated` },
    };
  }
  if (!ours || !split) return undefined;
  const fixed =
    parts.length === 1 ? `${dir}/${split.stem}/v1.prompt` : `${dir}/<prompt>/${split.stem}.prompt`;
  return {
    message: `not read: a prompt file must be in its prompt's folder, one level below ${dir}/; move it to ${fixed}`,
    more: {
      location: { file },
      hint: `${layout}; only those are loaded, evaluated and gated (move the file out of ${dir}/ if it is not a prompt)`,
    },
  };
}

/** `rel` is a file's path below the evals folder `dir`, one that loading does not read. */
export function misnamedGoldenSet(rel: string, dir: string): Misnamed | undefined {
  // Only the top level: a folder below evals/ may hold anything (data, other tools' files).
  if (rel.includes("/") || rel.startsWith(".")) return undefined;
  const split = extensionOf(rel);
  if (!split) return undefined;
  const ext = split.ext.toLowerCase();
  const slip =
    /^[a-z0-9]+$/.test(ext) &&
    (ext === "yaml" ||
      ext === "yml" ||
      (ext.startsWith("y") &&
        ext.length >= 3 &&
        Math.min(distance(ext, "yaml"), distance(ext, "yml")) <= 2));
  if (!slip) return undefined;
  const fixed = `${dir}/${split.stem}.yaml`;
  return {
    message: `not read: golden sets end in .yaml; rename to ${fixed}`,
    more: {
      location: { file: `${dir}/${rel}` },
      hint: `golden sets are ${dir}/<prompt>.yaml, one per prompt; only those are loaded and evaluated`,
    },
  };
}

/*
 * Cross-file references. Each is a name the schemas accept (any string) that must name something
 * that exists: a typo there is no shape error, and the code that reads it would quietly do
 * something else. Values left to their defaults are not checked: the user named nothing.
 */

/** Within environments.yaml: freezes and canary traffic. */
function checkEnvironments(envs: Environments, at: Locator, file: string): PromptgateError[] {
  const errors: PromptgateError[] = [];
  const names = Object.keys(envs.environments);
  for (const env of Object.keys(envs.freezes)) {
    // A freeze of a misspelt environment would leave the real one open to promotions.
    if (names.includes(env)) continue;
    errors.push(
      new PromptgateError("E_NOT_FOUND", `freeze of unknown environment "${env}"`, {
        location: at.key(["freezes"], env),
        hint: `environments in ${file}: ${names.join(", ") || "none"}; remove the freeze or fix the name`,
      }),
    );
  }
  for (const [env, e] of Object.entries(envs.environments)) {
    // Only canary's traffic is read (the runtime's split, the bot's --traffic); on another
    // environment it would promise a split of requests that never happens.
    if (e.traffic === undefined || env === CANARY_ENV) continue;
    errors.push(
      new PromptgateError(
        "E_SCHEMA",
        `traffic is only for ${CANARY_ENV} (the share of production requests its pins serve); ${env} serves all of its requests`,
        {
          location: at.key(["environments", env], "traffic"),
          hint: `remove \`traffic\` from ${env}, or name the environment ${CANARY_ENV} if it is the canary`,
        },
      ),
    );
  }
  return errors;
}

/** promptgate.yaml's names of environments. */
function checkEnvironmentNames(
  settings: Settings,
  at: Locator,
  envs: Environments,
  envFile: string,
): PromptgateError[] {
  const names = Object.keys(envs.environments);
  const errors: PromptgateError[] = [];
  const unknown = (path: (string | number)[], name: string, what: string) => {
    if (names.includes(name)) return;
    errors.push(
      new PromptgateError("E_NOT_FOUND", `${what} names unknown environment "${name}"`, {
        location: at.at(path),
        hint: `environments in ${envFile}: ${names.join(", ") || "none"}`,
      }),
    );
  };
  // A misspelt baseline finds no pin, and diff quietly compares with the latest earlier version.
  if (at.has(["baseline"])) unknown(["baseline"], settings.baseline, "baseline");
  // /promote follows this order: a misspelt stage is a step no promotion can take.
  if (at.has(["rollout", "order"])) {
    settings.rollout.order.forEach((env, i) => {
      unknown(["rollout", "order", i], env, "rollout.order");
    });
  }
  // A misspelt environment here is an alert that never rolls back, found out during an incident.
  settings.autoRollback?.environments.forEach((env, i) => {
    unknown(["auto-rollback", "environments", i], env, "auto-rollback.environments");
  });
  // The promote-production rule guards the environment named here, and the runtime splits its
  // requests with canary: misspelt, production would need only the ordinary promote rule and
  // canary would serve no one.
  if (at.has(["rollout", "production"])) {
    unknown(["rollout", "production"], settings.rollout.production, "rollout.production");
  } else if (at.has(["rollout", "order"]) && !names.includes(settings.rollout.production)) {
    // An order of one's own ending elsewhere, and no production named: the default name guards
    // nothing, so promoting to the real last stage would need only the ordinary promote rule.
    const last = settings.rollout.order.at(-1) ?? "";
    errors.push(
      new PromptgateError(
        "E_CONFIG",
        `rollout.order ends at "${last}", but no environment is named "${settings.rollout.production}", the default of rollout.production`,
        {
          location: at.at(["rollout", "order"]),
          hint: `set rollout.production: ${last} (the environment that serves your users), so the promote-production rule and the canary split apply to it`,
        },
      ),
    );
  }
  return errors;
}

/** `traffic:` keys are prompts. */
function checkTraffic(
  settings: Settings,
  at: Locator,
  promptNames: ReadonlySet<string>,
): PromptgateError[] {
  const errors: PromptgateError[] = [];
  for (const prompt of Object.keys(settings.trafficPerDay)) {
    // Traffic feeds the monthly cost projection of the prompt it names: misspelt, the real
    // prompt would silently get none.
    if (promptNames.has(prompt)) continue;
    errors.push(
      new PromptgateError("E_NOT_FOUND", `traffic for unknown prompt "${prompt}"`, {
        location: at.key(["traffic"], prompt),
        hint: `prompts: ${[...promptNames].sort().join(", ") || "none"}`,
      }),
    );
  }
  return errors;
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

/**
 * A run where promptgate.yaml is not must fail, not pass: a wrong `--root` or `working-directory`
 * otherwise finds no prompts, evaluates nothing, and reports a green check ("ok: 0 prompts", "$0").
 * `folder` is where the edge looked, as the user would find it (a path, "the worktree").
 */
export async function requireSettingsFile(source: FileSource, folder: string): Promise<void> {
  if ((await source.read(SETTINGS_FILE)) !== undefined) return;
  throw new PromptgateError("E_CONFIG", `no ${SETTINGS_FILE} in ${folder}`, {
    hint: `run promptgate in the folder that holds ${SETTINGS_FILE} (\`--root DIR\` on the command line, the action's \`working-directory\` input), or add one there: \`version: 1\` is enough`,
  });
}

/** The environment `name` of environments.yaml; an unknown name is an error with the names there are. */
export function requireEnvironment(repo: Repo, name: string): Environment {
  const env = repo.environments?.environments[name];
  if (env) return env;
  const known = Object.keys(repo.environments?.environments ?? {});
  throw new PromptgateError("E_NOT_FOUND", `unknown environment "${name}"`, {
    hint: known.length
      ? `environments: ${known.join(", ")}`
      : `no ${repo.settings.paths.environments}`,
  });
}
