import { data, Evaluator, type Expr, Lexer, Parser } from "@actions/expressions";
import type { FunctionDefinition } from "@actions/expressions/funcs/info";

/** The contexts a composite action's expressions may name (GitHub's list for `runs.steps`). */
const CONTEXT_NAMES = ["github", "inputs", "env", "runner", "steps", "job", "strategy", "matrix"];

export type Contexts = Record<string, unknown>;

/**
 * `${{ }}` templates, evaluated by GitHub's own expression engine (@actions/expressions). The
 * status functions (`success()`, `always()`, …) are the runner's, so they are given here.
 */
export function createTemplateEvaluator(status: { failed: boolean }) {
  const statusFunction = (name: string, value: () => boolean): FunctionDefinition => ({
    name,
    minArgs: 0,
    maxArgs: 0,
    call: () => new data.BooleanData(value()),
  });
  const functions = new Map<string, FunctionDefinition>(
    [
      statusFunction("success", () => !status.failed),
      statusFunction("failure", () => status.failed),
      statusFunction("always", () => true),
      statusFunction("cancelled", () => false),
    ].map((f) => [f.name, f]),
  );

  const parse = (expression: string): Expr =>
    new Parser(new Lexer(expression).lex().tokens, CONTEXT_NAMES, [...functions.values()]).parse();

  const evaluate = (expression: string, contexts: Contexts): data.ExpressionData => {
    const dictionary = JSON.parse(JSON.stringify(contexts), data.reviver) as data.Dictionary;
    const value = new Evaluator(parse(expression), dictionary, functions).evaluate();
    // A missing property reads as null on GitHub.
    return value ?? new data.Null();
  };

  return {
    evaluate,
    /** A whole `${{ }}` keeps its type (as GitHub does); otherwise parts are joined as strings. */
    render(template: string, contexts: Contexts): string {
      return splitTemplate(template)
        .map((part) =>
          part.kind === "text" ? part.text : evaluate(part.text, contexts).coerceString(),
        )
        .join("");
    },
    /** An `if:` condition: a bare expression or one `${{ }}`; absent means `success()`. */
    condition(source: string | boolean | undefined, contexts: Contexts): boolean {
      if (source === undefined) return !status.failed;
      if (typeof source === "boolean") return source;
      const parts = splitTemplate(source.trim());
      const expression =
        parts.length === 1 && parts[0]?.kind === "expression" ? parts[0].text : source;
      // GitHub adds an implicit success() unless the condition calls a status function.
      const explicit = /\b(success|failure|always|cancelled)\s*\(/i.test(expression);
      const truthy = isTruthy(evaluate(expression, contexts));
      return explicit ? truthy : truthy && !status.failed;
    },
  };
}

function isTruthy(value: data.ExpressionData): boolean {
  switch (value.kind) {
    case data.Kind.Null:
      return false;
    case data.Kind.Boolean:
      return (value as data.BooleanData).value;
    case data.Kind.Number:
      return value.number() !== 0 && !Number.isNaN(value.number());
    case data.Kind.String:
      return value.coerceString() !== "";
    default:
      return true;
  }
}

type Part = { kind: "text" | "expression"; text: string };

/** Splits `a ${{ x }} b` into text and expressions; `}}` inside a '…' literal does not close. */
export function splitTemplate(template: string): Part[] {
  const parts: Part[] = [];
  let i = 0;
  while (i < template.length) {
    const open = template.indexOf("${{", i);
    if (open < 0) {
      parts.push({ kind: "text", text: template.slice(i) });
      break;
    }
    if (open > i) parts.push({ kind: "text", text: template.slice(i, open) });
    let j = open + 3;
    let inString = false;
    for (; j < template.length; j++) {
      const ch = template[j];
      if (ch === "'") inString = !inString;
      else if (!inString && ch === "}" && template[j + 1] === "}") break;
    }
    if (j >= template.length) throw new Error(`unclosed \${{ in ${JSON.stringify(template)}`);
    parts.push({ kind: "expression", text: template.slice(open + 3, j).trim() });
    i = j + 2;
  }
  return parts;
}
