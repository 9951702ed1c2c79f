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

describe("a loaded golden set's memory", () => {
  // Written by the code before cases were built in one fixed shape: the drift record hashes this
  // JSON (hashGoldenSet), so the fields present, and their order, must not move.
  const ORDER = `cases:
  - assert: [{ value: "{{q}} and", metric: m, type: not-icontains, threshold: 1 }]
    threshold: 0.5
    tags: [a]
    vars: { q: x }
    description: d
    id: one
  - id: two
    assert: [{ type: is-json }]
`;
  const ORDER_JSON =
    '{"cases":[{"id":"one","description":"d","vars":{"q":"x"},"critical":false,"tags":["a"],"threshold":0.5,"assert":[{"type":"icontains","negated":true,"value":"x and","threshold":1,"weight":1,"metric":"m"}],"assertVars":["q"]},{"id":"two","vars":{},"critical":false,"tags":[],"assert":[{"type":"is-json","negated":false,"weight":1}]}]}';

  it("serialises cases exactly as before, on the fast path and the whole-file one", () => {
    expect(JSON.stringify(parseGoldenSet(ORDER, "evals/x.yaml"))).toBe(ORDER_JSON);
    expect(JSON.stringify(wholeFile(ORDER))).toBe(ORDER_JSON);
    expect(JSON.stringify(parseGoldenSet(SET, "evals/x.yaml"))).toBe(
      JSON.stringify(wholeFile(SET)),
    );
  });

  it("shares the assertions and empty defaults that recur, and nothing that differs", () => {
    const text = `cases:
  - id: a
    assert: [{ type: regex, value: "\\\\d+" }, { type: icontains, value: a }]
  - id: b
    assert: [{ type: regex, value: "\\\\d+" }, { type: icontains, value: b }]
  - id: c
    vars: { x: 1 }
    assert:
      - { type: regex, value: "\\\\d+", metric: digits }
      - { type: regex, value: "\\\\d+", weight: 2 }
      - { type: not-regex, value: "\\\\d+" }
      - { type: contains-any, value: [a, b] }
  - id: d
    assert: [{ type: contains-any, value: [a, b] }]
`;
    const [a, b, c, d] = parseGoldenSet(text, "evals/x.yaml").cases;
    if (!a || !b || !c || !d) throw new Error("four cases");
    expect(a.assert[0]).toBe(b.assert[0]);
    expect(Object.isFrozen(a.assert[0])).toBe(true);
    expect(a.assert[1]).not.toBe(b.assert[1]);
    for (const other of c.assert) expect(other).not.toBe(a.assert[0]);
    // Lists stay per case (a list is an object the case could be told apart by).
    expect(c.assert[3]).not.toBe(d.assert[0]);
    expect(c.assert[3]).toEqual(d.assert[0]);
    expect(a.tags).toBe(b.tags);
    expect(a.vars).toBe(b.vars);
    expect(a.vars).not.toBe(c.vars);
    expect(c.vars).toEqual({ x: 1 });
  });

  it("flattens vars that alias themselves once, not once per path through them", () => {
    // Four aliases inside their own anchor: a walk by path would take 4^depth steps.
    const text = `cases:
  - id: a
    vars: &a { x: *a, y: *a, z: [*a, *a], s: "a long string value, to be flattened" }
    assert: [{ type: icontains, value: "{{s}}" }]
`;
    const [c] = parseGoldenSet(text, "evals/x.yaml").cases;
    const vars = c?.vars as { x: { x: unknown; s: string }; s: string };
    expect(vars.s).toBe("a long string value, to be flattened");
    expect(vars.x.x).toBe(vars.x);
    expect(c?.assert[0]?.value).toBe(vars.s);
  });

  it("reads each case as it is parsed, so a bad case still gets the located error", () => {
    const bad = SET.replace(
      "type: contains, value: anchored",
      "type: contains, value: 7, extra: 1",
    );
    expect(parseSequenceInChunks(bad, "cases", 2, () => undefined)).toBeUndefined();
    expect(() => parseGoldenSet(bad, "evals/x.yaml")).toThrow(/unknown key "extra"/);
  });
});
