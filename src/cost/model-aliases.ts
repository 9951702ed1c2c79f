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

/**
 * The lint over a repository: the latest version of each prompt (earlier ones may be live, and
 * a live version's file cannot change) and each environments.yaml pin that names a model. Each
 * finding is located at its `model:` line; `level` (promptgate.yaml's `lint.model-aliases`)
 * makes them warnings or errors. With `files`, only findings in those files (a pull request's).
 */
export async function checkModelAliases(
  repo: Repo,
  level: ModelAliasLevel = repo.settings.lint.modelAliases,
  files?: ReadonlySet<string>,
): Promise<Findings> {
  const findings: Findings = { errors: [], warnings: [] };
  if (level === "off") return findings;
  const found: PromptgateError[] = [];
  const hint = (file: string) =>
    `write the dated name in ${file}; or set lint: { model-aliases: off } in promptgate.yaml`;
  for (const versions of repo.prompts.values()) {
    const latest = versions.at(-1);
    const alias = latest && findModelAlias(latest.model);
    if (!latest || !alias) continue;
    found.push(
      new PromptgateError(
        "E_LINT",
        `${latest.prompt}@${latest.version}: ${describeModelAlias(alias)}`,
        {
          location: locateFrontMatterModel(latest.source, latest.file),
          hint: hint(latest.file),
        },
      ),
    );
  }
  const envs = repo.environments?.environments ?? {};
  const envFile = repo.settings.paths.environments;
  let at: ReturnType<typeof locator> | undefined;
  for (const [env, e] of Object.entries(envs)) {
    for (const [prompt, pin] of Object.entries(e.prompts)) {
      const alias = pin.model === undefined ? undefined : findModelAlias(pin.model);
      if (!alias) continue;
      if (!at) {
        const text = await repo.source.read(envFile);
        if (text !== undefined) at = locator(parseYaml(text, envFile, environmentsSchema), envFile);
      }
      found.push(
        new PromptgateError(
          "E_LINT",
          `${env} pins ${prompt}@${pin.version}: ${describeModelAlias(alias)}`,
          {
            location: at?.at(["environments", env, "prompts", prompt, "model"]) ?? {
              file: envFile,
            },
            hint: hint(envFile),
          },
        ),
      );
    }
  }
  const kept = files ? found.filter((f) => f.location && files.has(f.location.file)) : found;
  if (level === "error") findings.errors.push(...kept);
  else findings.warnings.push(...kept);
  return findings;
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
