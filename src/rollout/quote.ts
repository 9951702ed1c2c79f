/**
 * User text (a `--reason`, a freeze's reason from `environments.yaml`) inside a reply: one line,
 * in a code span whose backticks the text cannot close, so it cannot mention people or inject
 * markdown, HTML or links. Shared by the replies and the plan's refusals and warnings, so both
 * quote the same way.
 */
export function quoteText(s: string): string {
  return `\`${s.replace(/\s+/g, " ").trim().replace(/`/g, "'")}\``;
}

/**
 * Who froze an environment, as `environments.yaml` says: a mention when it is a GitHub login (the
 * bot writes its actor's), quoted text otherwise, so a hand-edited `by: acme/everyone` cannot
 * notify a team.
 */
export function quoteActor(by: string): string {
  return /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:\[bot\])?$/.test(by) ? `@${by}` : quoteText(by);
}
