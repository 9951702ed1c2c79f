/**
 * The `value` of an assertion as promptfoo documents it, read once when a golden set is loaded so
 * that the engine grades one plain form: `{{vars}}` rendered with the case's vars, a
 * comma-separated `contains-any`/`contains-all` split into its list, a JSON Schema written as a
 * YAML or JSON string parsed. Every value promptfoo would refuse, or that would pass every output
 * (an empty `contains`), is a message here, which the golden-set schema reports at the value.
 */
export type Normalized = {
    ok: true;
    value: unknown;
} | {
    ok: false;
    message: string;
};
/** The base types whose value is normalised here (golden-set.ts owns the list of all types). */
type ValueType = "equals" | "contains" | "icontains" | "contains-any" | "contains-all" | "starts-with" | "regex" | "is-json" | "contains-json" | "levenshtein" | "similar" | "llm-rubric" | "cost" | "latency";
/**
 * `value` after rendering, checked and put in the form the engine grades. `type` is the base
 * type (without `not-`).
 */
export declare function normalizeAssertionValue(type: ValueType, value: unknown): Normalized;
/**
 * promptfoo's comma-separated form (documented for CSV test files): fields split at commas and
 * trimmed; a field in double quotes keeps its commas and spaces, with `""` or `\"` for a quote and
 * `\\` for a backslash; empty fields (`a,,b`) are skipped. Throws on an unclosed quote or text
 * after a closing quote, which promptfoo refuses too.
 */
export declare function splitCommaSeparated(text: string): string[];
export type Rendered = {
    ok: true;
    text: string;
} | {
    ok: false;
    message: string;
};
/**
 * A value's `{{vars}}` rendered with the case's vars, as promptfoo renders assertion values
 * (with Nunjucks) before grading. promptgate renders only variables and dotted paths
 * (`{{id}}`, `{{ customer.name }}`), the form promptfoo's docs use: a filter, an expression or a
 * `{% tag %}` is refused rather than compared literally, and so is a variable the case does not
 * give (Nunjucks would render it empty, and an empty `contains` passes every output). A value is
 * rendered as Nunjucks prints it: a string as is, a number or boolean as text, a list joined
 * with commas, null as nothing.
 */
export declare function renderValueTemplate(text: string, vars: Record<string, unknown>): Rendered;
/** Renders a value's strings (the value itself, or the strings of a list), as promptfoo does. */
export declare function renderValue(value: unknown, vars: Record<string, unknown>): Normalized;
/** The top-level names of the vars a value's templates read (`{{order.id}}` reads `order`). */
export declare function varsReadBy(value: unknown): string[];
export {};
