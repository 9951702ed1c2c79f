import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { PromptgateErrors } from "../../../src/errors.js";
import { hashContent } from "../../../src/formats/prompt-file.js";
import {
  bucketOf,
  openPrompts,
  type PromptRuntime,
  type RuntimeChange,
  worktreeSource,
} from "../../../src/library/runtime.js";
import { errorOf } from "../../support/helpers/errors.js";

const run = promisify(execFile);

const prompt = (model: string, system: string) => `---
model: ${model}
config: { temperature: 0.2 }
input:
  schema: { question: string }
---
{{role "system"}}
${system}
{{role "user"}}
{{question}}
`;

const FILES: Record<string, string> = {
  "prompts/support-answer/v3.prompt": prompt("gpt-4o-mini", "You are v3."),
  "prompts/support-answer/v4.prompt": prompt("gpt-4o-mini", "You are v4."),
  "prompts/support-answer/v5.prompt": prompt("gpt-4o-mini", "You are v5."),
  "prompts/triage/v1.prompt": prompt("gpt-4.1-nano", "Triage."),
  "evals/support-answer.yaml": "cases:\n  - vars: { question: hi }\n",
};

const environments = (opts: { production?: string; traffic?: number } = {}) => `environments:
  staging:
    prompts:
      support-answer: { version: v5, model: gpt-4o-mini-2024-07-18 }
  canary:
    traffic: ${opts.traffic ?? 10}   # percent of production requests
    prompts:
      support-answer: { version: v5, model: gpt-4o-mini-2024-07-18 }
  production:
    prompts:
      support-answer: { version: ${opts.production ?? "v4"}, model: gpt-4o-2024-08-06 }
      triage: { version: v1 }
`;

let root: string;
const opened: PromptRuntime[] = [];

async function put(path: string, text: string): Promise<void> {
  await mkdir(dirname(join(root, path)), { recursive: true });
  await writeFile(join(root, path), text);
}

async function open(options: Partial<Parameters<typeof openPrompts>[0]> = {}) {
  // Keyless requests draw canary's share at random: tests that do not test the draw never win it.
  const runtime = await openPrompts({
    source: worktreeSource(root),
    refreshMs: 0,
    random: () => 0.999,
    ...options,
  });
  opened.push(runtime);
  return runtime;
}

function keys(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `user-${i}`);
}

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "promptgate-runtime-"));
  for (const [path, text] of Object.entries(FILES)) await put(path, text);
  await put("environments.yaml", environments());
});

afterEach(async () => {
  for (const r of opened.splice(0)) r.close();
  await rm(root, { recursive: true, force: true });
});

describe("resolve", () => {
  it("serves the environment's pin, with the pin's model over the front matter's", async () => {
    const rt = await open();
    const prod = rt.resolve("production", "support-answer");
    expect(prod).toMatchObject({
      env: "production",
      prompt: "support-answer",
      version: "v4",
      model: "gpt-4o-2024-08-06",
      config: { temperature: 0.2 },
      contentHash: hashContent(FILES["prompts/support-answer/v4.prompt"] ?? ""),
    });
    expect(rt.resolve("staging", "support-answer")).toMatchObject({
      env: "staging",
      version: "v5",
      model: "gpt-4o-mini-2024-07-18",
    });
    // No model in the pin: the prompt file's.
    expect(rt.resolve("production", "triage")).toMatchObject({
      version: "v1",
      model: "gpt-4.1-nano",
    });
  });

  it("renders the pinned template into chat messages", async () => {
    const rt = await open();
    const messages = await rt
      .resolve("production", "support-answer")
      .render({ question: "Refund?" });
    expect(messages).toEqual([
      { role: "system", content: "You are v4." },
      { role: "user", content: "Refund?" },
    ]);
  });

  it("names the known environments and prompts when a name is wrong", async () => {
    const rt = await open();
    const env = errorOf(() => rt.resolve("prod", "support-answer"));
    expect(env.code).toBe("E_NOT_FOUND");
    expect(env.message).toContain(
      'unknown environment "prod" (known: canary, production, staging)',
    );

    const unknown = errorOf(() => rt.resolve("production", "support"));
    expect(unknown.code).toBe("E_NOT_FOUND");
    expect(unknown.message).toContain('unknown prompt "support" (known: support-answer, triage)');

    const unpinned = errorOf(() => rt.resolve("staging", "triage"));
    expect(unpinned.message).toContain(
      'staging does not pin prompt "triage" (staging pins: support-answer)',
    );
  });

  it("says so when there is no environments.yaml", async () => {
    await rm(join(root, "environments.yaml"));
    const rt = await open();
    const e = errorOf(() => rt.resolve("production", "support-answer"));
    expect(e.code).toBe("E_NOT_FOUND");
    expect(e.message).toContain("environments.yaml does not exist");
  });
});

describe("canary split", () => {
  it("sends a stable share of keyed production requests to canary's pin", async () => {
    const rt = await open();
    let canary = 0;
    for (const key of keys(10_000)) {
      const r = rt.resolve("production", "support-answer", key);
      if (r.env === "canary") {
        canary++;
        expect(r).toMatchObject({ version: "v5", model: "gpt-4o-mini-2024-07-18" });
      } else {
        expect(r).toMatchObject({ env: "production", version: "v4", model: "gpt-4o-2024-08-06" });
      }
      // The same key lands on the same side every time.
      expect(rt.resolve("production", "support-answer", key).env).toBe(r.env);
    }
    expect(canary / 10_000).toBeGreaterThan(0.08);
    expect(canary / 10_000).toBeLessThan(0.12);
  });

  it("follows the traffic share and keeps canary users when the share grows", async () => {
    await put("environments.yaml", environments({ traffic: 40 }));
    const rt = await open();
    const inCanary = keys(10_000).filter(
      (k) => rt.resolve("production", "support-answer", k).env === "canary",
    );
    expect(inCanary.length / 10_000).toBeGreaterThan(0.37);
    expect(inCanary.length / 10_000).toBeLessThan(0.43);
    // The documented hash: sha256, first 4 bytes big-endian, % 100.
    expect(bucketOf("user-0")).toBe(Number.parseInt(hashContent("user-0").slice(0, 8), 16) % 100);
    for (const k of inCanary) expect(bucketOf(k)).toBeLessThan(40);
  });

  it("draws each request without a key, so canary still gets its share of production", async () => {
    const draws = [0.05, 0.5, 0.099, 0.1, 0.95];
    const rt = await open({ random: () => draws.shift() ?? 1 });
    const sides = Array.from(
      { length: 5 },
      (_, i) => rt.resolve("production", "support-answer", i % 2 ? "" : undefined).env,
    );
    // traffic 10: a draw below 0.10 is canary's.
    expect(sides).toEqual(["canary", "production", "canary", "production", "production"]);

    const real = await open({ random: Math.random });
    let canary = 0;
    for (let i = 0; i < 10_000; i++) {
      if (real.resolve("production", "support-answer").env === "canary") canary++;
    }
    expect(canary / 10_000).toBeGreaterThan(0.08);
    expect(canary / 10_000).toBeLessThan(0.12);
  });

  it("serves other environments, and prompts canary does not pin, from their own pins", async () => {
    const rt = await open({ random: () => 0 });
    const canaryKey = keys(1000).find((k) => bucketOf(k) < 10) ?? "";
    expect(rt.resolve("production", "support-answer", canaryKey).env).toBe("canary");
    expect(rt.resolve("staging", "support-answer", canaryKey).env).toBe("staging");
    expect(rt.resolve("production", "triage", canaryKey)).toMatchObject({
      env: "production",
      version: "v1",
    });
    // Asking for canary directly serves its pin whatever the key.
    expect(rt.resolve("canary", "support-answer").version).toBe("v5");
  });

  it("never serves canary at traffic 0", async () => {
    await put("environments.yaml", environments({ traffic: 0 }));
    const rt = await open();
    for (const key of keys(10_000)) {
      expect(rt.resolve("production", "support-answer", key).env).toBe("production");
    }
  });

  it("splits the environment named by rollout.production", async () => {
    await put("promptgate.yaml", "version: 1\nrollout: { production: live }\n");
    await put(
      "environments.yaml",
      environments().replace("production:\n", "live:\n").replace("traffic: 10", "traffic: 100"),
    );
    const rt = await open();
    expect(rt.resolve("live", "support-answer", "u").env).toBe("canary");
  });
});

describe("refresh", () => {
  it("picks up a rollback written to environments.yaml", async () => {
    const rt = await open();
    const before = rt.revision;
    expect(await rt.refresh()).toEqual({ changed: false });

    const changes: RuntimeChange[] = [];
    rt.onChange((c) => changes.push(c));
    await put("environments.yaml", environments({ production: "v3" }));
    expect(await rt.refresh()).toEqual({ changed: true });
    expect(rt.resolve("production", "support-answer")).toMatchObject({ version: "v3" });
    expect(rt.revision).not.toBe(before);
    expect(changes).toEqual([{ revision: rt.revision, previous: before }]);
    expect(await rt.refresh()).toEqual({ changed: false });
  });

  it("refreshes on its own timer", async () => {
    const rt = await open({ refreshMs: 10 });
    const changed = new Promise<RuntimeChange>((done) => rt.onChange(done));
    await put("environments.yaml", environments({ production: "v3" }));
    await changed;
    expect(rt.resolve("production", "support-answer").version).toBe("v3");
  });

  it("keeps serving the last good state through a broken commit, and reports it", async () => {
    const errors: unknown[] = [];
    let clock = 1000;
    const rt = await open({ onError: (e) => errors.push(e), now: () => clock });
    const good = rt.revision;

    clock = 2000;
    await put("environments.yaml", "environments:\n  production: [unclosed\n");
    const bad = await rt.refresh();
    expect(bad.changed).toBe(false);
    expect(bad.error).toBeInstanceOf(PromptgateErrors);
    expect((bad.error as PromptgateErrors).errors[0]?.code).toBe("E_YAML");
    expect(errors).toEqual([bad.error]);
    expect(rt.revision).toBe(good);
    expect(rt.resolve("production", "support-answer").version).toBe("v4");
    expect(rt.status()).toMatchObject({ loadedAt: 1000, checkedAt: 2000, lastError: bad.error });

    // A pin to a file that is not there yet (a half-synced volume) is refused the same way.
    await put("environments.yaml", environments({ production: "v9" }));
    const missing = await rt.refresh();
    expect((missing.error as PromptgateErrors).errors[0]?.message).toContain(
      "production pins support-answer@v9, which does not exist",
    );
    expect(rt.resolve("production", "support-answer").version).toBe("v4");

    clock = 3000;
    await put("environments.yaml", environments({ production: "v5" }));
    expect(await rt.refresh()).toEqual({ changed: true });
    expect(rt.resolve("production", "support-answer").version).toBe("v5");
    expect(rt.status()).toMatchObject({ loadedAt: 3000, checkedAt: 3000, lastError: undefined });
    expect(errors).toHaveLength(2);
  });

  it("survives a throwing error handler and a throwing listener", async () => {
    const rt = await open({
      onError: () => {
        throw new Error("handler bug");
      },
    });
    rt.onChange(() => {
      throw new Error("listener bug");
    });
    await put("prompts/support-answer/v4.prompt", "no front matter");
    expect((await rt.refresh()).error).toBeInstanceOf(PromptgateErrors);
    await put("prompts/support-answer/v4.prompt", prompt("gpt-4o-mini", "You are v4, fixed."));
    expect(await rt.refresh()).toEqual({ changed: true });
  });

  it("applies a rollback past a broken draft no environment pins, and warns about the draft", async () => {
    const reports: { error: unknown; severity: string }[] = [];
    const rt = await open({ onError: (error, severity) => reports.push({ error, severity }) });
    const changes: RuntimeChange[] = [];
    rt.onChange((c) => changes.push(c));

    // One commit: a half-written draft (bad YAML front matter, and a new prompt whose only file is
    // broken) together with the rollback of production from v4 to v3.
    await put("prompts/support-answer/v6.prompt", "---\nmodel: x\nbogus: [\n---\n{{#if}}\n");
    await put("prompts/new-idea/v1.prompt", "no front matter");
    await put("environments.yaml", environments({ production: "v3" }));
    const result = await rt.refresh();
    expect(result.changed).toBe(true);
    expect(result.error).toBeUndefined();
    expect(rt.resolve("production", "support-answer").version).toBe("v3");
    expect(rt.resolve("staging", "support-answer").version).toBe("v5");
    expect(changes).toHaveLength(1);

    expect(reports).toHaveLength(1);
    expect(reports[0]?.severity).toBe("warning");
    const warned = reports[0]?.error;
    expect(warned).toBeInstanceOf(PromptgateErrors);
    expect(warned).toBe(result.warnings);
    const files = (warned as PromptgateErrors).errors.map((e) => e.location?.file);
    expect(new Set(files)).toEqual(
      new Set(["prompts/support-answer/v6.prompt", "prompts/new-idea/v1.prompt"]),
    );
    expect(rt.status()).toMatchObject({ lastError: undefined, warnings: warned });

    // The same files on the next refresh: nothing new to apply or to say.
    expect(await rt.refresh()).toEqual({ changed: false });
    expect(reports).toHaveLength(1);

    // Fixing the draft is a new state, without warnings.
    await put("prompts/support-answer/v6.prompt", prompt("gpt-4o-mini", "You are v6."));
    await rm(join(root, "prompts/new-idea"), { recursive: true });
    expect(await rt.refresh()).toEqual({ changed: true });
    expect(rt.status().warnings).toBeUndefined();
    expect(reports).toHaveLength(1);
  });

  it("starts past a broken draft no environment pins, and warns about it", async () => {
    await put("prompts/support-answer/v6.prompt", "---\nmodel: x\nbogus: [\n---\n");
    const reports: string[] = [];
    const rt = await open({ onError: (_e, severity) => reports.push(severity) });
    expect(rt.resolve("production", "support-answer").version).toBe("v4");
    expect(reports).toEqual(["warning"]);
    expect(rt.status().warnings?.errors[0]?.location?.file).toBe(
      "prompts/support-answer/v6.prompt",
    );
  });

  it("keeps the last good state when a version any environment pins is broken", async () => {
    const reports: { error: unknown; severity: string }[] = [];
    const rt = await open({ onError: (error, severity) => reports.push({ error, severity }) });
    const good = rt.revision;

    // A rollback to a version broken in the same commit, next to a broken draft.
    await put("prompts/support-answer/v3.prompt", "---\nmodel: x\nbogus: [\n---\n");
    await put("prompts/support-answer/v6.prompt", "no front matter");
    await put("environments.yaml", environments({ production: "v3" }));
    const bad = await rt.refresh();
    expect(bad.changed).toBe(false);
    expect(bad.error).toBeInstanceOf(PromptgateErrors);
    const files = (bad.error as PromptgateErrors).errors.map((e) => e.location?.file);
    expect(files).toContain("prompts/support-answer/v3.prompt");
    expect(reports.map((r) => r.severity)).toEqual(["error"]);
    expect(rt.revision).toBe(good);
    expect(rt.resolve("production", "support-answer").version).toBe("v4");

    // Pinned by staging and canary only: still a version an app can resolve.
    await put("environments.yaml", environments());
    await put("prompts/support-answer/v3.prompt", prompt("gpt-4o-mini", "You are v3."));
    await put("prompts/support-answer/v5.prompt", "no front matter");
    const canary = await rt.refresh();
    expect((canary.error as PromptgateErrors).errors[0]?.location?.file).toBe(
      "prompts/support-answer/v5.prompt",
    );
    expect(rt.revision).toBe(good);
    expect(rt.resolve("staging", "support-answer").version).toBe("v5");
    expect(reports.map((r) => r.severity)).toEqual(["error", "error"]);
  });

  it("is not stopped by a broken golden set, which never changes what an app serves", async () => {
    await put("evals/support-answer.yaml", "cases: [unclosed\n");
    const rt = await open();
    expect(rt.resolve("production", "support-answer").version).toBe("v4");
  });

  it("does not keep the process alive", async () => {
    const script = join(root, "app.mts");
    const index = resolve("src/library/runtime.ts");
    await writeFile(
      script,
      `import { openPrompts, worktreeSource } from ${JSON.stringify(index)};
const rt = await openPrompts({ source: worktreeSource(${JSON.stringify(root)}), refreshMs: 50, random: () => 0.999 });
console.log(rt.resolve("production", "support-answer").version);
`,
    );
    // Without unref() the timer would hold the process until the 20 s kill. The fixed draw keeps
    // this keyless request out of canary's 10 %.
    const { stdout } = await run(resolve("node_modules/.bin/tsx"), [script], { timeout: 20_000 });
    expect(stdout.trim()).toBe("v4");
  });
});

describe("openPrompts", () => {
  it("fails loudly at start on a bad file", async () => {
    await put(
      "environments.yaml",
      "environments:\n  production:\n    prompts: { triage: { version: v1, extra: 1 } }\n",
    );
    await expect(open()).rejects.toBeInstanceOf(PromptgateErrors);
  });
});
