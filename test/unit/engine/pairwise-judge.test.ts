import { describe, expect, it } from "vitest";
import { AssertionInfraError } from "../../../src/engine/assertions/infra-error.js";
import { buildPairwiseRequest, parsePairwiseReply } from "../../../src/engine/pairwise-judge.js";

describe("the pairwise judge", () => {
  it("puts the input and both answers in their tags, at temperature 0", () => {
    const req = buildPairwiseRequest("judge-1", '{"q": 1}', "first", "second");
    expect(req.model).toBe("judge-1");
    expect(req.params).toEqual({ temperature: 0 });
    expect(req.messages[0]?.content).toMatch(/^You are promptgate's pairwise judge\./);
    expect(req.messages[1]?.content).toBe(
      '<input>\n{"q": 1}\n</input>\n<answer_a>\nfirst\n</answer_a>\n<answer_b>\nsecond\n</answer_b>',
    );
  });

  it("reads the winner bare, fenced or inside prose, in any case", () => {
    expect(parsePairwiseReply('{"winner": "B", "reason": "r"}')).toEqual({
      winner: "B",
      reason: "r",
    });
    expect(parsePairwiseReply('```json\n{"winner": "a"}\n```')).toEqual({
      winner: "A",
      reason: "",
    });
    expect(parsePairwiseReply('I think {"winner": "Tie", "reason": "same"} here')).toEqual({
      winner: "tie",
      reason: "same",
    });
  });

  it("a reply without a readable winner is an infrastructure error, never a tie", () => {
    expect(() => parsePairwiseReply('{"winner": "C"}')).toThrow(AssertionInfraError);
    expect(() => parsePairwiseReply("A is better")).toThrow(AssertionInfraError);
  });
});
