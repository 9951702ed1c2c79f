import type { PromptgateError } from "../errors.js";
import type { Pin } from "../formats/environments.js";

/**
 * What a change between two revisions means for promptgate: which prompt versions to evaluate on
 * each side, how the pins move, and what to tell the reviewer. Produced by `detectChanges`, read by
 * the eval planner, the report and the CLI/action edges.
 */

/** One path from `git diff --name-status`; paths are POSIX, relative to the repository root. */
export interface FileChange {
  status: "added" | "modified" | "deleted" | "renamed";
  path: string;
  /** The path at base, for renames. */
  oldPath?: string;
}

export type EvaluationReason =
  /** A version file that does not exist at base, for a prompt that does. */
  | "new-version"
  /** A version whose content changed and that no environment pinned at base. */
  | "edited-draft"
  /** Only the golden set changed: the same selection is re-run on both sides. */
  | "golden-set"
  /** A prompt with no version at base: there is nothing to compare with. */
  | "new-prompt"
  /** environments.yaml keeps a pin's version and changes its model: old model against new. */
  | "model-swap";

/** Where the base side's version was chosen from (it always runs from the base revision). */
export type BaseSource =
  /** The same version name at base (an edited draft). */
  | "base-rev"
  /** The version pinned in the `baseline` environment at base. */
  | "baseline-pin"
  /** Nothing pinned: the latest base version that sorts before the head version. */
  | "latest-earlier"
  /** Nothing pinned and nothing earlier: the latest version at base. */
  | "latest";

/** Which revision's golden set a side runs. Each side runs its own, except when base has none. */
export type GoldenSetSide = "base" | "head";

export interface PlannedEvaluation {
  prompt: string;
  reason: EvaluationReason;
  /** The golden set changed too: both sides then run the head's cases, unless the base version needs a var they no longer give (see detectChanges). */
  goldenSetChanged: boolean;
  /** null: nothing to compare with (a brand-new prompt). */
  base: {
    version: string;
    source: BaseSource;
    /** The environment whose pin chose the version (source "baseline-pin" or a golden-set re-run). */
    env?: string;
    /** The model the pin overrides the front matter with, when it does. */
    model?: string;
    goldenSet: GoldenSetSide;
  } | null;
  head: { version: string; env?: string; model?: string };
}

export type EnvironmentChange =
  | {
      kind: "pin";
      env: string;
      prompt: string;
      /** null: the prompt was not pinned in this environment before / is unpinned after. */
      before: Pin | null;
      after: Pin | null;
      /**
       * A version newly pinned here: deploying it requires its gate to have passed (the caller
       * checks the status; a model-only swap keeps the version and so its gate).
       */
      needsGate: boolean;
    }
  | { kind: "traffic"; env: string; before: number | null; after: number | null }
  | { kind: "environment"; env: string; change: "added" | "removed" }
  | { kind: "freeze"; env: string; change: "frozen" | "unfrozen"; by?: string; reason?: string };

export type NoticeKind =
  | "deleted-prompt"
  | "deleted-version"
  | "deleted-golden-set"
  | "renamed"
  | "settings-changed"
  | "no-golden-set"
  | "golden-set-from-head"
  | "golden-set-changed"
  /** The pull request changes a setting the run takes from the base (see trusted-settings.ts). */
  | "setting-from-base"
  /** The pull request re-prices a model the base or the price table already prices. */
  | "price-ignored"
  /** The suite that ran (`--suite`) holds no case of a changed prompt's golden set. */
  | "outside-suite"
  /** A new fallback target the run cannot evaluate (another endpoint, or a version new here). */
  | "fallback-not-evaluated";

/** Something the reviewer should know that neither stops the run nor is evaluated. */
export interface Notice {
  kind: NoticeKind;
  message: string;
  prompt?: string;
  file?: string;
}

export interface ChangeSet {
  evaluations: PlannedEvaluation[];
  environmentChanges: EnvironmentChange[];
  notices: Notice[];
  /** Changes that must not merge (a live version edited, a pinned version deleted, a misspelt var in a golden set to run). */
  errors: PromptgateError[];
}

/*
 * What the report shows of the changes: the comparison produces them, so they live here, below
 * report/ that renders them.
 */

/** Why a prompt appears in the report. */
export type ChangeKind =
  | "new-version"
  | "edited-draft"
  | "golden-set"
  | "new-prompt"
  | "model-swap"
  | "deleted"
  | "renamed";

export interface PromptChange {
  prompt: string;
  kind: ChangeKind;
  baseVersion?: string;
  headVersion?: string;
  /** The file at head (or at base for a deletion). */
  file?: string;
  /** The path at base, for renames. */
  oldFile?: string;
  /** Unified diff of the prompt file, base → head. */
  promptDiff?: string;
}

/** An edit of environments.yaml, with whether each newly pinned version has passed its gate. */
export type ReportEnvironmentChange =
  | (Extract<EnvironmentChange, { kind: "pin" }> & {
      /** null: not checked (or not known yet). */
      gatePassed: boolean | null;
    })
  | Exclude<EnvironmentChange, { kind: "pin" }>;
