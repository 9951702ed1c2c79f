import { createHash } from "node:crypto";
import { Dotprompt } from "dotprompt";
import { z } from "zod";
import { PromptgateError } from "../errors.js";
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
  const m = /^---\r?\n([\s\S]*?)\r?\n---\r?\n?/.exec(text);
  if (!m) {
    throw new PromptgateError("E_PROMPT", "missing YAML front matter (a block between --- lines)", {
      location: { file, line: 1, column: 1 },
      hint: "start the file with ---, model: <model id>, --- then the template",
    });
  }
  const fm = parseYaml(m[1] ?? "", file, frontMatterSchema, { lineOffset: 1 }).value;
  return {
    prompt,
    version,
    file,
    source,
    contentHash: hashContent(source),
    model: fm.model,
    config: fm.config,
    frontMatter: fm,
  };
}

// One Dotprompt instance: it caches compiled templates by source.
let dotprompt: Dotprompt | undefined;
const compiled = new Map<
  string,
  Promise<(data: { input: Record<string, unknown> }) => Promise<unknown>>
>();

/** Renders a prompt version with a case's vars into chat messages. */
export async function renderPrompt(
  pv: PromptVersion,
  vars: Record<string, unknown>,
): Promise<ChatMessage[]> {
  dotprompt ??= new Dotprompt();
  let fn = compiled.get(pv.contentHash);
  if (!fn) {
    const dp = dotprompt;
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
