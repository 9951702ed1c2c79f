/**
 * User text (a command's words, a `--reason`, a freeze's reason from `environments.yaml`) inside a
 * reply: one line, at most {@link MAX_ECHO_CHARS} characters, in a code span whose backticks the
 * text cannot close, so it cannot mention people or inject markdown, HTML or links. The one
 * code-span helper of the replies, the parser's messages and the plan's refusals and warnings, so
 * all of them quote the same way.
 */
export function quoteText(s: string): string {
  return `\`${cutText(s.replace(/\s+/g, " ").trim().replace(/`/g, "'"))}\``;
}

/**
 * How much of one piece of user text a reply echoes: enough to recognise it, never enough to
 * carry a page (a 60 KB comment must not come back as a 60 KB reply).
 */
export const MAX_ECHO_CHARS = 200;

/** `s` cut to `max` characters (code points, so no pair is split), "…" marking the cut. */
export function cutText(s: string, max = MAX_ECHO_CHARS): string {
  if (s.length <= max) return s;
  const chars = Array.from(s);
  return chars.length <= max ? s : `${chars.slice(0, max - 1).join("")}…`;
}

/** Items shown of one list (warnings, skipped values, table rows) before "…and N more". */
export const MAX_LIST_ITEMS = 50;

/** `items` with at most `max` of them, the rest counted in a last "…and N more". */
export function limitList(items: readonly string[], max = MAX_LIST_ITEMS): string[] {
  if (items.length <= max) return [...items];
  return [...items.slice(0, max - 1), `…and ${items.length - (max - 1)} more`];
}

/**
 * Who froze an environment, as `environments.yaml` says: a mention when it is a GitHub login (the
 * bot writes its actor's), quoted text otherwise, so a hand-edited `by: acme/everyone` cannot
 * notify a team.
 */
export function quoteActor(by: string): string {
  return /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:\[bot\])?$/.test(by) ? `@${by}` : quoteText(by);
}
