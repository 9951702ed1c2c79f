/**
 * User text (a `--reason`, a freeze's reason from `environments.yaml`) inside a reply: one line,
 * in a code span whose backticks the text cannot close, so it cannot mention people or inject
 * markdown, HTML or links. Shared by the replies and the plan's refusals and warnings, so both
 * quote the same way.
 */
export function quoteText(s: string): string {
  return `\`${s.replace(/\s+/g, " ").trim().replace(/`/g, "'")}\``;
}
