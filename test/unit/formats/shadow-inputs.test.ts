import { describe, expect, it } from "vitest";
import { PromptgateError, PromptgateErrors } from "../../../src/errors.js";
import { parseShadowInputs, sampleShadowInputs } from "../../../src/formats/shadow-inputs.js";

describe("parseShadowInputs", () => {
  it("reads one object of vars per line, skipping blank lines, with file:line ids", () => {
    const inputs = parseShadowInputs('\uFEFF{"q": "a"}\n\n  {"q": "b", "n": 2}  \r\n', "t.jsonl");
    expect(inputs).toEqual([
      { id: "t.jsonl:1", line: 1, vars: { q: "a" } },
      { id: "t.jsonl:3", line: 3, vars: { q: "b", n: 2 } },
    ]);
  });

  it("names every bad line by file and line", () => {
    let caught: unknown;
    try {
      parseShadowInputs('{"q": 1}\n"text"\nnull\n{oops\n', "t.jsonl");
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(PromptgateErrors);
    const messages = (caught as PromptgateErrors).errors.map((e) => e.message);
    expect(messages).toEqual([
      "t.jsonl:2: a line must be one JSON object of vars, got string",
      "t.jsonl:3: a line must be one JSON object of vars, got null",
      expect.stringMatching(/^t\.jsonl:4: not JSON/),
    ]);
  });

  it("refuses a file without inputs", () => {
    expect(() => parseShadowInputs("\n\n", "t.jsonl")).toThrow(PromptgateError);
  });
});

describe("sampleShadowInputs", () => {
  const inputs = parseShadowInputs(
    Array.from({ length: 10 }, (_, i) => JSON.stringify({ i })).join("\n"),
    "t.jsonl",
  );

  it("draws n distinct inputs, kept in file order", () => {
    let k = 0;
    const picked = sampleShadowInputs(inputs, 4, (n) => (k++ * 7) % n);
    expect(picked).toHaveLength(4);
    expect(new Set(picked.map((p) => p.id)).size).toBe(4);
    const lines = picked.map((p) => p.line);
    expect(lines).toEqual([...lines].sort((a, b) => a - b));
  });

  it("keeps everything when n is not smaller than the file", () => {
    expect(sampleShadowInputs(inputs, 50, () => 0)).toHaveLength(10);
  });
});
