import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { preparePullRequestDiff } from "../../../src/compare/pr-diff.js";
import {
  listSettingRules,
  resolveTrustedSettings,
  type SettingRule,
} from "../../../src/compare/trusted-settings.js";
import type { FileSource } from "../../../src/formats/repo.js";
import { defaultSettings, parseSettings, type Settings } from "../../../src/formats/settings.js";

const BASE_YAML = `version: 1
provider: { base-url: "http://127.0.0.1:1/v1", concurrency: 8 }
judge: { model: gpt-4o-2024-08-06 }
gates: { max-cost-increase: 0.25 }
prices:
  acme-ft-7b: { input: 1, output: 2 }
`;
const base = parseSettings(BASE_YAML);

/** A head promptgate.yaml that changes one key: what each base-side key is changed to. */
const HEAD_CHANGES: Record<string, string> = {
  "provider.base-url": `provider: { base-url: "https://evil.example/v1", concurrency: 8 }`,
  "provider.concurrency": 'provider: { base-url: "http://127.0.0.1:1/v1", concurrency: 999 }',
  "provider.timeout-s": `provider: { base-url: "http://127.0.0.1:1/v1", concurrency: 8, timeout-s: 3600 }`,
  "provider.retries": `provider: { base-url: "http://127.0.0.1:1/v1", concurrency: 8, retries: 10 }`,
  repeats: "repeats: 100",
  "max-repeats": "max-repeats: 100",
  baseline: "baseline: staging",
  "gates.min-pass-rate": "gates: { max-cost-increase: 0.25, min-pass-rate: 0 }",
  "gates.max-regression": "gates: { max-cost-increase: 0.25, max-regression: 1 }",
  "gates.confidence": "gates: { max-cost-increase: 0.25, confidence: 0.51 }",
  "gates.critical": "gates: { max-cost-increase: 0.25, critical: off }",
  "gates.max-cost-increase": "gates: { max-cost-increase: 1000 }",
  "gates.max-error-rate": "gates: { max-cost-increase: 0.25, max-error-rate: 1 }",
  "gates.detect": "gates: { max-cost-increase: 0.25, detect: 0.5 }",
  "gates.golden-set-edits": "gates: { max-cost-increase: 0.25, golden-set-edits: block }",
  "limits.max-samples": "limits: { max-samples: 100000000 }",
  "limits.max-output-tokens": "limits: { max-output-tokens: 100000 }",
  "limits.max-cost": "limits: { max-cost: 1000000 }",
  rollout: "rollout: { rules: { promote-production: { min-role: read } } }",
  // A pull request that redefines its suite to hold only the cases it passes.
  suites: "suites: { smoke: { tags: [easy] } }",
  "lint.model-aliases": "lint: { model-aliases: off }",
  // A pull request must not let an alert roll production back on its own say-so.
  "auto-rollback": "auto-rollback: { environments: [production], metrics: [anything] }",
};

/** BASE_YAML with the top-level block of `key` replaced by `line`. */
function headWith(line: string): Settings {
  const top = line.slice(0, line.indexOf(":"));
  const kept = BASE_YAML.split(/\n(?=\S)/).filter((block) => !block.startsWith(`${top}:`));
  return parseSettings(`${[...kept, line].join("\n")}\n`);
}

const sided = (side: SettingRule["side"]) =>
  listSettingRules().filter((r) => r.side === side && r.key !== "version");

describe("resolveTrustedSettings", () => {
  it("every key the run takes from the base is covered here (a new one must be added)", () => {
    const keys = [...sided("base"), ...sided("input-or-base")].map((r) => r.key).sort();
    expect(Object.keys(HEAD_CHANGES).sort()).toEqual(keys);
  });

  for (const [key, line] of Object.entries(HEAD_CHANGES)) {
    it(`uses the base's ${key} when the pull request changes it, and says so`, () => {
      const head = headWith(line);
      expect(head).not.toEqual(base);
      const { settings, notices } = resolveTrustedSettings({ base, head });
      expect(settings).toEqual(base);
      expect(notices).toEqual([
        expect.objectContaining({
          kind: "setting-from-base",
          message: expect.stringMatching(
            new RegExp(
              `^this PR changes .+ \\(${key.replace(".", "\\.")}\\); it takes effect after merge$`,
            ),
          ),
        }),
      ]);
    });
  }

  it("names the endpoint in the notice", () => {
    const head = headWith(HEAD_CHANGES["provider.base-url"] ?? "");
    expect(resolveTrustedSettings({ base, head }).notices.map((n) => n.message)).toEqual([
      "this PR changes the model endpoint (provider.base-url); it takes effect after merge",
    ]);
  });

  it("takes the endpoint and concurrency from the inputs first, never from head", () => {
    const head = headWith(HEAD_CHANGES["provider.base-url"] ?? "");
    const { settings } = resolveTrustedSettings({
      base,
      head,
      inputs: { baseUrl: "http://127.0.0.1:2/v1", concurrency: 3 },
    });
    expect(settings.provider.baseUrl).toBe("http://127.0.0.1:2/v1");
    expect(settings.provider.concurrency).toBe(3);
  });

  it("takes the limits from the inputs first, then the base, never from head", () => {
    const head = headWith("limits: { max-samples: 100000000, max-cost: 1000000 }");
    const { settings } = resolveTrustedSettings({ base, head, inputs: { maxCost: 5 } });
    expect(settings.limits).toEqual({ maxSamples: 20_000, maxOutputTokens: undefined, maxCost: 5 });
  });

  it("takes what the pull request ships from head, without a notice", () => {
    const head = parseSettings(`${BASE_YAML}paths: { prompts: p }\ntraffic: {}\n`);
    const { settings, notices } = resolveTrustedSettings({ base, head });
    expect(settings.paths.prompts).toBe("p");
    expect(notices).toEqual([]);
  });

  it("keeps the base's judge when the pull request swaps it, and says so", () => {
    const head = parseSettings(BASE_YAML.replace("gpt-4o-2024-08-06", "gpt-4.1-mini"));
    const { settings, notices } = resolveTrustedSettings({ base, head });
    expect(settings.judge?.model).toBe("gpt-4o-2024-08-06");
    expect(notices.map((n) => n.message)).toEqual([
      "this PR changes the judge model and its rubric prompt (judge); it takes effect after merge",
    ]);
  });

  it("keeps the base's rubric prompt when the pull request points judge.prompt elsewhere", () => {
    const withPrompt = (file: string) =>
      parseSettings(
        BASE_YAML.replace(/^judge:.*\n/m, `judge: { model: gpt-4o-2024-08-06, prompt: ${file} }\n`),
      );
    const { settings, notices } = resolveTrustedSettings({
      base: withPrompt("prompts/judge.prompt"),
      head: withPrompt("prompts/lenient.prompt"),
    });
    expect(settings.judge).toEqual({ model: "gpt-4o-2024-08-06", prompt: "prompts/judge.prompt" });
    expect(notices.map((n) => n.message)).toEqual([
      "this PR changes the judge model and its rubric prompt (judge); it takes effect after merge",
    ]);
  });

  it("takes a first judge from head, and a removed one as removed", () => {
    const noJudge = parseSettings(BASE_YAML.replace(/^judge:.*\n/m, ""));
    const first = resolveTrustedSettings({ base: noJudge, head: base });
    expect(first.settings.judge?.model).toBe("gpt-4o-2024-08-06");
    expect(first.notices).toEqual([]);
    const removed = resolveTrustedSettings({ base, head: noJudge });
    expect(removed.settings.judge).toBeUndefined();
  });

  it("accepts a head price for a model nothing prices yet", () => {
    const head = parseSettings(`${BASE_YAML}  acme-ft-13b: { input: 3, output: 4 }\n`);
    const { settings, notices } = resolveTrustedSettings({ base, head });
    expect(settings.prices).toEqual({
      "acme-ft-7b": { input: 1, output: 2, cachedInput: undefined },
      "acme-ft-13b": { input: 3, output: 4, cachedInput: undefined },
    });
    expect(notices).toEqual([]);
  });

  it("ignores a head price for a model the price table knows, and says so", () => {
    for (const model of ["gpt-4o", "GPT-4o", "gpt-4o-2099-01-01"]) {
      const head = parseSettings(`${BASE_YAML}  ${model}: { input: 0.01, output: 0.01 }\n`);
      const { settings, notices } = resolveTrustedSettings({ base, head });
      expect(settings.prices).toEqual(base.prices);
      expect(notices.map((n) => [n.kind, n.message])).toEqual([
        [
          "price-ignored",
          `head prices for ${model} ignored for the gates (the price table knows it); they take effect after merge`,
        ],
      ]);
    }
  });

  it("ignores a head re-pricing of a model the base prices", () => {
    const head = parseSettings(BASE_YAML.replace("input: 1, output: 2", "input: 0, output: 0"));
    const { settings, notices } = resolveTrustedSettings({ base, head });
    expect(settings.prices).toEqual(base.prices);
    expect(notices.map((n) => n.message)).toEqual([
      "head prices for acme-ft-7b ignored for the gates (the base's promptgate.yaml prices it); they take effect after merge",
    ]);
  });
});

function memorySource(label: string, files: Record<string, string>): FileSource {
  return {
    label,
    read: async (path) => files[path],
    list: async (dir) => Object.keys(files).filter((f) => f.startsWith(`${dir}/`)),
  };
}

describe("preparePullRequestDiff", () => {
  it("a repository new in the pull request runs with the defaults and the inputs, not head's settings", async () => {
    const head = {
      "promptgate.yaml": `version: 1\nprovider: { base-url: "https://evil.example/v1" }\ngates: { max-regression: 1 }\nrepeats: 1\n`,
      "prompts/greet/v1.prompt": `---\nmodel: gpt-4o-mini\ninput:\n  schema: { name: string }\n---\nHello {{name}}\n`,
      "evals/greet.yaml": `cases:\n  - id: a\n    vars: { name: Ada }\n    assert:\n      - { type: contains, value: Ada }\n`,
    };
    const used: Settings[] = [];
    const prepared = await preparePullRequestDiff({
      sources: {
        base: memorySource("base", {}),
        head: memorySource("head", head),
        changedFiles: Object.keys(head).map((path) => ({ status: "added" as const, path })),
      },
      inputs: { baseUrl: "http://127.0.0.1:3/v1" },
      createEngine: (settings) => {
        used.push(settings);
        return {
          chat: { complete: () => Promise.reject(new Error("unused")) },
          prices: {},
          concurrency: 1,
        };
      },
    });
    const defaults = defaultSettings();
    expect(used).toEqual([prepared.settings]);
    expect(prepared.settings.provider.baseUrl).toBe("http://127.0.0.1:3/v1");
    expect(prepared.settings.gates).toEqual(defaults.gates);
    expect(prepared.settings.repeats).toBe(defaults.repeats);
    expect(prepared.notices.map((n) => n.message)).toContain(
      "this PR changes the model endpoint (provider.base-url); it takes effect after merge",
    );
  });
});

describe("the README's table of what a pull request may change", () => {
  it("lists every setting with the side the code reads it from", async () => {
    const readme = await readFile("README.md", "utf8");
    const start = readme.indexOf("### What a pull request may change");
    expect(start).toBeGreaterThan(-1);
    const end = readme.indexOf("\n#", start + 4);
    const rows = readme
      .slice(start, end === -1 ? undefined : end)
      .split("\n")
      .filter((l) => /^\| `[a-z.-]+` \|/.test(l))
      .map((l) => l.split("|").map((c) => c.trim()));
    const table = new Map(rows.map((r) => [r[1]?.replace(/`/g, ""), r[2]]));
    const SIDE_WORDS: Record<SettingRule["side"], string> = {
      base: "base",
      "input-or-base": "input, else base",
      "base-and-new-from-head": "base; head may add models nothing prices",
      "base-once-set": "base once set",
      head: "head",
    };
    for (const rule of listSettingRules()) {
      expect([rule.key, table.get(rule.key)]).toEqual([rule.key, SIDE_WORDS[rule.side]]);
    }
    expect(table.size).toBe(listSettingRules().length);
  });
});
