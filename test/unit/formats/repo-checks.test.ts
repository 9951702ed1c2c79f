import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { PromptgateErrors } from "../../../src/errors.js";
import { parsePromptFile } from "../../../src/formats/prompt-file.js";
import { type FileSource, loadRepo, type Repo } from "../../../src/formats/repo.js";
import { checkCaseVars, checkUngatedPins } from "../../../src/formats/repo-checks.js";
import { templateInputs } from "../../../src/formats/template-vars.js";
import { runCliCaptured } from "../../support/helpers/run-cli.js";

/** A prompt version whose template is `body` (after a front matter with `input`, if given). */
function version(v: string, body: string, input = "") {
  const text = `---\nmodel: gpt-4o-mini-2024-07-18\n${input}---\n${body}\n`;
  return parsePromptFile(text, `prompts/p/${v}.prompt`, "p", v);
}

const SETTINGS = "version: 1\n";
const ENVS = `environments:
  staging:
    prompts:
      p: { version: v2 }
  production:
    prompts:
      p: { version: v1 }
`;

function source(files: Record<string, string | undefined>): FileSource {
  return {
    label: "test",
    read: async (path) => files[path],
    list: async (dir) =>
      Object.keys(files)
        .filter((f) => files[f] !== undefined && f.startsWith(`${dir}/`))
        .sort(),
  };
}

const TWO_VERSIONS = {
  "promptgate.yaml": SETTINGS,
  "environments.yaml": ENVS,
  "prompts/p/v1.prompt":
    '---\nmodel: gpt-4o-mini-2024-07-18\ninput:\n  schema: { question: string }\n---\n{{role "system"}}\nAnswer.\n{{role "user"}}\n{{question}}\n',
  "prompts/p/v2.prompt":
    '---\nmodel: gpt-4o-mini-2024-07-18\ninput:\n  schema: { question: string, locale?: string }\n---\n{{role "system"}}\nAnswer{{#if locale}} in {{locale}}{{/if}}.\n{{role "user"}}\n{{question}}\n',
};

function goldenSet(cases: string[]): string {
  return `cases:\n${cases.map((c) => `  - ${c}\n    assert: [{ type: contains, value: x }]\n`).join("")}`;
}

async function loaded(files: Record<string, string | undefined>): Promise<Repo> {
  return loadRepo(source({ ...TWO_VERSIONS, ...files }));
}

async function varsFindings(files: Record<string, string | undefined>) {
  const repo = await loaded(files);
  const set = repo.goldenSets.get("p");
  if (!set) throw new Error("no golden set");
  const f = checkCaseVars(set, repo.prompts.get("p") ?? []);
  return { errors: f.errors.map((e) => e.message), warnings: f.warnings.map((e) => e.message) };
}

describe("template variables", () => {
  it("finds what a template reads, and what it needs outside blocks", () => {
    const inputs = templateInputs(
      version(
        "v1",
        [
          '{{role "system"}}',
          "Hello {{customer.name}}, {{json order}} {{media url=photo}}",
          "{{#if vip}}VIP since {{since}}{{else}}{{tier}}{{/if}}",
          "{{#each items as |item|}}{{item.sku}} {{name}} {{@index}} {{../currency}}{{/each}}",
          "{{#with address}}{{street}}{{/with}} {{@root.country}} {{lookup table key}}",
          "{{history}}",
        ].join("\n"),
      ),
    );
    expect([...(inputs?.used ?? [])].sort()).toEqual([
      "address",
      "country",
      "currency",
      "customer",
      "items",
      "key",
      "order",
      "photo",
      "since",
      "table",
      "tier",
      "vip",
    ]);
    expect([...(inputs?.required ?? [])].sort()).toEqual([
      "country",
      "customer",
      "key",
      "order",
      "photo",
      "table",
    ]);
    expect(inputs?.open).toBe(false);
  });

  it("reads declared and optional names from the front matter, and {{this}} as every name", () => {
    const pico = templateInputs(
      version(
        "v1",
        "{{question}}",
        "input:\n  schema:\n    question: string\n    locale?: string\n    tone?(enum, how): [a, b]\n  default: { region: eu }\n",
      ),
    );
    expect([...(pico?.declared ?? [])].sort()).toEqual(["locale", "question", "region", "tone"]);
    expect([...(pico?.optional ?? [])].sort()).toEqual(["locale", "region", "tone"]);
    expect(templateInputs(version("v2", "{{json this}}"))?.open).toBe(true);
    expect(templateInputs(version("v3", "{{question}}"))?.open).toBe(false);
  });

  it("reads a Mustache-style section's name, and what its body may read, as used, never required", () => {
    const inputs = templateInputs(
      version(
        "v1",
        [
          "{{question}}",
          // customer may be a boolean (same context: name is an input) or an object (its own).
          "{{#customer}}Hi {{name}}, {{../greeting}}{{/customer}}",
          "{{^flag}}no flag {{reason}}{{/flag}}",
          "{{#orders}}{{sku}}{{else}}{{fallback}}{{/orders}}",
          "{{#account.owner}}{{email}}{{/account.owner}}",
        ].join("\n"),
      ),
    );
    expect([...(inputs?.used ?? [])].sort()).toEqual([
      "account",
      "customer",
      "email",
      "fallback",
      "flag",
      "greeting",
      "name",
      "orders",
      "question",
      "reason",
      "sku",
    ]);
    expect([...(inputs?.required ?? [])]).toEqual(["question"]);
    expect(inputs?.open).toBe(false);
  });
});

describe("a golden set's vars against its prompt's templates", () => {
  it("reports a misspelt var at its key, with the variables the prompt reads", async () => {
    const { errors, warnings } = await varsFindings({
      "evals/p.yaml": goldenSet([
        'id: ok\n    vars: { question: "hi?" }',
        'id: typo\n    vars: { questoin: "refund?" }',
        'id: stray\n    vars: { question: "q", ticket: 42 }',
      ]),
    });
    // The typo is reported once: not also as a case without "question".
    expect(errors).toEqual([
      'evals/p.yaml:6:13: case "typo": var "questoin" is read by no version of p; did you mean "question"?',
      'evals/p.yaml:9:28: case "stray": var "ticket" is read by no version of p',
    ]);
    expect(warnings).toEqual([]);
  });

  it("names the variables the prompt reads in the hint", async () => {
    const repo = await loaded({
      "evals/p.yaml": goldenSet(['id: a\n    vars: { question: "q", ticket: 42 }']),
    });
    const set = repo.goldenSets.get("p");
    if (!set) throw new Error("no golden set");
    const [error] = checkCaseVars(set, repo.prompts.get("p") ?? []).errors;
    expect(error?.hint).toMatch(/^p's templates read \{\{locale\}\}, \{\{question\}\};/);
  });

  it("reports a variable the latest version reads that a case does not give", async () => {
    const { errors } = await varsFindings({
      "evals/p.yaml": goldenSet([
        'id: a\n    vars: { question: "q" }',
        "id: b\n    tags: [x]",
        "id: c\n    vars: { locale: de }",
      ]),
    });
    expect(errors).toEqual([
      'evals/p.yaml:5:5: 2 cases ("b", "c") give no "question", which p@v2 reads: it would render empty',
    ]);
  });

  it("reports a variable the schema requires, even if read only inside a block", async () => {
    const { errors } = await varsFindings({
      "prompts/p/v3.prompt":
        "---\nmodel: m\ninput:\n  schema: { question: string, tone: string }\n---\n{{question}}{{#if tone}} ({{tone}}){{/if}}\n",
      "evals/p.yaml": goldenSet(['id: a\n    vars: { question: "q" }']),
    });
    expect(errors).toEqual([
      'evals/p.yaml:3:5: case "a" gives no "tone", which the input.schema of p@v3 requires',
    ]);
  });

  it("accepts a variable the template only reads inside a block, or with a default", async () => {
    const { errors, warnings } = await varsFindings({
      "prompts/p/v3.prompt":
        '---\nmodel: m\ninput:\n  default: { question: "?" }\n---\n{{#if locale}}{{locale}}{{/if}} {{question}}\n',
      "evals/p.yaml": goldenSet([
        "id: a\n    vars: { locale: de }",
        "id: b\n    description: none",
      ]),
    });
    expect(errors).toEqual([]);
    // v1 and v2 (the versions still pinned) read question, with no default.
    expect(warnings).toEqual([
      'evals/p.yaml:3:5: 2 cases ("a", "b") give no "question", which p@v1, p@v2 read: evaluated (as a diff\'s baseline, say), it renders empty',
    ]);
  });

  it("accepts the vars a Mustache-style section and its body read", async () => {
    const { errors, warnings } = await varsFindings({
      "prompts/p/v3.prompt":
        "---\nmodel: m\n---\n{{question}}\n{{#customer}}Hi {{name}}.{{/customer}}\n{{^flag}}Be brief.{{/flag}}\n",
      "evals/p.yaml": goldenSet([
        'id: a\n    vars: { question: "q", customer: true, name: Ada, flag: false }',
        'id: b\n    vars: { question: "q", customer: { name: Ada }, flag: true }',
        'id: c\n    vars: { question: "q" }',
      ]),
    });
    expect(errors).toEqual([]);
    expect(warnings).toEqual([]);
  });

  it("warns only when an earlier version reads a variable the cases no longer give", async () => {
    const { errors, warnings } = await varsFindings({
      "prompts/p/v3.prompt": "---\nmodel: m\n---\n{{query}}\n",
      "evals/p.yaml": goldenSet(['id: a\n    vars: { query: "q" }']),
    });
    expect(errors).toEqual([]);
    expect(warnings).toEqual([
      'evals/p.yaml:3:5: case "a" gives no "question", which p@v1, p@v2 read: evaluated (as a diff\'s baseline, say), it renders empty',
    ]);
  });
});

describe("files that look meant to be read", () => {
  const GOLDEN = goldenSet(['id: a\n    vars: { question: "q" }']);
  const errorsOf = async (files: Record<string, string>) => {
    const err = await loaded({ "evals/p.yaml": GOLDEN, ...files }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PromptgateErrors);
    return (err as PromptgateErrors).errors.map((e) => e.message);
  };
  const PROMPT = TWO_VERSIONS["prompts/p/v1.prompt"];

  it("reports a misspelt extension or a prompt file out of place, with the name to use", async () => {
    expect(
      await errorsOf({
        "prompts/p/v9.promt": PROMPT,
        "prompts/p/v8.PROMPT": PROMPT,
        "prompts/p/v7": PROMPT,
        "prompts/q.prompt": PROMPT,
        "prompts/team/q/v1.prompt": PROMPT,
        "evals/p.yml": GOLDEN,
        "evals/q.ymal": GOLDEN,
        "evals/r.YAML": GOLDEN,
      }),
    ).toEqual([
      "prompts/p/v7: not read: prompt versions end in .prompt; rename to prompts/p/v7.prompt",
      "prompts/p/v8.PROMPT: not read: prompt versions end in .prompt; rename to prompts/p/v8.prompt",
      "prompts/p/v9.promt: not read: prompt versions end in .prompt; rename to prompts/p/v9.prompt",
      "prompts/q.prompt: not read: a prompt file must be in its prompt's folder, one level below prompts/; move it to prompts/q/v1.prompt",
      "prompts/team/q/v1.prompt: not read: a prompt file must be in its prompt's folder, one level below prompts/; move it to prompts/<prompt>/v1.prompt",
      "evals/p.yml: a second golden set for p (the first is evals/p.yaml); only one would be read",
      "evals/q.ymal: not read: golden sets end in .yaml; rename to evals/q.yaml",
      "evals/r.YAML: not read: golden sets end in .yaml; rename to evals/r.yaml",
    ]);
  });

  it("ignores notes, backups, hidden files and other tools' files", async () => {
    const repo = await loaded({
      "evals/p.yaml": GOLDEN,
      "prompts/README.md": "notes",
      "prompts/p/notes.txt": "notes",
      "prompts/p/v1.prompt~": PROMPT,
      "prompts/p/v1.prompt.bak": PROMPT,
      "prompts/p/.v1.prompt.swp": PROMPT,
      "prompts/p/v1.prompty": PROMPT,
      "evals/README.md": "notes",
      "evals/data/rows.yaml": "a: 1",
      "evals/p.json": "{}",
    });
    expect(repo.goldenSets.size).toBe(1);
  });

  it("suggests the prompt a golden set's name is one slip from", async () => {
    const err = await loaded({
      "evals/p.yaml": GOLDEN,
      "prompts/summary/v1.prompt": PROMPT,
      "evals/sumary.yaml": GOLDEN,
    }).catch((e: unknown) => e);
    expect((err as PromptgateErrors).errors.map((e) => [e.message, e.hint])).toEqual([
      [
        'evals/sumary.yaml:1:1: golden set for unknown prompt "sumary"',
        "did you mean evals/summary.yaml? Rename the file, or add prompts/sumary/v1.prompt",
      ],
    ]);
  });

  it("leaves names unchecked for a base revision or a running app", async () => {
    const repo = await loadRepo(
      source({ ...TWO_VERSIONS, "evals/p.yaml": GOLDEN, "prompts/p/v9.promt": PROMPT }),
      { checkReferences: false },
    );
    expect(repo.prompts.get("p")?.map((v) => v.version)).toEqual(["v1", "v2"]);
  });
});

describe("a pinned prompt without a golden set", () => {
  it("is a warning at its first pin", async () => {
    const repo = await loaded({});
    expect((await checkUngatedPins(repo)).map((w) => [w.message, w.hint])).toEqual([
      [
        "environments.yaml:4:7: p is pinned in staging, production but has no golden set: a change to it cannot be evaluated, so nothing gates it",
        "add evals/p.yaml",
      ],
    ]);
    const covered = await loaded({
      "evals/p.yaml": goldenSet(['id: a\n    vars: { question: "q" }']),
    });
    expect(await checkUngatedPins(covered)).toEqual([]);
  });
});

describe("promptgate validate", () => {
  const EXAMPLES = resolve("examples");

  /** validate (or `command`) on a copy of examples/ with files edited (a function), written (a string) or removed. */
  async function validate(
    edits: Record<string, string | null | ((text: string) => string)>,
    command = "validate",
  ) {
    const dir = await mkdtemp(join(tmpdir(), "promptgate-validate-"));
    try {
      await cp(EXAMPLES, dir, { recursive: true });
      for (const [file, edit] of Object.entries(edits)) {
        const path = join(dir, file);
        await mkdir(dirname(path), { recursive: true });
        if (edit === null) {
          await rm(path);
          continue;
        }
        if (typeof edit === "string") {
          await writeFile(path, edit);
          continue;
        }
        const text = await readFile(path, "utf8");
        const edited = edit(text);
        expect(edited).not.toBe(text);
        await writeFile(path, edited);
      }
      return await runCliCaptured([command, "--root", dir], { cwd: dir });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  it("passes the demo repository with no warning", async () => {
    const r = await validate({});
    expect(r.err).toBe("");
    expect(r.out).toBe("ok: 3 prompts (7 versions), 3 golden sets (55 cases), 3 environments\n");
    expect(r.code).toBe(0);
  });

  it("fails a misspelt var, located at its key, with a suggestion", async () => {
    const r = await validate({
      "evals/support-answer.yaml": (t) => t.replace("vars: { question:", "vars: { questoin:"),
    });
    expect(r.code).toBe(1);
    expect(r.err).toMatch(
      /^error E_SCHEMA: evals\/support-answer\.yaml:5:13: case "refund-annual-within-30-days": var "questoin" is read by no version of support-answer; did you mean "question"\?\n {2}hint: support-answer's templates read \{\{question\}\};/,
    );
    expect(r.out).toBe("");
  });

  it("stops an eval of that golden set before anything is sent (no key needed to say so)", async () => {
    const r = await validate(
      {
        "evals/support-answer.yaml": (t) => t.replace("vars: { question:", "vars: { questoin:"),
      },
      "eval",
    );
    expect(r.code).not.toBe(0);
    // A file error, as validate says: 1, not the 2 of bad usage.
    expect(r.code).toBe(1);
    expect(r.err).toMatch(
      /evals\/support-answer\.yaml:5:13: .*var "questoin" is read by no version/,
    );
    expect(r.err).toMatch(/^error E_SCHEMA: /);
    expect(r.err).not.toMatch(/OPENAI_API_KEY/);
  });

  it("fails a file whose name looks meant to be read", async () => {
    const prompt = await readFile(join(EXAMPLES, "prompts/support-answer/v3.prompt"), "utf8");
    const r = await validate({ "prompts/support-answer/v9.promt": prompt });
    expect(r.code).toBe(1);
    expect(r.err).toBe(
      "error E_PROMPT: prompts/support-answer/v9.promt: not read: prompt versions end in .prompt; rename to prompts/support-answer/v9.prompt\n" +
        "  hint: prompt versions are prompts/<prompt>/<version>.prompt; only those are loaded, evaluated and gated\n" +
        // Every non-zero exit ends with its reason in one line.
        "promptgate validate: 1 problem in the files (above)\n",
    );
  });

  it("warns of a pinned prompt without a golden set, and still passes", async () => {
    const r = await validate({ "evals/summarize-thread.yaml": null });
    expect(r.err).toBe(
      "warning E_NOT_FOUND: environments.yaml:8:7: summarize-thread is pinned in staging, canary, production but has no golden set: a change to it cannot be evaluated, so nothing gates it\n" +
        "  hint: add evals/summarize-thread.yaml\n",
    );
    expect(r.out).toBe(
      "ok: 3 prompts (7 versions), 2 golden sets (40 cases), 3 environments, 1 warning\n",
    );
    expect(r.code).toBe(0);
  });
  const toAlias = (t: string) => t.replace("model: gpt-4.1-nano-2025-04-14", "model: gpt-4.1-nano");
  const pinAlias = (t: string) =>
    t.replace(
      "production:\n    prompts:\n      support-answer: { version: v2, model: gpt-4o-mini-2024-07-18 }",
      "production:\n    prompts:\n      support-answer: { version: v2, model: gpt-4o-mini }",
    );

  it("warns of a prompt and a pin whose model is an undated alias, at their lines, and passes", async () => {
    const r = await validate({
      "prompts/ticket-triage/v2.prompt": toAlias,
      "environments.yaml": pinAlias,
    });
    expect(r.err).toBe(
      "warning E_LINT: environments.yaml:17:45: production pins support-answer@v2: model `gpt-4o-mini` is an undated alias; pin `gpt-4o-mini-2024-07-18`: an alias changes under you\n" +
        "  hint: write the dated name in environments.yaml; or set lint: { model-aliases: off } in promptgate.yaml\n" +
        "warning E_LINT: prompts/ticket-triage/v2.prompt:2:8: ticket-triage@v2: model `gpt-4.1-nano` is an undated alias; pin `gpt-4.1-nano-2025-04-14`: an alias changes under you\n" +
        "  hint: write the dated name in prompts/ticket-triage/v2.prompt; or set lint: { model-aliases: off } in promptgate.yaml\n",
    );
    expect(r.out).toContain("2 warnings");
    expect(r.code).toBe(0);
  });

  it("warns of a pin's fallback on an alias, at the fallback's model, and not of a dated one", async () => {
    const r = await validate({
      "environments.yaml": (t) =>
        t.replace(
          "production:\n    prompts:\n      support-answer: { version: v2, model: gpt-4o-mini-2024-07-18 }",
          "production:\n    prompts:\n      support-answer:\n        version: v2\n        model: gpt-4o-mini-2024-07-18\n        fallback:\n          - { model: gpt-4o-2024-08-06 }\n          - { model: gpt-4o, base-url: https://backup.example.com/v1 }",
        ),
    });
    expect(r.err).toBe(
      "warning E_LINT: environments.yaml:22:22: production pins support-answer@v2, fallback 2: model `gpt-4o` is an undated alias; pin one of `gpt-4o-2024-08-06`, `gpt-4o-2024-11-20`: an alias changes under you\n" +
        "  hint: write the dated name in environments.yaml; or set lint: { model-aliases: off } in promptgate.yaml\n",
    );
    expect(r.code).toBe(0);
    const strict = await validate({
      "environments.yaml": (t) =>
        t.replace(
          "support-answer: { version: v2, model: gpt-4o-mini-2024-07-18 }\n      ticket-triage: { version: v1, model: gpt-4o-mini-2024-07-18 }\n      summarize-thread: { version: v1,",
          "support-answer: { version: v2, model: gpt-4o-mini-2024-07-18, fallback: [{ model: claude-3-5-sonnet-latest }] }\n      ticket-triage: { version: v1, model: gpt-4o-mini-2024-07-18 }\n      summarize-thread: { version: v1,",
        ),
      "promptgate.yaml": (t) => `${t}lint: { model-aliases: error }\n`,
    });
    expect(strict.code).toBe(1);
    expect(strict.err).toMatch(
      /^error E_LINT: environments\.yaml:17:\d+: production pins support-answer@v2, fallback 1: model `claude-3-5-sonnet-latest` is an undated alias/,
    );
  });

  it("fails the alias with lint.model-aliases: error, and says nothing with off", async () => {
    const strict = await validate({
      "prompts/ticket-triage/v2.prompt": toAlias,
      "promptgate.yaml": (t) => `${t}lint: { model-aliases: error }\n`,
    });
    expect(strict.code).toBe(1);
    expect(strict.err).toMatch(
      /^error E_LINT: prompts\/ticket-triage\/v2\.prompt:2:8: ticket-triage@v2: model `gpt-4\.1-nano` is an undated alias/,
    );
    const off = await validate({
      "prompts/ticket-triage/v2.prompt": toAlias,
      "promptgate.yaml": (t) => `${t}lint: { model-aliases: off }\n`,
    });
    expect(off.err).toBe("");
    expect(off.code).toBe(0);
  });
});
