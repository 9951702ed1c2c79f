import { describe, expect, it } from "vitest";
import { PromptgateError, PromptgateErrors } from "../../../src/errors.js";
import { parseEnvironments } from "../../../src/formats/environments.js";
import { parseGoldenSet } from "../../../src/formats/golden-set.js";
import {
  compareVersions,
  parsePromptFile,
  renderPrompt,
} from "../../../src/formats/prompt-file.js";
import { listPromptVersions, parsePromptPath } from "../../../src/formats/prompt-path.js";
import { loadRepo } from "../../../src/formats/repo.js";
import { parseSettings, parseSettingsOrDefaults } from "../../../src/formats/settings.js";

/** The first located error's message, for asserting "file:line:col: message". */
function messagesOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    if (e instanceof PromptgateErrors) return e.errors.map((x) => x.message);
    if (e instanceof PromptgateError) return [e.message];
    throw e;
  }
  throw new Error("expected an error");
}

const SETTINGS = `version: 1
provider: { base-url: https://api.openai.com/v1, concurrency: 16, timeout-s: 60 }
judge: { model: gpt-4o-2024-08-06 }
repeats: 3
baseline: production
gates:
  min-pass-rate: 0.90
  max-regression: 0.02
  confidence: 0.95
  critical: block
  max-cost-increase: 0.10
traffic: { support-answer: 50000/day }
prices:
  my-finetune: { input: 0.30, output: 1.20 }
rollout:
  order: [staging, canary, production]
  rules:
    rollback: { min-role: write, teams: [oncall] }
    promote-production: { min-role: maintain, teams: [ml-release] }
`;

describe("promptgate.yaml", () => {
  it("parses the design's example into camelCase settings with defaults", () => {
    const s = parseSettings(SETTINGS);
    expect(s.provider).toEqual({
      baseUrl: "https://api.openai.com/v1",
      concurrency: 16,
      timeoutMs: 60_000,
      retries: 3,
    });
    expect(s.gates).toMatchObject({ minPassRate: 0.9, maxRegression: 0.02, maxCostIncrease: 0.1 });
    expect(s.trafficPerDay["support-answer"]).toBe(50_000);
    expect(s.prices["my-finetune"]).toEqual({ input: 0.3, output: 1.2, cachedInput: undefined });
    expect(s.rollout.rules.rollback).toEqual({ minRole: "write", teams: ["oncall"] });
    // Unwritten rules take the documented defaults.
    expect(s.rollout.rules.promote.minRole).toBe("write");
    expect(s.rollout.rules.freeze.minRole).toBe("maintain");
  });

  it("converts traffic units to requests per day", () => {
    const s = parseSettings(
      "version: 1\ntraffic: { a: 2M/month, b: 100/hour, c: 700/week, d: 5 }\n",
    );
    expect(s.trafficPerDay.a).toBeCloseTo((2e6 * 12) / 365);
    expect(s.trafficPerDay.b).toBe(2400);
    expect(s.trafficPerDay.c).toBe(100);
    expect(s.trafficPerDay.d).toBe(5);
  });

  it("names file, line and column of an unknown key", () => {
    const text = SETTINGS.replace("  confidence: 0.95", "  confidance: 0.95");
    expect(messagesOf(() => parseSettings(text))).toEqual([
      'promptgate.yaml:9:3: unknown key "confidance" at gates',
    ]);
  });

  it("names the position of a value of the wrong type", () => {
    const text = SETTINGS.replace("min-pass-rate: 0.90", "min-pass-rate: high");
    const [msg] = messagesOf(() => parseSettings(text));
    expect(msg).toMatch(/^promptgate\.yaml:7:18: .*number.* at gates\.min-pass-rate$/);
  });

  it("rejects a bad traffic string where it stands", () => {
    const [msg] = messagesOf(() => parseSettings("version: 1\ntraffic:\n  a: lots\n"));
    expect(msg).toBe(
      'promptgate.yaml:3:6: traffic "lots" is not like "50000/day" or "2M/month" at traffic.a',
    );
  });

  it("reports YAML syntax errors with their position", () => {
    const [msg] = messagesOf(() => parseSettings("version: 1\ngates: { a: 1\n"));
    expect(msg).toMatch(/^promptgate\.yaml:\d+:\d+: /);
  });

  it("requires version: 1", () => {
    const [msg] = messagesOf(() => parseSettings("version: 2\n"));
    expect(msg).toMatch(/^promptgate\.yaml:1:10: .* at version$/);
  });
});

const ENVS = `# who serves what
environments:
  staging:
    prompts:
      support-answer: { version: v5, model: gpt-4o-mini-2024-07-18 }
  canary:
    traffic: 5
    prompts:
      support-answer: { version: v5 }
  production:
    prompts:
      support-answer: { version: v4, model: gpt-4o-2024-08-06 }
freezes: {}
`;

describe("prompt paths", () => {
  it("reads <prompt>/<version>.prompt and nothing else", () => {
    expect(parsePromptPath("support-answer/v3.prompt")).toEqual({
      prompt: "support-answer",
      version: "v3",
    });
    expect(parsePromptPath("v3.prompt")).toBeUndefined();
    expect(parsePromptPath("a/b/v3.prompt")).toBeUndefined();
    expect(parsePromptPath("a/v3.prompt~")).toBeUndefined();
  });

  it("groups the versions below the prompts folder by prompt", () => {
    const paths = [
      "p/a/v1.prompt",
      "p/a/v2.prompt",
      "p/b/v1.prompt",
      "p/a/notes.md",
      "q/c/v1.prompt",
    ];
    expect(Object.fromEntries(listPromptVersions(paths, "p/"))).toEqual({
      a: ["v1", "v2"],
      b: ["v1"],
    });
  });

  it("gives a repository without promptgate.yaml the defaults", () => {
    expect(parseSettingsOrDefaults(undefined).paths.prompts).toBe("prompts");
    expect(parseSettingsOrDefaults("version: 1\npaths: { prompts: p }\n").paths.prompts).toBe("p");
  });
});

describe("environments.yaml", () => {
  it("parses pins and canary traffic", () => {
    const e = parseEnvironments(ENVS);
    expect(e.environments.canary?.traffic).toBe(5);
    expect(e.environments.production?.prompts["support-answer"]).toEqual({
      version: "v4",
      model: "gpt-4o-2024-08-06",
    });
  });

  it("rejects traffic outside 0-100 at its line", () => {
    const [msg] = messagesOf(() => parseEnvironments(ENVS.replace("traffic: 5", "traffic: 150")));
    expect(msg).toMatch(/^environments\.yaml:7:14: .*100.* at environments\.canary\.traffic$/);
  });

  it("rejects an unknown key inside a pin", () => {
    const [msg] = messagesOf(() =>
      parseEnvironments(ENVS.replace("{ version: v5 }", "{ version: v5, modle: x }")),
    );
    expect(msg).toBe(
      'environments.yaml:9:38: unknown key "modle" at environments.canary.prompts.support-answer',
    );
  });
});

describe("golden sets", () => {
  const SET = `repeats: 3
cases:
  - id: refund-after-30-days
    vars: { question: "Can I get a refund after 30 days?" }
    critical: true
    tags: [billing]
    assert:
      - { type: icontains, value: "30 days" }
      - { type: not-contains, value: "guarantee" }
      - { type: llm-rubric, value: "Explains the policy politely" }
`;

  it("parses promptfoo assertion syntax with not- prefixes", () => {
    const g = parseGoldenSet(SET, "evals/support-answer.yaml");
    expect(g.cases[0]?.assert.map((a) => [a.type, a.negated])).toEqual([
      ["icontains", false],
      ["contains", true],
      ["llm-rubric", false],
    ]);
    expect(g.cases[0]?.critical).toBe(true);
  });

  it("rejects an unknown assertion type at its line", () => {
    const [msg] = messagesOf(() =>
      parseGoldenSet(SET.replace("type: icontains", "type: icontain"), "evals/a.yaml"),
    );
    expect(msg).toMatch(/^evals\/a\.yaml:8:17: unknown assertion type "icontain"/);
  });

  it("rejects a duplicate case id", () => {
    const twice = `${SET}  - id: refund-after-30-days\n    assert: [{ type: contains, value: x }]\n`;
    const [msg] = messagesOf(() => parseGoldenSet(twice, "evals/a.yaml"));
    expect(msg).toBe(
      'evals/a.yaml:11:9: duplicate case id "refund-after-30-days" (first at cases.0); ids must be unique and stable at cases.1.id',
    );
  });

  it("checks an assertion's value for its type", () => {
    const bad = SET.replace(
      '{ type: icontains, value: "30 days" }',
      "{ type: contains-any, value: 3 }",
    );
    const [msg] = messagesOf(() => parseGoldenSet(bad, "evals/a.yaml"));
    expect(msg).toMatch(
      /^evals\/a\.yaml:8:\d+: contains-any needs a list of strings, or one comma-separated string at cases\.0\.assert\.0\.value$/,
    );
  });

  it("rejects an invalid regex", () => {
    const bad = SET.replace('{ type: icontains, value: "30 days" }', '{ type: regex, value: "(" }');
    const [msg] = messagesOf(() => parseGoldenSet(bad, "evals/a.yaml"));
    expect(msg).toMatch(/invalid regex/);
  });
});

const PROMPT = `---
model: gpt-4o-mini-2024-07-18
config: { temperature: 0.2, maxOutputTokens: 400 }
input:
  schema: { question: string }
---
{{role "system"}}
You answer billing questions for Acme. Quote the policy; never promise refunds.
{{role "user"}}
{{question}}
`;

describe("prompt files", () => {
  it("parses front matter and renders chat messages with dotprompt", async () => {
    const pv = parsePromptFile(PROMPT, "prompts/support-answer/v1.prompt", "support-answer", "v1");
    expect(pv.model).toBe("gpt-4o-mini-2024-07-18");
    expect(pv.contentHash).toMatch(/^[0-9a-f]{64}$/);
    const messages = await renderPrompt(pv, { question: "Can I get a refund?" });
    expect(messages).toEqual([
      {
        role: "system",
        content: "You answer billing questions for Acme. Quote the policy; never promise refunds.",
      },
      { role: "user", content: "Can I get a refund?" },
    ]);
  });

  it("locates a front-matter typo on the file's own line numbers", () => {
    const [msg] = messagesOf(() =>
      parsePromptFile(PROMPT.replace("temperature", "temprature"), "p/v1.prompt", "p", "v1"),
    );
    expect(msg).toBe('p/v1.prompt:3:11: unknown key "temprature" at config');
  });

  it("requires front matter and a model", () => {
    expect(messagesOf(() => parsePromptFile("hello", "p/v1.prompt", "p", "v1"))[0]).toMatch(
      /^p\/v1\.prompt:1:1: missing YAML front matter/,
    );
    const [msg] = messagesOf(() =>
      parsePromptFile("---\nconfig: {}\n---\nhi", "p/v1.prompt", "p", "v1"),
    );
    expect(msg).toMatch(/^p\/v1\.prompt:2:1: .* at model$/);
  });

  it("strips a BOM but hashes the bytes as stored", () => {
    const pv = parsePromptFile(`\uFEFF${PROMPT}`, "p/v1.prompt", "p", "v1");
    const plain = parsePromptFile(PROMPT, "p/v1.prompt", "p", "v1");
    expect(pv.model).toBe(plain.model);
    expect(pv.contentHash).not.toBe(plain.contentHash);
  });

  const template = (body: string) => PROMPT.replace(/---\n\{\{role[\s\S]*$/, `---\n${body}`);

  it("locates a template syntax error on the file's own lines, at load", () => {
    // The template starts on line 7, after the front matter's six lines.
    const broken = template('{{role "system"}}\nBe brief.\n{{role "user"}}\n  Q: {{question}\n');
    expect(messagesOf(() => parsePromptFile(broken, "prompts/x/v1.prompt", "x", "v1"))).toEqual([
      'prompts/x/v1.prompt:10:16: template syntax error: unexpected "}"',
    ]);
    const unclosed = template('{{role "user"}}\n{{#if question}}\n  {{question}}\n');
    expect(messagesOf(() => parsePromptFile(unclosed, "p/v1.prompt", "p", "v1"))).toEqual([
      "p/v1.prompt:10:1: template syntax error: unexpected end of template (a {{ or {{#block}} is not closed)",
    ]);
    const crossed = template("{{#if question}}\n  {{question}}\n{{/each}}\n");
    expect(messagesOf(() => parsePromptFile(crossed, "p/v1.prompt", "p", "v1"))).toEqual([
      "p/v1.prompt:7:4: template syntax error: {{#if}} is closed by {{/each}}",
    ]);
    // The verdict is kept per content; the file named is still the one loaded.
    expect(messagesOf(() => parsePromptFile(crossed, "q/v2.prompt", "q", "v2"))).toEqual([
      "q/v2.prompt:7:4: template syntax error: {{#if}} is closed by {{/each}}",
    ]);
  });

  it("rejects a helper Dotprompt does not know, where it is used", () => {
    const typo = template('{{role "system"}}\nHi.\n{{rol "user"}}\n{{question}}\n');
    const err = (() => {
      try {
        parsePromptFile(typo, "p/v1.prompt", "p", "v1");
      } catch (e) {
        return (e as PromptgateErrors).errors[0];
      }
    })();
    expect(err?.message).toBe('p/v1.prompt:9:1: template: unknown helper "rol"');
    expect(err?.code).toBe("E_PROMPT");
    expect(err?.hint).toMatch(/role/);
  });

  it("reports a front-matter error and a template error of one file together", () => {
    const both = template("{{question").replace("temperature", "temprature");
    expect(messagesOf(() => parsePromptFile(both, "p/v1.prompt", "p", "v1"))).toEqual([
      'p/v1.prompt:3:11: unknown key "temprature" at config',
      'p/v1.prompt:7:3: template syntax error: unexpected "question"',
    ]);
  });

  it("accepts the helpers of Handlebars and Dotprompt", () => {
    const rich = template(
      '{{role "system"}}\n{{#if question}}{{json question}}{{else}}none{{/if}}\n{{#each tags}}{{this}}{{/each}}\n{{#ifEquals a b}}x{{/ifEquals}}\n{{role "user"}}\n{{question}}\n',
    );
    expect(parsePromptFile(rich, "p/v1.prompt", "p", "v1").model).toBe("gpt-4o-mini-2024-07-18");
  });

  it("orders versions naturally", () => {
    expect(["v10", "v2", "v1"].sort(compareVersions)).toEqual(["v1", "v2", "v10"]);
  });
});

describe("loadRepo", () => {
  const files: Record<string, string> = {
    "promptgate.yaml": "version: 1\n",
    "prompts/support-answer/v4.prompt": PROMPT,
    "prompts/support-answer/v5.prompt": PROMPT.replace("Acme", "Acme Inc"),
    "evals/support-answer.yaml": "cases:\n  - id: a\n    assert: [{ type: contains, value: x }]\n",
    "environments.yaml": ENVS,
  };
  const source = (over: Record<string, string | undefined>) => {
    const all = { ...files, ...over };
    return {
      label: "test",
      read: async (p: string) => all[p],
      list: async (dir: string) =>
        Object.keys(all).filter((f) => all[f] !== undefined && f.startsWith(`${dir}/`)),
    };
  };

  it("loads prompts in version order, golden sets and environments", async () => {
    const repo = await loadRepo(source({}));
    expect(repo.prompts.get("support-answer")?.map((v) => v.version)).toEqual(["v4", "v5"]);
    expect(repo.goldenSets.get("support-answer")?.set.cases).toHaveLength(1);
    expect(repo.environments?.environments.production?.prompts["support-answer"]?.version).toBe(
      "v4",
    );
  });

  it("reports every error across files in one pass, each located", async () => {
    const err = await loadRepo(
      source({
        "promptgate.yaml": "version: 1\nrepeat: 3\n",
        "environments.yaml": ENVS.replace("version: v4", "version: v9"),
        "evals/missing-prompt.yaml":
          "cases:\n  - id: a\n    assert: [{ type: contains, value: x }]\n",
      }),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PromptgateErrors);
    expect((err as PromptgateErrors).errors.map((e) => e.message)).toEqual([
      'promptgate.yaml:2:1: unknown key "repeat"',
      'evals/missing-prompt.yaml:1:1: golden set for unknown prompt "missing-prompt"',
      "environments.yaml:12:23: production pins support-answer@v9, which does not exist (have v4, v5)",
    ]);
  });

  const errorsOf = async (over: Record<string, string | undefined>) => {
    const err = await loadRepo(source(over)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PromptgateErrors);
    return (err as PromptgateErrors).errors.map((e) => e.message);
  };

  it("finds a broken template when the repository is loaded", async () => {
    expect(
      await errorsOf({
        "prompts/support-answer/v5.prompt": PROMPT.replace("{{question}}", "{{#if question}}"),
      }),
    ).toEqual([
      "prompts/support-answer/v5.prompt:11:1: template syntax error: unexpected end of template (a {{ or {{#block}} is not closed)",
    ]);
  });

  it("rejects a freeze of an environment that does not exist", async () => {
    const envs = ENVS.replace(
      "freezes: {}",
      "freezes:\n  production: { by: alice, since: 2025-01-01 }\n  prodution: { by: bob, since: 2025-01-02 }",
    );
    expect(await errorsOf({ "environments.yaml": envs })).toEqual([
      'environments.yaml:15:3: freeze of unknown environment "prodution"',
    ]);
  });

  it("leaves references unchecked for a base revision or a running app", async () => {
    const envs = ENVS.replace(
      "freezes: {}",
      "freezes:\n  prodution: { by: bob, since: 2025-01-02 }",
    );
    const settings = "version: 1\nbaseline: prod\n";
    const over = { "environments.yaml": envs, "promptgate.yaml": settings };
    expect(await errorsOf(over)).toHaveLength(2);
    const repo = await loadRepo(source(over), { checkReferences: false });
    expect(repo.settings.baseline).toBe("prod");
  });

  it("allows traffic only on canary", async () => {
    const envs = ENVS.replace("  production:\n", "  production:\n    traffic: 50\n");
    expect(await errorsOf({ "environments.yaml": envs })).toEqual([
      "environments.yaml:11:5: traffic is only for canary (the share of production requests its pins serve); production serves all of its requests",
    ]);
  });

  it("checks the environments promptgate.yaml names", async () => {
    const settings = [
      "version: 1",
      "baseline: prod",
      "rollout:",
      "  order: [staging, canary, prodution]",
      "  production: prodution",
      "",
    ].join("\n");
    expect(await errorsOf({ "promptgate.yaml": settings })).toEqual([
      'promptgate.yaml:2:11: baseline names unknown environment "prod"',
      'promptgate.yaml:4:28: rollout.order names unknown environment "prodution"',
      'promptgate.yaml:5:15: rollout.production names unknown environment "prodution"',
    ]);
  });

  it("checks the environments auto-rollback names", async () => {
    const settings =
      "version: 1\nauto-rollback:\n  environments: [canary, prodution]\n  metrics: [error-rate]\n";
    expect(await errorsOf({ "promptgate.yaml": settings })).toEqual([
      'promptgate.yaml:3:26: auto-rollback.environments names unknown environment "prodution"',
    ]);
  });

  it("asks for rollout.production when an order of one's own ends at another name", async () => {
    const envs = "environments:\n  dev: {}\n  canary: { traffic: 0 }\n  prod: {}\n";
    const settings = "version: 1\nrollout:\n  order: [dev, canary, prod]\n";
    expect(await errorsOf({ "environments.yaml": envs, "promptgate.yaml": settings })).toEqual([
      'promptgate.yaml:3:10: rollout.order ends at "prod", but no environment is named "production", the default of rollout.production',
    ]);
    const named = `${settings}  production: prod\n`;
    await expect(
      loadRepo(source({ "environments.yaml": envs, "promptgate.yaml": named })),
    ).resolves.toBeDefined();
  });

  it("does not hold defaults against a repository's own environment names", async () => {
    const envs = "environments:\n  dev: {}\n  prod: {}\n";
    // baseline, rollout.order and rollout.production default to names this repository lacks.
    await expect(loadRepo(source({ "environments.yaml": envs }))).resolves.toBeDefined();
    // Without environments.yaml nothing is deployed yet: the names refer to environments to come.
    const named = "version: 1\nbaseline: production\nrollout: { order: [staging, production] }\n";
    await expect(
      loadRepo(source({ "environments.yaml": undefined, "promptgate.yaml": named })),
    ).resolves.toBeDefined();
  });

  it("rejects traffic for a prompt that does not exist", async () => {
    const settings =
      "version: 1\ntraffic:\n  support-answer: 50000/day\n  suport-answer: 100/day\n";
    expect(await errorsOf({ "promptgate.yaml": settings })).toEqual([
      'promptgate.yaml:4:3: traffic for unknown prompt "suport-answer"',
    ]);
  });
});

describe("lazyLocator", () => {
  it("places a path where the parsed document's locator does, without keeping the document", async () => {
    const { lazyLocator, locator, parseYaml } = await import(
      "../../../src/formats/located-yaml.js"
    );
    const { goldenSetSchema } = await import("../../../src/formats/golden-set.js");
    const text = [
      "cases:",
      "  - id: a",
      "    vars: { q: one }",
      "    assert: [{ type: icontains, value: one }]",
      "  - id: b",
      "    assert:",
      "      - { type: regex, value: x }",
      "",
    ].join("\n");
    const eager = locator(parseYaml(text, "evals/x.yaml", goldenSetSchema), "evals/x.yaml");
    const lazy = lazyLocator(text, "evals/x.yaml");
    for (const path of [
      ["cases", 1, "assert", 0, "value"],
      ["cases", 0, "vars"],
      ["cases", 9],
    ]) {
      expect(lazy.at(path)).toEqual(eager.at(path));
      expect(lazy.has(path)).toBe(eager.has(path));
    }
    expect(lazy.at(["cases", 1, "assert", 0, "value"])).toMatchObject({ line: 7 });
    expect(lazy.key(["cases", 0], "vars")).toEqual(eager.key(["cases", 0], "vars"));
  });

  it("places paths the same in a big file, which it keeps deflated, and in one UTF-8 cannot hold", async () => {
    const { lazyLocator, locator, parseYaml } = await import(
      "../../../src/formats/located-yaml.js"
    );
    const { goldenSetSchema } = await import("../../../src/formats/golden-set.js");
    const caseLines = (i: number, question: string) => [
      `  - id: case-${i}`,
      `    vars: { question: "${question}", n: ${i} }`,
      "    assert:",
      `      - { type: icontains, value: "item ${i}" }`,
    ];
    const big = ["cases:"];
    for (let i = 0; i < 400; i++) big.push(...caseLines(i, `Où est l'article ${i} ? 🚚`));
    // A lone surrogate (in a comment) has no UTF-8 form: that text is kept as it is.
    const lone = `${big.join("\n")}\n# \ud800\n`;
    for (const text of [`${big.join("\n")}\n`, lone]) {
      const eager = locator(parseYaml(text, "evals/x.yaml", goldenSetSchema), "evals/x.yaml");
      const lazy = lazyLocator(text, "evals/x.yaml");
      // (`n` stands after non-ASCII text on its line: a column counted in the wrong encoding moves.)
      for (const path of [["cases", 3, "vars", "n"], ["cases", 399, "assert", 0, "value"], ["x"]]) {
        expect(lazy.at(path)).toEqual(eager.at(path));
        expect(lazy.has(path)).toBe(eager.has(path));
      }
    }
    const lazy = lazyLocator(`${big.join("\n")}\n`, "evals/x.yaml");
    expect(lazy.at(["cases", 399, "assert", 0, "value"])).toMatchObject({ line: 1 + 399 * 4 + 4 });
    expect(lazy.key(["cases", 7], "vars")).toMatchObject({ line: 1 + 7 * 4 + 2, column: 5 });
  });
});

describe("checkTextLimits", () => {
  it("measures nesting line by line: indentation, items, brackets, but not quoted or commented ones", async () => {
    const { checkTextLimits } = await import("../../../src/formats/located-yaml.js");
    const lineOf = (text: string): number | undefined => {
      try {
        checkTextLimits(text, "evals/x.yaml", 2);
        return undefined;
      } catch (e) {
        return (e as { location?: { line?: number } }).location?.line;
      }
    };
    const indented = Array.from({ length: 120 }, (_, i) => `${" ".repeat(i)}k${i}:`).join("\n");
    expect(lineOf(indented)).toBe(101 + 2);
    expect(lineOf(`a: 1\nb: ${"[".repeat(99)}${"]".repeat(99)}\n`)).toBeUndefined();
    expect(lineOf(`a: 1\n\n# x\nb: ${"[".repeat(101)}${"]".repeat(101)}\n`)).toBe(4 + 2);
    expect(lineOf(`a: "${"[".repeat(200)}" # ${"{".repeat(200)}\n`)).toBeUndefined();
    expect(lineOf(`a:\n${"- ".repeat(101)}x\n`)).toBe(2 + 2);
    // Brackets left open carry over to the next lines; a surrogate pair is no bracket.
    expect(lineOf(`a: ${"[".repeat(60)}\n  🚚 ${"[".repeat(41)}\n`)).toBe(2 + 2);
  });
});
