import { stringify } from "yaml";
import { z } from "zod";
import { PromptgateError, type SourceLocation } from "../errors.js";
import { ASSERTION_TYPES } from "./golden-set.js";
import { type Locator, locator, parseYaml } from "./located-yaml.js";

/**
 * `promptgate import promptfoo`: a promptfoo config turned into promptgate's files, and the list of
 * what could not be carried over, each at its file and line. Pure: files are read through
 * `readFile` (paths relative to the config's folder) and the result is returned, not written.
 */

export interface ImportNote {
  location: SourceLocation;
  message: string;
}

export interface ImportResult {
  /** Path (relative to the output folder) → content. */
  files: Map<string, string>;
  notes: ImportNote[];
  prompts: string[];
  cases: number;
}

export type ReadFile = (path: string) => Promise<string | undefined>;

const DEFAULT_MODEL = "gpt-4o-mini";
/** Test keys promptgate has a place for; any other is reported. */
const CASE_KEYS = new Set(["description", "vars", "assert", "threshold"]);
const CONFIG_KEYS = new Set(["description", "prompts", "providers", "tests", "defaultTest"]);
const ASSERTION_KEYS = new Set(["type", "value", "threshold", "weight", "metric"]);
const CODE_TYPES = new Set(["javascript", "python", "ruby", "webhook"]);
const DATA_FILE = /\.(json|ya?ml|txt|md)$/i;

type Json = Record<string, unknown>;
const isRecord = (v: unknown): v is Json =>
  typeof v === "object" && v !== null && !Array.isArray(v);

interface Source {
  file: string;
  at: Locator;
}

export async function importPromptfoo(
  configText: string,
  configFile: string,
  readFile: ReadFile,
): Promise<ImportResult> {
  const notes: ImportNote[] = [];
  const parsed = parseYaml(configText, configFile, z.unknown());
  const config = parsed.value;
  if (!isRecord(config) || (!("prompts" in config) && !("tests" in config))) {
    throw new PromptgateError(
      "E_USAGE",
      `${configFile} is not a promptfoo config (no prompts or tests)`,
      {
        hint: "pass the promptfooconfig.yaml of a promptfoo project",
      },
    );
  }
  const main: Source = { file: configFile, at: locator(parsed, configFile) };
  const note: Note = (src, path, message, key) =>
    notes.push({ location: key === undefined ? src.at.at(path) : src.at.key(path, key), message });

  for (const key of Object.keys(config)) {
    if (!CONFIG_KEYS.has(key))
      note(main, [], `"${key}" is not carried over: promptgate has no such setting`, key);
  }

  // Providers: the model of the prompts; their configuration stays behind.
  const providers = Array.isArray(config.providers)
    ? config.providers
    : config.providers === undefined
      ? []
      : [config.providers];
  const firstProvider = providers[0];
  const providerId =
    typeof firstProvider === "string"
      ? firstProvider
      : isRecord(firstProvider)
        ? firstProvider.id
        : undefined;
  const model =
    typeof providerId === "string"
      ? (providerId.split(":").at(-1) ?? DEFAULT_MODEL)
      : DEFAULT_MODEL;
  if (providers.length > 0) {
    note(
      main,
      ["providers"],
      `providers are not carried over (promptgate reads the endpoint from promptgate.yaml and OPENAI_BASE_URL/OPENAI_API_KEY, and runs one model per prompt version): the prompts use "${model}"${providers.length > 1 ? `; ${providers.length - 1} other provider(s) dropped` : ""}`,
    );
  }

  // Prompts.
  const files = new Map<string, string>();
  const promptList = Array.isArray(config.prompts)
    ? config.prompts
    : config.prompts === undefined
      ? []
      : [config.prompts];
  const promptNames: string[] = [];
  const baseDir = dirName(configFile.replaceAll("\\", "/"));
  for (const [i, p] of promptList.entries()) {
    const raw = typeof p === "string" ? p : isRecord(p) ? (p.raw ?? p.id) : undefined;
    const label = isRecord(p) && typeof p.label === "string" ? p.label : undefined;
    if (typeof raw !== "string") {
      note(
        main,
        ["prompts", i],
        "this prompt is not carried over: expected a file reference or a string",
      );
      continue;
    }
    let text = raw;
    let nameHint = label ?? `prompt-${i + 1}`;
    const ref = fileRef(raw);
    if (ref !== undefined) {
      if (/\.(js|cjs|mjs|ts|py|rb)(:|$)/.test(ref) || ref.includes("*")) {
        note(
          main,
          ["prompts", i],
          `${raw} is not carried over: a prompt made by code (or a glob) cannot be imported`,
        );
        continue;
      }
      const content = await readFile(joinPath(baseDir, ref));
      if (content === undefined) {
        note(main, ["prompts", i], `${raw} is not carried over: the file cannot be read`);
        continue;
      }
      text = content;
      nameHint = label ?? baseName(ref).replace(/\.[^.]*$/, "");
      if (/\.json$/i.test(ref)) {
        note(
          main,
          ["prompts", i],
          `${raw}: a chat-format JSON prompt is copied as text; rewrite it with {{role}} markers`,
        );
      }
    }
    if (/\{%|\|\s*\w+\s*\}\}/.test(text)) {
      note(
        main,
        ["prompts", i],
        "the prompt uses Nunjucks tags or filters, which Handlebars (Dotprompt) does not read: rewrite them",
      );
    }
    const name = uniqueName(slug(nameHint) || `prompt-${i + 1}`, promptNames);
    promptNames.push(name);
    files.set(
      `prompts/${name}/v1.prompt`,
      `---\nmodel: ${model}\n---\n${text.endsWith("\n") ? text : `${text}\n`}`,
    );
  }

  // Tests: defaultTest, then each test, possibly from files.
  const defaults = await readDefaultTest(config.defaultTest, main, note, readFile, baseDir);
  const tests: { test: unknown; src: Source; path: (string | number)[] }[] = [];
  const collect = async (value: unknown, src: Source, path: (string | number)[]) => {
    if (typeof value === "string") {
      const ref = fileRef(value) ?? value;
      if (!/\.ya?ml$/i.test(ref)) {
        note(
          src,
          path,
          `${value} is not carried over: only YAML test files are imported (convert CSV or script tests to YAML)`,
        );
        return;
      }
      const file = joinPath(baseDir, ref);
      const text = await readFile(file);
      if (text === undefined) {
        note(src, path, `${value} is not carried over: the file cannot be read`);
        return;
      }
      const p = parseYaml(text, file, z.unknown());
      const inner: Source = { file, at: locator(p, file) };
      await collect(p.value, inner, []);
    } else if (Array.isArray(value)) {
      for (const [i, t] of value.entries()) {
        if (typeof t === "string") await collect(t, src, [...path, i]);
        else tests.push({ test: t, src, path: [...path, i] });
      }
    } else if (value !== undefined) {
      note(src, path, "tests are not carried over: expected a list or a file reference");
    }
  };
  await collect(config.tests, main, ["tests"]);

  const cases: Json[] = [];
  const ids: string[] = [];
  let usesJudge = false;
  for (const { test, src, path } of tests) {
    if (!isRecord(test)) {
      note(src, path, "this test is not carried over: expected a map");
      continue;
    }
    for (const key of Object.keys(test)) {
      if (!CASE_KEYS.has(key))
        note(
          src,
          path,
          `"${key}" is not carried over: promptgate golden sets have no such key`,
          key,
        );
    }
    const vars = {
      ...defaults.vars,
      ...(isRecord(test.vars)
        ? await inlineVars(test.vars, src, [...path, "vars"], note, readFile, baseDir)
        : {}),
    };
    const own = Array.isArray(test.assert)
      ? await convertAssertions(test.assert, src, [...path, "assert"], note, readFile, baseDir)
      : [];
    const assert = [...defaults.assert, ...own];
    if (assert.length === 0) {
      note(
        src,
        path,
        "this test is not carried over: none of its assertions could be (a golden-set case needs one)",
      );
      continue;
    }
    if (assert.some((a) => String(a.type).endsWith("llm-rubric"))) usesJudge = true;
    const description = typeof test.description === "string" ? test.description : undefined;
    const threshold = typeof test.threshold === "number" ? test.threshold : defaults.threshold;
    // promptfoo runs a test once per value of a var given as a list: one case each.
    for (const [k, v] of expandVars(vars).entries()) {
      const base = slug(description ?? "") || `case-${cases.length + 1}`;
      const id = uniqueName(expandVars(vars).length > 1 ? `${base}-${k + 1}` : base, ids);
      ids.push(id);
      cases.push({
        id,
        ...(description ? { description } : {}),
        ...(Object.keys(v).length > 0 ? { vars: v } : {}),
        ...(threshold !== undefined ? { threshold } : {}),
        assert,
      });
    }
  }

  if (cases.length > 0) {
    const header = `# Imported from ${baseName(configFile)} by \`promptgate import promptfoo\`.\n`;
    for (const name of promptNames) {
      files.set(`evals/${name}.yaml`, header + stringify({ cases }, { lineWidth: 100 }));
    }
  } else if (promptNames.length > 0) {
    note(main, ["tests"], "no test could be carried over, so no golden set was written");
  }
  files.set(
    "promptgate.yaml",
    `# Written by \`promptgate import promptfoo\`: check the judge model and the gates.\nversion: 1\n${usesJudge ? `judge: { model: ${model} }\n` : ""}`,
  );
  return { files, notes, prompts: promptNames, cases: cases.length };
}

/** A problem at `path`, or at the key `key` of the map at `path` (an unknown key). */
type Note = (src: Source, path: (string | number)[], message: string, key?: string) => void;

async function readDefaultTest(
  value: unknown,
  src: Source,
  note: Note,
  readFile: ReadFile,
  baseDir: string,
): Promise<{ vars: Json; assert: Json[]; threshold: number | undefined }> {
  const none = { vars: {}, assert: [], threshold: undefined };
  if (value === undefined) return none;
  if (!isRecord(value)) {
    note(
      src,
      ["defaultTest"],
      "defaultTest is not carried over: expected a map (a file reference is not read)",
    );
    return none;
  }
  for (const key of Object.keys(value)) {
    if (!CASE_KEYS.has(key) || key === "description") {
      note(src, ["defaultTest"], `"${key}" of defaultTest is not carried over`, key);
    }
  }
  return {
    vars: isRecord(value.vars)
      ? await inlineVars(value.vars, src, ["defaultTest", "vars"], note, readFile, baseDir)
      : {},
    assert: Array.isArray(value.assert)
      ? await convertAssertions(
          value.assert,
          src,
          ["defaultTest", "assert"],
          note,
          readFile,
          baseDir,
        )
      : [],
    threshold: typeof value.threshold === "number" ? value.threshold : undefined,
  };
}

async function convertAssertions(
  list: unknown[],
  src: Source,
  path: (string | number)[],
  note: Note,
  readFile: ReadFile,
  baseDir: string,
): Promise<Json[]> {
  const out: Json[] = [];
  for (const [i, a] of list.entries()) {
    const at = [...path, i];
    if (!isRecord(a) || typeof a.type !== "string") {
      note(src, at, "this assertion is not carried over: expected a map with a type");
      continue;
    }
    const base = a.type.startsWith("not-") ? a.type.slice(4) : a.type;
    if (CODE_TYPES.has(base)) {
      note(
        src,
        [...at, "type"],
        `${a.type} is not carried over: promptgate runs no code from the repository`,
      );
      continue;
    }
    if (!(ASSERTION_TYPES as readonly string[]).includes(base)) {
      note(
        src,
        [...at, "type"],
        `${a.type} is not carried over: promptgate does not support this assertion type`,
      );
      continue;
    }
    const converted: Json = {};
    for (const [key, v] of Object.entries(a)) {
      if (ASSERTION_KEYS.has(key)) converted[key] = v;
      else note(src, at, `"${key}" of this ${a.type} is not carried over`, key);
    }
    if (typeof a.value === "string" && fileRef(a.value) !== undefined) {
      const inlined = await inlineFile(a.value, readFile, baseDir);
      if (!inlined.ok) {
        note(src, [...at, "value"], `${a.type} is not carried over: ${a.value} ${inlined.why}`);
        continue;
      }
      converted.value = inlined.value;
    }
    out.push(converted);
  }
  return out;
}

async function inlineVars(
  vars: Json,
  src: Source,
  path: (string | number)[],
  note: Note,
  readFile: ReadFile,
  baseDir: string,
): Promise<Json> {
  const out: Json = {};
  for (const [key, v] of Object.entries(vars)) {
    if (typeof v === "string" && fileRef(v) !== undefined) {
      const inlined = await inlineFile(v, readFile, baseDir, true);
      if (inlined.ok) out[key] = inlined.value;
      else {
        note(src, [...path, key], `var "${key}" is copied as text: ${v} ${inlined.why}`);
        out[key] = v;
      }
    } else out[key] = v;
  }
  return out;
}

type Inlined = { ok: true; value: unknown } | { ok: false; why: string };

/** A data file's content in place of its `file://` reference, as promptfoo loads it. */
async function inlineFile(
  ref: string,
  readFile: ReadFile,
  baseDir: string,
  asText = false,
): Promise<Inlined> {
  const path = fileRef(ref) ?? ref;
  if (!DATA_FILE.test(path)) return { ok: false, why: "names a script: promptgate runs no code" };
  const text = await readFile(joinPath(baseDir, path));
  if (text === undefined) return { ok: false, why: "cannot be read" };
  if (asText || /\.(txt|md)$/i.test(path)) return { ok: true, value: text };
  try {
    const p = parseYaml(text, path, z.unknown());
    return { ok: true, value: p.value };
  } catch {
    return { ok: false, why: "is not valid JSON/YAML" };
  }
}

function fileRef(value: string): string | undefined {
  return value.startsWith("file://") ? value.slice("file://".length) : undefined;
}

/** Each combination of the values of vars given as lists, as promptfoo runs them. */
function expandVars(vars: Json): Json[] {
  let combos: Json[] = [{}];
  for (const [key, v] of Object.entries(vars)) {
    const values = Array.isArray(v) ? v : [v];
    combos = combos.flatMap((c) => values.map((x) => ({ ...c, [key]: x })));
  }
  return combos;
}

function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, "-")
    .replace(/^[^a-z0-9]+|-+$/g, "")
    .slice(0, 60)
    .replace(/-+$/, "");
}

function uniqueName(name: string, taken: string[]): string {
  if (!taken.includes(name)) return name;
  for (let n = 2; ; n++) if (!taken.includes(`${name}-${n}`)) return `${name}-${n}`;
}

// Paths in a config are relative to its folder, written with "/" (promptfoo's own configs are).
function dirName(path: string): string {
  const i = path.lastIndexOf("/");
  return i < 0 ? "." : path.slice(0, i) || "/";
}

function baseName(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

function joinPath(dir: string, path: string): string {
  if (path.startsWith("/") || dir === ".") return path.replace(/^\.\//, "");
  return `${dir}/${path.replace(/^\.\//, "")}`;
}
