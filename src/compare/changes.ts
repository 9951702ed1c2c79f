import { isDeepStrictEqual } from "node:util";
import { PromptgateError } from "../errors.js";
import { listPins } from "../formats/environments.js";
import { compareVersions, type PromptVersion } from "../formats/prompt-file.js";
import { findVersion, type Repo } from "../formats/repo.js";
import { checkVarsBeforeRun, varsMissingFrom } from "../formats/repo-checks.js";
import { SETTINGS_FILE, type Settings } from "../formats/settings.js";
import { diffEnvironments } from "./change-environments.js";
import type {
  ChangeSet,
  EnvironmentChange,
  FileChange,
  Notice,
  PlannedEvaluation,
} from "./change-types.js";
import { describeGoldenSetEdits } from "./golden-set-edits.js";

export type { ChangeSet, FileChange } from "./change-types.js";

/**
 * Decides what a change between two revisions needs evaluated, from the files git says changed
 * and the two loaded repositories.
 *
 * The changed-file list is the three-dot one (merge-base → head) so that work landed on the base
 * branch since the fork is not mistaken for this change; `base` is best loaded at the base tip,
 * because "what is live now" (pins, the baseline) is what a new version must beat and what must not
 * be edited. Each touched version is classified by comparing its content on both sides, not by
 * git's status letter, so a file "added" on the branch that also landed on base is still judged by
 * what actually differs.
 */
export function detectChanges(input: {
  base: Repo;
  head: Repo;
  changedFiles: FileChange[];
}): ChangeSet {
  const { base, head, changedFiles } = input;
  const evaluations: PlannedEvaluation[] = [];
  const notices: Notice[] = [];
  const errors: PromptgateError[] = [];

  const touched = new Set<string>();
  for (const change of changedFiles) {
    touched.add(change.path);
    if (change.oldPath !== undefined) touched.add(change.oldPath);
    if (change.status === "renamed" && change.oldPath !== undefined) {
      notices.push({
        kind: "renamed",
        message: `${change.oldPath} was renamed to ${change.path}`,
        file: change.path,
      });
    }
  }

  if (touched.has(SETTINGS_FILE)) {
    notices.push({
      kind: "settings-changed",
      message: `${SETTINGS_FILE} changed; a settings change alone evaluates nothing`,
      file: SETTINGS_FILE,
    });
  }

  const touches = collectTouches(base, head, touched);
  const baseLive = pinsByVersion(base);
  const headLive = pinsByVersion(head);

  for (const [prompt, t] of [...touches].sort(([a], [b]) => a.localeCompare(b))) {
    const headVersions = head.prompts.get(prompt);
    const baseVersions = base.prompts.get(prompt);
    const errorsBefore = errors.length;

    if (!headVersions) {
      const gone = (baseVersions ?? []).map((v) => v.version);
      notices.push({
        kind: "deleted-prompt",
        message: `prompt ${prompt} was deleted (had ${gone.join(", ") || "no versions"})`,
        prompt,
      });
    } else {
      for (const v of t.deleted) {
        const wasLive = baseLive.get(key(prompt, v.version));
        notices.push({
          kind: "deleted-version",
          message: wasLive
            ? `${prompt}@${v.version} was deleted (it was live in ${wasLive.join(", ")} at base)`
            : `${prompt}@${v.version} was deleted`,
          prompt,
          file: v.file,
        });
      }
      if (t.goldenSetDeleted) {
        notices.push({
          kind: "deleted-golden-set",
          message: `the golden set of ${prompt} was deleted; ${prompt} is no longer evaluated`,
          prompt,
          file: t.goldenSetDeleted,
        });
      }
    }

    // A pin to a deleted version would deploy nothing (loadRepo normally refuses such a head).
    for (const v of t.deleted) {
      const stillPinned = headLive.get(key(prompt, v.version));
      if (!stillPinned) continue;
      errors.push(
        new PromptgateError(
          "E_LIVE_EDIT",
          `${prompt}@${v.version} is deleted but still pinned in ${stillPinned.join(", ")}`,
          {
            location: { file: head.settings.paths.environments },
            hint: `pin another version of ${prompt} in ${stillPinned.join(", ")} first, or keep ${v.file}`,
          },
        ),
      );
    }

    const planned: PlannedEvaluation[] = [];
    for (const { before, after } of t.edited) {
      const live = baseLive.get(key(prompt, after.version));
      if (live) {
        const next = suggestNextVersion([...(headVersions ?? []), ...(baseVersions ?? [])]);
        errors.push(
          new PromptgateError(
            "E_LIVE_EDIT",
            `${prompt}@${after.version} is live in ${live.join(", ")}; add ${next ?? "a new version"} instead`,
            {
              location: { file: after.file },
              hint: `versions are immutable once live: restore ${after.file} and put the edit in ${next ? dirOf(after.file) + "/" + next + ".prompt" : "a new version file"}`,
            },
          ),
        );
        continue;
      }
      planned.push({
        prompt,
        reason: "edited-draft",
        goldenSetChanged: t.goldenSetChanged,
        base: { version: before.version, source: "base-rev", goldenSet: "base" },
        head: { version: after.version },
      });
    }
    for (const v of t.added) {
      const baseline = baseVersions ? selectBaseline(base, prompt, v.version) : null;
      planned.push({
        prompt,
        reason: baseline ? "new-version" : "new-prompt",
        goldenSetChanged: t.goldenSetChanged,
        base: baseline ? { ...baseline, goldenSet: "base" } : null,
        head: { version: v.version },
      });
    }
    // A version change already runs each side's golden set; a second run would only cost money.
    // After an error the head's versions are not what will ship, so re-running them says nothing.
    const clean = errors.length === errorsBefore;
    if (planned.length === 0 && clean && t.goldenSetChanged && headVersions && baseVersions) {
      const before = selectBaseline(base, prompt, undefined, base.settings.baseline);
      const after = selectBaseline(head, prompt, undefined, base.settings.baseline);
      if (before && after) {
        planned.push({
          prompt,
          reason: "golden-set",
          goldenSetChanged: true,
          base: { ...before, goldenSet: "base" },
          head: { version: after.version, env: after.env, model: after.model },
        });
      }
    }
    if (planned.length === 0) continue;

    if (!head.goldenSets.has(prompt)) {
      notices.push({
        kind: "no-golden-set",
        message: `${planned.map((p) => `${prompt}@${p.head.version}`).join(", ")} not evaluated: no golden set ${head.settings.paths.evals}/${prompt}.yaml at head`,
        prompt,
      });
      continue;
    }
    if (!base.goldenSets.has(prompt) && planned.some((p) => p.base)) {
      // Without a golden set at base the base side could not run at all; the head's cases still
      // say how the previous version does on them, which is what the reviewer wants to know.
      for (const p of planned) if (p.base) p.base.goldenSet = "head";
      notices.push({
        kind: "golden-set-from-head",
        message: `${prompt} has no golden set at base; the base side runs the head's golden set`,
        prompt,
      });
    }
    const baseSet = base.goldenSets.get(prompt);
    const headSet = head.goldenSets.get(prompt);
    if (t.goldenSetChanged && baseSet && headSet) {
      // Each side graded by its own golden set would credit the prompt with what the edit of the
      // cases did (a loosened assertion reads as an improvement). Both sides run the head's cases;
      // the comment says what the pull request changed in them, for the reviewer to judge.
      // Unless the base version needs a variable the new cases no longer give (the pull request
      // renamed {{question}} to {{query}} in the prompt and its cases): on them it would render with
      // a hole and lose for that alone, so that evaluation keeps each side's own cases.
      const moved: PlannedEvaluation[] = [];
      const kept: { plan: PlannedEvaluation; version: string; missing: string[] }[] = [];
      for (const p of planned) {
        if (p.reason === "golden-set" || !p.base) continue;
        const baseVersion = findVersion(base, prompt, p.base.version);
        const missing = baseVersion ? varsMissingFrom(baseVersion, headSet.set.cases) : [];
        if (missing.length > 0) {
          kept.push({ plan: p, version: p.base.version, missing: missing.sort() });
          continue;
        }
        p.base.goldenSet = "head";
        moved.push(p);
      }
      const edits = describeGoldenSetEdits(baseSet, headSet);
      notices.push({
        kind: "golden-set-changed",
        message: `${headSet.file} changed in this pull request${edits ? ` (${edits})` : ""}${describeGoldenSetSides(prompt, moved, kept)}`,
        prompt,
        file: headSet.file,
      });
    }
    evaluations.push(...planned.map(dropUndefined));
  }

  const envFiles = new Set([base.settings.paths.environments, head.settings.paths.environments]);
  const environmentChanges = [...envFiles].some((f) => touched.has(f))
    ? diffEnvironments(base.environments, head.environments)
    : [];
  const fallbacks = planFallbackEvaluations(base, head, environmentChanges);
  notices.push(...fallbacks.notices);
  for (const swap of [...planModelSwaps(base, head, environmentChanges), ...fallbacks.planned]) {
    if (head.goldenSets.has(swap.prompt)) evaluations.push(swap);
    else {
      notices.push({
        kind: "no-golden-set",
        message: `${swap.prompt}@${swap.head.version} on ${swap.head.model} not evaluated: no golden set ${head.settings.paths.evals}/${swap.prompt}.yaml at head`,
        prompt: swap.prompt,
      });
    }
  }

  // A misspelt var in a golden set about to run would grade a prompt with a hole in it.
  errors.push(
    ...checkVarsBeforeRun(
      head,
      evaluations.map((e) => e.prompt),
    ),
  );
  return { evaluations, environmentChanges, notices, errors };
}

/**
 * A pin that keeps its version but changes the model it runs on is a deploy too: the same version
 * runs on the old and the new model, over the head's golden set. Environments making the same swap
 * share one evaluation.
 */
function planModelSwaps(base: Repo, head: Repo, changes: EnvironmentChange[]): PlannedEvaluation[] {
  const planned = new Map<string, PlannedEvaluation>();
  for (const change of changes) {
    if (change.kind !== "pin" || !change.before || !change.after) continue;
    if (change.before.version !== change.after.version) continue;
    const { prompt } = change;
    const version = change.after.version;
    const before = findVersion(base, prompt, version);
    const after = findVersion(head, prompt, version);
    if (!before || !after) continue;
    const modelBefore = change.before.model ?? before.model;
    const modelAfter = change.after.model ?? after.model;
    if (modelBefore === modelAfter) continue;
    const id = [prompt, version, modelBefore, modelAfter].join("\0");
    if (planned.has(id)) continue;
    planned.set(id, planModelComparison(prompt, version, change.env, modelBefore, modelAfter));
  }
  return [...planned.values()];
}

/** One version on two models, over the head's golden set: a model swap, or a new fallback. */
function planModelComparison(
  prompt: string,
  version: string,
  env: string,
  from: string,
  to: string,
): PlannedEvaluation {
  return {
    prompt,
    reason: "model-swap",
    goldenSetChanged: false,
    base: { version, source: "baseline-pin", env, model: from, goldenSet: "head" },
    head: { version, env, model: to },
  };
}

/**
 * A fallback is a deploy target too: a pin that gains a fallback model runs its version on that
 * model when the provider is down, so the pull request evaluates it like a model swap (the pin's
 * model against the fallback's, over the head's golden set). A fallback with its own `base-url` is
 * not run: the run's endpoint and key come from the base (trusted-settings.ts), and a pull request
 * must not send the key to an address it chose; a notice says so.
 */
function planFallbackEvaluations(
  base: Repo,
  head: Repo,
  changes: EnvironmentChange[],
): { planned: PlannedEvaluation[]; notices: Notice[] } {
  const planned = new Map<string, PlannedEvaluation>();
  const notices: Notice[] = [];
  for (const change of changes) {
    if (change.kind !== "pin" || !change.after?.fallback) continue;
    const { prompt } = change;
    const version = change.after.version;
    const known = new Set(
      change.before?.version === version
        ? (change.before.fallback ?? []).map((f) => `${f["base-url"] ?? ""}\0${f.model}`)
        : [],
    );
    const before = findVersion(base, prompt, version);
    const after = findVersion(head, prompt, version);
    const pinModel = change.after.model ?? after?.model;
    for (const fallback of change.after.fallback) {
      if (known.has(`${fallback["base-url"] ?? ""}\0${fallback.model}`)) continue;
      const label = `${prompt}@${version} on fallback ${fallback.model}`;
      if (fallback["base-url"]) {
        notices.push({
          kind: "fallback-not-evaluated",
          message: `${label} (${change.env}) not evaluated: its base-url is not the run's endpoint, which comes from the base`,
          prompt,
        });
        continue;
      }
      if (!before || !after || !pinModel) {
        // A version new in this pull request is evaluated on its pin's model first; its fallbacks
        // are evaluated by the next pull request that touches them once the version is on the base.
        notices.push({
          kind: "fallback-not-evaluated",
          message: `${label} (${change.env}) not evaluated: ${prompt}@${version} is not on the base yet`,
          prompt,
        });
        continue;
      }
      if (fallback.model === pinModel) continue;
      const id = [prompt, version, pinModel, fallback.model].join("\0");
      if (planned.has(id)) continue;
      planned.set(id, planModelComparison(prompt, version, change.env, pinModel, fallback.model));
    }
  }
  return { planned: [...planned.values()], notices };
}

/**
 * The end of the golden-set-changed notice: which evaluations run the new cases on both sides, and
 * which keep each side's own because the base version reads a variable the new cases do not give.
 */
function describeGoldenSetSides(
  prompt: string,
  moved: PlannedEvaluation[],
  kept: { plan: PlannedEvaluation; version: string; missing: string[] }[],
): string {
  if (kept.length === 0) {
    return moved.length > 0 ? "; both sides run its new cases, so Δ measures the prompt alone" : "";
  }
  const heads = (plans: PlannedEvaluation[]) =>
    plans.map((p) => `${prompt}@${p.head.version}`).join(", ");
  const reads = [
    ...new Map(
      kept.map((k) => [
        k.version,
        `${prompt}@${k.version} reads ${k.missing.map((n) => `{{${n}}}`).join(", ")}`,
      ]),
    ).values(),
  ];
  const own =
    moved.length > 0
      ? `each side of ${heads(kept.map((k) => k.plan))} runs its own cases (both sides of ${heads(moved)} run the new ones)`
      : "each side runs its own cases";
  return `; the base version ${reads.join(", and ")}, which the new cases no longer give, so ${own}`;
}

/** The paths whose changes matter to promptgate, as git pathspecs for `listChangedFiles`. */
export function listRelevantPaths(...settings: Settings[]): string[] {
  const paths = new Set<string>([SETTINGS_FILE]);
  for (const s of settings) {
    paths.add(s.paths.prompts);
    paths.add(s.paths.evals);
    paths.add(s.paths.environments);
  }
  return [...paths].sort();
}

interface PromptTouch {
  added: PromptVersion[];
  deleted: PromptVersion[];
  edited: { before: PromptVersion; after: PromptVersion }[];
  goldenSetChanged: boolean;
  /** The file of a golden set that exists at base and not at head. */
  goldenSetDeleted?: string;
}

function collectTouches(base: Repo, head: Repo, touched: Set<string>): Map<string, PromptTouch> {
  const touches = new Map<string, PromptTouch>();
  const touch = (prompt: string): PromptTouch => {
    let t = touches.get(prompt);
    if (!t) {
      t = { added: [], deleted: [], edited: [], goldenSetChanged: false };
      touches.set(prompt, t);
    }
    return t;
  };

  // Identities, not paths, are compared: a file moved by a changed `paths:` setting is no change.
  const versionFiles = indexByFile([...base.prompts.values(), ...head.prompts.values()].flat());
  const setFiles = indexByFile([...base.goldenSets.values(), ...head.goldenSets.values()]);
  const versions = new Map<string, { prompt: string; version: string }>();
  const sets = new Set<string>();
  for (const path of touched) {
    const v = versionFiles.get(path);
    if (v) versions.set(key(v.prompt, v.version), v);
    const g = setFiles.get(path);
    if (g) sets.add(g.prompt);
  }

  for (const { prompt, version } of versions.values()) {
    const before = findVersion(base, prompt, version);
    const after = findVersion(head, prompt, version);
    if (before && after) {
      if (before.contentHash !== after.contentHash) touch(prompt).edited.push({ before, after });
    } else if (before) touch(prompt).deleted.push(before);
    else if (after) touch(prompt).added.push(after);
  }
  for (const prompt of sets) {
    const before = base.goldenSets.get(prompt);
    const after = head.goldenSets.get(prompt);
    // Comments and formatting do not change what runs.
    if (isDeepStrictEqual(before?.set, after?.set)) continue;
    if (after) touch(prompt).goldenSetChanged = true;
    else if (before) touch(prompt).goldenSetDeleted = before.file;
  }

  for (const t of touches.values()) {
    for (const list of [t.added, t.deleted]) {
      list.sort((a, b) => compareVersions(a.version, b.version));
    }
    t.edited.sort((a, b) => compareVersions(a.after.version, b.after.version));
  }
  return touches;
}

/**
 * The version a new one is measured against: the baseline environment's pin, else the latest
 * version that sorts before it, else the latest. All read from `repo`, so the side runs from there.
 */
function selectBaseline(
  repo: Repo,
  prompt: string,
  newVersion: string | undefined,
  env = repo.settings.baseline,
): {
  version: string;
  source: "baseline-pin" | "latest-earlier" | "latest";
  env?: string;
  model?: string;
} | null {
  const pin = repo.environments?.environments[env]?.prompts[prompt];
  if (pin && findVersion(repo, prompt, pin.version)) {
    return { version: pin.version, source: "baseline-pin", env, model: pin.model };
  }
  const versions = repo.prompts.get(prompt) ?? [];
  if (newVersion !== undefined) {
    const earlier = versions.filter((v) => compareVersions(v.version, newVersion) < 0).at(-1);
    if (earlier) return { version: earlier.version, source: "latest-earlier" };
  }
  const latest = versions.at(-1);
  return latest ? { version: latest.version, source: "latest" } : null;
}

/** `prompt@version` → the environments that pin it, in file order. */
function pinsByVersion(repo: Repo): Map<string, string[]> {
  const out = new Map<string, string[]>();
  if (!repo.environments) return out;
  for (const { env, prompt, pin } of listPins(repo.environments)) {
    const k = key(prompt, pin.version);
    out.set(k, [...(out.get(k) ?? []), env]);
  }
  return out;
}

/** "v4" → "v5" past the highest existing version; undefined when names do not end in a number. */
function suggestNextVersion(versions: PromptVersion[]): string | undefined {
  const names = versions.map((v) => v.version).sort(compareVersions);
  const last = names.at(-1);
  const m = last === undefined ? null : /^(.*?)(\d+)$/.exec(last);
  if (!m) return undefined;
  const [, prefix = "", digits = "0"] = m;
  let n = Number(digits) + 1;
  while (names.includes(`${prefix}${n}`)) n++;
  return `${prefix}${n}`;
}

function indexByFile<T extends { file: string }>(items: T[]): Map<string, T> {
  return new Map(items.map((item) => [item.file, item]));
}

function key(prompt: string, version: string): string {
  return `${prompt}@${version}`;
}

function dirOf(file: string): string {
  return file.slice(0, file.lastIndexOf("/"));
}

/** Keeps plans free of `key: undefined`, so they compare and serialise cleanly. */
function dropUndefined(plan: PlannedEvaluation): PlannedEvaluation {
  return JSON.parse(JSON.stringify(plan)) as PlannedEvaluation;
}
