import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import { type Contexts, createTemplateEvaluator } from "./expressions.js";

export { splitTemplate } from "./expressions.js";

/**
 * A small GitHub Actions runner for `runs.using: composite` (testing.md §3): it reads action.yml,
 * resolves the inputs (defaults are expressions too), evaluates `${{ }}` with @actions/expressions,
 * gives each `run:` step the runner's environment and fresh GITHUB_OUTPUT / GITHUB_STEP_SUMMARY
 * files, runs it with bash as GitHub does (`bash --noprofile --norc -eo pipefail`), and reads the
 * step outputs, the action outputs and the job summary back.
 *
 * Like the real runner, it passes no INPUT_* variables to composite steps (actions/runner#665):
 * an action that forgets to map an input in `env:` fails here as it would on GitHub.
 */
export interface RunCompositeOptions {
  /** The folder holding action.yml (and whatever its steps run): `github.action_path`. */
  actionPath: string;
  /** `with:` of the workflow step. Unknown names fail, as a typo should. */
  with?: Record<string, string>;
  eventName: string;
  /** The webhook payload; written to GITHUB_EVENT_PATH. */
  event: Record<string, unknown>;
  /** `owner/name`. */
  repository: string;
  /** The checked-out repository (actions/checkout's result). */
  workspace: string;
  /** `github.token` (GITHUB_TOKEN). */
  token: string;
  apiUrl: string;
  serverUrl?: string;
  /** GITHUB_SHA; for pull_request events, the merge (or head) commit the workflow checked out. */
  sha: string;
  ref?: string;
  baseRef?: string;
  headRef?: string;
  runId?: number;
  /** Extra environment for every step (the workflow's `env:`). */
  env?: Record<string, string>;
  /**
   * Stand-ins for the actions that `uses:` steps call, by `owner/name@ref`: given the step's
   * rendered `with:`, they return its outputs. A `uses:` step without one fails the run.
   */
  uses?: Record<string, (inputs: Record<string, string>) => Record<string, string>>;
}

export interface StepResult {
  id: string | undefined;
  name: string | undefined;
  skipped: boolean;
  exitCode: number;
  outputs: Record<string, string>;
  stdout: string;
  stderr: string;
}

export interface CompositeResult {
  /** 0 when every step succeeded. */
  exitCode: number;
  outcome: "success" | "failure";
  outputs: Record<string, string>;
  /** The job summary the steps appended, concatenated in order. */
  summary: string;
  steps: StepResult[];
  stdout: string;
  stderr: string;
  /** `::error::` and `::warning::` workflow commands the steps printed. */
  annotations: {
    level: "error" | "warning" | "notice";
    message: string;
    /** `file`, `line`, `col`, `title`… as the command gave them (unescaped). */
    properties: Record<string, string>;
  }[];
  runnerTemp: string;
}

interface ActionYaml {
  inputs?: Record<string, { default?: string; required?: boolean; description?: string }>;
  outputs?: Record<string, { value?: string; description?: string }>;
  runs?: { using?: string; steps?: CompositeStep[] };
}

interface CompositeStep {
  id?: string;
  name?: string;
  if?: string | boolean;
  run?: string;
  uses?: string;
  with?: Record<string, string | number | boolean>;
  shell?: string;
  env?: Record<string, string | number | boolean>;
  "working-directory"?: string;
  "continue-on-error"?: boolean;
}

export async function runComposite(options: RunCompositeOptions): Promise<CompositeResult> {
  const actionPath = resolve(options.actionPath);
  const action = parseYaml(await readFile(join(actionPath, "action.yml"), "utf8")) as ActionYaml;
  if (action.runs?.using !== "composite") {
    throw new Error(`action.yml: runs.using is ${action.runs?.using}, not composite`);
  }
  const temp = await mkdtemp(join(tmpdir(), "promptgate-runner-"));
  const runnerTemp = join(temp, "_temp");
  await mkdir(runnerTemp, { recursive: true });
  const eventPath = join(temp, "event.json");
  await writeFile(eventPath, JSON.stringify(options.event));

  const status = { failed: false };
  const expressions = createTemplateEvaluator(status);
  const serverUrl = options.serverUrl ?? "https://github.com";
  const runId = String(options.runId ?? 1);
  const github = {
    token: options.token,
    action_path: actionPath,
    event: options.event,
    event_name: options.eventName,
    event_path: eventPath,
    repository: options.repository,
    repository_owner: options.repository.split("/")[0],
    sha: options.sha,
    ref: options.ref ?? "",
    base_ref: options.baseRef ?? "",
    head_ref: options.headRef ?? "",
    api_url: options.apiUrl,
    server_url: serverUrl,
    workspace: options.workspace,
    run_id: runId,
    run_attempt: "1",
    actor: "octocat",
  };
  const runner = { os: "Linux", arch: "X64", temp: runnerTemp, name: "stand-in" };
  const baseEnv: Record<string, string> = {
    // PATH and HOME, so node and git are found; nothing else of the test process leaks in.
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: process.env.HOME ?? temp,
    GIT_CONFIG_GLOBAL: "/dev/null",
    GIT_CONFIG_NOSYSTEM: "1",
    CI: "true",
    GITHUB_ACTIONS: "true",
    GITHUB_EVENT_NAME: options.eventName,
    GITHUB_EVENT_PATH: eventPath,
    GITHUB_REPOSITORY: options.repository,
    GITHUB_REPOSITORY_OWNER: github.repository_owner ?? "",
    GITHUB_SHA: options.sha,
    GITHUB_REF: github.ref,
    GITHUB_BASE_REF: github.base_ref,
    GITHUB_HEAD_REF: github.head_ref,
    GITHUB_API_URL: options.apiUrl,
    GITHUB_SERVER_URL: serverUrl,
    GITHUB_GRAPHQL_URL: `${options.apiUrl}/graphql`,
    GITHUB_WORKSPACE: options.workspace,
    GITHUB_RUN_ID: runId,
    GITHUB_RUN_ATTEMPT: "1",
    GITHUB_ACTOR: "octocat",
    GITHUB_ACTION_PATH: actionPath,
    RUNNER_TEMP: runnerTemp,
    RUNNER_OS: "Linux",
    RUNNER_ARCH: "X64",
    ...options.env,
  };

  const inputs = resolveInputs(action, options.with ?? {}, (template) =>
    expressions.render(template, { github, runner, env: baseEnv }),
  );
  const steps: Record<string, { outputs: Record<string, string>; outcome: string }> = {};
  const results: StepResult[] = [];
  const annotations: CompositeResult["annotations"] = [];
  let summary = "";

  for (const [index, step] of (action.runs.steps ?? []).entries()) {
    const contexts = (): Contexts => ({ github, runner, inputs, steps, env: baseEnv });
    const stub = step.uses ? options.uses?.[step.uses] : undefined;
    if (step.uses && !stub) throw new Error(`step ${index}: no stand-in for uses: ${step.uses}`);
    if (step.run === undefined && !stub) throw new Error(`step ${index}: neither run nor uses`);
    if (!stub && step.shell !== "bash") {
      throw new Error(`step ${index}: composite run steps need shell: bash (got ${step.shell})`);
    }
    if (!expressions.condition(step.if, contexts())) {
      results.push({
        id: step.id,
        name: step.name,
        skipped: true,
        exitCode: 0,
        outputs: {},
        stdout: "",
        stderr: "",
      });
      if (step.id) steps[step.id] = { outputs: {}, outcome: "skipped" };
      continue;
    }
    if (stub) {
      const withs: Record<string, string> = {};
      for (const [name, value] of Object.entries(step.with ?? {})) {
        withs[name] = expressions.render(String(value), contexts());
      }
      const outputs = stub(withs);
      results.push({
        id: step.id,
        name: step.name ?? step.uses,
        skipped: false,
        exitCode: 0,
        outputs,
        stdout: "",
        stderr: "",
      });
      if (step.id) steps[step.id] = { outputs, outcome: "success" };
      continue;
    }
    const stepEnv: Record<string, string> = { ...baseEnv };
    for (const [name, value] of Object.entries(step.env ?? {})) {
      stepEnv[name] = expressions.render(String(value), contexts());
    }
    const outputFile = join(temp, `output-${index}`);
    const summaryFile = join(temp, `summary-${index}`);
    await Promise.all([writeFile(outputFile, ""), writeFile(summaryFile, "")]);
    stepEnv.GITHUB_OUTPUT = outputFile;
    stepEnv.GITHUB_STEP_SUMMARY = summaryFile;
    stepEnv.GITHUB_ENV = join(temp, `env-${index}`);
    stepEnv.GITHUB_PATH = join(temp, `path-${index}`);

    const script = join(temp, `step-${index}.sh`);
    await writeFile(script, expressions.render(step.run ?? "", contexts()));
    const cwd = step["working-directory"]
      ? resolve(options.workspace, expressions.render(step["working-directory"], contexts()))
      : options.workspace;
    const run = await spawnBash(script, cwd, stepEnv);
    annotations.push(...readAnnotations(run.stdout));
    const outputs = parseFileCommands(await readFile(outputFile, "utf8"));
    summary += await readFile(summaryFile, "utf8");
    results.push({ id: step.id, name: step.name, ...run, skipped: false, outputs });
    const failed = run.exitCode !== 0 && !step["continue-on-error"];
    if (step.id) steps[step.id] = { outputs, outcome: run.exitCode === 0 ? "success" : "failure" };
    if (failed) status.failed = true;
  }

  const outputs: Record<string, string> = {};
  for (const [name, output] of Object.entries(action.outputs ?? {})) {
    outputs[name] = expressions.render(output.value ?? "", {
      github,
      runner,
      inputs,
      steps,
      env: baseEnv,
    });
  }
  const exitCode = results.find((r) => r.exitCode !== 0)?.exitCode ?? 0;
  const result: CompositeResult = {
    exitCode,
    outcome: status.failed ? "failure" : "success",
    outputs,
    summary,
    steps: results,
    stdout: results.map((r) => r.stdout).join(""),
    stderr: results.map((r) => r.stderr).join(""),
    annotations,
    runnerTemp,
  };
  // The report folder lives under RUNNER_TEMP; tests read it, so the caller removes it.
  cleanups.set(result, temp);
  return result;
}

const cleanups = new WeakMap<CompositeResult, string>();

/** Removes the run's temporary folder (RUNNER_TEMP, the event, the step files). */
export async function disposeRun(result: CompositeResult): Promise<void> {
  const temp = cleanups.get(result);
  if (temp) await rm(temp, { recursive: true, force: true });
}

function resolveInputs(
  action: ActionYaml,
  given: Record<string, string>,
  render: (template: string) => string,
): Record<string, string> {
  const declared = action.inputs ?? {};
  const unknown = Object.keys(given).filter((k) => !(k in declared));
  if (unknown.length > 0) throw new Error(`unexpected input(s): ${unknown.join(", ")}`);
  const inputs: Record<string, string> = {};
  for (const [name, input] of Object.entries(declared)) {
    const value = given[name] ?? render(String(input.default ?? ""));
    if (input.required && value === "") throw new Error(`input required and not supplied: ${name}`);
    inputs[name] = value;
  }
  return inputs;
}

function spawnBash(
  script: string,
  cwd: string,
  env: Record<string, string>,
): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn("bash", ["--noprofile", "--norc", "-eo", "pipefail", script], {
      cwd,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.on("error", reject);
    child.on("close", (code, signal) =>
      resolvePromise({ exitCode: code ?? (signal ? 128 : 1), stdout, stderr }),
    );
  });
}

/**
 * GITHUB_OUTPUT's two forms: `name=value`, and `name<<DELIMITER` … `DELIMITER` for multi-line
 * values (what @actions/core writes).
 */
export function parseFileCommands(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? "";
    if (line === "") continue;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const [, name, delimiter] = heredoc as unknown as [string, string, string];
      const value: string[] = [];
      for (i++; i < lines.length && lines[i] !== delimiter; i++) value.push(lines[i] ?? "");
      if (i >= lines.length) throw new Error(`GITHUB_OUTPUT: ${name} has no closing ${delimiter}`);
      out[name] = value.join("\n");
      continue;
    }
    const eq = line.indexOf("=");
    if (eq < 0) throw new Error(`GITHUB_OUTPUT: cannot read line ${JSON.stringify(line)}`);
    out[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return out;
}

function readAnnotations(stdout: string): CompositeResult["annotations"] {
  const found: CompositeResult["annotations"] = [];
  for (const line of stdout.split("\n")) {
    const m = /^::(error|warning|notice)(?: ([^:]*))?::(.*)$/.exec(line);
    if (m) {
      // Property values escape `,` and `:` too (@actions/core's escapeProperty).
      const unescapeProperty = (v: string) =>
        v
          .replace(/%0A/g, "\n")
          .replace(/%0D/g, "\r")
          .replace(/%3A/g, ":")
          .replace(/%2C/g, ",")
          .replace(/%25/g, "%");
      const properties: Record<string, string> = {};
      for (const pair of (m[2] ?? "").split(",")) {
        const eq = pair.indexOf("=");
        if (eq > 0) properties[pair.slice(0, eq)] = unescapeProperty(pair.slice(eq + 1));
      }
      found.push({
        level: m[1] as "error" | "warning" | "notice",
        message: (m[3] ?? "").replace(/%0A/g, "\n").replace(/%0D/g, "\r").replace(/%25/g, "%"),
        properties,
      });
    }
  }
  return found;
}
