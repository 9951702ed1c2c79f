import { z } from "zod";
/** Generation parameters we pass to the model; Dotprompt's names, strict so typos are caught. */
declare const configSchema: z.ZodObject<{
    temperature: z.ZodOptional<z.ZodNumber>;
    maxOutputTokens: z.ZodOptional<z.ZodNumber>;
    topP: z.ZodOptional<z.ZodNumber>;
    stopSequences: z.ZodOptional<z.ZodArray<z.ZodString>>;
    seed: z.ZodOptional<z.ZodNumber>;
    frequencyPenalty: z.ZodOptional<z.ZodNumber>;
    presencePenalty: z.ZodOptional<z.ZodNumber>;
}, z.core.$strict>;
export type ModelConfig = z.infer<typeof configSchema>;
declare const frontMatterSchema: z.ZodObject<{
    name: z.ZodOptional<z.ZodString>;
    description: z.ZodOptional<z.ZodString>;
    model: z.ZodString;
    config: z.ZodDefault<z.ZodObject<{
        temperature: z.ZodOptional<z.ZodNumber>;
        maxOutputTokens: z.ZodOptional<z.ZodNumber>;
        topP: z.ZodOptional<z.ZodNumber>;
        stopSequences: z.ZodOptional<z.ZodArray<z.ZodString>>;
        seed: z.ZodOptional<z.ZodNumber>;
        frequencyPenalty: z.ZodOptional<z.ZodNumber>;
        presencePenalty: z.ZodOptional<z.ZodNumber>;
    }, z.core.$strict>>;
    input: z.ZodOptional<z.ZodObject<{
        schema: z.ZodOptional<z.ZodUnknown>;
        default: z.ZodOptional<z.ZodRecord<z.ZodString, z.ZodUnknown>>;
    }, z.core.$strict>>;
    output: z.ZodOptional<z.ZodObject<{
        format: z.ZodOptional<z.ZodEnum<{
            text: "text";
            json: "json";
        }>>;
        schema: z.ZodOptional<z.ZodUnknown>;
    }, z.core.$strict>>;
    metadata: z.ZodOptional<z.ZodRecord<z.ZodString, z.ZodUnknown>>;
}, z.core.$strict>;
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
export declare function hashContent(source: string): string;
export declare function parsePromptFile(source: string, file: string, prompt: string, version: string): PromptVersion;
/**
 * The parsed Handlebars template of a prompt file (its body after the front matter), with the
 * names of the helpers Dotprompt knows; undefined when the template does not parse (loading
 * reports that) or a dotprompt upgrade moved its Handlebars instance.
 */
export declare function parseTemplate(source: string): {
    program: unknown;
    helpers: ReadonlySet<string>;
    lineOffset: number;
} | undefined;
/** Renders a prompt version with a case's vars into chat messages. */
export declare function renderPrompt(pv: PromptVersion, vars: Record<string, unknown>): Promise<ChatMessage[]>;
/** Natural order of version names: v2 < v10, v1.1 < v1.2. */
export declare function compareVersions(a: string, b: string): number;
export {};
