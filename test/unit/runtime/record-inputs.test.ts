import { describe, expect, it } from "vitest";
import { PromptgateError } from "../../../src/errors.js";
import { parseShadowInputs } from "../../../src/formats/shadow-inputs.js";
import { createInputRecorder } from "../../../src/runtime/record-inputs.js";

describe("createInputRecorder", () => {
  it("records the share of requests its rate says, as lines `shadow --inputs` reads", () => {
    const lines: string[] = [];
    const draws = [0.005, 0.5, 0.009, 0.01];
    const record = createInputRecorder({
      rate: 0.01,
      write: (line) => lines.push(line),
      random: () => draws.shift() ?? 1,
    });
    const recorded = [1, 2, 3, 4].map((n) => record({ question: `q${n}` }));
    expect(recorded).toEqual([true, false, true, false]);
    expect(parseShadowInputs(lines.join(""), "t.jsonl").map((i) => i.vars)).toEqual([
      { question: "q1" },
      { question: "q3" },
    ]);
  });

  it("never fails the request: vars that cannot be written are reported and skipped", () => {
    const errors: unknown[] = [];
    const record = createInputRecorder({
      rate: 1,
      write: () => {
        throw new Error("disk full");
      },
      onError: (e) => errors.push(e),
    });
    expect(record({ n: 1 })).toBe(false);
    expect(record({ n: 10n })).toBe(false);
    expect(errors).toHaveLength(2);
  });

  it("refuses a rate outside 0..1", () => {
    expect(() => createInputRecorder({ rate: 5, write: () => {} })).toThrow(PromptgateError);
    expect(() => createInputRecorder({ rate: Number.NaN, write: () => {} })).toThrow(
      PromptgateError,
    );
  });
});
