import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { selectTargets } from "../../../src/engine/select-targets.js";
import { loadRepo, type Repo } from "../../../src/formats/repo.js";
import { worktreeSource } from "../../../src/io/file-sources.js";
import { errorOf } from "../../support/helpers/errors.js";

/** The demo repository: production pins support-answer@v2, ticket-triage@v1, summarize-thread@v1. */
const examples = (): Promise<Repo> => loadRepo(worktreeSource(resolve("examples")));

const PROD_MODEL = "gpt-4o-mini-2024-07-18";

/** What each target runs, as `prompt@version+model` (model: the pinned override, if any). */
function picked(repo: Repo, sel: Parameters<typeof selectTargets>[1]): string[] {
  return selectTargets(repo, sel).map(
    (t) => `${t.version.prompt}@${t.version.version}${t.model ? `+${t.model}` : ""}`,
  );
}

describe("selectTargets", () => {
  it("without --prompt or --env, runs every golden set at its latest version", async () => {
    const repo = await examples();
    expect(picked(repo, { prompts: [] }).sort()).toEqual([
      "summarize-thread@v2",
      "support-answer@v3",
      "ticket-triage@v2",
    ]);
  });

  it("--prompt NAME without --env runs that prompt's latest version; NAME@vN runs vN", async () => {
    const repo = await examples();
    expect(picked(repo, { prompts: ["support-answer"] })).toEqual(["support-answer@v3"]);
    expect(picked(repo, { prompts: ["support-answer@v1"] })).toEqual(["support-answer@v1"]);
  });

  it("--env alone runs every pin of the environment, with its versions and models", async () => {
    const repo = await examples();
    expect(picked(repo, { prompts: [], env: "production" })).toEqual([
      `support-answer@v2+${PROD_MODEL}`,
      `ticket-triage@v1+${PROD_MODEL}`,
      `summarize-thread@v1+${PROD_MODEL}`,
    ]);
  });

  it("--env with --prompt NAME runs only that prompt, at the version and model the environment pins", async () => {
    const repo = await examples();
    expect(picked(repo, { prompts: ["support-answer"], env: "production" })).toEqual([
      `support-answer@v2+${PROD_MODEL}`,
    ]);
    expect(
      picked(repo, { prompts: ["summarize-thread", "support-answer"], env: "staging" }),
    ).toEqual([`summarize-thread@v2+${PROD_MODEL}`, `support-answer@v2+${PROD_MODEL}`]);
  });

  it("--env with --prompt NAME@vN accepts vN when it is the pinned version", async () => {
    const repo = await examples();
    expect(picked(repo, { prompts: ["support-answer@v2"], env: "production" })).toEqual([
      `support-answer@v2+${PROD_MODEL}`,
    ]);
  });

  it("--env with --prompt NAME@vN refuses a version the environment does not pin", async () => {
    const repo = await examples();
    const err = errorOf(() =>
      selectTargets(repo, { prompts: ["support-answer@v3"], env: "production" }),
    );
    expect(err.code).toBe("E_USAGE");
    expect(err.message).toContain('environment "production" pins support-answer@v2, not v3');
    expect(err.hint).toContain("--prompt support-answer@v3 without --env");
  });

  it("--env with a --prompt the environment does not pin names the environment and its pins", async () => {
    const repo = await loadRepo(
      source({
        "environments.yaml":
          "environments:\n  production:\n    prompts:\n      support-answer: { version: v1 }\n",
      }),
    );
    const err = errorOf(() =>
      selectTargets(repo, { prompts: ["ticket-triage"], env: "production" }),
    );
    expect(err.code).toBe("E_NOT_FOUND");
    expect(err.message).toBe('environment "production" does not pin prompt "ticket-triage"');
    expect(err.hint).toContain("production pins: support-answer@v1");
    expect(err.hint).toContain("--prompt ticket-triage without --env");

    // A name that is no prompt at all says so too.
    const unknown = errorOf(() => selectTargets(repo, { prompts: ["nope"], env: "production" }));
    expect(unknown.message).toBe('environment "production" does not pin prompt "nope"');
    expect(unknown.hint).toContain("production pins: support-answer@v1");
    expect(unknown.hint).toContain('there is no prompt "nope"');
    // Not fooled by names an object inherits.
    expect(
      errorOf(() => selectTargets(repo, { prompts: ["toString"], env: "production" })).message,
    ).toBe('environment "production" does not pin prompt "toString"');
  });

  it("an environment that pins nothing is an error, not a run of every golden set", async () => {
    const repo = await loadRepo(
      source({ "environments.yaml": "environments:\n  staging:\n    prompts: {}\n" }),
    );
    const err = errorOf(() => selectTargets(repo, { prompts: [], env: "staging" }));
    expect(err.code).toBe("E_NOT_FOUND");
    expect(err.message).toBe('environment "staging" pins no prompts');
  });

  it("an unknown environment lists the known ones", async () => {
    const repo = await examples();
    const err = errorOf(() => selectTargets(repo, { prompts: ["support-answer"], env: "prod" }));
    expect(err.code).toBe("E_NOT_FOUND");
    expect(err.message).toBe('unknown environment "prod"');
    expect(err.hint).toBe("environments: staging, canary, production");
  });
});

/** A small in-memory repository: two prompts with golden sets, plus `over`. */
function source(over: Record<string, string>) {
  const prompt = "---\nmodel: gpt-4o-mini-2024-07-18\n---\nAnswer {{question}}\n";
  const golden = "cases:\n  - id: a\n    assert: [{ type: contains, value: x }]\n";
  const all: Record<string, string> = {
    "promptgate.yaml": "version: 1\n",
    "prompts/support-answer/v1.prompt": prompt,
    "prompts/ticket-triage/v1.prompt": prompt,
    "evals/support-answer.yaml": golden,
    "evals/ticket-triage.yaml": golden,
    ...over,
  };
  return {
    label: "test",
    read: async (p: string) => all[p],
    list: async (dir: string) => Object.keys(all).filter((f) => f.startsWith(`${dir}/`)),
  };
}
