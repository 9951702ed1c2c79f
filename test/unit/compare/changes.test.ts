import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  describeChangeSet,
  describeEnvironmentChange,
  describeEvaluation,
} from "../../../src/compare/change-describe.js";
import type {
  ChangeSet,
  FileChange,
  PlannedEvaluation,
} from "../../../src/compare/change-types.js";
import { detectChanges, listRelevantPaths } from "../../../src/compare/changes.js";
import { markPinGates, planTargets } from "../../../src/compare/run-diff.js";
import type { PromptComparison } from "../../../src/compare/types.js";
import { PromptgateErrors } from "../../../src/errors.js";
import { loadRepo } from "../../../src/formats/repo.js";
import { gitRevisionSource, worktreeSource } from "../../../src/io/file-sources.js";
import { listChangedFiles, parseNameStatus } from "../../../src/io/git-changes.js";
import type { PromptChange } from "../../../src/report/model.js";
import { createGitRepo, type GitRepo } from "../../support/helpers/git-repo.js";

const promptFile = (body: string) =>
  `---\nmodel: gpt-4o-mini-2024-07-18\nconfig: { temperature: 0.2 }\n---\n{{role "system"}}\n${body}\n{{role "user"}}\n{{question}}\n`;

const goldenSet = (...ids: string[]) =>
  `# cases for the tests\ncases:\n${ids
    .map(
      (id) =>
        `  - id: ${id}\n    vars: { question: "${id}?" }\n    assert:\n      - { type: contains, value: "${id}" }\n`,
    )
    .join("")}`;

const ENVIRONMENTS = `environments:
  staging:
    prompts:
      support-answer: { version: v2 }
      triage: { version: v1 }
  canary:
    traffic: 5
    prompts:
      support-answer: { version: v2 }
  production:
    prompts:
      support-answer: { version: v2, model: gpt-4o-2024-08-06 }
      triage: { version: v1 }
freezes: {}
`;

/** Two prompts; support-answer v2 is live everywhere, v3 is a draft. */
const BASE_FILES: Record<string, string> = {
  "promptgate.yaml": "version: 1\n",
  "prompts/support-answer/v1.prompt": promptFile("Answer billing questions."),
  "prompts/support-answer/v2.prompt": promptFile("Answer billing questions. Quote the policy."),
  "prompts/support-answer/v3.prompt": promptFile("Answer billing questions. Quote it exactly."),
  "prompts/triage/v1.prompt": promptFile("Label the ticket."),
  "evals/support-answer.yaml": goldenSet("refund", "invoice"),
  "evals/triage.yaml": goldenSet("bug", "question"),
  "environments.yaml": ENVIRONMENTS,
  "README.md": "not ours\n",
};

let repo: GitRepo;
beforeEach(async () => {
  repo = await createGitRepo();
});
afterEach(async () => {
  await repo.remove();
});

/** Lists the changed files with git and runs detectChanges on the two revisions, as the CLI will. */
async function changesBetween(
  base: string,
  head: string | "worktree",
): Promise<{ files: FileChange[]; changes: ChangeSet }> {
  const baseRepo = await loadRepo(await gitRevisionSource(repo.root, base));
  const headRepo = await loadRepo(
    head === "worktree" ? worktreeSource(repo.root) : await gitRevisionSource(repo.root, head),
  );
  const files = await listChangedFiles(repo.root, base, head, {
    paths: listRelevantPaths(baseRepo.settings, headRepo.settings),
  });
  return { files, changes: detectChanges({ base: baseRepo, head: headRepo, changedFiles: files }) };
}

/** Commits the base fixture on main, then `edit` on branch "change"; returns both shas. */
async function baseThenChange(
  edit: Record<string, string | null>,
  baseFiles: Record<string, string | null> = BASE_FILES,
): Promise<{ base: string; head: string }> {
  const base = await repo.commit("base", baseFiles);
  await repo.branch("change");
  const head = await repo.commit("change", edit);
  return { base, head };
}

const byPath = (files: FileChange[]) => [...files].sort((a, b) => a.path.localeCompare(b.path));

describe("new versions", () => {
  it("compares a new version with the version pinned in production at base", async () => {
    const { base, head } = await baseThenChange({
      "prompts/support-answer/v4.prompt": promptFile("Answer billing questions, briefly."),
    });
    const { files, changes } = await changesBetween(base, head);

    expect(files).toEqual([{ status: "added", path: "prompts/support-answer/v4.prompt" }]);
    expect(changes).toEqual({
      evaluations: [
        {
          prompt: "support-answer",
          reason: "new-version",
          goldenSetChanged: false,
          base: {
            version: "v2",
            source: "baseline-pin",
            env: "production",
            model: "gpt-4o-2024-08-06",
            goldenSet: "base",
          },
          head: { version: "v4" },
        },
      ],
      environmentChanges: [],
      notices: [],
      errors: [],
    });
  });

  it("uses the environment named by settings.baseline", async () => {
    const { base, head } = await baseThenChange(
      { "prompts/triage/v2.prompt": promptFile("Label the ticket, with a reason.") },
      {
        ...BASE_FILES,
        "promptgate.yaml": "version: 1\nbaseline: canary\n",
        "environments.yaml": ENVIRONMENTS.replace(
          "  canary:\n    traffic: 5\n    prompts:\n",
          "  canary:\n    traffic: 5\n    prompts:\n      triage: { version: v1 }\n",
        ),
      },
    );
    const { changes } = await changesBetween(base, head);
    expect(changes.evaluations.map((e) => e.base)).toEqual([
      { version: "v1", source: "baseline-pin", env: "canary", goldenSet: "base" },
    ]);
  });

  it("compares with the latest earlier version when nothing is pinned", async () => {
    const { "environments.yaml": _, ...unpinned } = BASE_FILES;
    const { base, head } = await baseThenChange(
      { "prompts/support-answer/v10.prompt": promptFile("Answer in one paragraph.") },
      unpinned,
    );
    const { changes } = await changesBetween(base, head);
    expect(changes.errors).toEqual([]);
    // Natural order: v10 comes after v3, so v3 (not v1, the lexical neighbour) is the baseline.
    expect(changes.evaluations).toEqual([
      {
        prompt: "support-answer",
        reason: "new-version",
        goldenSetChanged: false,
        base: { version: "v3", source: "latest-earlier", goldenSet: "base" },
        head: { version: "v10" },
      },
    ]);
  });

  it("gives a brand-new prompt no base, and notes one without a golden set", async () => {
    const { base, head } = await baseThenChange({
      "prompts/summarize/v1.prompt": promptFile("Summarize the thread."),
      "evals/summarize.yaml": goldenSet("long-thread"),
      "prompts/classify/v1.prompt": promptFile("Classify."),
    });
    const { changes } = await changesBetween(base, head);
    expect(changes.evaluations).toEqual([
      {
        prompt: "summarize",
        reason: "new-prompt",
        goldenSetChanged: true,
        base: null,
        head: { version: "v1" },
      },
    ]);
    expect(changes.notices).toEqual([
      {
        kind: "no-golden-set",
        message: "classify@v1 not evaluated: no golden set evals/classify.yaml at head",
        prompt: "classify",
      },
    ]);
  });
});

describe("edited versions", () => {
  it("compares an edited draft with its own base content", async () => {
    const { base, head } = await baseThenChange({
      "prompts/support-answer/v3.prompt": promptFile("Answer billing questions. Be exact."),
    });
    const { files, changes } = await changesBetween(base, head);
    expect(files).toEqual([{ status: "modified", path: "prompts/support-answer/v3.prompt" }]);
    expect(changes.errors).toEqual([]);
    expect(changes.evaluations).toEqual([
      {
        prompt: "support-answer",
        reason: "edited-draft",
        goldenSetChanged: false,
        base: { version: "v3", source: "base-rev", goldenSet: "base" },
        head: { version: "v3" },
      },
    ]);
  });

  it("refuses an edit of a version that is live, naming the file and the next version", async () => {
    const { base, head } = await baseThenChange({
      "prompts/support-answer/v2.prompt": promptFile("Answer billing questions. Promise refunds."),
      "prompts/triage/v1.prompt": promptFile("Label the ticket. Quickly."),
      // Re-running the golden set would only measure the forbidden edit.
      "evals/triage.yaml": goldenSet("bug"),
    });
    const { changes } = await changesBetween(base, head);

    expect(changes.evaluations).toEqual([]);
    expect(changes.errors.map((e) => [e.code, e.message, e.location])).toEqual([
      [
        "E_LIVE_EDIT",
        "prompts/support-answer/v2.prompt: support-answer@v2 is live in staging, canary, production; add v4 instead",
        { file: "prompts/support-answer/v2.prompt" },
      ],
      [
        "E_LIVE_EDIT",
        "prompts/triage/v1.prompt: triage@v1 is live in staging, production; add v2 instead",
        { file: "prompts/triage/v1.prompt" },
      ],
    ]);
    expect(changes.errors[0]?.hint).toContain("prompts/support-answer/v4.prompt");
  });

  it("judges liveness at base: a draft pinned by the same change is still a draft", async () => {
    const { base, head } = await baseThenChange({
      "prompts/support-answer/v3.prompt": promptFile("Answer billing questions. Be exact."),
      "environments.yaml": ENVIRONMENTS.replace(
        "  staging:\n    prompts:\n      support-answer: { version: v2 }",
        "  staging:\n    prompts:\n      support-answer: { version: v3 }",
      ),
    });
    const { changes } = await changesBetween(base, head);
    expect(changes.errors).toEqual([]);
    expect(changes.evaluations.map((e) => e.reason)).toEqual(["edited-draft"]);
    expect(changes.environmentChanges).toEqual([
      {
        kind: "pin",
        env: "staging",
        prompt: "support-answer",
        before: { version: "v2" },
        after: { version: "v3" },
        needsGate: true,
      },
    ]);
  });
});

describe("golden sets", () => {
  it("re-runs the baseline selection on both sides when only the golden set changed", async () => {
    const { base, head } = await baseThenChange({
      "evals/support-answer.yaml": goldenSet("refund", "invoice", "chargeback"),
    });
    const { changes } = await changesBetween(base, head);
    expect(changes.evaluations).toEqual([
      {
        prompt: "support-answer",
        reason: "golden-set",
        goldenSetChanged: true,
        base: {
          version: "v2",
          source: "baseline-pin",
          env: "production",
          model: "gpt-4o-2024-08-06",
          goldenSet: "base",
        },
        head: { version: "v2", env: "production", model: "gpt-4o-2024-08-06" },
      },
    ]);
  });

  it("ignores an edit that changes only comments", async () => {
    const { base, head } = await baseThenChange({
      "evals/support-answer.yaml": goldenSet("refund", "invoice").replace(
        "# cases for the tests",
        "# reworded comment",
      ),
    });
    const { files, changes } = await changesBetween(base, head);
    expect(files).toHaveLength(1);
    expect(changes.evaluations).toEqual([]);
  });

  it("folds a golden-set edit into the version evaluation of the same prompt", async () => {
    const { base, head } = await baseThenChange({
      "prompts/support-answer/v4.prompt": promptFile("Answer, briefly."),
      "evals/support-answer.yaml": goldenSet("refund", "chargeback"),
    });
    const { changes } = await changesBetween(base, head);
    expect(changes.evaluations.map((e) => [e.reason, e.goldenSetChanged, e.head.version])).toEqual([
      ["new-version", true, "v4"],
    ]);
    // Each side graded by its own cases would credit v4 with the edit of the cases.
    expect(changes.evaluations[0]?.base?.goldenSet).toBe("head");
    expect(changes.notices).toEqual([
      {
        kind: "golden-set-changed",
        message:
          "evals/support-answer.yaml changed in this pull request (1 case added, 1 case removed: invoice); both sides run its new cases, so Δ measures the prompt alone",
        prompt: "support-answer",
        file: "evals/support-answer.yaml",
      },
    ]);
  });

  it("grades both sides with one golden set in which a case critical at base stays critical", async () => {
    const critical = goldenSet("refund", "invoice").replace(
      "  - id: refund\n",
      "  - id: refund\n    critical: true\n",
    );
    const loosened = critical
      .replace("    critical: true\n", "")
      .replace('{ type: contains, value: "invoice" }', '{ type: contains, value: "e" }');
    const { base, head } = await baseThenChange(
      {
        "prompts/support-answer/v4.prompt": promptFile("Answer, briefly."),
        "evals/support-answer.yaml": loosened,
      },
      { ...BASE_FILES, "evals/support-answer.yaml": critical },
    );
    const baseRepo = await loadRepo(await gitRevisionSource(repo.root, base));
    const headRepo = await loadRepo(await gitRevisionSource(repo.root, head));
    const { changes } = await changesBetween(base, head);
    expect(changes.notices.map((n) => n.message)).toEqual([
      "evals/support-answer.yaml changed in this pull request (assertions edited in invoice, critical dropped from refund (still gated as critical)); both sides run its new cases, so Δ measures the prompt alone",
    ]);
    const [pair] = planTargets({ base: baseRepo, head: headRepo, changes });
    expect(pair?.base?.goldenSet).toBe(pair?.head.goldenSet);
    expect(pair?.head.goldenSet.set.cases.map((c) => [c.id, c.critical])).toEqual([
      ["refund", true],
      ["invoice", false],
    ]);
  });

  it("keeps each side's golden set when the base version reads a variable the new cases renamed", async () => {
    const { base, head } = await baseThenChange({
      "prompts/support-answer/v4.prompt": promptFile("Answer, briefly.").replace(
        "{{question}}",
        "{{query}}",
      ),
      "evals/support-answer.yaml": goldenSet("refund", "chargeback").replaceAll(
        "vars: { question:",
        "vars: { query:",
      ),
    });
    const baseRepo = await loadRepo(await gitRevisionSource(repo.root, base));
    const headRepo = await loadRepo(await gitRevisionSource(repo.root, head));
    const { changes } = await changesBetween(base, head);
    expect(changes.errors).toEqual([]);
    expect(changes.evaluations.map((e) => [e.reason, e.base?.version, e.head.version])).toEqual([
      ["new-version", "v2", "v4"],
    ]);
    // On the head's cases v2 would render {{question}} empty and lose for that alone.
    expect(changes.evaluations[0]?.base?.goldenSet).toBe("base");
    expect(changes.notices).toEqual([
      {
        kind: "golden-set-changed",
        message:
          "evals/support-answer.yaml changed in this pull request (1 case added, 1 case removed: invoice, vars changed in refund); the base version support-answer@v2 reads {{question}}, which the new cases no longer give, so each side runs its own cases",
        prompt: "support-answer",
        file: "evals/support-answer.yaml",
      },
    ]);
    const [pair] = planTargets({ base: baseRepo, head: headRepo, changes });
    expect(pair?.base?.goldenSet.set.cases.map((c) => c.vars)).toEqual([
      { question: "refund?" },
      { question: "invoice?" },
    ]);
    expect(pair?.head.goldenSet.set.cases.map((c) => c.vars)).toEqual([
      { query: "refund?" },
      { query: "chargeback?" },
    ]);
  });

  it("runs the head's golden set on the base side when base has none", async () => {
    const { "evals/triage.yaml": _, ...withoutSet } = BASE_FILES;
    const { base, head } = await baseThenChange(
      { "evals/triage.yaml": goldenSet("bug") },
      withoutSet,
    );
    const { changes } = await changesBetween(base, head);
    expect(changes.evaluations).toEqual([
      {
        prompt: "triage",
        reason: "golden-set",
        goldenSetChanged: true,
        base: {
          version: "v1",
          source: "baseline-pin",
          env: "production",
          goldenSet: "head",
        },
        head: { version: "v1", env: "production" },
      },
    ]);
    expect(changes.notices.map((n) => n.kind)).toEqual(["golden-set-from-head"]);
  });
});

describe("repeats: auto", () => {
  it("runs a new prompt, with nothing to compare, at the adaptive design's first fill", async () => {
    const { base, head } = await baseThenChange({
      "prompts/summary/v1.prompt": promptFile("Summarise."),
      "evals/summary.yaml": `repeats: auto\n${goldenSet("short", "long").replace("# cases for the tests\n", "")}`,
      "prompts/support-answer/v4.prompt": promptFile("Answer, briefly."),
      "evals/support-answer.yaml": `repeats: auto\n${goldenSet("refund", "invoice")}`,
    });
    const baseRepo = await loadRepo(await gitRevisionSource(repo.root, base));
    const headRepo = await loadRepo(await gitRevisionSource(repo.root, head));
    const { changes } = await changesBetween(base, head);
    const pairs = planTargets({ base: baseRepo, head: headRepo, changes });
    expect(pairs.map((p) => [p.evaluation.prompt, p.adaptive, p.head.repeats])).toEqual([
      ["summary", false, 3],
      ["support-answer", true, 10],
    ]);
  });
});

describe("golden-set vars", () => {
  it("refuses a misspelt var in a golden set about to run, and only there", async () => {
    const typo = (set: string) =>
      set.replace('vars: { question: "bug?" }', 'vars: { questoin: "bug?" }');
    const { base, head } = await baseThenChange({
      "prompts/support-answer/v4.prompt": promptFile("Answer, briefly."),
      "evals/triage.yaml": typo(goldenSet("bug", "question")),
    });
    const { changes } = await changesBetween(base, head);
    // triage's golden set changed, so it runs again; support-answer's is clean.
    expect(changes.errors.map((e) => e.message)).toEqual([
      'evals/triage.yaml:4:13: case "bug": var "questoin" is read by no version of triage; did you mean "question"?',
    ]);
  });
});

describe("model swaps", () => {
  it("evaluates a pin that keeps its version and changes its model, once per swap", async () => {
    const { base, head } = await baseThenChange({
      "environments.yaml": ENVIRONMENTS
        // production: gpt-4o → the front matter's gpt-4o-mini, a swap
        .replace(
          "      support-answer: { version: v2, model: gpt-4o-2024-08-06 }",
          "      support-answer: { version: v2 }",
        )
        // staging: the front matter's model made explicit, no swap
        .replace(
          "  staging:\n    prompts:\n      support-answer: { version: v2 }",
          "  staging:\n    prompts:\n      support-answer: { version: v2, model: gpt-4o-mini-2024-07-18 }",
        ),
    });
    const baseRepo = await loadRepo(await gitRevisionSource(repo.root, base));
    const headRepo = await loadRepo(await gitRevisionSource(repo.root, head));
    const { changes } = await changesBetween(base, head);
    expect(changes.evaluations).toEqual([
      {
        prompt: "support-answer",
        reason: "model-swap",
        goldenSetChanged: false,
        base: {
          version: "v2",
          source: "baseline-pin",
          env: "production",
          model: "gpt-4o-2024-08-06",
          goldenSet: "head",
        },
        head: { version: "v2", env: "production", model: "gpt-4o-mini-2024-07-18" },
      },
    ]);
    expect(describeEvaluation(changes.evaluations[0] as PlannedEvaluation)).toBe(
      "support-answer v2 (pinned in production, model gpt-4o-2024-08-06) → v2 (model gpt-4o-mini-2024-07-18): model swap",
    );
    const [pair] = planTargets({ base: baseRepo, head: headRepo, changes });
    expect([pair?.base?.model, pair?.head.model]).toEqual([
      "gpt-4o-2024-08-06",
      "gpt-4o-mini-2024-07-18",
    ]);
  });
});

describe("fallback targets", () => {
  it("evaluates a new fallback model like a model swap, and says why one on another endpoint is not", async () => {
    const { base, head } = await baseThenChange({
      "environments.yaml": ENVIRONMENTS.replace(
        "      support-answer: { version: v2, model: gpt-4o-2024-08-06 }",
        `      support-answer:
        version: v2
        model: gpt-4o-2024-08-06
        fallback:
          - { model: gpt-4.1-mini }
          - { model: llama3.1, base-url: "https://llm.example.com/v1" }`,
      ),
    });
    const { changes } = await changesBetween(base, head);
    expect(changes.evaluations).toEqual([
      {
        prompt: "support-answer",
        reason: "model-swap",
        goldenSetChanged: false,
        base: {
          version: "v2",
          source: "baseline-pin",
          env: "production",
          model: "gpt-4o-2024-08-06",
          goldenSet: "head",
        },
        head: { version: "v2", env: "production", model: "gpt-4.1-mini" },
      },
    ]);
    expect(changes.notices).toEqual([
      {
        kind: "fallback-not-evaluated",
        message:
          "support-answer@v2 on fallback llama3.1 (production) not evaluated: its base-url is not the run's endpoint, which comes from the base",
        prompt: "support-answer",
      },
    ]);
    // A change of fallbacks alone reads as one, not as "v2 → v2".
    expect(changes.environmentChanges.map(describeEnvironmentChange)).toEqual([
      "production: support-answer v2 (gpt-4o-2024-08-06) → v2 (gpt-4o-2024-08-06; fallback gpt-4.1-mini, llama3.1 at https://llm.example.com/v1)",
    ]);
  });

  it("does not evaluate a fallback the base already lists", async () => {
    const withFallback = ENVIRONMENTS.replace(
      "      support-answer: { version: v2, model: gpt-4o-2024-08-06 }",
      "      support-answer: { version: v2, model: gpt-4o-2024-08-06, fallback: [{ model: gpt-4.1-mini }] }",
    );
    const { base, head } = await baseThenChange(
      { "environments.yaml": withFallback.replace("traffic: 5", "traffic: 10") },
      { ...BASE_FILES, "environments.yaml": withFallback },
    );
    const { changes } = await changesBetween(base, head);
    expect(changes.evaluations).toEqual([]);
  });
});

describe("deletions and renames", () => {
  it("reports a deleted prompt and a deleted draft version without evaluating anything", async () => {
    const { "environments.yaml": envs = "", ...rest } = BASE_FILES;
    const { base, head } = await baseThenChange(
      {
        "prompts/triage/v1.prompt": null,
        "evals/triage.yaml": null,
        "environments.yaml": envs.replaceAll("      triage: { version: v1 }\n", ""),
        "prompts/support-answer/v3.prompt": null,
      },
      { ...rest, "environments.yaml": envs },
    );
    const { files, changes } = await changesBetween(base, head);
    expect(byPath(files).map((f) => [f.status, f.path])).toEqual([
      ["modified", "environments.yaml"],
      ["deleted", "evals/triage.yaml"],
      ["deleted", "prompts/support-answer/v3.prompt"],
      ["deleted", "prompts/triage/v1.prompt"],
    ]);
    expect(changes.evaluations).toEqual([]);
    expect(changes.errors).toEqual([]);
    expect(changes.notices).toEqual([
      {
        kind: "deleted-version",
        message: "support-answer@v3 was deleted",
        prompt: "support-answer",
        file: "prompts/support-answer/v3.prompt",
      },
      { kind: "deleted-prompt", message: "prompt triage was deleted (had v1)", prompt: "triage" },
    ]);
    expect(changes.environmentChanges.map(describeEnvironmentChange)).toEqual([
      "staging: triage v1 → (unpinned)",
      "production: triage v1 → (unpinned)",
    ]);
  });

  it("flags a deleted version that the head still pins", async () => {
    const { base, head } = await baseThenChange({ "prompts/triage/v1.prompt": null });
    // loadRepo already refuses such a head; detectChanges must not rely on that.
    await expect(loadRepo(await gitRevisionSource(repo.root, head))).rejects.toThrow(
      PromptgateErrors,
    );
    const baseRepo = await loadRepo(await gitRevisionSource(repo.root, base));
    const headRepo = { ...baseRepo, prompts: new Map(baseRepo.prompts) };
    headRepo.prompts.delete("triage");
    const changes = detectChanges({
      base: baseRepo,
      head: headRepo,
      changedFiles: await listChangedFiles(repo.root, base, head),
    });
    expect(changes.errors.map((e) => [e.code, e.message])).toEqual([
      [
        "E_LIVE_EDIT",
        "environments.yaml: triage@v1 is deleted but still pinned in staging, production",
      ],
    ]);
  });

  it("reports a renamed version file and evaluates it as the new version it is", async () => {
    await repo.commit("base", BASE_FILES);
    const base = (await repo.git("rev-parse", "HEAD")).trim();
    await repo.branch("change");
    await repo.git("mv", "prompts/support-answer/v3.prompt", "prompts/support-answer/v4.prompt");
    const head = await repo.commit("rename");

    const { files, changes } = await changesBetween(base, head);
    expect(files).toEqual([
      {
        status: "renamed",
        path: "prompts/support-answer/v4.prompt",
        oldPath: "prompts/support-answer/v3.prompt",
      },
    ]);
    expect(changes.notices.map((n) => [n.kind, n.message])).toEqual([
      [
        "renamed",
        "prompts/support-answer/v3.prompt was renamed to prompts/support-answer/v4.prompt",
      ],
      ["deleted-version", "support-answer@v3 was deleted"],
    ]);
    expect(changes.evaluations.map((e) => [e.reason, e.base?.version, e.head.version])).toEqual([
      ["new-version", "v2", "v4"],
    ]);
  });
});

describe("environments and settings", () => {
  it("shows before → after pins and traffic, flagging newly pinned versions", async () => {
    const { base, head } = await baseThenChange({
      "environments.yaml": `# promoted by the bot
environments:
  staging:
    prompts:
      support-answer: { version: v3 }
      triage: { version: v1, model: gpt-4o-2024-08-06 }
  canary:
    traffic: 20
    prompts:
      support-answer: { version: v3 }
  production:
    prompts:
      support-answer: { version: v2, model: gpt-4o-2024-08-06 }
      triage: { version: v1 }
freezes:
  production: { by: alice, reason: incident 42, since: "2025-01-01T00:00:00Z" }
`,
    });
    const { changes } = await changesBetween(base, head);
    // Staging's triage keeps v1 on another model: a deploy that is evaluated like a new version.
    expect(changes.evaluations.map(describeEvaluation)).toEqual([
      "triage v1 (pinned in staging, model gpt-4o-mini-2024-07-18) → v1 (model gpt-4o-2024-08-06): model swap",
    ]);
    expect(changes.environmentChanges).toEqual([
      {
        kind: "pin",
        env: "staging",
        prompt: "support-answer",
        before: { version: "v2" },
        after: { version: "v3" },
        needsGate: true,
      },
      {
        kind: "pin",
        env: "staging",
        prompt: "triage",
        before: { version: "v1" },
        after: { version: "v1", model: "gpt-4o-2024-08-06" },
        needsGate: false,
      },
      { kind: "traffic", env: "canary", before: 5, after: 20 },
      {
        kind: "pin",
        env: "canary",
        prompt: "support-answer",
        before: { version: "v2" },
        after: { version: "v3" },
        needsGate: true,
      },
      { kind: "freeze", env: "production", change: "frozen", by: "alice", reason: "incident 42" },
    ]);
    expect(changes.environmentChanges.map(describeEnvironmentChange)).toEqual([
      "staging: support-answer v2 → v3 (needs a passed gate)",
      "staging: triage v1 → v1 (gpt-4o-2024-08-06)",
      "canary: traffic 5% → 20%",
      "canary: support-answer v2 → v3 (needs a passed gate)",
      "production: frozen by alice (incident 42)",
    ]);
  });

  it("notices a change of promptgate.yaml alone and evaluates nothing", async () => {
    const { base, head } = await baseThenChange({
      "promptgate.yaml": "version: 1\nrepeats: 5\n",
      "README.md": "still not ours\n",
    });
    const { files, changes } = await changesBetween(base, head);
    expect(files).toEqual([{ status: "modified", path: "promptgate.yaml" }]);
    expect(changes).toEqual({
      evaluations: [],
      environmentChanges: [],
      notices: [
        {
          kind: "settings-changed",
          message: "promptgate.yaml changed; a settings change alone evaluates nothing",
          file: "promptgate.yaml",
        },
      ],
      errors: [],
    });
  });
});

describe("revisions", () => {
  it("in worktree mode sees staged, unstaged and untracked changes, and plain-mv renames", async () => {
    const base = await repo.commit("base", BASE_FILES);
    await repo.write({
      // unstaged edit of a draft
      "prompts/support-answer/v3.prompt": promptFile("Answer billing questions. Be exact."),
      // untracked new version
      "prompts/support-answer/v4.prompt": promptFile("Answer, briefly."),
      // staged new prompt with its golden set
      "prompts/summarize/v1.prompt": promptFile("Summarize."),
      "evals/summarize.yaml": goldenSet("thread"),
      // untracked, outside the relevant paths
      "notes.txt": "ignored\n",
    });
    await repo.git("add", "prompts/summarize", "evals/summarize.yaml");
    // moved without git: untracked at the new path, deleted at the old one
    await repo.write({
      "evals/triage.yaml": null,
      "evals/triage.yml": goldenSet("bug", "question"),
    });

    const { files, changes } = await changesBetween("main", "worktree");
    expect(byPath(files)).toEqual([
      { status: "added", path: "evals/summarize.yaml" },
      { status: "renamed", path: "evals/triage.yml", oldPath: "evals/triage.yaml" },
      { status: "added", path: "prompts/summarize/v1.prompt" },
      { status: "modified", path: "prompts/support-answer/v3.prompt" },
      { status: "added", path: "prompts/support-answer/v4.prompt" },
    ]);
    expect(changes.errors).toEqual([]);
    expect(changes.evaluations.map(describeEvaluation)).toEqual([
      "summarize (nothing to compare with) → v1: new prompt, golden set changed",
      "support-answer v3 (as at base) → v3: edited draft",
      "support-answer v2 (pinned in production, model gpt-4o-2024-08-06) → v4: new version",
    ]);
    // The same golden set under a new name is no change to triage.
    expect(changes.notices.map((n) => n.kind)).toEqual(["renamed"]);
    expect(base).toMatch(/^[0-9a-f]{40}$/);
  });

  it("measures base...head from the merge-base, against what is live at the base tip", async () => {
    await repo.commit("base", BASE_FILES);
    await repo.branch("feature");
    const head = await repo.commit("feature: add v4", {
      "prompts/support-answer/v4.prompt": promptFile("Answer, briefly."),
    });
    await repo.checkout("main");
    // After the fork, main promotes v3 and edits the golden set; neither is the feature's change.
    await repo.commit("main: promote v3", {
      "environments.yaml": ENVIRONMENTS.replace(
        "support-answer: { version: v2, model: gpt-4o-2024-08-06 }",
        "support-answer: { version: v3 }",
      ),
      "evals/support-answer.yaml": goldenSet("refund", "invoice", "dispute"),
    });
    const mergeBase = (await repo.git("merge-base", "main", "feature")).trim();
    expect(mergeBase).not.toBe((await repo.git("rev-parse", "main")).trim());

    const { files, changes } = await changesBetween("main", head);
    expect(files).toEqual([{ status: "added", path: "prompts/support-answer/v4.prompt" }]);
    expect(changes.environmentChanges).toEqual([]);
    expect(changes.evaluations).toEqual([
      {
        prompt: "support-answer",
        reason: "new-version",
        goldenSetChanged: false,
        base: { version: "v3", source: "baseline-pin", env: "production", goldenSet: "base" },
        head: { version: "v4" },
      },
    ]);

    // The same holds for the working tree of the feature branch.
    await repo.checkout("feature");
    await repo.write({ "prompts/triage/v2.prompt": promptFile("Label, with a reason.") });
    const worktree = await listChangedFiles(repo.root, "main", "worktree");
    expect(byPath(worktree)).toEqual([
      { status: "added", path: "prompts/support-answer/v4.prompt" },
      { status: "added", path: "prompts/triage/v2.prompt" },
    ]);
  });

  it("reports an unknown revision as a git error with a hint", async () => {
    await repo.commit("base", BASE_FILES);
    await expect(listChangedFiles(repo.root, "no-such-branch", "HEAD")).rejects.toMatchObject({
      code: "E_GIT",
    });
    await expect(listChangedFiles(repo.root, "no-such-branch", "worktree")).rejects.toMatchObject({
      code: "E_GIT",
      message: expect.stringContaining("no-such-branch"),
    });
  });

  it("gives paths relative to a root that is a subfolder of the repository", async () => {
    await repo.commit("base", { "app/promptgate.yaml": "version: 1\n", "other/x.txt": "x\n" });
    await repo.write({
      "app/prompts/a/v1.prompt": promptFile("A."),
      "other/y.txt": "outside\n",
    });
    const files = await listChangedFiles(`${repo.root}/app`, "main", "worktree");
    expect(files).toEqual([{ status: "added", path: "prompts/a/v1.prompt" }]);
  });
});

describe("parseNameStatus and describeChangeSet", () => {
  it("reads copies, type changes and unmerged paths", () => {
    const out = ["C075", "a.txt", "b.txt", "T", "link", "U", "conflict", "X", "odd", ""].join("\0");
    expect(parseNameStatus(out)).toEqual([
      { status: "added", path: "b.txt" },
      { status: "modified", path: "link" },
      { status: "modified", path: "conflict" },
    ]);
  });

  it("lists errors first, then evaluations, deploys and notes", async () => {
    const { base, head } = await baseThenChange({
      "prompts/triage/v1.prompt": promptFile("Edited live."),
      "prompts/support-answer/v4.prompt": promptFile("New."),
      "promptgate.yaml": "version: 1\nrepeats: 2\n",
    });
    const { changes } = await changesBetween(base, head);
    expect(describeChangeSet(changes)).toEqual([
      "error E_LIVE_EDIT: prompts/triage/v1.prompt: triage@v1 is live in staging, production; add v2 instead",
      "evaluate support-answer v2 (pinned in production, model gpt-4o-2024-08-06) → v4: new version",
      "note: promptgate.yaml changed; a settings change alone evaluates nothing",
    ]);
  });
});

describe("markPinGates", () => {
  const pinChange = {
    kind: "pin" as const,
    env: "production",
    prompt: "support-answer",
    before: { version: "v2" },
    after: { version: "v3" },
    needsGate: true,
  };
  const comparison = (blocked: boolean) =>
    ({
      prompt: "support-answer",
      head: { version: "v3" },
      blocked,
      verdict: blocked ? "worse" : "noise",
    }) as unknown as PromptComparison;
  const changeOf = (kind: PromptChange["kind"]): PromptChange => ({
    prompt: "support-answer",
    kind,
    headVersion: "v3",
  });
  const changes: ChangeSet = {
    evaluations: [],
    environmentChanges: [pinChange],
    notices: [],
    errors: [],
  };

  it("marks a newly pinned version with the gate this run gave it", () => {
    const result = { comparisons: [comparison(true)], changes: [changeOf("new-version")] };
    expect(markPinGates(changes, result)).toEqual([{ ...pinChange, gatePassed: false }]);
  });

  it("never takes a model swap of that version for the version's own gate", () => {
    const result = { comparisons: [comparison(true)], changes: [changeOf("model-swap")] };
    expect(markPinGates(changes, result)).toEqual([{ ...pinChange, gatePassed: null }]);
  });
});
