import type { FrontMatter, PromptVersion } from "./prompt-file.js";
import { parseTemplate } from "./prompt-file.js";

/** What a prompt version reads from a case's `vars`, found in its parsed template and front matter. */
export interface TemplateInputs {
  /** Variables the template reads from its input, anywhere (`{{customer.name}}` reads `customer`). */
  used: ReadonlySet<string>;
  /**
   * Those read outside every block: with no value they render empty, whatever the case. A
   * variable read only inside `{{#if}}`, `{{#each}}`… (or as a block's condition) may be left
   * out on purpose, so it is used but not required.
   */
  required: ReadonlySet<string>;
  /** Names the front matter declares: keys of `input.schema` and `input.default`. */
  declared: ReadonlySet<string>;
  /** Declared names a case need not give: optional in the schema (`name?`), or with a default. */
  optional: ReadonlySet<string>;
  /**
   * Any variable may be read: the template reads its whole input (`{{this}}`, `{{@root}}`, a
   * partial), or the schema accepts any key (`(*)`). Nothing can be called unused then.
   */
  open: boolean;
  /** Where in the file each used variable is first read (1-based line and column). */
  firstRead: ReadonlyMap<string, { line: number; column: number }>;
  /** The front matter has an `input.schema`: then it is the list of what the template may read. */
  hasSchema: boolean;
}

type Node = { type?: unknown; [key: string]: unknown };

const isNode = (v: unknown): v is Node => typeof v === "object" && v !== null && "type" in v;
const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** Blocks that give their body another context: a plain `{{name}}` there is not an input. */
const CONTEXT_BLOCKS = new Set(["each", "with"]);
/** Handlebars' own helpers, which may be called with no arguments. */
const BUILTIN_HELPERS = new Set(["if", "unless", "each", "with", "lookup", "log"]);

// Walking a template costs about as much as parsing it (~0.2 ms); validate asks once per golden
// set and version, and the runtime's reloads and a diff's two revisions share most files, so the
// answer is kept per content hash (bounded like the template checks of prompt-file.ts).
const cache = new Map<string, TemplateInputs | null>();
const MAX_CACHED = 1000;

/**
 * The variables a version reads, or undefined when its template cannot be read (it does not
 * parse, which loading reports, or a dotprompt upgrade hid its Handlebars instance).
 */
export function templateInputs(pv: PromptVersion): TemplateInputs | undefined {
  const cached = cache.get(pv.contentHash);
  if (cached !== undefined) return cached ?? undefined;
  const inputs = analyse(pv);
  if (cache.size >= MAX_CACHED) cache.clear();
  cache.set(pv.contentHash, inputs ?? null);
  return inputs;
}

function analyse(pv: PromptVersion): TemplateInputs | undefined {
  const parsed = parseTemplate(pv.source);
  if (!parsed) return undefined;
  const used = new Set<string>();
  const required = new Set<string>();
  const firstRead = new Map<string, { line: number; column: number }>();
  let open = false;
  const helpers = new Set([...BUILTIN_HELPERS, ...parsed.helpers]);

  /**
   * `depths`: how many context-changing blocks may be around the node (`../` climbs one of them;
   * since Handlebars 4 `{{#if}}` is not counted). Usually one number; a Mustache-style section
   * (`{{#customer}}…{{/customer}}`) changes the context only when its value is an object or a list,
   * so inside one both counts are possible. `params`: block parameters in scope (`as |item|`).
   * `inBlock`: inside the body of any block, where a variable is optional.
   */
  interface Scope {
    depths: ReadonlySet<number>;
    params: ReadonlySet<string>;
    inBlock: boolean;
  }
  const deeper = (depths: ReadonlySet<number>) => new Set([...depths].map((d) => d + 1));

  /** A statement with arguments (`{{json order}}`, `{{#each items}}`) calls a helper. */
  const hasArgs = (n: Node): boolean =>
    (Array.isArray(n.params) && n.params.length > 0) ||
    (isNode(n.hash) && Array.isArray(n.hash.pairs) && n.hash.pairs.length > 0);
  /** `{{if}}`, `{{role}}`…: a plain name that is a known helper, not a variable. */
  const namesHelper = (path: unknown): boolean =>
    isNode(path) &&
    path.type === "PathExpression" &&
    path.data !== true &&
    Array.isArray(path.parts) &&
    path.parts.length === 1 &&
    helpers.has(String(path.parts[0]));

  const expression = (e: unknown, scope: Scope, isRequired: boolean): void => {
    if (!isNode(e)) return;
    if (e.type === "SubExpression") {
      call(e, scope, isRequired);
      return;
    }
    if (e.type !== "PathExpression") return; // a literal
    const parts = Array.isArray(e.parts) ? e.parts.map(String) : [];
    let name: string | undefined;
    if (e.data === true) {
      // @root.x is the input's x; @index, @key, @first… are the data of an {{#each}}.
      if (parts[0] !== "root") return;
      name = parts[1];
    } else {
      const depth = typeof e.depth === "number" ? e.depth : 0;
      if (depth === 0 && parts[0] !== undefined && scope.params.has(parts[0])) return;
      // Only a path that climbs back to the top context reads the input.
      if (!scope.depths.has(depth)) return;
      name = parts[0];
    }
    if (name === undefined) {
      open = true; // {{this}} or {{@root}}: the whole input
      return;
    }
    used.add(name);
    const start = isRecord(e.loc) && isRecord(e.loc.start) ? e.loc.start : undefined;
    if (!firstRead.has(name) && typeof start?.line === "number") {
      const column = typeof start.column === "number" ? start.column + 1 : 1;
      firstRead.set(name, { line: start.line + parsed.lineOffset, column });
    }
    if (isRequired && !scope.inBlock) required.add(name);
  };

  // A helper call's arguments: `{{role "system"}}`, `{{json customer}}`, `(lookup a "k")`.
  const call = (n: Node, scope: Scope, isRequired: boolean): void => {
    for (const p of Array.isArray(n.params) ? n.params : []) expression(p, scope, isRequired);
    const hash = n.hash;
    if (isNode(hash) && Array.isArray(hash.pairs)) {
      for (const pair of hash.pairs) if (isRecord(pair)) expression(pair.value, scope, isRequired);
    }
  };

  const program = (p: unknown, scope: Scope): void => {
    if (!isNode(p) || !Array.isArray(p.body)) return;
    const own = Array.isArray(p.blockParams) ? p.blockParams.map(String) : [];
    const inner = own.length > 0 ? { ...scope, params: new Set([...scope.params, ...own]) } : scope;
    for (const s of p.body) statement(s, inner);
  };

  const statement = (s: unknown, scope: Scope): void => {
    if (!isNode(s)) return;
    switch (s.type) {
      case "MustacheStatement": {
        if (hasArgs(s) || namesHelper(s.path)) call(s, scope, true);
        else expression(s.path, scope, true);
        return;
      }
      case "BlockStatement":
      case "DecoratorBlock": {
        const path = s.path;
        const body = { ...scope, inBlock: true };
        if (s.type === "BlockStatement" && !hasArgs(s) && !namesHelper(path)) {
          // A Mustache-style section, {{#customer}}…{{/customer}} or {{^flag}}…{{/flag}}: the
          // variable is its own condition (used, and may be missing on purpose). Its body renders
          // in the same context when the value is a boolean, in the value's when it is an object
          // or a list; both readings count, so nothing the body may read is called unused.
          expression(path, scope, false);
          program(s.program, {
            ...body,
            depths: new Set([...scope.depths, ...deeper(scope.depths)]),
          });
          program(s.inverse, body);
          return;
        }
        const name = isNode(path) && Array.isArray(path.parts) ? String(path.parts[0] ?? "") : "";
        // A block's condition or list may be missing on purpose ({{#if context}}).
        call(s, scope, false);
        program(
          s.program,
          CONTEXT_BLOCKS.has(name) ? { ...body, depths: deeper(scope.depths) } : body,
        );
        program(s.inverse, body);
        return;
      }
      case "PartialStatement":
      case "PartialBlockStatement":
        // A partial renders with the current context: what it reads is not in this file.
        if (scope.depths.has(0)) open = true;
        call(s, scope, false);
        program(s.program, { ...scope, inBlock: true });
        return;
      default:
        return; // text, comments
    }
  };

  program(parsed.program, { depths: new Set([0]), params: new Set(), inBlock: false });
  const fm = declaredInputs(pv.frontMatter);
  return {
    used,
    required,
    declared: fm.declared,
    optional: fm.optional,
    open: open || fm.open,
    firstRead,
    hasSchema: isRecord(pv.frontMatter.input?.schema),
  };
}

/**
 * The names the front matter gives the input: `input.default`'s keys (a value every case gets),
 * and `input.schema`'s, in Picoschema (`{ question: string, locale?: string }`, `(*)` for any key)
 * or JSON Schema (`{ type: object, properties, required }`).
 */
function declaredInputs(fm: FrontMatter): {
  declared: Set<string>;
  optional: Set<string>;
  open: boolean;
} {
  const declared = new Set<string>();
  const optional = new Set<string>();
  let open = false;
  for (const key of Object.keys(fm.input?.default ?? {})) {
    declared.add(key);
    optional.add(key);
  }
  const schema = fm.input?.schema;
  if (isRecord(schema)) {
    if (schema.type === "object" && isRecord(schema.properties)) {
      const req = Array.isArray(schema.required) ? schema.required.map(String) : [];
      for (const key of Object.keys(schema.properties)) {
        declared.add(key);
        if (!req.includes(key)) optional.add(key);
      }
      if (isRecord(schema.additionalProperties) || schema.additionalProperties === true)
        open = true;
    } else {
      for (const key of Object.keys(schema)) {
        if (key.trim().startsWith("(*)")) {
          open = true;
          continue;
        }
        // name, name?, name(type, description), name?(type)
        const m = /^\s*([^?(\s]+)\s*(\?)?/.exec(key);
        if (!m?.[1]) continue;
        declared.add(m[1]);
        if (m[2]) optional.add(m[1]);
      }
    }
  }
  return { declared, optional, open };
}
