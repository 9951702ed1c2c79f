import { lstat, readFile } from "node:fs/promises";
import { join } from "node:path";
import { PromptgateError } from "../src/errors.js";
import type { PullRequestRef, RunnerContext } from "./inputs.js";

/**
 * The fork recipe's second stage (`on: workflow_run`): which pull request to evaluate.
 *
 * The first stage ran on `pull_request` with the pull request's own workflow file, so everything
 * it uploaded is the pull request's to forge. Its artifact is read as a claim, checked strictly,
 * and believed only where GitHub confirms it: the head sha must be the one GitHub says the first
 * stage ran on (`workflow_run.head_sha`), and the pull request GitHub knows under that number must
 * have that head. The base is GitHub's too, never the artifact's: the base revision decides where
 * the key goes and how the change is judged.
 */

/** What the first stage's artifact says: files `number` and `head-sha` in one folder. */
export interface PullRequestClaim {
  number: number;
  headSha: string | undefined;
}

/** The pull request as GitHub describes it. */
export interface PullRequestReader {
  read(number: number): Promise<{ headSha: string; baseSha: string }>;
}

const SHA = /^[0-9a-f]{40}$/;
const NUMBER = /^[1-9][0-9]{0,9}$/;
/** Generous for a number or a sha and a newline; anything longer is not what the recipe writes. */
const MAX_FILE_BYTES = 128;

const RECIPE_HINT =
  "follow the README's fork recipe (“Permissions and security”): the first stage uploads `number` and `head-sha`, the second passes the downloaded folder as `pull-request-artifact`";

function artifactError(message: string): PromptgateError {
  return new PromptgateError("E_CONFIG", `pull-request-artifact: ${message}`, {
    hint: RECIPE_HINT,
  });
}

/**
 * Reads the artifact's two files, and nothing else in the folder. Each must be a small regular
 * file (not a link) holding exactly a positive integer or 40 lowercase hex digits.
 */
export async function readPullRequestArtifact(dir: string): Promise<PullRequestClaim> {
  const number = await readClaimFile(dir, "number", true);
  if (number === undefined || !NUMBER.test(number)) {
    throw artifactError(`\`number\` must hold a pull request number, got ${quote(number)}`);
  }
  const headSha = await readClaimFile(dir, "head-sha", false);
  if (headSha !== undefined && !SHA.test(headSha)) {
    throw artifactError(`\`head-sha\` must hold a 40-hex commit sha, got ${quote(headSha)}`);
  }
  return { number: Number(number), headSha };
}

async function readClaimFile(
  dir: string,
  name: string,
  required: boolean,
): Promise<string | undefined> {
  const path = join(dir, name);
  const stat = await lstat(path).catch(() => undefined);
  if (!stat) {
    if (required) throw artifactError(`no \`${name}\` file in ${dir}`);
    return undefined;
  }
  if (!stat.isFile()) throw artifactError(`\`${name}\` is not a regular file`);
  if (stat.size > MAX_FILE_BYTES) {
    throw artifactError(`\`${name}\` is ${stat.size} bytes, more than a ${name} takes`);
  }
  return (await readFile(path, "utf8")).trim();
}

function quote(text: string | undefined): string {
  return text === undefined ? "nothing" : JSON.stringify(text.slice(0, 60));
}

/**
 * The pull request a `workflow_run` event is about, confirmed by GitHub: from the artifact when
 * one is given, else from the event (GitHub lists same-repository pull requests there).
 */
export async function resolveWorkflowRunPull(
  context: RunnerContext,
  artifactDir: string | undefined,
  pulls: PullRequestReader,
): Promise<PullRequestRef> {
  const run = context.workflowRun;
  if (!run) {
    throw new PromptgateError("E_CONFIG", "the workflow_run event names no run", {
      hint: RECIPE_HINT,
    });
  }
  if (run.event !== "pull_request" && run.event !== "pull_request_target") {
    throw new PromptgateError(
      "E_CONFIG",
      `the triggering run was a ${run.event || "unknown"} event, not a pull request`,
      {
        hint: "run the second stage only for the first stage's pull_request runs: `if: github.event.workflow_run.event == 'pull_request'`",
      },
    );
  }
  let number: number;
  if (artifactDir) {
    const claim = await readPullRequestArtifact(artifactDir);
    if (claim.headSha !== undefined && claim.headSha !== run.headSha) {
      throw artifactError(
        `\`head-sha\` ${claim.headSha} is not the commit the first stage ran on (${run.headSha})`,
      );
    }
    number = claim.number;
  } else {
    const [only, ...more] = run.pullRequests;
    if (only === undefined || more.length > 0) {
      throw new PromptgateError(
        "E_CONFIG",
        only === undefined
          ? "the workflow_run event names no pull request (GitHub leaves it out for forks)"
          : `the workflow_run event names ${run.pullRequests.length} pull requests`,
        { hint: RECIPE_HINT },
      );
    }
    number = only;
  }
  const pull = await pulls.read(number);
  if (pull.headSha !== run.headSha) {
    throw new PromptgateError(
      "E_CONFIG",
      `pull request #${number}'s head is ${pull.headSha}, not ${run.headSha}, the commit the first stage ran on`,
      {
        hint: "a newer push starts a newer run, which evaluates it; an artifact naming another pull request is refused",
      },
    );
  }
  return { number, headSha: run.headSha, baseSha: pull.baseSha };
}
