/**
 * The verdict's one line: the comment's H3, the HTML header, the CLI's first line and the action's
 * `summary` output all print it. A gate that lists every failing case (77 critical cases) once made
 * it 4 KB, pushing the table off the first screen; the details live below it (the gates, the cases),
 * so the line keeps the first reason and counts the rest.
 */

/** Every renderer's headline line, its prefix included ("### ⚠️ errors: "), fits in 200 characters. */
export const HEADLINE_MAX = 200;
/** The reason's share of that line: the longest prefix a renderer adds is "### ⚠️ errors: " (15). */
export const HEADLINE_REASON_MAX = HEADLINE_MAX - 20;

/**
 * The one function that builds the verdict's reason: the lead reason, shortened to fit, then
 * "and N more <prompts> <what>". A list inside the lead ("…: a (0%), b (0%), c (0%)") keeps its
 * first item and says how many more; anything still too long is cut at a word with "…".
 */
export function buildHeadline(lead: string, others: number, what: string): string {
  const tail =
    others > 0 ? `; and ${others} more ${others === 1 ? "prompt" : "prompts"} ${what}` : "";
  return fitText(lead, HEADLINE_REASON_MAX - tail.length) + tail;
}

function fitText(text: string, max: number): string {
  const line = text.replace(/\s+/g, " ").trim();
  if (line.length <= max) return line;
  const listed = shortenList(line);
  if (listed !== null && listed.length <= max) return listed;
  return cutAtWord(listed ?? line, max);
}

/**
 * "p v1 → v2: 77 critical cases fail on head: a (passes 0%, base 100%), b (…); cost +3%" →
 * "p v1 → v2: 77 critical cases fail on head: a (passes 0%, base 100%) and 76 more; cost +3%". The list is the
 * longest "; " clause, after its last ": ".
 */
function shortenList(text: string): string | null {
  const clauses = text.split("; ");
  let at = 0;
  clauses.forEach((c, i) => {
    if (c.length > (clauses[at]?.length ?? 0)) at = i;
  });
  const clause = clauses[at] ?? "";
  const colon = clause.lastIndexOf(": ");
  if (colon < 0) return null;
  const items = splitItems(clause.slice(colon + 2));
  if (items.length < 2) return null;
  clauses[at] = `${clause.slice(0, colon + 2)}${items[0]} and ${items.length - 1} more`;
  return clauses.join("; ");
}

/** Splits at ", " outside parentheses: "a (passes 0%, base 100%), b" is two items. */
function splitItems(list: string): string[] {
  const items: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < list.length; i++) {
    const ch = list[i];
    if (ch === "(") depth++;
    else if (ch === ")") depth = Math.max(0, depth - 1);
    else if (ch === "," && depth === 0 && list[i + 1] === " ") {
      items.push(list.slice(start, i));
      start = i + 2;
    }
  }
  items.push(list.slice(start));
  return items;
}

function cutAtWord(text: string, max: number): string {
  if (text.length <= max) return text;
  const room = Math.max(1, max - 1);
  const cut = text.slice(0, room);
  const space = cut.lastIndexOf(" ");
  // A word boundary near the end reads better; a single long token is cut where it must be.
  return `${space > room * 0.6 ? cut.slice(0, space) : cut}…`;
}
