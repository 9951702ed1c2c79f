import {
  type DriftKey,
  type DriftRecord,
  type DriftRecordStore,
  driftRecordPath,
  parseDriftRecord,
} from "../../compare/drift.js";
import type { Scrub } from "../../scrub.js";
import type { GitHubRequest } from "./client.js";
import { statusOf } from "./errors.js";
import type { RepoRef } from "./repo-ref.js";

/**
 * Drift records on a dedicated branch (default `promptgate-records`), one JSON file per
 * environment and prompt (`drift/<environment>/<prompt>.json`), written through the contents API
 * with compare-and-swap: every PUT names the blob sha it read, so two checks at once cannot both
 * record a baseline (the loser gets 409, or 422 when it thought the file absent, re-reads and
 * compares with the winner's record). A branch survives across runs without a database or an
 * artifact's 90-day expiry, and `git log promptgate-records` is the audit of every baseline.
 */
export const DEFAULT_RECORDS_BRANCH = "promptgate-records";

const BRANCH_README = `# promptgate records

Written by \`promptgate drift\` (the action's \`mode: drift\`): one JSON file per environment and
prompt under \`drift/\`, the results the scheduled check compares each pin with. Delete a file to
record a new baseline on the next check. This branch shares no history with the code.
`;

export function createGitHubDriftStore(
  octokit: GitHubRequest,
  repo: RepoRef,
  /** Runs over each record's text before it is written: records hold model outputs. */
  scrub: Scrub,
  branch = DEFAULT_RECORDS_BRANCH,
): DriftRecordStore {
  let branchReady = false;
  return {
    async read(key) {
      return readDriftRecord(octokit, repo, branch, key);
    },
    async write(record, version) {
      if (!branchReady) {
        await ensureRecordsBranch(octokit, repo, branch);
        branchReady = true;
      }
      return writeDriftRecord(octokit, repo, branch, record, version, scrub);
    },
  };
}

export async function readDriftRecord(
  octokit: GitHubRequest,
  repo: RepoRef,
  branch: string,
  key: DriftKey,
): Promise<{ record: DriftRecord; version: string } | null> {
  const path = driftRecordPath(key);
  let data: { type?: string; sha: string; content?: string; encoding?: string };
  try {
    const res = await octokit.request("GET /repos/{owner}/{repo}/contents/{path}", {
      ...repo,
      path,
      ref: branch,
    });
    if (Array.isArray(res.data)) return null;
    data = res.data as typeof data;
  } catch (e) {
    // No branch yet, or no record of this pin yet: both mean "first run".
    if (statusOf(e) === 404) return null;
    throw e;
  }
  // Files over 1 MB come without content from the contents API: read the blob instead.
  let text: string;
  if (data.content && data.encoding === "base64") {
    text = Buffer.from(data.content, "base64").toString("utf8");
  } else {
    const blob = await octokit.request("GET /repos/{owner}/{repo}/git/blobs/{file_sha}", {
      ...repo,
      file_sha: data.sha,
    });
    text = Buffer.from(blob.data.content, "base64").toString("utf8");
  }
  return { record: parseDriftRecord(text, `${branch}:${path}`), version: data.sha };
}

export async function writeDriftRecord(
  octokit: GitHubRequest,
  repo: RepoRef,
  branch: string,
  record: DriftRecord,
  version: string | null,
  scrub: Scrub,
): Promise<"written" | "conflict"> {
  const key = { environment: record.environment, prompt: record.prompt };
  try {
    await octokit.request("PUT /repos/{owner}/{repo}/contents/{path}", {
      ...repo,
      path: driftRecordPath(key),
      branch,
      ...(version === null ? {} : { sha: version }),
      message: `drift: record ${record.environment}/${record.prompt} at ${record.version} on ${record.model}`,
      content: Buffer.from(scrub(`${JSON.stringify(record)}\n`), "utf8").toString("base64"),
      // A lost answer must not be re-sent with the same sha: the caller re-reads instead.
      request: { retries: 0 },
    });
    return "written";
  } catch (e) {
    // 409: the file moved since we read it; 422: it appeared since we saw it absent.
    const status = statusOf(e);
    if (status === 409 || status === 422) return "conflict";
    throw e;
  }
}

/**
 * Creates the records branch as an orphan (one README, no history shared with the code), unless
 * it exists. Two first runs at once both try: the loser's ref creation gets 422 and uses the
 * winner's branch.
 */
export async function ensureRecordsBranch(
  octokit: GitHubRequest,
  repo: RepoRef,
  branch: string,
): Promise<void> {
  try {
    await octokit.request("GET /repos/{owner}/{repo}/git/ref/{ref}", {
      ...repo,
      ref: `heads/${branch}`,
    });
    return;
  } catch (e) {
    if (statusOf(e) !== 404) throw e;
  }
  const tree = await octokit.request("POST /repos/{owner}/{repo}/git/trees", {
    ...repo,
    tree: [{ path: "README.md", mode: "100644", type: "blob", content: BRANCH_README }],
  });
  const commit = await octokit.request("POST /repos/{owner}/{repo}/git/commits", {
    ...repo,
    message: "promptgate: start the records branch",
    tree: tree.data.sha,
    parents: [],
  });
  try {
    await octokit.request("POST /repos/{owner}/{repo}/git/refs", {
      ...repo,
      ref: `refs/heads/${branch}`,
      sha: commit.data.sha,
    });
  } catch (e) {
    if (statusOf(e) !== 422) throw e;
  }
}
