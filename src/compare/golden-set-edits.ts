import { isDeepStrictEqual } from "node:util";
import type { LoadedGoldenSet } from "../formats/repo.js";

/*
 * What a pull request's edit of a golden set does to the cases the base already had: the notice at
 * the top of the comment, the golden-set-edits gate, and the rule that keeps base-critical cases
 * critical. Kept apart from change detection, which only asks whether a golden set changed.
 */

/**
 * What an edit of a golden set did to its cases, in the words a reviewer checks: "2 cases removed,
 * 3 cases' assertions changed, critical dropped from refund-policy". Cases critical at base stay
 * critical for the gate (see withBaseCritical), so a dropped flag is named but does not loosen it.
 */
export function describeGoldenSetEdits(before: LoadedGoldenSet, after: LoadedGoldenSet): string {
  const e = findGoldenSetEdits(before, after);
  const cases = (n: number) => (n === 1 ? "1 case" : `${n} cases`);
  const parts: string[] = [];
  if (e.added > 0) parts.push(`${cases(e.added)} added`);
  if (e.removedCases.length > 0)
    parts.push(`${cases(e.removedCases.length)} removed: ${listIds(e.removedCases)}`);
  if (e.removedAssertions.length > 0)
    parts.push(`assertions removed from ${listIds(e.removedAssertions)}`);
  if (e.loosenedAssertions.length > 0)
    parts.push(`assertions loosened in ${listIds(e.loosenedAssertions)}`);
  if (e.editedAssertions.length > 0)
    parts.push(`assertions edited in ${listIds(e.editedAssertions)}`);
  if (e.changedVars.length > 0) parts.push(`vars changed in ${listIds(e.changedVars)}`);
  if (e.uncritical.length > 0)
    parts.push(`critical dropped from ${listIds(e.uncritical)} (still gated as critical)`);
  return parts.join(", ");
}

/** What a pull request did to the golden set's existing cases: what `golden-set-edits` gates. */
export interface GoldenSetEdits {
  added: number;
  removedCases: string[];
  /** Cases that lost an assertion (or a case `threshold`). */
  removedAssertions: string[];
  /** Cases whose assertion of the same type now asks less: a lower threshold, a higher distance. */
  loosenedAssertions: string[];
  /** Cases whose assertions changed otherwise (new values, other types). */
  editedAssertions: string[];
  changedVars: string[];
  uncritical: string[];
}

export function findGoldenSetEdits(
  before: LoadedGoldenSet,
  after: LoadedGoldenSet,
): GoldenSetEdits {
  const old = new Map(before.set.cases.map((c) => [c.id, c]));
  const now = new Set(after.set.cases.map((c) => c.id));
  const edits: GoldenSetEdits = {
    added: after.set.cases.filter((c) => !old.has(c.id)).length,
    removedCases: [...old.keys()].filter((id) => !now.has(id)),
    removedAssertions: [],
    loosenedAssertions: [],
    editedAssertions: [],
    changedVars: [],
    uncritical: [],
  };
  for (const c of after.set.cases) {
    const was = old.get(c.id);
    if (!was) continue;
    const kind = classifyAssertionEdit(was, c);
    if (kind === "removed") edits.removedAssertions.push(c.id);
    else if (kind === "loosened") edits.loosenedAssertions.push(c.id);
    else if (kind === "edited") edits.editedAssertions.push(c.id);
    if (!isDeepStrictEqual(was.vars, c.vars)) edits.changedVars.push(c.id);
    if (was.critical && !c.critical) edits.uncritical.push(c.id);
  }
  return edits;
}

/** Whether the existing cases were edited at all: added cases and added assertions are not. */
export function editsExistingCases(e: GoldenSetEdits): boolean {
  return (
    e.removedCases.length +
      e.removedAssertions.length +
      e.loosenedAssertions.length +
      e.editedAssertions.length +
      e.changedVars.length >
    0
  );
}

type CaseLike = { assert: unknown[]; threshold?: number | undefined };

/**
 * The worst thing an edit did to a case's assertions: an assertion gone outweighs one loosened,
 * which outweighs one reworded. Assertions are matched by position and type; an added one
 * (only asking more) is no edit.
 */
function classifyAssertionEdit(
  was: CaseLike,
  now: CaseLike,
): "removed" | "loosened" | "edited" | null {
  const remaining = [...now.assert];
  const lost: Record<string, unknown>[] = [];
  for (const a of was.assert) {
    const i = remaining.findIndex((b) => isDeepStrictEqual(a, b));
    if (i >= 0) remaining.splice(i, 1);
    else lost.push(a as Record<string, unknown>);
  }
  let worst: "removed" | "loosened" | "edited" | null = null;
  const rank = { removed: 3, loosened: 2, edited: 1 } as const;
  const note = (k: keyof typeof rank) => {
    if (worst === null || rank[k] > rank[worst]) worst = k;
  };
  for (const a of lost) {
    const i = remaining.findIndex((b) => (b as Record<string, unknown>).type === a.type);
    if (i < 0) {
      note("removed");
      continue;
    }
    const [b] = remaining.splice(i, 1) as Record<string, unknown>[];
    note(isLoosened(a, b ?? {}) ? "loosened" : "edited");
  }
  if (was.threshold !== undefined && now.threshold === undefined) note("removed");
  else if (
    was.threshold !== undefined &&
    now.threshold !== undefined &&
    now.threshold < was.threshold
  )
    note("loosened");
  return worst;
}

/** The same assertion asking less: a score threshold lowered, a distance (levenshtein) raised. */
function isLoosened(was: Record<string, unknown>, now: Record<string, unknown>): boolean {
  const before = was.threshold;
  const after = now.threshold;
  const { threshold: _a, ...restWas } = was;
  const { threshold: _b, ...restNow } = now;
  if (!isDeepStrictEqual(restWas, restNow)) return false;
  if (typeof before !== "number") return false;
  if (typeof after !== "number") return true;
  return was.type === "levenshtein" ? after > before : after < before;
}

function listIds(ids: string[]): string {
  return ids.length <= 3
    ? ids.join(", ")
    : `${ids.slice(0, 3).join(", ")} and ${ids.length - 3} more`;
}

/**
 * The golden set a pull request is graded with, where a case critical at base stays critical:
 * the critical gate is a rule about the product, and the branch under review cannot lift it.
 */
export function withBaseCritical(
  graded: LoadedGoldenSet,
  base: LoadedGoldenSet | undefined,
): LoadedGoldenSet {
  if (!base) return graded;
  const critical = new Set(base.set.cases.filter((c) => c.critical).map((c) => c.id));
  if (!graded.set.cases.some((c) => !c.critical && critical.has(c.id))) return graded;
  return {
    ...graded,
    set: {
      ...graded.set,
      cases: graded.set.cases.map((c) =>
        !c.critical && critical.has(c.id) ? { ...c, critical: true } : c,
      ),
    },
  };
}
