import { parse as parseYamlText } from "yaml";

/**
 * The `value` of an assertion as promptfoo documents it, read once when a golden set is loaded so
 * that the engine grades one plain form: `{{vars}}` rendered with the case's vars, a
 * comma-separated `contains-any`/`contains-all` split into its list, a JSON Schema written as a
 * YAML or JSON string parsed. Every value promptfoo would refuse, or that would pass every output
 * (an empty `contains`), is a message here, which the golden-set schema reports at the value.
 */

export type Normalized = { ok: true; value: unknown } | { ok: false; message: string };

/** The base types whose value is normalised here (golden-set.ts owns the list of all types). */
type ValueType =
  | "equals"
  | "contains"
  | "icontains"
  | "contains-any"
  | "contains-all"
  | "starts-with"
  | "regex"
  | "is-json"
  | "contains-json"
  | "levenshtein"
  | "similar"
  | "llm-rubric"
  | "cost"
  | "latency";

const ok = (value: unknown): Normalized => ({ ok: true, value });
const refuse = (message: string): Normalized => ({ ok: false, message });

const EMPTY =
  "an empty value is contained in every output, so the assertion would pass whatever the model said (promptfoo refuses it too)";

/**
 * `value` after rendering, checked and put in the form the engine grades. `type` is the base
 * type (without `not-`).
 */
export function normalizeAssertionValue(type: ValueType, value: unknown): Normalized {
  if (typeof value === "string" && value.startsWith("file://")) {
    return refuse(
      "file:// values are not read: no assertion loads files or runs code from the repository; paste the value (`promptgate import promptfoo` inlines JSON, YAML and text files)",
    );
  }
  switch (type) {
    case "equals":
      // promptfoo: an object or array (or null) is compared with the output parsed as JSON; a
      // number or boolean as its string.
      if (value === undefined) return refuse("equals needs a value");
      if (typeof value === "number" || typeof value === "boolean") return ok(String(value));
      return ok(value);
    case "contains":
    case "icontains":
      if (typeof value === "number" && Number.isFinite(value)) return ok(String(value));
      if (typeof value !== "string") return refuse(`${type} needs a string or a number`);
      return value === "" ? refuse(EMPTY) : ok(value);
    case "starts-with":
      if (typeof value !== "string") return refuse("starts-with needs a string value");
      return value === ""
        ? refuse("an empty value starts every output, so the assertion would always pass")
        : ok(value);
    case "regex":
      if (typeof value !== "string")
        return refuse("regex needs a string value (a regular expression)");
      return value === "" ? refuse("an empty regular expression matches every output") : ok(value);
    case "contains-any":
    case "contains-all":
      return normalizeList(type, value);
    case "is-json":
    case "contains-json":
      return normalizeSchema(type, value);
    case "levenshtein":
    case "similar":
    case "llm-rubric":
      return typeof value === "string" ? ok(value) : refuse(`${type} needs a string value`);
    case "cost":
    case "latency":
      return ok(value);
  }
}

function normalizeList(type: "contains-any" | "contains-all", value: unknown): Normalized {
  let list: unknown[];
  if (typeof value === "string") {
    try {
      list = splitCommaSeparated(value);
    } catch (e) {
      return refuse(`${type}: ${(e as Error).message}`);
    }
  } else if (Array.isArray(value)) list = value;
  else return refuse(`${type} needs a list of strings, or one comma-separated string`);
  const items: string[] = [];
  for (const item of list) {
    if (typeof item === "number" && Number.isFinite(item)) items.push(String(item));
    else if (typeof item === "string" && item !== "") items.push(item);
    else if (item === "") return refuse(`${type}: ${EMPTY}`);
    else return refuse(`${type} needs a list of strings (or numbers)`);
  }
  if (items.length === 0) {
    return refuse(
      `${type} needs at least one string: an empty list ${type === "contains-any" ? "fails" : "passes"} every output`,
    );
  }
  return ok(items);
}

/** No schema (absent, null, ""), a schema object or boolean, or one written as YAML/JSON text. */
function normalizeSchema(type: "is-json" | "contains-json", value: unknown): Normalized {
  if (value === undefined || value === null || value === "") return ok(undefined);
  let schema = value;
  if (typeof value === "string") {
    try {
      schema = parseYamlText(value);
    } catch (e) {
      return refuse(
        `${type}: the schema string is not YAML or JSON: ${(e as Error).message.split("\n")[0]}`,
      );
    }
  }
  if (
    typeof schema === "boolean" ||
    (typeof schema === "object" && schema !== null && !Array.isArray(schema))
  ) {
    return ok(schema);
  }
  return refuse(`${type} needs a JSON Schema (an object, or YAML/JSON text of one) or nothing`);
}

/**
 * promptfoo's comma-separated form (documented for CSV test files): fields split at commas and
 * trimmed; a field in double quotes keeps its commas and spaces, with `""` or `\"` for a quote and
 * `\\` for a backslash; empty fields (`a,,b`) are skipped. Throws on an unclosed quote or text
 * after a closing quote, which promptfoo refuses too.
 */
export function splitCommaSeparated(text: string): string[] {
  const fields: string[] = [];
  let i = 0;
  const n = text.length;
  const isSpace = (c: string | undefined) => c !== undefined && /\s/.test(c);
  while (i < n) {
    while (i < n && (isSpace(text[i]) || text[i] === ",")) i++;
    if (i >= n) break;
    if (text[i] === '"') {
      let field = "";
      let closed = false;
      i++;
      while (i < n) {
        const c = text[i];
        const next = text[i + 1];
        if (c === "\\" && (next === '"' || next === "\\")) {
          field += next;
          i += 2;
        } else if (c === '"' && next === '"') {
          field += '"';
          i += 2;
        } else if (c === '"') {
          closed = true;
          i++;
          break;
        } else {
          field += c;
          i++;
        }
      }
      if (!closed) throw new Error('a quoted field is not closed (a missing ")');
      while (i < n && isSpace(text[i])) i++;
      if (i < n && text[i] !== ",") {
        throw new Error(`text after a closing quote (at char ${i}): put a comma between fields`);
      }
      fields.push(field);
    } else {
      const end = text.indexOf(",", i);
      const stop = end < 0 ? n : end;
      fields.push(text.slice(i, stop).trim());
      i = stop;
    }
  }
  return fields;
}

/** `{{ name }}` and `{{ name.path }}`: what promptgate renders (see renderValueTemplate). */
const VARIABLE = /\{\{\s*([A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*)\s*\}\}/g;
const ANY_TAG = /\{\{[\s\S]*?\}\}|\{%[\s\S]*?%\}/g;

export type Rendered = { ok: true; text: string } | { ok: false; message: string };

/**
 * A value's `{{vars}}` rendered with the case's vars, as promptfoo renders assertion values
 * (with Nunjucks) before grading. promptgate renders only variables and dotted paths
 * (`{{id}}`, `{{ customer.name }}`), the form promptfoo's docs use: a filter, an expression or a
 * `{% tag %}` is refused rather than compared literally, and so is a variable the case does not
 * give (Nunjucks would render it empty, and an empty `contains` passes every output). A value is
 * rendered as Nunjucks prints it: a string as is, a number or boolean as text, a list joined
 * with commas, null as nothing.
 */
export function renderValueTemplate(text: string, vars: Record<string, unknown>): Rendered {
  if (!text.includes("{{") && !text.includes("{%")) return { ok: true, text };
  for (const tag of text.match(ANY_TAG) ?? []) {
    VARIABLE.lastIndex = 0;
    const m = VARIABLE.exec(tag);
    if (!m || m[0] !== tag) {
      return {
        ok: false,
        message: `${JSON.stringify(tag)} is template syntax promptgate does not render: only {{var}} and {{var.field}} are (promptfoo's filters and tags are not); write the value out`,
      };
    }
  }
  let problem: string | undefined;
  const rendered = text.replace(VARIABLE, (_, path: string) => {
    const found = lookup(vars, path);
    if (!found.ok) {
      problem ??= found.message;
      return "";
    }
    return found.text;
  });
  return problem === undefined ? { ok: true, text: rendered } : { ok: false, message: problem };
}

function lookup(vars: Record<string, unknown>, path: string): Rendered {
  let v: unknown = vars;
  for (const key of path.split(".")) {
    if (typeof v !== "object" || v === null || !Object.hasOwn(v, key)) {
      return {
        ok: false,
        message: `{{${path}}} names a var the case does not give: add it to the case's vars (promptfoo would render it empty)`,
      };
    }
    v = (v as Record<string, unknown>)[key];
  }
  if (v === null || v === undefined) return { ok: true, text: "" };
  if (Array.isArray(v)) return { ok: true, text: v.map((x) => String(x ?? "")).join(",") };
  if (typeof v === "object") {
    return {
      ok: false,
      message: `{{${path}}} is an object, which would render as "[object Object]": name one of its fields ({{${path}.field}})`,
    };
  }
  return { ok: true, text: String(v) };
}

/** Renders a value's strings (the value itself, or the strings of a list), as promptfoo does. */
export function renderValue(value: unknown, vars: Record<string, unknown>): Normalized {
  if (typeof value === "string") {
    const r = renderValueTemplate(value, vars);
    return r.ok ? ok(r.text) : r;
  }
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    for (const item of value) {
      if (typeof item !== "string") {
        out.push(item);
        continue;
      }
      const r = renderValueTemplate(item, vars);
      if (!r.ok) return r;
      out.push(r.text);
    }
    return ok(out);
  }
  return ok(value);
}

/** The top-level names of the vars a value's templates read (`{{order.id}}` reads `order`). */
export function varsReadBy(value: unknown): string[] {
  const strings = typeof value === "string" ? [value] : Array.isArray(value) ? value : [];
  const names: string[] = [];
  for (const s of strings) {
    if (typeof s !== "string") continue;
    for (const m of s.matchAll(VARIABLE)) names.push((m[1] ?? "").split(".")[0] ?? "");
  }
  return names;
}
