/**
 * Where a prompt version lives: `<prompts folder>/<prompt>/<version>.prompt`. The one reading of
 * that layout, for the loader, the runtime, the CLI and the bot alike.
 */

/** A path below the prompts folder, `<prompt>/<version>.prompt`: its prompt and version, else undefined. */
export function parsePromptPath(rel: string): { prompt: string; version: string } | undefined {
  const m = /^([^/]+)\/([^/]+)\.prompt$/.exec(rel);
  if (!m) return undefined;
  return { prompt: m[1]!, version: m[2]! };
}

/** The versions present among repository paths, grouped by prompt, in the order the paths come. */
export function listPromptVersions(
  paths: readonly string[],
  promptsDir: string,
): Map<string, string[]> {
  const prefix = `${promptsDir.replace(/\/+$/, "")}/`;
  const out = new Map<string, string[]>();
  for (const path of paths) {
    if (!path.startsWith(prefix)) continue;
    const found = parsePromptPath(path.slice(prefix.length));
    if (!found) continue;
    out.set(found.prompt, [...(out.get(found.prompt) ?? []), found.version]);
  }
  return out;
}
