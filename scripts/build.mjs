// Bundles the entries into dist/. A bundle starts in ~0.2 s where the unbundled tree takes ~0.5 s
// (architecture.md, "Start-up is a feature").
import { existsSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { build } from "esbuild";
import ts from "typescript";

// --types-only: the runtime library's declarations alone (test/e2e/runtime-types.test.ts checks them).
const { values } = parseArgs({
  options: {
    outdir: { type: "string", default: "dist" },
    "types-only": { type: "boolean", default: false },
  },
});

const common = {
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  minify: true,
  legalComments: "none",
  logLevel: "warning",
  // Some dependencies are CommonJS that call require(); give the ESM bundle one.
  banner: {
    js: "import { createRequire as __pgCreateRequire } from 'node:module'; const require = __pgCreateRequire(import.meta.url);",
  },
  // Optional native speedups of ws/undici that the bundle must not try to resolve.
  external: ["bufferutil", "utf-8-validate"],
};

const present = (entries) =>
  Object.fromEntries(Object.entries(entries).filter(([, p]) => existsSync(p)));

// The project's own prompt files (the llm-rubric grader's) into the source, before bundling.
await import("./embed-prompts.mjs");

if (!values["types-only"]) {
  // The CLI, the demo, the bot and the runtime library split lazily-loaded code (the 3.6 MB tokenizer, ajv) into chunks,
  // so a plain eval never parses them.
  await build({
    ...common,
    entryPoints: present({
      cli: "src/cli/index.ts",
      demo: "scripts/demo.ts",
      bot: "bot/index.ts",
      runtime: "src/library/runtime.ts",
    }),
    outdir: values.outdir,
    splitting: true,
    chunkNames: "chunks/[name]-[hash]",
  });

  // Workflow entries are single files, as GitHub runs them from the repository at the tag.
  await build({
    ...common,
    entryPoints: present({
      action: "action/main.ts",
      "link-report": "action/link-report.ts",
      "bot-action": "bot/action-entry.ts",
    }),
    outdir: values.outdir,
  });
}

// Type declarations of the runtime library, for applications that import `promptgate/runtime`
// from TypeScript (package.json points its `types` condition here).
const program = ts.createProgram(["src/library/runtime.ts"], {
  declaration: true,
  emitDeclarationOnly: true,
  outDir: join(values.outdir, "types"),
  rootDir: ".",
  strict: true,
  noUncheckedIndexedAccess: true,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  target: ts.ScriptTarget.ES2022,
  skipLibCheck: true,
});
const emitted = program.emit();
const problems = ts.getPreEmitDiagnostics(program).concat(emitted.diagnostics);
if (problems.length > 0) {
  for (const d of problems) console.error(ts.flattenDiagnosticMessageText(d.messageText, "\n"));
  process.exit(1);
}
