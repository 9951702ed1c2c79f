import { findProvider, type MatchLogic } from "@pydantic/genai-prices";
import { z } from "zod";
import { PromptgateError } from "../errors.js";
import { environmentsSchema } from "../formats/environments.js";
import { locator, parseYaml } from "../formats/located-yaml.js";
import type { Repo } from "../formats/repo.js";
import type { Findings } from "../formats/repo-checks.js";
import type { Settings } from "../formats/settings.js";

/**
 * The model-pinning lint: `model: gpt-4o` names whatever the provider serves under that name
 * today, so a golden set's verdict can change without any pull request. Which names are aliases
 * comes from the bundled `@pydantic/genai-prices` table (never fetched at run time), not from a
 * list kept by hand: a name is dated when it ends in a date, and an alias when it ends in
 * `-latest` or the table knows dated snapshots of it.
 */
export type ModelAliasLevel = Settings["lint"]["modelAliases"];

export interface ModelAlias {
  model: string;
  /** The dated snapshots the table knows for it, best first (those it prices as the alias). */
  snapshots: string[];
}

/** `2024-08-06`, `20240806`, or OpenAI's older `-0613`, after a `-` (or Vertex's `@`). */
const DATE = /^(\d{4}-\d{2}-\d{2}|\d{8}|\d{4})$/;
const DATED = /[-@](\d{4}-\d{2}-\d{2}|\d{8}|\d{4})$/;
const LATEST = /-latest$/;

/*
 * The providers whose names a prompt's `model:` can carry; a provider the table does not have is
 * skipped. Only the provider ids are listed here: the models are the table's.
 */
const PROVIDERS = ["openai", "anthropic", "google", "mistral", "deepseek", "x-ai", "groq"];

interface KnownNames {
  /** Every name the table matches exactly, lower-case. */
  all: Set<string>;
  /** A name → the names of its table entry (matched by the same price). */
  entryOf: Map<string, Set<string>>;
}
let known: KnownNames | undefined;

function knownNames(): KnownNames {
  if (known) return known;
  const all = new Set<string>();
  const entryOf = new Map<string, Set<string>>();
  for (const id of PROVIDERS) {
    for (const model of findProvider({ providerId: id })?.models ?? []) {
      const names = new Set([model.id.toLowerCase(), ...exactNames(model.match)]);
      for (const n of names) {
        all.add(n);
        entryOf.set(n, new Set([...(entryOf.get(n) ?? []), ...names]));
      }
    }
  }
  known = { all, entryOf };
  return known;
}

function exactNames(match: MatchLogic): string[] {
  if ("equals" in match) return [match.equals.toLowerCase()];
  if ("or" in match) return match.or.flatMap(exactNames);
  if ("and" in match) return match.and.flatMap(exactNames);
  return [];
}

/** Whether a model name ends in a snapshot date (`gpt-4o-2024-08-06`, `gpt-4-0613`). */
export function isDatedModel(model: string): boolean {
  return DATED.test(model.trim());
}

/**
 * The alias `model` is, with the dated snapshots the table knows for it; undefined for a dated
 * snapshot and for a name the table knows no snapshot of (a local or fine-tuned model).
 */
export function findModelAlias(model: string): ModelAlias | undefined {
  const trimmed = model.trim();
  if (isDatedModel(trimmed)) return undefined;
  // A LiteLLM-style `provider/model` keeps its prefix in the suggestion.
  const slash = trimmed.lastIndexOf("/");
  const prefix = slash >= 0 ? trimmed.slice(0, slash + 1) : "";
  const name = trimmed.slice(prefix.length).toLowerCase();
  const latest = LATEST.test(name);
  const stem = latest ? name.replace(LATEST, "") : name;
  const { all, entryOf } = knownNames();
  const dated = [...all].filter(
    (n) => n.startsWith(`${stem}-`) && DATE.test(n.slice(stem.length + 1)),
  );
  if (!latest && dated.length === 0) return undefined;
  // The snapshots the table prices as this very name are the ones it most likely resolves to.
  const same = entryOf.get(name);
  const preferred = dated.filter((n) => same?.has(n));
  const snapshots = (preferred.length > 0 ? preferred : dated).sort().map((n) => prefix + n);
  return { model: trimmed, snapshots };
}

/** "pin `gpt-4o-2024-08-06`: an alias changes under you". */
export function describeModelAlias(alias: ModelAlias): string {
  const [only, ...more] = alias.snapshots;
  const pin =
    only === undefined
      ? "pin a dated snapshot"
      : more.length === 0
        ? `pin \`${only}\``
        : `pin one of ${alias.snapshots.map((s) => `\`${s}\``).join(", ")}`;
  return `model \`${alias.model}\` is an undated alias; ${pin}: an alias changes under you`;
}

/** Which models the lint looks at. */
export interface ModelAliasScope {
  /** The latest version of each prompt (what a pull request ships); default true. */
  latestVersions?: boolean;
  /**
   * For a pin without `model:`, the pinned version's own model (what the pin serves: drift's
   * view); default false.
   */
  pinnedVersions?: boolean;
  /** Only these environments' pins; default every environment. */
  environments?: readonly string[];
}

/**
 * The lint over a repository: the latest version of each prompt (earlier ones may be live, and
 * a live version's file cannot change) and each environments.yaml pin that names a model, and
 * its fallbacks' models (an outage sends traffic there, so a moving alias there moves quality
 * just the same). Each finding is located at its `model:` line; `level` (promptgate.yaml's
 * `lint.model-aliases`) makes them warnings or errors. With `files`, only findings in those files
 * (a pull request's); `scope` narrows which models are looked at (drift: its pins only).
 */
export async function checkModelAliases(
  repo: Repo,
  level: ModelAliasLevel = repo.settings.lint.modelAliases,
  files?: ReadonlySet<string>,
  scope: ModelAliasScope = {},
): Promise<Findings> {
  const findings: Findings = { errors: [], warnings: [] };
  if (level === "off") return findings;
  const found: PromptgateError[] = [];
  const hint = (file: string) =>
    `write the dated name in ${file}; or set lint: { model-aliases: off } in promptgate.yaml`;
  const linted = new Set<string>();
  const lintVersion = (prompt: string, version?: string) => {
    const versions = repo.prompts.get(prompt);
    const v =
      version === undefined ? versions?.at(-1) : versions?.find((x) => x.version === version);
    const alias = v && findModelAlias(v.model);
    if (!v || !alias || linted.has(v.file)) return;
    linted.add(v.file);
    found.push(
      new PromptgateError("E_LINT", `${v.prompt}@${v.version}: ${describeModelAlias(alias)}`, {
        location: locateFrontMatterModel(v.source, v.file),
        hint: hint(v.file),
      }),
    );
  };
  if (scope.latestVersions ?? true) for (const prompt of repo.prompts.keys()) lintVersion(prompt);
  const envs = repo.environments?.environments ?? {};
  const envFile = repo.settings.paths.environments;
  const wanted = scope.environments ? new Set(scope.environments) : undefined;
  let at: ReturnType<typeof locator> | undefined;
  const locate = async (path: (string | number)[]) => {
    if (!at) {
      const text = await repo.source.read(envFile);
      if (text !== undefined) at = locator(parseYaml(text, envFile, environmentsSchema), envFile);
    }
    return at?.at(["environments", ...path, "model"]) ?? { file: envFile };
  };
  for (const [env, e] of Object.entries(envs)) {
    if (wanted && !wanted.has(env)) continue;
    for (const [prompt, pin] of Object.entries(e.prompts)) {
      const alias = pin.model === undefined ? undefined : findModelAlias(pin.model);
      if (alias) {
        found.push(
          new PromptgateError(
            "E_LINT",
            `${env} pins ${prompt}@${pin.version}: ${describeModelAlias(alias)}`,
            { location: await locate([env, "prompts", prompt]), hint: hint(envFile) },
          ),
        );
      } else if (pin.model === undefined && scope.pinnedVersions) {
        lintVersion(prompt, pin.version);
      }
      for (const [i, fallback] of (pin.fallback ?? []).entries()) {
        const fallbackAlias = findModelAlias(fallback.model);
        if (!fallbackAlias) continue;
        found.push(
          new PromptgateError(
            "E_LINT",
            `${env} pins ${prompt}@${pin.version}, fallback ${i + 1}: ${describeModelAlias(fallbackAlias)}`,
            {
              location: await locate([env, "prompts", prompt, "fallback", i]),
              hint: hint(envFile),
            },
          ),
        );
      }
    }
  }
  const kept = files ? found.filter((f) => f.location && files.has(f.location.file)) : found;
  if (level === "error") findings.errors.push(...kept);
  else findings.warnings.push(...kept);
  return findings;
}

/**
 * The lint of what `drift` watches, before it sends anything: each pin's model (its version's
 * when the pin names none) and its fallbacks', in `environments` (default all). A pin on an alias
 * is itself a source of drift, so the check says so beside its numbers.
 */
export function checkDriftPins(
  repo: Repo,
  environments?: readonly string[],
  level: ModelAliasLevel = repo.settings.lint.modelAliases,
): Promise<Findings> {
  return checkModelAliases(repo, level, undefined, {
    latestVersions: false,
    pinnedVersions: true,
    ...(environments ? { environments } : {}),
  });
}

/** The `model:` line of a prompt file's front matter (which starts on line 2, after `---`). */
function locateFrontMatterModel(source: string, file: string) {
  const m = /^(?:\uFEFF)?---\r?\n([\s\S]*?)\r?\n---/.exec(source);
  if (!m) return { file };
  try {
    return locator(parseYaml(m[1] ?? "", file, z.unknown(), { lineOffset: 1 }), file, {
      lineOffset: 1,
    }).at(["model"]);
  } catch {
    return { file, line: 1 };
  }
}
