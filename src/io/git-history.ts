import { spawn } from "node:child_process";
import { type HistoryEntry, parseHistoryEntry } from "../rollout/history.js";
import { git, readRepoPrefix } from "./file-sources.js";

/**
 * The last `depth` commits of `path` (relative to `root`, which may be a subfolder of the
 * repository) reachable from `rev`, newest first, each with the file as it was then and the
 * trailers of its message: what the bot reads through the API, from git.
 */
export async function readGitHistory(
  root: string,
  path: string,
  depth: number,
  rev = "HEAD",
): Promise<HistoryEntry[]> {
  const log = await git(root, [
    "log",
    `--max-count=${depth}`,
    "--format=%H%x1f%an%x1f%cI%x1f%B%x1e",
    rev,
    "--",
    path,
  ]).catch(() => "");
  const commits = log
    .split("\x1e")
    .map((r) => r.replace(/^\n/, ""))
    .filter((r) => r.includes("\x1f"))
    .map((r) => {
      const [sha = "", author = "", date = "", message = ""] = r.split("\x1f");
      return { sha, author, date, message };
    });
  const prefix = commits.length > 0 ? await readRepoPrefix(root) : "";
  const texts = await readBlobsAt(
    root,
    commits.map((c) => `${c.sha}:${prefix}${path}`),
  );
  const out: HistoryEntry[] = [];
  commits.forEach((c, i) => {
    const text = texts[i];
    const entry = text === undefined ? undefined : parseHistoryEntry(c, text, path);
    if (entry) out.push(entry);
  });
  return out;
}

/** Many `rev:path` blobs through one `git cat-file --batch`; undefined where one is missing. */
function readBlobsAt(root: string, specs: string[]): Promise<(string | undefined)[]> {
  if (specs.length === 0) return Promise.resolve([]);
  return new Promise((done, fail) => {
    const child = spawn("git", ["cat-file", "--batch"], { cwd: root });
    const chunks: Buffer[] = [];
    child.stdout.on("data", (d: Buffer) => chunks.push(d));
    child.on("error", fail);
    child.on("close", () => {
      const data = Buffer.concat(chunks);
      const out: (string | undefined)[] = [];
      let at = 0;
      for (let n = 0; n < specs.length; n++) {
        const eol = data.indexOf(10, at);
        if (eol < 0) break;
        const header = data.subarray(at, eol).toString("utf8");
        at = eol + 1;
        const m = /^[0-9a-f]+ (\w+) (\d+)$/.exec(header);
        if (!m) {
          out.push(undefined);
          continue;
        }
        const size = Number(m[2]);
        out.push(m[1] === "blob" ? data.subarray(at, at + size).toString("utf8") : undefined);
        at += size + 1;
      }
      done(out);
    });
    child.stdin.end(`${specs.join("\n")}\n`);
  });
}
