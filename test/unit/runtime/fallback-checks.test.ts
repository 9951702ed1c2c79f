import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { loadRepo } from "../../../src/formats/repo.js";
import { worktreeSource } from "../../../src/io/file-sources.js";
import { checkFallbacks } from "../../../src/runtime/fallback-checks.js";

const PROMPT = `---
model: gpt-4o
---
{{role "user"}}
hi
`;

let root: string | undefined;

afterEach(async () => {
  if (root) await rm(root, { recursive: true, force: true });
  root = undefined;
});

async function repoWith(environments: string, settings = "version: 1\n") {
  root = await mkdtemp(join(tmpdir(), "promptgate-fallback-checks-"));
  const files: Record<string, string> = {
    "promptgate.yaml": settings,
    "prompts/support-answer/v1.prompt": PROMPT,
    "environments.yaml": environments,
  };
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), text);
  }
  return loadRepo(worktreeSource(root));
}

const pinWith = (fallback: string) => `environments:
  production:
    prompts:
      support-answer:
        version: v1
        fallback:
${fallback}
`;

describe("checkFallbacks", () => {
  it("accepts known models, a dated snapshot, and a local model priced in promptgate.yaml", async () => {
    const repo = await repoWith(
      pinWith(`          - { model: gpt-4o-mini }
          - { model: gpt-4o-2024-08-06, base-url: "https://eu.example.com/v1" }
          - { model: llama3.1-local, base-url: "http://ollama:11434/v1" }`),
      "version: 1\nprices:\n  llama3.1-local: { input: 0, output: 0 }\n",
    );
    expect(await checkFallbacks(repo)).toEqual([]);
  });

  it("refuses an unknown model, at its line", async () => {
    const repo = await repoWith(pinWith("          - { model: gpt-4o-minni }"));
    const [error, ...rest] = await checkFallbacks(repo);
    expect(rest).toEqual([]);
    expect(error?.code).toBe("E_CONFIG");
    expect(error?.location).toMatchObject({ file: "environments.yaml", line: 7 });
    expect(error?.message).toContain(
      `production's support-answer fallback 1: unknown model "gpt-4o-minni"`,
    );
    expect(error?.hint).toContain("prices:");
  });

  it("refuses a fallback that repeats the pin's own target or an earlier fallback", async () => {
    const repo = await repoWith(
      pinWith(`          - { model: gpt-4o }
          - { model: gpt-4o-mini, base-url: "https://b.example.com/v1" }
          - { model: gpt-4o-mini, base-url: "https://b.example.com/v1/" }`),
    );
    const errors = await checkFallbacks(repo);
    expect(errors.map((e) => e.message)).toEqual([
      expect.stringContaining("fallback 1 repeats gpt-4o, a target tried before it"),
      expect.stringContaining(
        "fallback 3 repeats gpt-4o-mini at https://b.example.com/v1/, a target tried before it",
      ),
    ]);
  });

  it("takes only http(s) base URLs and known keys", async () => {
    await expect(
      repoWith(pinWith(`          - { model: gpt-4o-mini, base-url: "file:///etc/passwd" }`)),
    ).rejects.toThrow(/base-url/);
    await expect(
      repoWith(pinWith(`          - { model: gpt-4o-mini, baseUrl: "https://b.example.com" }`)),
    ).rejects.toThrow(/baseUrl/);
  });
});
