import { describe, expect, it } from "vitest";
import {
  formatCount,
  formatDuration,
  formatInterval,
  formatLevel,
  formatPercent,
  formatPercentNumber,
  formatPoints,
  formatPointsChange,
  formatPointsSize,
  formatSignedPercent,
  formatSignedPoints,
  formatTrafficShare,
  formatUsd,
  plural,
} from "../../src/numbers.js";

const MINUS = "\u2212";

describe("formatPercent", () => {
  it.each([
    [0.8234, "82.3%"],
    [0, "0.0%"],
    [1, "100.0%"],
    [0.99996, "100.0%"],
    [0.00049, "0.0%"],
    [-0.0004, "0.0%"],
    [-0.05, "−5.0%"],
    [null, "—"],
  ] as const)("%s → %s", (rate, text) => {
    expect(formatPercent(rate)).toBe(text);
  });
});

describe("formatPercentNumber", () => {
  it("writes a bare ASCII number for charts and CSS", () => {
    expect(formatPercentNumber(0.8234)).toBe("82.3");
    expect(formatPercentNumber(0)).toBe("0.0");
    expect(formatPercentNumber(1)).toBe("100.0");
  });
});

describe("formatTrafficShare", () => {
  it("keeps a share that is already in percent units as written; null is unset", () => {
    expect(formatTrafficShare(10)).toBe("10%");
    expect(formatTrafficShare(0)).toBe("0%");
    expect(formatTrafficShare(100)).toBe("100%");
    expect(formatTrafficShare(null)).toBe("unset");
  });
});

describe("formatPoints", () => {
  it.each([
    [0.067, "6.7"],
    [0.02, "2.0"],
    [0, "0.0"],
    [0.0004, "0.0"],
    [-0.0004, "0.0"],
    [-0.067, "−6.7"],
    [1, "100.0"],
  ] as const)("%s → %s", (delta, text) => {
    expect(formatPoints(delta)).toBe(text);
  });
});

describe("formatSignedPoints", () => {
  it.each([
    [-0.067, "−6.7"],
    [0.02, "+2.0"],
    [0, "±0.0"],
    [-0.0001, "±0.0"],
    [-0.0004, "±0.0"],
    [0.0004, "±0.0"],
    [0.0006, "+0.1"],
    [-0.0006, "−0.1"],
    [-1, "−100.0"],
  ] as const)("%s → %s", (delta, text) => {
    expect(formatSignedPoints(delta)).toBe(text);
  });

  it("rounds both signs alike, so a change and its size agree", () => {
    for (const x of [0.0125, 0.0375, 0.0015, 0.1234]) {
      expect(formatSignedPoints(-x)).toBe(`${MINUS}${formatPoints(x)}`);
      expect(formatSignedPoints(x)).toBe(`+${formatPoints(x)}`);
    }
  });
});

describe("points in prose", () => {
  it("writes a change signed with its unit, and a size unsigned with its unit", () => {
    expect(formatPointsChange(0.015)).toBe("+1.5 pts");
    expect(formatPointsChange(-0.02)).toBe(`${MINUS}2.0 pts`);
    expect(formatPointsChange(-0.0004)).toBe("±0.0 pts");
    expect(formatPointsSize(0.067)).toBe("6.7 pts");
  });

  it("writes a confidence level as a whole percent", () => {
    expect(formatLevel(0.95)).toBe("95%");
    expect(formatLevel(0.899)).toBe("90%");
  });
});

describe("formatInterval", () => {
  it("writes the level and both ends in signed points", () => {
    expect(formatInterval({ low: -0.11, high: -0.024, level: 0.95 })).toBe("95% CI −11.0 to −2.4");
    expect(formatInterval({ low: -0.0002, high: 0.031, level: 0.9 })).toBe("90% CI ±0.0 to +3.1");
  });
});

describe("formatSignedPercent", () => {
  it.each([
    [0.12, "+12%"],
    [-0.055, "−5.5%"],
    [0.025, "+2.5%"],
    [0.02, "+2.0%"],
    [-0.123, "−12%"],
    [0.0996, "+10%"],
    [0.0994, "+9.9%"],
    [1.5, "+150%"],
    [0, "±0%"],
    [0.0004, "±0%"],
    [-0.0004, "±0%"],
    [0.0006, "+0.1%"],
  ] as const)("%s → %s", (rel, text) => {
    expect(formatSignedPercent(rel)).toBe(text);
  });
});

describe("formatUsd", () => {
  it.each([
    [null, "unknown"],
    [Number.NaN, "unknown"],
    [Number.POSITIVE_INFINITY, "unknown"],
    [0, "$0"],
    [-0, "$0"],
    [0.0012, "$0.0012"],
    [0.000021, "$0.000021"],
    [0.0000034, "$0.0000034"],
    [0.0999, "$0.10"],
    [0.00999, "$0.010"],
    [0.0123, "$0.012"],
    [0.5, "$0.50"],
    [1.234, "$1.23"],
    [999.99, "$999.99"],
    [999.996, "$1k"],
    [1200, "$1.2k"],
    [1234, "$1.23k"],
    [12_345, "$12.3k"],
    [999_499, "$999k"],
    [999_500, "$1M"],
    [1_250_000, "$1.25M"],
    [2_500_000_000, "$2.5B"],
    [-0.42, "−$0.42"],
    [-0.0012, "−$0.0012"],
    [-12_345, "−$12.3k"],
  ] as const)("%s → %s", (n, s) => {
    expect(formatUsd(n)).toBe(s);
  });
});

describe("formatDuration", () => {
  it.each([
    [0, "0 ms"],
    [340, "340 ms"],
    [999.4, "999 ms"],
    [999.6, "1.0 s"],
    [12_345, "12.3 s"],
    [59_940, "59.9 s"],
    [59_960, "1m 0s"],
    [65_000, "1m 5s"],
    [119_600, "2m 0s"],
    [125_000, "2m 5s"],
    [3_599_600, "1h 0m"],
    [7_500_000, "2h 5m"],
  ] as const)("%s ms → %s", (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});

describe("formatCount", () => {
  it.each([
    [0, "0"],
    [7, "7"],
    [999, "999"],
    [1000, "1,000"],
    [12_345, "12,345"],
    [1_234_567, "1,234,567"],
    [12.6, "13"],
    [-1234, "−1,234"],
    [-0.4, "0"],
  ] as const)("%s → %s", (n, text) => {
    expect(formatCount(n)).toBe(text);
  });
});

describe("plural", () => {
  it("counts with the right noun form", () => {
    expect(plural(1, "case")).toBe("1 case");
    expect(plural(0, "case")).toBe("0 cases");
    expect(plural(1200, "case")).toBe("1,200 cases");
    expect(plural(2, "more prompt")).toBe("2 more prompts");
    expect(plural(3, "match", "matches")).toBe("3 matches");
  });
});
