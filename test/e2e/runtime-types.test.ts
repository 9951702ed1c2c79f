import { execFile } from "node:child_process";
import { copyFile, mkdtemp, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import ts from "typescript";
import { expect, it } from "vitest";

// `promptgate/runtime` ships declarations (package.json "exports" → dist/types): an application
// written in TypeScript must type-check against them, with real types where it uses the API.
// They are built afresh into a package laid out as it is published, so this checks what the
// sources declare; test/dist.test.ts checks that the committed dist/ is that same build.
it("an application type-checks against the published runtime declarations", async () => {
  const pkg = await mkdtemp(join(tmpdir(), "promptgate-types-"));
  try {
    await promisify(execFile)(process.execPath, [
      "scripts/build.mjs",
      "--types-only",
      "--outdir",
      join(pkg, "dist"),
    ]);
    await copyFile("package.json", join(pkg, "package.json"));
    await copyFile("test/support/fixtures/runtime-consumer/consumer.ts", join(pkg, "consumer.ts"));
    await symlink(resolve("node_modules"), join(pkg, "node_modules"), "dir");
    const program = ts.createProgram([join(pkg, "consumer.ts")], {
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
    expect(resolved.some((f) => f.endsWith("dist/types/src/library/runtime.d.ts"))).toBe(true);
    const problems = ts
      .getPreEmitDiagnostics(program)
      .map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
    expect(problems).toEqual([]);
  } finally {
    await rm(pkg, { recursive: true, force: true });
  }
}, 60_000);
