import { PromptgateError } from "../errors.js";
import { suggestClosest } from "../suggest.js";
import type { GoldenCase } from "./golden-set.js";
import type { Locator } from "./located-yaml.js";
import type { LoadedGoldenSet } from "./repo.js";
import type { Settings, SuiteDefinition } from "./settings.js";

/**
 * Tiered suites (`suites:` in promptgate.yaml): a named part of every golden set, so a push can
 * run the few cases that matter most and a nightly job the adversarial ones. One small function
 * per step, shared by `eval`, `diff`, the action and `drift`.
 */
export interface Suite {
  name: string;
  definition: SuiteDefinition;
}

/** How many of the golden sets' cases a suite ran: "suite smoke: 12 of 60 cases". */
export interface SuiteCount {
  name: string;
  cases: number;
  of: number;
}

/**
 * The suite `name` names in `settings` (the base's, for a pull request: which cases run decides
 * how it is judged). An unknown name is bad usage, with the names there are.
 */
export function resolveSuite(settings: Pick<Settings, "suites">, name: string): Suite {
  const names = Object.keys(settings.suites);
  const definition = Object.hasOwn(settings.suites, name) ? settings.suites[name] : undefined;
  if (definition) return { name, definition };
  const guess = suggestClosest(name, names);
  throw new PromptgateError(
    "E_USAGE",
    `unknown suite "${name}"${guess ? `; did you mean "${guess}"?` : ""}`,
    {
      hint: names.length
        ? `suites: ${names.join(", ")} (under suites: in promptgate.yaml)`
        : "promptgate.yaml defines no suites: add e.g. `suites: { smoke: { tags: [smoke] } }`",
    },
  );
}

/** Whether a case is in the suite; `critical: true` counts as the tag `critical`. */
export function isInSuite(c: Pick<GoldenCase, "tags" | "critical">, suite: Suite): boolean {
  const { tags, includeUntagged } = suite.definition;
  if (tags === undefined) return true;
  const has = c.critical ? [...c.tags, "critical"] : c.tags;
  if (has.length === 0) return includeUntagged;
  return has.some((t) => tags.includes(t));
}

/**
 * The golden set with only the suite's cases, in their order. Its locator still points at each
 * case's own lines (the paths it is asked for are of the kept cases, renumbered).
 */
export function selectSuiteCases(goldenSet: LoadedGoldenSet, suite: Suite): LoadedGoldenSet {
  const kept: number[] = [];
  goldenSet.set.cases.forEach((c, i) => {
    if (isInSuite(c, suite)) kept.push(i);
  });
  if (kept.length === goldenSet.set.cases.length) return goldenSet;
  const cases = kept.map((i) => goldenSet.set.cases[i] as GoldenCase);
  const out: LoadedGoldenSet = { ...goldenSet, set: { ...goldenSet.set, cases } };
  if (goldenSet.locator) out.locator = renumbered(goldenSet.locator, kept);
  return out;
}

/** "suite smoke: 12 of 60 cases", over the golden sets a run evaluated. */
export function countSuite(
  suite: Suite,
  goldenSets: readonly { full: LoadedGoldenSet; selected: LoadedGoldenSet }[],
): SuiteCount {
  let cases = 0;
  let of = 0;
  for (const g of goldenSets) {
    cases += g.selected.set.cases.length;
    of += g.full.set.cases.length;
  }
  return { name: suite.name, cases, of };
}

export function describeSuiteCount(s: SuiteCount): string {
  return `suite ${s.name}: ${s.cases} of ${s.of} case${s.of === 1 ? "" : "s"}`;
}

function renumbered(locator: Locator, kept: readonly number[]): Locator {
  const map = (path: readonly (string | number)[]): (string | number)[] => {
    const [head, index, ...rest] = path;
    if (head !== "cases" || typeof index !== "number") return [...path];
    return [head, kept[index] ?? index, ...rest];
  };
  return {
    at: (path) => locator.at(map(path)),
    key: (path, key) => locator.key(map(path), key),
    has: (path) => locator.has(map(path)),
  };
}
