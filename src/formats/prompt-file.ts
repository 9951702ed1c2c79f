import { createHash } from "node:crypto";
import { Dotprompt } from "dotprompt";
import { z } from "zod";
import { PromptgateError, PromptgateErrors } from "../errors.js";
import { NAME_PATTERN } from "./environments.js";
import { parseYaml, stripBom } from "./located-yaml.js";

/** Generation parameters we pass to the model; Dotprompt's names, strict so typos are caught. */
const configSchema = z.strictObject({
  temperature: z.number().min(0).max(2).optional(),
  maxOutputTokens: z.number().int().positive().optional(),
  topP: z.number().min(0).max(1).optional(),
  stopSequences: z.array(z.string()).max(4).optional(),
  seed: z.number().int().optional(),
  frequencyPenalty: z.number().min(-2).max(2).optional(),
  presencePenalty: z.number().min(-2).max(2).optional(),
});
export type ModelConfig = z.infer<typeof configSchema>;

const frontMatterSchema = z.strictObject({
  name: z.string().optional(),
  description: z.string().optional(),
  model: z.string().min(1, "model is required"),
  config: configSchema.default({}),
  input: z
    .strictObject({
      schema: z.unknown().optional(),
      default: z.record(z.string(), z.unknown()).optional(),
    })
    .optional(),
  output: z
    .strictObject({ format: z.enum(["text", "json"]).optional(), schema: z.unknown().optional() })
    .optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
});
export type FrontMatter = z.infer<typeof frontMatterSchema>;

export interface PromptVersion {
  prompt: string;
  version: string;
  file: string;
  source: string;
  /** sha256 of the file's bytes as stored, hex. */
  contentHash: string;
  model: string;
  config: ModelConfig;
  frontMatter: FrontMatter;
}

export type ChatRole = "system" | "user" | "assistant";
export interface ChatMessage {
  role: ChatRole;
  content: string;
}

export function hashContent(source: string): string {
  return createHash("sha256").update(source).digest("hex");
}

const FRONT_MATTER = /^---\r?\n([\s\S]*?)\r?\n---\r?\n?/;

export function parsePromptFile(
  source: string,
  file: string,
  prompt: string,
  version: string,
): PromptVersion {
  if (!NAME_PATTERN.test(version)) {
    throw new PromptgateError(
      "E_PROMPT",
      `version name "${version}" must match [a-z0-9][a-z0-9._-]*`,
      {
        location: { file },
      },
    );
  }
  const text = stripBom(source);
  const m = FRONT_MATTER.exec(text);
  if (!m) {
    throw new PromptgateError("E_PROMPT", "missing YAML front matter (a block between --- lines)", {
      location: { file, line: 1, column: 1 },
      hint: "start the file with ---, model: <model id>, --- then the template",
    });
  }
  const contentHash = hashContent(source);
  // Both halves are checked, so one run of `validate` reports a bad front matter and a bad template.
  const errors: PromptgateError[] = [];
  let fm: FrontMatter | undefined;
  try {
    fm = parseYaml(m[1] ?? "", file, frontMatterSchema, { lineOffset: 1 }).value;
  } catch (e) {
    if (!(e instanceof PromptgateErrors)) throw e;
    errors.push(...e.errors);
  }
  const problem = templateProblem(text.slice(m[0].length), contentHash);
  if (problem) {
    // The template starts on the line after the closing `---`.
    const linesBefore = m[0].split("\n").length - 1;
    errors.push(
      new PromptgateError("E_PROMPT", problem.message, {
        location: { file, line: problem.line + linesBefore, column: problem.column },
        hint: problem.hint,
      }),
    );
  }
  if (errors.length > 0 || !fm) throw new PromptgateErrors(errors);
  return {
    prompt,
    version,
    file,
    source,
    contentHash,
    model: fm.model,
    config: fm.config,
    frontMatter: fm,
  };
}

/** A template problem at a 1-based line and column of the template (not of the file). */
interface TemplateProblem {
  message: string;
  line: number;
  column: number;
  hint: string;
}

/**
 * Handlebars as Dotprompt holds it (private fields of dotprompt@1, typed here by shape): its
 * `compile` parses lazily, on the first render, so a broken template would pass loading and
 * `validate` and fail only when a case is rendered. The tests of located template errors (test/
 * formats.test.ts) fail if a dotprompt upgrade moves these fields.
 */
interface HandlebarsInternals {
  parse(input: string): unknown;
  Compiler: new () => { compile(program: unknown, options: object): unknown };
  Parser?: {
    lexer?: {
      match?: string;
      yylloc?: { first_line: number; first_column: number; last_line: number; last_column: number };
    };
  };
}

function handlebarsOf(
  dp: Dotprompt,
): { handlebars: HandlebarsInternals; knownHelpers: Record<string, boolean> } | undefined {
  const inner = dp as unknown as {
    handlebars?: Partial<HandlebarsInternals>;
    knownHelpers?: Record<string, boolean>;
  };
  const hb = inner.handlebars;
  if (typeof hb?.parse !== "function" || typeof hb.Compiler !== "function") return undefined;
  if (typeof inner.knownHelpers !== "object" || inner.knownHelpers === null) return undefined;
  return { handlebars: hb as HandlebarsInternals, knownHelpers: inner.knownHelpers };
}

// Parsing a template costs ~0.2 ms (a few ms for the first ones, cold): loading is fast, but the
// runtime reloads on an interval and `diff` loads two revisions that share most files, so the
// verdict is kept per content hash (bounded: a long-running app sees few distinct files).
const templateChecks = new Map<string, TemplateProblem | null>();
const MAX_TEMPLATE_CHECKS = 1000;

const TEMPLATE_HINT =
  "the body is a Handlebars template: every {{ needs its }}, every {{#block}} its {{/block}}";

/**
 * Parses the template and runs Handlebars' compiler pass with the options Dotprompt renders with
 * (only known helpers), so what would fail on the first render fails on load instead, located.
 */
function templateProblem(body: string, contentHash: string): TemplateProblem | null {
  const cached = templateChecks.get(contentHash);
  if (cached !== undefined) return cached;
  const problem = findTemplateProblem(body);
  if (templateChecks.size >= MAX_TEMPLATE_CHECKS) templateChecks.clear();
  templateChecks.set(contentHash, problem);
  return problem;
}

function findTemplateProblem(body: string): TemplateProblem | null {
  const internals = handlebarsOf(getDotprompt());
  if (!internals) return null;
  const { handlebars, knownHelpers } = internals;
  let program: unknown;
  try {
    program = handlebars.parse(body);
  } catch (e) {
    return fromHandlebarsError(e, body, handlebars, knownHelpers);
  }
  try {
    new handlebars.Compiler().compile(program, {
      knownHelpers,
      knownHelpersOnly: true,
      noEscape: true,
      data: true,
    });
  } catch (e) {
    return fromHandlebarsError(e, body, handlebars, knownHelpers);
  }
  return null;
}

function fromHandlebarsError(
  e: unknown,
  body: string,
  handlebars: HandlebarsInternals,
  knownHelpers: Record<string, boolean>,
): TemplateProblem {
  if (!(e instanceof Error)) throw e;
  const located = e as Error & { lineNumber?: unknown; column?: unknown };
  // A Handlebars Exception (a block closed by another name, an unknown helper) carries the
  // position of its node: line 1-based, column 0-based; its message ends with " - line:col".
  if (typeof located.lineNumber === "number" && typeof located.column === "number") {
    const text = e.message.replace(/ - \d+:\d+$/, "");
    const helper = /unknown helper (\S+)/.exec(text)?.[1];
    if (helper !== undefined) {
      const builtin = ["if", "unless", "each", "with", "lookup", "log"];
      const known = [...builtin, ...Object.keys(knownHelpers)];
      return {
        message: `template: unknown helper "${helper}"`,
        line: located.lineNumber,
        column: located.column + 1,
        hint: `the helpers are ${known.join(", ")}; a variable is written {{name}}`,
      };
    }
    const mismatch = /^(\S+) doesn't match (\S+)$/.exec(text);
    return {
      message: `template syntax error: ${mismatch ? `{{#${mismatch[1]}}} is closed by {{/${mismatch[2]}}}` : text}`,
      line: located.lineNumber,
      column: located.column + 1,
      hint: TEMPLATE_HINT,
    };
  }
  // A parse error of Handlebars' generated parser names only a line; the lexer, shared and
  // synchronous, still holds the offending token (lines 1-based, columns 0-based).
  const lexer = handlebars.Parser?.lexer;
  const loc = lexer?.yylloc;
  const lexical = e.message.startsWith("Lexical error");
  const token = lexer?.match ?? "";
  const atEnd = !lexical && (token === "" || /got 'EOF'$/.test(e.message));
  // Unrecognized text and the end of the template begin where the last token ended.
  const afterLast = lexical || atEnd;
  const lineInMessage = Number(/on line (\d+)/.exec(e.message)?.[1] ?? 1);
  const line = loc ? (afterLast ? loc.last_line : loc.first_line) : lineInMessage;
  const column = loc ? (afterLast ? loc.last_column : loc.first_column) + 1 : 1;
  // An INVALID token is one character the lexer could not read on: quote the word it starts.
  const word =
    /got 'INVALID'$/.test(e.message) && loc
      ? (/^\S{1,30}/.exec((body.split(/\r?\n/)[line - 1] ?? "").slice(column - 1))?.[0] ?? token)
      : token;
  const what = lexical
    ? "unrecognized text"
    : atEnd
      ? "unexpected end of template (a {{ or {{#block}} is not closed)"
      : `unexpected ${JSON.stringify(word)}`;
  return { message: `template syntax error: ${what}`, line, column, hint: TEMPLATE_HINT };
}

/**
 * The parsed Handlebars template of a prompt file (its body after the front matter), with the
 * names of the helpers Dotprompt knows; undefined when the template does not parse (loading
 * reports that) or a dotprompt upgrade moved its Handlebars instance.
 */
export function parseTemplate(
  source: string,
): { program: unknown; helpers: ReadonlySet<string>; lineOffset: number } | undefined {
  const internals = handlebarsOf(getDotprompt());
  if (!internals) return undefined;
  const text = stripBom(source);
  const m = FRONT_MATTER.exec(text);
  try {
    const program = internals.handlebars.parse(m ? text.slice(m[0].length) : text);
    // The template's line 1 is the file's line after the closing `---`.
    const lineOffset = m ? m[0].split("\n").length - 1 : 0;
    return { program, helpers: new Set(Object.keys(internals.knownHelpers)), lineOffset };
  } catch {
    return undefined;
  }
}

// One Dotprompt instance: it caches compiled templates by source.
let dotprompt: Dotprompt | undefined;
function getDotprompt(): Dotprompt {
  dotprompt ??= new Dotprompt();
  return dotprompt;
}
const compiled = new Map<
  string,
  Promise<(data: { input: Record<string, unknown> }) => Promise<unknown>>
>();

/** Renders a prompt version with a case's vars into chat messages. */
export async function renderPrompt(
  pv: PromptVersion,
  vars: Record<string, unknown>,
): Promise<ChatMessage[]> {
  let fn = compiled.get(pv.contentHash);
  if (!fn) {
    const dp = getDotprompt();
    fn = dp.compile(stripBom(pv.source)).then((f) => (data) => f(data));
    compiled.set(pv.contentHash, fn);
  }
  let rendered: { messages: { role: string; content: { text?: string }[] }[] };
  try {
    rendered = (await (
      await fn
    )({ input: { ...(pv.frontMatter.input?.default ?? {}), ...vars } })) as typeof rendered;
  } catch (e) {
    compiled.delete(pv.contentHash);
    throw new PromptgateError("E_PROMPT", `cannot render: ${(e as Error).message}`, {
      location: { file: pv.file },
      cause: e,
    });
  }
  const messages: ChatMessage[] = [];
  for (const m of rendered.messages) {
    const content = m.content
      .map((p) => p.text ?? "")
      .join("")
      .trim();
    if (content === "") continue;
    const role: ChatRole =
      m.role === "model" ? "assistant" : m.role === "system" ? "system" : "user";
    messages.push({ role, content });
  }
  if (messages.length === 0) {
    throw new PromptgateError("E_PROMPT", "the template renders to no message", {
      location: { file: pv.file },
    });
  }
  return messages;
}

/** Natural order of version names: v2 < v10, v1.1 < v1.2. */
export function compareVersions(a: string, b: string): number {
  return a.localeCompare(b, "en", { numeric: true });
}
