import ts from "typescript";
import { expect, it } from "vitest";

// `promptgate/runtime` ships declarations (package.json "exports" → dist/types): an application
// written in TypeScript must type-check against them, with real types where it uses the API.
it("an application type-checks against the published runtime declarations", () => {
  const program = ts.createProgram(["test/fixtures/runtime-consumer/consumer.ts"], {
    noEmit: true,
    strict: true,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    types: ["node"],
    skipLibCheck: true,
  });
  const resolved = program
    .getSourceFiles()
    .map((f) => f.fileName)
    .filter((f) => f.includes("/dist/types/"));
  expect(resolved.some((f) => f.endsWith("dist/types/src/runtime/index.d.ts"))).toBe(true);
  const problems = ts
    .getPreEmitDiagnostics(program)
    .map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
  expect(problems).toEqual([]);
}, 30_000);
