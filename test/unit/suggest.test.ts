import { describe, expect, it } from "vitest";
import { suggestClosest } from "../../src/suggest.js";

describe("suggestClosest", () => {
  const envs = ["staging", "canary", "production"] as const;

  it("finds a slip of the keyboard, ignoring case", () => {
    expect(suggestClosest("prodution", envs)).toBe("production");
    expect(suggestClosest("PRODUCTON", envs)).toBe("production");
    expect(suggestClosest("canray", envs)).toBe("canary"); // a swapped pair is two edits
  });

  it("never makes a far guess, and allows one edit only in short words", () => {
    expect(suggestClosest("qa", envs)).toBeUndefined();
    expect(suggestClosest("dev", ["prod", "devs"])).toBe("devs");
    expect(suggestClosest("dve", ["dev"])).toBeUndefined();
  });

  it("takes an abbreviation only when asked, and only from that length", () => {
    expect(suggestClosest("prod", envs)).toBeUndefined();
    expect(suggestClosest("prod", envs, { abbreviationsFrom: 3 })).toBe("production");
    expect(suggestClosest("pr", envs, { abbreviationsFrom: 3 })).toBeUndefined();
  });
});
