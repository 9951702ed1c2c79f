import { describe, expect, it } from "vitest";
import { PromptgateErrors } from "../../../src/errors.js";
import { parseSequenceInChunks } from "../../../src/formats/chunked-yaml.js";
import { goldenSetSchema, parseGoldenSet } from "../../../src/formats/golden-set.js";
import { parseYaml } from "../../../src/formats/located-yaml.js";

// The fast path must read a file exactly as the whole-file parse does, or decline.
const wholeFile = (text: string) => parseYaml(text, "evals/x.yaml", goldenSetSchema).value;

const SET = `# a comment before anything
description: support answers
cases:
  # leading comment inside the sequence
  - id: refund
    vars: { question: "Can I get a refund?" }
    assert:
      - { type: icontains, value: refund }
  - id: multi-line
    description: |
      a block scalar

      with a blank line
    vars:
      question: >-
        folded
        text
    critical: true
    tags: [billing]
    assert:
      - type: regex
        value: "\\\\d+"
  - id: anchors
    vars: &v { question: "anchored" }
    assert:
      - { type: contains, value: anchored }
  - id: alias-in-same-chunk
    vars: *v
    assert:
      - { type: equals, value: { a: 1 } }

  - id: last
    vars: { question: "last one" }
    assert: [{ type: starts-with, value: last }]
repeats: 2
`;

describe("golden sets parsed in chunks of cases", () => {
  it("reads a file as the whole-file parse does, whatever the chunk size", () => {
    const expected = wholeFile(SET);
    // (Chunks of 1 or 3 would split the anchor from its alias: the next test.)
    for (const size of [2, 4, 50]) {
      const raw = parseSequenceInChunks(SET, "cases", size);
      expect(raw, `chunks of ${size}`).toBeDefined();
      expect(goldenSetSchema.parse(raw)).toEqual(expected);
    }
    expect(parseGoldenSet(SET, "evals/x.yaml")).toEqual(expected);
    expect(expected.cases.map((c) => c.id)).toEqual([
      "refund",
      "multi-line",
      "anchors",
      "alias-in-same-chunk",
      "last",
    ]);
    expect(expected.repeats).toBe(2);
  });

  it("reads items written at column 0 and CRLF line ends", () => {
    const text =
      "cases:\r\n- id: a\r\n  assert: [{ type: icontains, value: a }]\r\n- id: b\r\n  assert: [{ type: icontains, value: b }]\r\n";
    expect(parseSequenceInChunks(text, "cases", 1)).toBeDefined();
    expect(parseGoldenSet(text, "evals/x.yaml")).toEqual(wholeFile(text));
  });

  it("declines shapes it does not split, and problems, so the whole-file parse reports them", () => {
    // An alias to an anchor in another chunk, a flow sequence, two documents, a duplicate key.
    const across = SET.replace("vars: *v", "vars: *v\n    description: split");
    expect(parseSequenceInChunks(across, "cases", 1)).toBeUndefined();
    expect(
      parseSequenceInChunks("cases: [{ id: a, assert: [{ type: equals, value: 1 }] }]", "cases"),
    ).toBeUndefined();
    expect(parseSequenceInChunks(`---\n${SET}`, "cases")).toBeUndefined();
    expect(parseSequenceInChunks(`${SET}description: again\n`, "cases")).toBeUndefined();
    expect(parseSequenceInChunks(`${SET}cases:\n  - id: z\n`, "cases")).toBeUndefined();
    expect(parseSequenceInChunks("cases:\n  - id: a\n   bad: indent\n", "cases")).toBeUndefined();
  });

  it("locates errors as the whole-file parse does", () => {
    const broken = SET.replace("type: starts-with", "type: starts-wit");
    const errorsOf = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        if (e instanceof PromptgateErrors) return e.errors.map((x) => [x.message, x.location]);
      }
      throw new Error("expected errors");
    };
    const located = errorsOf(() => parseGoldenSet(broken, "evals/x.yaml"));
    expect(located).toEqual(errorsOf(() => wholeFile(broken)));
    const line = broken.split("\n").findIndex((l) => l.includes("starts-wit")) + 1;
    expect(located[0]?.[1]).toMatchObject({ file: "evals/x.yaml", line });
    const dup = SET.replace("  - id: last", "  - id: refund");
    expect(errorsOf(() => parseGoldenSet(dup, "evals/x.yaml"))[0]?.[0]).toMatch(
      /duplicate case id/,
    );
  });
});
