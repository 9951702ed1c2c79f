import { readdir, readFile } from "node:fs/promises";
import { dirname, join, normalize } from "node:path";
import { describe, expect, it } from "vitest";

/*
 * The layers point one way (architecture.md): the core in src/ imports no edge and not the adapter
 * wing src/io/; io/ is imported only by the edges (src/cli/, src/library/, action/, bot/, and the
 * scripts, benchmarks and tests around them). The rules read the import lines of the files as text.
 */

/** Folders, as repository paths ending in "/", and package names. */
type Place = { folder: string } | { pkg: string };

interface Rule {
  /** The files the rule is about. */
  from: (file: string) => boolean;
  to: Place[];
  why: string;
}

const EDGES = ["src/cli/", "src/library/"];
const isCore = (f: string) =>
  f.startsWith("src/") && !f.startsWith("src/io/") && !EDGES.some((e) => f.startsWith(e));

/*
 * The core's own stack, lowest first: a layer imports only those below it. rollout/ and runtime/
 * build on it from beside, and nothing in the stack imports them. The files directly in src/
 * (errors, numbers, suggest) are the floor: they import no folder.
 */
const STACK = ["formats", "cost", "engine", "compare", "report"];
const BESIDE = ["rollout", "runtime"];
const inFolder = (folder: string) => (f: string) => f.startsWith(`src/${folder}/`);
const stackRules: Rule[] = STACK.map((layer, i) => ({
  from: inFolder(layer),
  to: [...STACK.slice(i + 1), ...BESIDE].map((above) => ({ folder: `src/${above}/` })),
  why: `${layer}/ imports only the layers below it (${STACK.slice(0, i).join(", ") || "none"})`,
}));

const RULES: Rule[] = [
  ...stackRules,
  {
    from: (f) => /^src\/[^/]+\.ts$/.test(f),
    to: [...STACK, ...BESIDE, "io", "cli", "library"].map((f) => ({ folder: `src/${f}/` })),
    why: "the files directly in src/ are the floor every layer stands on",
  },
  {
    from: isCore,
    to: [
      { folder: "src/io/" },
      ...EDGES.map((folder) => ({ folder })),
      { folder: "action/" },
      { folder: "bot/" },
    ],
    why: "the core imports no edge and not the adapter wing: I/O comes in through interfaces",
  },
  {
    from: isCore,
    to: [{ pkg: "@actions/" }, { pkg: "probot" }, { pkg: "@octokit/" }],
    why: "the core runs outside GitHub too (CLI, runtime library)",
  },
  {
    from: (f) => f.startsWith("src/io/"),
    to: [...EDGES.map((folder) => ({ folder })), { folder: "action/" }, { folder: "bot/" }],
    why: "the adapter wing serves the edges; it does not call them",
  },
  {
    from: (f) => f.startsWith("action/"),
    to: [{ folder: "bot/" }, ...EDGES.map((folder) => ({ folder }))],
    why: "edges meet only in the core and in src/io/ (a shared flow is one core function)",
  },
  {
    from: (f) => f.startsWith("bot/"),
    to: [{ folder: "action/" }, ...EDGES.map((folder) => ({ folder }))],
    why: "edges meet only in the core and in src/io/ (a shared flow is one core function)",
  },
];

const SPECIFIER =
  /(?:^|\s)(?:import|export)\b[^"';]*?\bfrom\s*["']([^"']+)["']|\bimport\s*\(\s*["']([^"']+)["']\s*\)|^\s*import\s*["']([^"']+)["']/gm;

/** What a file imports: repository paths for relative specifiers (".js" as written), packages as named. */
function importsOf(file: string, text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(SPECIFIER)) {
    const spec = m[1] ?? m[2] ?? m[3];
    if (spec === undefined) continue;
    out.push(spec.startsWith(".") ? normalize(join(dirname(file), spec)) : spec);
  }
  return out;
}

const hits = (target: string, place: Place) =>
  "folder" in place
    ? target.startsWith(place.folder)
    : target === place.pkg ||
      target.startsWith(place.pkg.endsWith("/") ? place.pkg : `${place.pkg}/`);

/** Every import that breaks a rule, as "file → target (why)". */
function findImportViolations(files: ReadonlyMap<string, string>): string[] {
  const out: string[] = [];
  for (const [file, text] of files) {
    for (const target of importsOf(file, text)) {
      for (const rule of RULES) {
        if (rule.from(file) && rule.to.some((p) => hits(target, p))) {
          out.push(`${file} → ${target} (${rule.why})`);
        }
      }
    }
  }
  return out;
}

async function readSources(): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const dir of ["src", "action", "bot"]) {
    for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
      if (!e.isFile() || !/\.(ts|mts|js|mjs)$/.test(e.name)) continue;
      const path = join(e.parentPath, e.name);
      files.set(path, await readFile(path, "utf8"));
    }
  }
  return files;
}

describe("import direction", () => {
  it("holds across src/, action/ and bot/", async () => {
    const files = await readSources();
    expect(files.size).toBeGreaterThan(50);
    expect(findImportViolations(files)).toEqual([]);
  });

  it("reports an import of io or an edge from the core, an upward one inside it, an edge from io, and one edge from another", () => {
    const files = new Map([
      ["src/engine/x.ts", 'import { httpFetch } from "../io/http-fetch.js";\n'],
      ["src/runtime/y.ts", 'export { worktreeSource } from "../io/file-sources.js";\n'],
      ["src/report/z.ts", 'import * as core from "@actions/core";\nconst p = import("probot");\n'],
      ["src/io/w.ts", 'import { main } from "../cli/main.js";\n'],
      ["src/cli/ok.ts", 'import { git } from "../io/file-sources.js";\n'],
      ["src/io/ok.ts", 'import type { ChatModel } from "../engine/types.js";\n'],
      ["src/cost/v.ts", 'import type { Usage } from "../engine/types.js";\n'],
      ["src/compare/u.ts", 'import type { PromptChange } from "../report/model.js";\n'],
      ["src/errors.ts", 'import { x } from "./formats/y.js";\n'],
      ["src/report/ok.ts", 'import type { PromptComparison } from "../compare/types.js";\n'],
      ["action/t.ts", 'import { readGateStates } from "../bot/github/gates.js";\n'],
      ["bot/s.ts", 'import { runAction } from "../action/run.js";\n'],
      ["bot/ok.ts", 'import { statusOf } from "../src/io/github/errors.js";\n'],
    ]);
    expect(findImportViolations(files).map((v) => v.split(" (")[0])).toEqual([
      "src/engine/x.ts → src/io/http-fetch.js",
      "src/runtime/y.ts → src/io/file-sources.js",
      "src/report/z.ts → @actions/core",
      "src/report/z.ts → probot",
      "src/io/w.ts → src/cli/main.js",
      "src/cost/v.ts → src/engine/types.js",
      "src/compare/u.ts → src/report/model.js",
      "src/errors.ts → src/formats/y.js",
      "action/t.ts → bot/github/gates.js",
      "bot/s.ts → action/run.js",
    ]);
  });
});
