/**
 * The candidate a word is most likely a slip of, for a "did you mean": within one edit for words
 * of up to four letters and two beyond (a swapped pair of letters is two), ignoring case; never a
 * far guess. With `abbreviationsFrom`, a candidate the word begins (`prod` for `production`) counts
 * as a match once the word has that many letters.
 */
export declare function suggestClosest<T extends string>(word: string, candidates: Iterable<T>, options?: {
    abbreviationsFrom?: number;
}): T | undefined;
