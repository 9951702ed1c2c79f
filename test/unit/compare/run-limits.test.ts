import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { checkRunLimits, describeWork } from "../../../src/compare/run-limits.js";
import { approximateChatTokens, countChatTokens } from "../../../src/cost/tokens.js";
import { selectTargets } from "../../../src/engine/select-targets.js";
import { renderPrompt } from "../../../src/formats/prompt-file.js";
import { loadRepo } from "../../../src/formats/repo.js";
import { worktreeSource } from "../../../src/io/file-sources.js";

const demoTargets = async () => {
  const repo = await loadRepo(worktreeSource(resolve("examples")));
  return { repo, targets: selectTargets(repo, { prompts: [] }) };
};

describe("the pre-run estimate", () => {
  it("counts by characters within 25 % of the tokenizer on every demo prompt's cases", async () => {
    const { targets } = await demoTargets();
    expect(targets.length).toBe(3);
    for (const t of targets) {
      let exact = 0;
      let approximate = 0;
      for (const c of t.goldenSet.set.cases) {
        const messages = await renderPrompt(t.version, c.vars);
        exact += await countChatTokens(messages, t.version.model);
        approximate += approximateChatTokens(messages);
      }
      expect(approximate / exact, t.version.file).toBeGreaterThan(0.75);
      expect(approximate / exact, t.version.file).toBeLessThan(1.25);
    }
  });

  it("uses the tokenizer only when a max-cost limit decides on it, and says which it used", async () => {
    const { repo, targets } = await demoTargets();
    const limits = repo.settings.limits;
    expect(limits.maxCost).toBeUndefined();
    const shown = await checkRunLimits(targets, limits, repo.settings.prices);
    const checked = await checkRunLimits(
      targets,
      { ...limits, maxCost: 1000 },
      repo.settings.prices,
    );
    expect(shown.counted).toBe("characters");
    expect(checked.counted).toBe("tokens");
    expect(shown.samples).toBe(checked.samples);
    expect(shown.costUsd).not.toBeNull();
    expect(checked.costUsd).not.toBeNull();
    expect(shown.costUsd).not.toBe(checked.costUsd);
    expect((shown.costUsd ?? 0) / (checked.costUsd ?? 1)).toBeCloseTo(1, 0);
    expect(describeWork(shown)).toMatch(/^\d[\d,]* samples, estimated cost ≈ \$\d/);
    expect(describeWork(checked)).toMatch(/^\d[\d,]* samples, estimated cost \$\d/);
  });
});
