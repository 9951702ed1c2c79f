/**
 * The layers of docs' architecture picture, kept true: the core (`src/` but `src/cli/` and
 * `src/io/`) imports no edge, no adapter and no GitHub or Actions library; the adapter wing
 * (`src/io/`) imports no edge; the edges (`action/`, `bot/`, `src/cli/`) never import each other.
 */
import { readdir, readFile } from "node:fs/promises";
import { join, posix, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

type Layer = "core" | "io" | "cli" | "action" | "bot";

/** Where a file or an import lands; `undefined` for files outside the layered code (tests...). */
function layerOf(path: string): Layer | undefined {
  if (path.startsWith("src/cli/")) return "cli";
  if (path.startsWith("src/io/")) return "io";
  if (path.startsWith("src/")) return "core";
  if (path.startsWith("action/")) return "action";
  if (path.startsWith("bot/")) return "bot";
  return undefined;
}

/** What each layer must not import: other layers, and packages that belong to the edges. */
const FORBIDDEN: Record<Layer, { layers: Layer[]; packages: RegExp[] }> = {
  core: {
    layers: ["io", "cli", "action", "bot"],
    packages: [/^@actions\//, /^probot$/, /^probot\//, /^@octokit\//],
  },
  io: { layers: ["cli", "action", "bot"], packages: [] },
  cli: { layers: ["action", "bot"], packages: [] },
  action: { layers: ["bot", "cli"], packages: [] },
  bot: { layers: ["action", "cli"], packages: [] },
};

/**
 * Imports that break the rule today and are being fixed on another branch ("layers": the core
 * stops importing `src/io/`). TODO(lead): empty this list after merging that branch; the test
 * then holds the rule without exceptions.
 */
const KNOWN_EXCEPTIONS: readonly { file: string; specifier: string }[] = [
  { file: "src/runtime/index.ts", specifier: "../io/file-sources.js" },
  { file: "src/engine/openai-client.ts", specifier: "../io/http-fetch.js" },
];

interface Violation {
  file: string;
  specifier: string;
  rule: string;
}

/**
 * The imports of `file` (a path from the repository root, `/`-separated) that its layer may not
 * make. Relative specifiers are resolved against the file; bare ones are packages.
 */
function findViolations(file: string, specifiers: readonly string[]): Violation[] {
  const from = layerOf(file);
  if (!from) return [];
  const rule = FORBIDDEN[from];
  const out: Violation[] = [];
  for (const specifier of specifiers) {
    if (specifier.startsWith(".")) {
      const target = posix.normalize(posix.join(posix.dirname(file), specifier));
      const to = layerOf(target);
      if (to && rule.layers.includes(to)) {
        out.push({ file, specifier, rule: `${from} must not import ${to} (${target})` });
      }
    } else if (rule.packages.some((p) => p.test(specifier))) {
      out.push({ file, specifier, rule: `${from} must not import the package ${specifier}` });
    }
  }
  return out;
}

/** `import … from`, `export … from`, `import("…")` and `import "…"` of a TypeScript file. */
function listSpecifiers(source: string): string[] {
  const info = ts.preProcessFile(source, true, true);
  return info.importedFiles.map((f) => f.fileName);
}

async function listTsFiles(dir: string): Promise<string[]> {
  const entries = await readdir(join(ROOT, dir), { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith(".ts"))
    .map((e) => relative(ROOT, join(e.parentPath, e.name)).split(sep).join("/"));
}

describe("findViolations (the rule itself)", () => {
  it("catches each kind of violation, naming the file and the specifier", () => {
    expect(findViolations("src/compare/x.ts", ["../io/git-changes.js"])).toEqual([
      {
        file: "src/compare/x.ts",
        specifier: "../io/git-changes.js",
        rule: "core must not import io (src/io/git-changes.js)",
      },
    ]);
    expect(findViolations("src/report/y.ts", ["../../bot/app.js", "@actions/core"])).toHaveLength(
      2,
    );
    expect(findViolations("src/rollout/z.ts", ["@octokit/core", "probot"])).toHaveLength(2);
    expect(findViolations("action/github.ts", ["../bot/handle-comment.js"])).toHaveLength(1);
    expect(findViolations("bot/app.ts", ["../action/run.js"])).toHaveLength(1);
    expect(findViolations("src/io/github/gates.ts", ["../../cli/index.js"])).toHaveLength(1);
  });

  it("lets each layer import what lies below it", () => {
    expect(findViolations("src/io/github/gates.ts", ["../../rollout/index.js", "probot"])).toEqual(
      [],
    );
    expect(
      findViolations("action/run.ts", ["../src/io/github/errors.js", "@actions/core"]),
    ).toEqual([]);
    expect(findViolations("src/compare/x.ts", ["./types.js", "../formats/repo.js", "zod"])).toEqual(
      [],
    );
    expect(findViolations("test/x.test.ts", ["../bot/app.js"])).toEqual([]);
  });

  it("reads every kind of import and re-export", () => {
    const source = [
      'import a from "./a.js";',
      'import type { B } from "./b.js";',
      'export { c } from "./c.js";',
      'export * from "./d.js";',
      'import "./e.js";',
      'const f = await import("./f.js");',
    ].join("\n");
    expect(listSpecifiers(source)).toEqual([
      "./a.js",
      "./b.js",
      "./c.js",
      "./d.js",
      "./e.js",
      "./f.js",
    ]);
  });
});

describe("the repository keeps the import direction", () => {
  it("no file under src/, action/ or bot/ imports against its layer", async () => {
    const files = (
      await Promise.all(["src", "action", "bot"].map((dir) => listTsFiles(dir)))
    ).flat();
    expect(files.length).toBeGreaterThan(50);
    const violations: Violation[] = [];
    for (const file of files) {
      const source = await readFile(join(ROOT, file), "utf8");
      violations.push(...findViolations(file, listSpecifiers(source)));
    }
    const unexpected = violations.filter(
      (v) => !KNOWN_EXCEPTIONS.some((k) => k.file === v.file && k.specifier === v.specifier),
    );
    expect(unexpected.map((v) => `${v.file}: ${v.specifier}: ${v.rule}`)).toEqual([]);
  });

  it("every known exception still exists (remove it from the list once fixed)", async () => {
    for (const k of KNOWN_EXCEPTIONS) {
      const source = await readFile(join(ROOT, k.file), "utf8");
      expect(listSpecifiers(source), k.file).toContain(k.specifier);
    }
  });
});
