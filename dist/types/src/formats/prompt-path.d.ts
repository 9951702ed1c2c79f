/**
 * Where a prompt version lives: `<prompts folder>/<prompt>/<version>.prompt`. The one reading of
 * that layout, for the loader, the runtime, the CLI and the bot alike.
 */
/** A path below the prompts folder, `<prompt>/<version>.prompt`: its prompt and version, else undefined. */
export declare function parsePromptPath(rel: string): {
    prompt: string;
    version: string;
} | undefined;
/** The versions present among repository paths, grouped by prompt, in the order the paths come. */
export declare function listPromptVersions(paths: readonly string[], promptsDir: string): Map<string, string[]>;
