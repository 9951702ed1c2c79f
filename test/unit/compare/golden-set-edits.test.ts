import { describe, expect, it } from "vitest";
import {
  describeGoldenSetEdits,
  editsExistingCases,
  findGoldenSetEdits,
} from "../../../src/compare/golden-set-edits.js";
import { goldenSetSchema } from "../../../src/formats/golden-set.js";
import { parseYaml } from "../../../src/formats/located-yaml.js";
import type { LoadedGoldenSet } from "../../../src/formats/repo.js";

const set = (yaml: string): LoadedGoldenSet => ({
  prompt: "p",
  file: "evals/p.yaml",
  set: parseYaml(yaml, "evals/p.yaml", goldenSetSchema).value,
});

const BASE = set(`cases:
  - id: a
    vars: { q: A }
    assert: [{ type: contains, value: A }, { type: not-contains, value: sorry }]
  - id: b
    vars: { q: B }
    assert: [{ type: similar, value: B, threshold: 0.9 }]
  - id: c
    vars: { q: C }
    assert: [{ type: equals, value: C }]
  - id: d
    vars: { q: D }
    assert: [{ type: contains, value: D }]
`);

describe("findGoldenSetEdits", () => {
  it("names removed, loosened and edited assertions of existing cases, and removed cases", () => {
    const head = set(`cases:
  - id: a
    vars: { q: A }
    assert: [{ type: contains, value: A }]
  - id: b
    vars: { q: B }
    assert: [{ type: similar, value: B, threshold: 0.5 }]
  - id: c
    vars: { q: C }
    assert: [{ type: equals, value: "C!" }]
  - id: e
    vars: { q: E }
    assert: [{ type: contains, value: E }]
`);
    const edits = findGoldenSetEdits(BASE, head);
    expect(edits).toMatchObject({
      added: 1,
      removedCases: ["d"],
      removedAssertions: ["a"],
      loosenedAssertions: ["b"],
      editedAssertions: ["c"],
    });
    expect(editsExistingCases(edits)).toBe(true);
    expect(describeGoldenSetEdits(BASE, head)).toBe(
      "1 case added, 1 case removed: d, assertions removed from a, assertions loosened in b, assertions edited in c",
    );
  });

  it("adding cases or assertions only asks more: no edit of existing cases", () => {
    const head = set(`cases:
  - id: a
    vars: { q: A }
    assert: [{ type: contains, value: A }, { type: not-contains, value: sorry }, { type: contains, value: "." }]
  - id: b
    vars: { q: B }
    assert: [{ type: similar, value: B, threshold: 0.95 }]
  - id: c
    vars: { q: C }
    assert: [{ type: equals, value: C }]
  - id: d
    vars: { q: D }
    assert: [{ type: contains, value: D }]
  - id: e
    vars: { q: E }
    assert: [{ type: contains, value: E }]
`);
    const edits = findGoldenSetEdits(BASE, head);
    // A raised threshold is an edit, but not a loosening.
    expect(edits.loosenedAssertions).toEqual([]);
    expect(edits.removedAssertions).toEqual([]);
    expect(edits.editedAssertions).toEqual(["b"]);
    const onlyAdded = findGoldenSetEdits(BASE, set(BASE_WITH_ADDED));
    expect(editsExistingCases(onlyAdded)).toBe(false);
  });
});

const BASE_WITH_ADDED = `cases:
  - id: a
    vars: { q: A }
    assert: [{ type: contains, value: A }, { type: not-contains, value: sorry }, { type: contains, value: "." }]
  - id: b
    vars: { q: B }
    assert: [{ type: similar, value: B, threshold: 0.9 }]
  - id: c
    vars: { q: C }
    assert: [{ type: equals, value: C }]
  - id: d
    vars: { q: D }
    assert: [{ type: contains, value: D }]
  - id: new
    vars: { q: N }
    assert: [{ type: contains, value: N }]
`;
