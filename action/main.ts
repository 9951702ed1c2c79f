/**
 * The GitHub Action's entry (action.yml runs the bundle of this file, dist/action.js). The one
 * place that reads the step's environment and the one error boundary: everything below it throws.
 */
import * as core from "@actions/core";
import { describeError } from "../src/errors.js";
import type { OverallVerdict } from "../src/report/index.js";
import { createScrubber, type Scrub, secretsOfUrl } from "../src/scrub.js";
import { runDriftMode } from "./drift.js";
import { ActionFailure, describeFailure } from "./failure.js";
import {
  createCommentStore,
  createGateReader,
  createPullReader,
  createStatusWriter,
} from "./github.js";
import { getInputs, INPUT_ENV, readArtifactInput, readInput, readRunnerContext } from "./inputs.js";
import { type Annotation, annotationsOfError } from "./log.js";
import { failsStep, runAction } from "./run.js";
import { resolveWorkflowRunPull } from "./workflow-run.js";

/**
 * The step's secrets, read from the environment before anything is parsed: an error in parsing
 * the inputs is scrubbed too. Each is also masked in the log, should a library ever print it.
 */
function readSecrets(env: NodeJS.ProcessEnv): Scrub {
  const secrets = [
    env[INPUT_ENV.openaiApiKey]?.trim(),
    env[INPUT_ENV.cacheSecret]?.trim(),
    env[INPUT_ENV.githubToken]?.trim(),
    ...secretsOfUrl(env[INPUT_ENV.openaiBaseUrl]?.trim()),
  ];
  for (const s of secrets) if (s) core.setSecret(s);
  return createScrubber(secrets);
}

const scrub = readSecrets(process.env);

/** An annotation as a workflow command: `file`, `line` and `col` pin it to the pull request's diff. */
function annotate(a: Annotation): void {
  const props: core.AnnotationProperties = {
    ...(a.title ? { title: a.title } : {}),
    ...(a.file ? { file: a.file } : {}),
    ...(a.line === undefined ? {} : { startLine: a.line }),
    ...(a.col === undefined ? {} : { startColumn: a.col }),
  };
  const write = { error: core.error, warning: core.warning, notice: core.notice }[a.level];
  write(scrub(a.message), props);
}

/** Where the step ran, for making located errors' paths relative to the repository root. */
let paths: { workspace: string; root: string } | undefined;

async function main(env: NodeJS.ProcessEnv): Promise<void> {
  const context = readRunnerContext(env);
  if (context.eventName === "workflow_run") {
    // The fork recipe's second stage: the pull request is the artifact's claim, as GitHub confirms it.
    context.pullRequest = await resolveWorkflowRunPull(
      context,
      readArtifactInput(env, context),
      createPullReader(readInput(env, "githubToken") ?? "", context.apiUrl, context.repository),
    );
  }
  const inputs = getInputs(env, context);
  paths = { workspace: context.workspace, root: inputs.root };
  if (inputs.mode === "drift") {
    const drift = await runDriftMode(inputs, context, {
      log: (message) => core.info(message),
      async writeSummary(markdown) {
        if (context.stepSummary) await core.summary.addRaw(markdown, true).write();
      },
      scrub,
      annotate,
    });
    setOutputs({ ...drift, reportDir: "", commentUrl: undefined });
    if (failsStep(drift.verdict, inputs.failOn)) {
      throw new GateFailure(scrub(`promptgate drift ${drift.verdict}: ${drift.summary}`));
    }
    return;
  }

  const pr = context.pullRequest;
  const outcome = await runAction(inputs, context, {
    comments:
      pr && inputs.comment
        ? createCommentStore(inputs.githubToken, context.apiUrl, context.repository, pr.number)
        : undefined,
    statuses: createStatusWriter(inputs.githubToken, context.apiUrl, context.repository),
    gates: createGateReader(inputs.githubToken, context.apiUrl, context.repository),
    async writeSummary(markdown) {
      if (context.stepSummary) await core.summary.addRaw(markdown, true).write();
    },
    log: (message) => core.info(message),
    warn: (message) => core.warning(message),
    scrub,
    annotate,
    group: (name, body) => core.group(name, body),
  });

  setOutputs(outcome);
  if (outcome.failed) {
    throw new GateFailure(scrub(`promptgate ${outcome.verdict}: ${outcome.summary}`));
  }
}

/** Set before the step fails, so later steps with `if: always()` can read them. */
function setOutputs(o: {
  verdict: OverallVerdict;
  summary: string;
  reportDir: string;
  commentUrl: string | undefined;
  artifactName?: string | undefined;
}): void {
  core.setOutput("verdict", o.verdict);
  core.setOutput("artifact-name", o.artifactName ?? "promptgate-report");
  core.setOutput("summary", scrub(o.summary));
  core.setOutput("report-dir", o.reportDir);
  core.setOutput("comment-url", o.commentUrl ?? "");
}

/** The verdict failing the step by `fail-on`: expected, so it is said plainly, not as an error. */
class GateFailure extends Error {}

await main(process.env).catch((e: unknown) => {
  if (e instanceof GateFailure) {
    core.setFailed(e.message);
    return;
  }
  // An error, not a verdict (runAction has shown its own in the comment and the job summary).
  const error = e instanceof ActionFailure ? e.error : e;
  setOutputs({
    verdict: "errors",
    summary: scrub(describeFailure(error)),
    reportDir: "",
    commentUrl: e instanceof ActionFailure ? e.commentUrl : undefined,
  });
  // Located errors (a YAML key, a golden-set line) as annotations on their lines of the diff.
  const located = paths ? annotationsOfError(error, paths) : undefined;
  if (located) {
    for (const a of located) annotate(a);
    process.exitCode = core.ExitCode.Failure;
    return;
  }
  core.setFailed(scrub(describeError(error)));
});
