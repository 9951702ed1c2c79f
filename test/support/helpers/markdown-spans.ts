/**
 * What of a GitHub comment renders as markdown: the text outside its code spans (CommonMark: a
 * span opens at a run of N backticks and closes at the next run of exactly N), with the hidden
 * `<!-- … -->` lines left out. A link, a mention or HTML in it is live; inside a span it is not.
 */
export function renderedOutsideCode(markdown: string): string {
  const text = markdown
    .split("\n")
    .filter((l) => !/^<!-- .* -->$/.test(l))
    .join("\n");
  let out = "";
  let i = 0;
  while (i < text.length) {
    if (text[i] !== "`") {
      out += text[i];
      i++;
      continue;
    }
    const run = /^`+/.exec(text.slice(i))![0];
    let close = -1;
    for (let j = i + run.length; j < text.length; ) {
      const next = /`+/g;
      next.lastIndex = j;
      const m = next.exec(text);
      if (!m) break;
      if (m[0].length === run.length) {
        close = m.index;
        break;
      }
      j = m.index + m[0].length;
    }
    if (close < 0) {
      // An unmatched run is literal text, and what follows it is live.
      out += run;
      i += run.length;
      continue;
    }
    out += " ";
    i = close + run.length;
  }
  return out;
}
