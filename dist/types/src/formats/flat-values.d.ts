/** A flat copy of `s` that holds nothing else alive (the JSON round trip is native and exact). */
export declare function flatString(s: string): string;
/**
 * `value` with its strings flattened: lists and maps are updated in place (they are the
 * parser's own, fresh objects), so a case's vars cost no second copy. Each list or map is
 * visited once, so aliases (`*a`, even one inside its own anchor) cost no more than the file.
 */
export declare function flattenValue<T>(value: T): T;
