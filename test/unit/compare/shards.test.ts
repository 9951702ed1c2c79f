import { describe, expect, it } from "vitest";
import { parseShard, shardOfCase } from "../../../src/compare/shards.js";
import { errorOf } from "../../support/helpers/errors.js";

describe("parseShard", () => {
  it("reads i/n", () => {
    expect(parseShard("2/4")).toEqual({ index: 2, count: 4 });
    expect(parseShard(" 1 / 1 ")).toEqual({ index: 1, count: 1 });
  });

  it.each(["0/4", "5/4", "1/0", "4", "a/b", "1/257", "-1/4"])(
    "refuses %s, naming the input",
    (t) => {
      const err = errorOf(() => parseShard(t, "input shard"));
      expect(err.code).toBe("E_USAGE");
      expect(err.message).toBe(`input shard must be i/n with 1 ≤ i ≤ n ≤ 256, got "${t}"`);
      expect(err.hint).toContain("matrix.shard");
    },
  );
});

describe("shardOfCase", () => {
  const ids = Array.from({ length: 400 }, (_, i) => `case-${i}`);

  it("spreads the cases of one golden set over every shard", () => {
    const counts = [0, 0, 0, 0];
    for (const id of ids) counts[shardOfCase("support-answer", id, 4) - 1]! += 1;
    for (const c of counts) expect(c).toBeGreaterThan(60);
  });

  it("depends on the prompt and the case id only: adding cases moves no other case", () => {
    const before = ids.map((id) => shardOfCase("support-answer", id, 4));
    const grown = ["new-case", ...ids, "another"];
    const after = grown.map((id) => shardOfCase("support-answer", id, 4));
    expect(after.slice(1, -1)).toEqual(before);
  });

  it("assigns the same case id of two prompts independently", () => {
    const a = ids.map((id) => shardOfCase("a", id, 4));
    const b = ids.map((id) => shardOfCase("b", id, 4));
    expect(a).not.toEqual(b);
  });
});
