import { describe, expect, it } from "vitest";
import { createProgressReporter } from "../../../src/cli/progress.js";

function capture() {
  let text = "";
  const stream = {
    write(s: string) {
      text += s;
      return true;
    },
    isTTY: false,
  } as unknown as NodeJS.WriteStream;
  return { stream, text: () => text };
}

describe("progress on stderr", () => {
  it("prints plain lines in CI: about one per 10 %, with rate and ETA once they mean something", () => {
    const out = capture();
    let t = 0;
    const r = createProgressReporter(out.stream, "eval", { isTTY: false, now: () => t });
    for (let done = 1; done <= 200; done++) {
      t += 10;
      r.update({ done, total: 200, errors: done === 150 ? 1 : 0, cacheHits: 0 });
    }
    r.done({ done: 200, total: 200, errors: 1, cacheHits: 0 });
    const lines = out.text().trimEnd().split("\n");
    expect(lines.length).toBeGreaterThanOrEqual(10);
    expect(lines.length).toBeLessThanOrEqual(13);
    expect(lines[0]).toBe("eval: 1/200 samples");
    expect(lines.at(-2)).toMatch(/^eval: 200\/200 samples, 100\.0\/s/);
    expect(lines.at(-1)).toBe("eval: 200/200 samples, 100.0/s (1 errors) in 2.0 s");
    expect(out.text()).not.toContain("\r");
  });

  it("draws one redrawn bar with the ETA on a terminal", () => {
    const out = capture();
    let t = 0;
    const r = createProgressReporter(out.stream, "diff", { isTTY: true, now: () => t });
    t = 2000;
    r.update({ done: 50, total: 100, errors: 0, cacheHits: 10 });
    expect(out.text()).toMatch(
      /^\r\x1b\[2Kdiff █{12}░{12} 50\/100 samples, 25\.0\/s eta 2\.0 s \(10 cached\)$/,
    );
  });
});
