import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { promisify } from "node:util";
import { expect, it } from "vitest";

/** The README's first command, as a new user runs it: no key, no endpoint, the committed bundle. */
it("npm run demo runs the whole pipeline on examples/ with no API key", async () => {
  const env = { ...process.env };
  delete env.OPENAI_API_KEY;
  delete env.OPENAI_BASE_URL;
  const { stdout } = await promisify(execFile)(process.execPath, ["dist/demo.js"], {
    env,
    maxBuffer: 16 << 20,
  });
  expect(stdout).toContain("the answers below come from promptgate's LLM stand-in");
  expect(stdout).toMatch(/ok: 3 prompts \(7 versions\), 3 golden sets \(55 cases\)/);
  expect(stdout).toMatch(/one eval run: \$/);
  // The smoke suite after the full eval: its cases (critical or tagged smoke) all from the cache.
  expect(stdout).toMatch(
    /--suite smoke[\s\S]*?support-answer@v3\s+\S+\s+7×3[\s\S]*?\n0 requests sent, 39 from cache/,
  );
  expect(stdout).toMatch(/support-answer@v3\s+gpt-4o-mini-2024-07-18\s+20×3/);
  expect(stdout).toMatch(/BLOCKED: support-answer v2 → v3 regresses/);
  expect(stdout).toMatch(/ticket-triage\s+v1 → v2\s.*better/);
  expect(existsSync(".promptgate/demo/report/report.html")).toBe(true);
}, 120_000);
