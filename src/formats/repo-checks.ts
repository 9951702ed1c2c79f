import { compareByPlace, PromptgateError, type SourceLocation } from "../errors.js";
import { suggestClosest } from "../suggest.js";
import { environmentsSchema } from "./environments.js";
import { locator, parseYaml } from "./located-yaml.js";
import type { PromptVersion } from "./prompt-file.js";
import type { LoadedGoldenSet, Repo } from "./repo.js";
import { type TemplateInputs, templateInputs } from "./template-vars.js";

/**
 * Checks of a loaded repository that look across its files, beyond what loading needs: what
 * `promptgate validate` adds. Pure (no model, no network); errors block, warnings are printed and
 * do not.
 */
export interface Findings {
  errors: PromptgateError[];
  warnings: PromptgateError[];
}

export async function checkRepo(repo: Repo): Promise<Findings> {
  const findings: Findings = { errors: [], warnings: [] };
  for (const versions of repo.prompts.values()) {
    const latest = versions.at(-1);
    if (latest) findings.errors.push(...checkUndeclaredReads(latest));
  }
  for (const set of repo.goldenSets.values()) {
    const f = checkCaseVars(set, repo.prompts.get(set.prompt) ?? []);
    findings.errors.push(...f.errors);
    findings.warnings.push(...f.warnings);
  }
  findings.warnings.push(...(await checkUngatedPins(repo)));
  return findings;
}

/**
 * The vars checks of the golden sets a run is about to use: a misspelt var would send every case
 * with a hole in its prompt. Only those prompts, so a slip elsewhere in the repository (merged
 * before this check existed, say) does not stop an unrelated pull request.
 */
export function checkVarsBeforeRun(repo: Repo, prompts: Iterable<string>): PromptgateError[] {
  const errors: PromptgateError[] = [];
  for (const prompt of new Set(prompts)) {
    const latest = repo.prompts.get(prompt)?.at(-1);
    if (latest) errors.push(...checkUndeclaredReads(latest));
    const set = repo.goldenSets.get(prompt);
    if (set) errors.push(...checkCaseVars(set, repo.prompts.get(prompt) ?? []).errors);
  }
  return errors;
}

/**
 * A variable the template reads that its own `input.schema` does not declare, at the template's
 * line: the schema is the prompt's contract with its callers, so a read outside it renders empty
 * for every caller that follows the schema. Only the latest version is the one being written; a
 * prompt without a schema (or with `(*)`) declares nothing to check against.
 */
export function checkUndeclaredReads(pv: PromptVersion): PromptgateError[] {
  const inputs = templateInputs(pv);
  if (!inputs?.hasSchema || inputs.open) return [];
  const errors: PromptgateError[] = [];
  for (const name of inputs.used) {
    if (inputs.declared.has(name)) continue;
    const at = inputs.firstRead.get(name);
    const guess = suggestClosest(
      name,
      [...inputs.declared].filter((d) => !inputs.used.has(d)),
    );
    errors.push(
      new PromptgateError(
        "E_PROMPT",
        `the template reads {{${name}}}, which input.schema does not declare${guess ? `; did you mean "${guess}"?` : ""}`,
        {
          location: at ? { file: pv.file, ...at } : { file: pv.file },
          hint: `declare it under input.schema (\`${name}: string\`, or \`${name}?: string\` when optional), or fix the name in the template`,
        },
      ),
    );
  }
  return errors;
}

/**
 * A golden set's `vars` against the templates of its prompt's versions (in natural order, as
 * `repo.prompts` holds them):
 *
 * - a var that no version reads (nor declares in `input.schema`/`input.default`) is an error at
 *   its key: a misspelt var is not given to the template, which renders the real one empty, and
 *   the case then tests a prompt with a hole in it while the eval looks fine;
 * - a variable the latest version reads outside any block, or its `input.schema` declares, that
 *   a case does not give (and the front matter neither defaults nor marks optional, `name?`) is
 *   an error at the case's `vars`:
 *   the same hole, the other way round. The latest version is the one being written; a user who
 *   adds `{{locale}}` to it expects to be told which cases still lack a locale;
 * - the same for an earlier version only is a warning: a golden set follows its prompt, so when
 *   v3 renames a variable the cases rightly stop giving v1's name, yet v1 still renders with a hole
 *   when it is evaluated (as a diff's baseline, say), which the user should know.
 *
 * Each is an E_SCHEMA finding, like any other golden set that does not fit its prompt: a run it
 * stops exits 1, as a malformed file does, not 2 as bad usage would.
 *
 * Variables read only inside a block (`{{#if context}}…{{/if}}`) and not declared required by
 * the schema may be left out on purpose and are never reported missing. A misspelt var that is one slip from a missing variable is reported
 * once, as the misspelling ("did you mean").
 */
export function checkCaseVars(
  goldenSet: LoadedGoldenSet,
  versions: readonly PromptVersion[],
): Findings {
  const errors: PromptgateError[] = [];
  const warnings: PromptgateError[] = [];
  const latest = versions.at(-1);
  if (!latest) return { errors, warnings };
  const { prompt } = goldenSet;
  const analysed = versions.map((v) => ({ version: v.version, inputs: templateInputs(v) }));
  // A template that cannot be read could read anything: no var is unused then.
  const open = analysed.some((a) => !a.inputs || a.inputs.open);
  const known = new Set<string>();
  for (const { inputs } of analysed) {
    for (const name of inputs?.used ?? []) known.add(name);
    for (const name of inputs?.declared ?? []) known.add(name);
  }
  const key = (path: (string | number)[], k: string): SourceLocation =>
    goldenSet.locator?.key(path, k) ?? { file: goldenSet.file };
  const usedList = [...known]
    .sort()
    .map((n) => `{{${n}}}`)
    .join(", ");

  /** name → indexes of the cases that lack it, for the latest version and the earlier ones. */
  const missingLatest = new Map<string, number[]>();
  const missingEarlier = new Map<string, number[]>();
  const latestNeeds = needs(analysed.at(-1)?.inputs);
  const earlierNeeds = new Map<string, string[]>(); // name → versions
  for (const { version, inputs } of analysed.slice(0, -1)) {
    for (const name of needs(inputs)) {
      if (latestNeeds.includes(name)) continue;
      earlierNeeds.set(name, [...(earlierNeeds.get(name) ?? []), version]);
    }
  }

  goldenSet.set.cases.forEach((c, i) => {
    const given = Object.keys(c.vars);
    const suggested = new Set<string>();
    if (!open) {
      for (const name of given) {
        if (known.has(name) || c.assertVars?.includes(name)) continue;
        const guess = suggestClosest(
          name,
          [...known].filter((k) => !given.includes(k)),
        );
        if (guess) suggested.add(guess);
        errors.push(
          new PromptgateError(
            "E_SCHEMA",
            `case "${c.id}": var "${name}" is read by no version of ${prompt}${guess ? `; did you mean "${guess}"?` : ""}`,
            {
              location: key(["cases", i, "vars"], name),
              hint: known.size
                ? `${prompt}'s templates read ${usedList}; rename the var, or remove it (a note about the case belongs in description or tags)`
                : `${prompt}'s templates read no variable; remove the var`,
            },
          ),
        );
      }
    }
    const lacks = (name: string) => !given.includes(name) && !suggested.has(name);
    for (const name of latestNeeds) {
      if (lacks(name)) missingLatest.set(name, [...(missingLatest.get(name) ?? []), i]);
    }
    for (const name of earlierNeeds.keys()) {
      if (lacks(name)) missingEarlier.set(name, [...(missingEarlier.get(name) ?? []), i]);
    }
  });

  // One finding per variable, at the first case that lacks it (a renamed variable would
  // otherwise repeat itself once per case), naming the others.
  const describe = (cases: number[]) => {
    const ids = cases.map((i) => `"${goldenSet.set.cases[i]?.id ?? i}"`);
    if (ids.length === 1) return `case ${ids[0]} gives`;
    const shown = ids.slice(0, 5).join(", ");
    return `${ids.length} cases (${shown}${ids.length > 5 ? ", …" : ""}) give`;
  };
  const where = (cases: number[]) => key(["cases", cases[0] ?? 0], "vars");
  for (const [name, cases] of missingLatest) {
    errors.push(
      new PromptgateError(
        "E_SCHEMA",
        analysed.at(-1)?.inputs?.required.has(name)
          ? `${describe(cases)} no "${name}", which ${prompt}@${latest.version} reads: it would render empty`
          : `${describe(cases)} no "${name}", which the input.schema of ${prompt}@${latest.version} requires`,
        {
          location: where(cases),
          hint: `add ${name} to the vars of each, or give it a default (input.default) or mark it optional (${name}?) in ${latest.file}`,
        },
      ),
    );
  }
  for (const [name, cases] of missingEarlier) {
    const vs = (earlierNeeds.get(name) ?? []).map((v) => `${prompt}@${v}`).join(", ");
    warnings.push(
      new PromptgateError(
        "E_SCHEMA",
        `${describe(cases)} no "${name}", which ${vs} read${vs.includes(",") ? "" : "s"}: evaluated (as a diff's baseline, say), it renders empty`,
        {
          location: where(cases),
          hint: `keep ${name} in the vars while those versions are evaluated, or give it a default in their input.default`,
        },
      ),
    );
  }
  return { errors: errors.sort(compareByPlace), warnings: warnings.sort(compareByPlace) };
}

/**
 * The variables every case must give a version: what it reads outside blocks, and what its schema
 * declares without a `?`, less what the front matter defaults. None when its template cannot be read.
 */
function needs(inputs: TemplateInputs | undefined): string[] {
  return inputs
    ? [...new Set([...inputs.required, ...inputs.declared])].filter((n) => !inputs.optional.has(n))
    : [];
}

/**
 * The variables `version` needs (as checkCaseVars counts them) that at least one of `cases` does
 * not give: run on those cases, it renders them empty.
 */
export function varsMissingFrom(
  version: PromptVersion,
  cases: readonly { vars: Record<string, unknown> }[],
): string[] {
  return needs(templateInputs(version)).filter((name) =>
    cases.some((c) => !Object.keys(c.vars).includes(name)),
  );
}

/**
 * A prompt that an environment pins and no golden set covers: a change to it cannot be
 * evaluated, so the action cannot gate it. A warning, at its first pin: the repository is
 * consistent (a prompt may go live before its golden set is written), but "ok" alone would hide
 * that its deploys are unguarded.
 */
export async function checkUngatedPins(repo: Repo): Promise<PromptgateError[]> {
  const envs = repo.environments?.environments;
  if (!envs) return [];
  const file = repo.settings.paths.environments;
  const text = await repo.source.read(file);
  const at =
    text === undefined ? undefined : locator(parseYaml(text, file, environmentsSchema), file);
  const pinned = new Map<string, string[]>(); // prompt → environments, in the file's order
  for (const [env, e] of Object.entries(envs)) {
    for (const prompt of Object.keys(e.prompts)) {
      pinned.set(prompt, [...(pinned.get(prompt) ?? []), env]);
    }
  }
  const warnings: PromptgateError[] = [];
  for (const [prompt, names] of pinned) {
    if (repo.goldenSets.has(prompt)) continue;
    const first = names[0] ?? "";
    warnings.push(
      new PromptgateError(
        "E_NOT_FOUND",
        `${prompt} is pinned in ${names.join(", ")} but has no golden set: a change to it cannot be evaluated, so nothing gates it`,
        {
          location: at?.key(["environments", first, "prompts"], prompt) ?? { file },
          hint: `add ${repo.settings.paths.evals}/${prompt}.yaml`,
        },
      ),
    );
  }
  return warnings;
}
