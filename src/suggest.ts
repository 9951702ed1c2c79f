import { distance } from "fastest-levenshtein";

/**
 * The candidate a word is most likely a slip of, for a "did you mean": within one edit for words
 * of up to four letters and two beyond (a swapped pair of letters is two), ignoring case; never a
 * far guess. With `abbreviationsFrom`, a candidate the word begins (`prod` for `production`) counts
 * as a match once the word has that many letters.
 */
export function suggestClosest<T extends string>(
  word: string,
  candidates: Iterable<T>,
  options: { abbreviationsFrom?: number } = {},
): T | undefined {
  const typed = word.toLowerCase();
  const limit = typed.length <= 4 ? 1 : 2;
  const from = options.abbreviationsFrom;
  let best: { candidate: T; d: number } | undefined;
  for (const candidate of candidates) {
    const c = candidate.toLowerCase();
    const d =
      from !== undefined && typed.length >= from && c.startsWith(typed) ? 0 : distance(typed, c);
    if (d <= limit && (!best || d < best.d)) best = { candidate, d };
  }
  return best?.candidate;
}
