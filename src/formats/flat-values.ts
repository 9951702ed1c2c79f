/*
 * A loaded golden set lives for the whole run, so what each case costs in live memory is paid
 * once per case for minutes, and it is what V8 multiplies when it sizes the heap. The strings the
 * YAML parser hands back are often not plain strings: a double-quoted scalar is built one
 * character at a time, which V8 keeps as a chain of 32-byte concatenation nodes (one per
 * character past the 13th), and a longer plain scalar is a slice that keeps the whole chunk of
 * YAML text it was cut from alive. These helpers copy such strings once into flat ones.
 */

/** V8 makes neither concatenation nodes nor slices below this length: those strings are flat. */
const MIN_COMPOSITE_LENGTH = 13;

/** A flat copy of `s` that holds nothing else alive (the JSON round trip is native and exact). */
export function flatString(s: string): string {
  return s.length < MIN_COMPOSITE_LENGTH ? s : (JSON.parse(JSON.stringify(s)) as string);
}

/**
 * `value` with its strings flattened: lists and maps are updated in place (they are the
 * parser's own, fresh objects), so a case's vars cost no second copy. Each list or map is
 * visited once, so aliases (`*a`, even one inside its own anchor) cost no more than the file.
 */
export function flattenValue<T>(value: T): T {
  if (typeof value === "string") return flatString(value) as T;
  flattenInside(value, new Set());
  return value;
}

function flattenInside(value: unknown, seen: Set<object>): void {
  if (typeof value !== "object" || value === null || Object.isFrozen(value) || seen.has(value)) {
    return;
  }
  seen.add(value);
  // Only strings are written back: lists and maps are flattened where they stand.
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (typeof item === "string") value[i] = flatString(item);
      else flattenInside(item, seen);
    }
    return;
  }
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    const item = record[key];
    if (typeof item === "string") record[key] = flatString(item);
    else flattenInside(item, seen);
  }
}
