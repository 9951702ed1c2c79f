import { describe, expect, it } from "vitest";
import { PromptgateError } from "../../../src/errors.js";
import { goldenSetSchema } from "../../../src/formats/golden-set.js";
import { locator, parseYaml } from "../../../src/formats/located-yaml.js";
import type { LoadedGoldenSet } from "../../../src/formats/repo.js";
import { parseSettings } from "../../../src/formats/settings.js";
import {
  countSuite,
  describeSuiteCount,
  resolveSuite,
  selectSuiteCases,
} from "../../../src/formats/suites.js";

const SETTINGS = parseSettings(`version: 1
suites:
  smoke: { tags: [critical, smoke] }
  full: {}
  extended: { tags: [adversarial], include-untagged: true }
`);

const GOLDEN_SET = `cases:
  - id: tagged-smoke
    tags: [smoke]
    assert: [{ type: contains, value: a }]
  - id: critical-only
    critical: true
    assert: [{ type: contains, value: a }]
  - id: adversarial
    tags: [adversarial]
    assert: [{ type: contains, value: a }]
  - id: untagged
    assert: [{ type: contains, value: a }]
  - id: both
    tags: [smoke, adversarial]
    assert: [{ type: contains, value: a }]
`;

function loadSet(): LoadedGoldenSet {
  const file = "evals/greet.yaml";
  const parsed = parseYaml(GOLDEN_SET, file, goldenSetSchema);
  return { prompt: "greet", file, set: parsed.value, locator: locator(parsed, file) };
}

const ids = (g: LoadedGoldenSet) => g.set.cases.map((c) => c.id);

describe("suites", () => {
  it("select the tagged cases, critical ones by the tag `critical`, untagged ones only when asked", () => {
    const set = loadSet();
    expect(ids(selectSuiteCases(set, resolveSuite(SETTINGS, "smoke")))).toEqual([
      "tagged-smoke",
      "critical-only",
      "both",
    ]);
    expect(ids(selectSuiteCases(set, resolveSuite(SETTINGS, "full")))).toEqual(ids(set));
    expect(ids(selectSuiteCases(set, resolveSuite(SETTINGS, "extended")))).toEqual([
      "adversarial",
      "untagged",
      "both",
    ]);
  });

  it("keep each selected case's own lines for located errors", () => {
    const set = loadSet();
    const smoke = selectSuiteCases(set, resolveSuite(SETTINGS, "smoke"));
    // The third case of the suite is the fifth of the file, at its line.
    expect(smoke.locator?.at(["cases", 2, "id"]).line).toBe(
      set.locator?.at(["cases", 4, "id"]).line,
    );
    expect(smoke.locator?.at(["cases", 2, "id"]).line).toBe(13);
  });

  it("count the suite's cases against the golden sets'", () => {
    const set = loadSet();
    const suite = resolveSuite(SETTINGS, "smoke");
    const count = countSuite(suite, [{ full: set, selected: selectSuiteCases(set, suite) }]);
    expect(describeSuiteCount(count)).toBe("suite smoke: 3 of 5 cases");
  });

  it("an unknown name is bad usage naming the suites there are, with a did-you-mean", () => {
    let error: unknown;
    try {
      resolveSuite(SETTINGS, "smokee");
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PromptgateError);
    expect(error).toMatchObject({
      code: "E_USAGE",
      message: 'unknown suite "smokee"; did you mean "smoke"?',
      hint: expect.stringContaining("smoke, full, extended"),
    });
  });
});
