import { describe, expect, it } from "vitest";
import {
  describeModelAlias,
  findModelAlias,
  isDatedModel,
} from "../../../src/cost/model-aliases.js";

describe("the model-alias lint", () => {
  it("flags undated aliases, naming the snapshots the price table prices as the alias", () => {
    expect(findModelAlias("gpt-4o-mini")).toEqual({
      model: "gpt-4o-mini",
      snapshots: ["gpt-4o-mini-2024-07-18"],
    });
    expect(findModelAlias("gpt-4o")?.snapshots).toEqual(["gpt-4o-2024-08-06", "gpt-4o-2024-11-20"]);
    expect(findModelAlias("gpt-4")?.snapshots).toEqual(["gpt-4-0314", "gpt-4-0613"]);
    // A provider prefix stays on the suggestion.
    expect(findModelAlias("openai/gpt-4.1")?.snapshots).toEqual(["openai/gpt-4.1-2025-04-14"]);
    // `-latest` is an alias whether or not the table knows a snapshot of it.
    expect(findModelAlias("claude-3-5-sonnet-latest")).toEqual({
      model: "claude-3-5-sonnet-latest",
      snapshots: [],
    });
  });

  it("never flags a dated snapshot, nor a model the table knows no snapshot of", () => {
    for (const dated of [
      "gpt-4o-2024-08-06",
      "gpt-4o-mini-2024-07-18",
      "gpt-4-0613",
      "claude-opus-4-20250514",
      "claude-sonnet-4@20250514",
      "openai/gpt-4.1-nano-2025-04-14",
    ]) {
      expect([dated, isDatedModel(dated), findModelAlias(dated)]).toEqual([dated, true, undefined]);
    }
    expect(findModelAlias("llama3.1:8b")).toBeUndefined();
    expect(findModelAlias("acme-ft-7b")).toBeUndefined();
  });

  it("says what to pin", () => {
    expect(
      describeModelAlias({ model: "gpt-4o-mini", snapshots: ["gpt-4o-mini-2024-07-18"] }),
    ).toBe(
      "model `gpt-4o-mini` is an undated alias; pin `gpt-4o-mini-2024-07-18`: an alias changes under you",
    );
    expect(describeModelAlias({ model: "x-latest", snapshots: [] })).toBe(
      "model `x-latest` is an undated alias; pin a dated snapshot: an alias changes under you",
    );
  });
});
