import { join, resolve } from "node:path";
import {
  loadRules,
  type OpenAIStandIn,
  rulesResponder,
  startOpenAIStandIn,
} from "../stand-ins/openai/index.js";
import { readFiles } from "./composite-action.js";

/**
 * The demo (examples/) as the pull request the action's end-to-end tests run on: its main
 * without the versions the pull request adds, and the model it is scripted against. Why here:
 * more than one file runs the action on the demo, and they must agree on what main holds.
 */
export const EXAMPLES = resolve("examples");

/**
 * examples/ split in two: `main`, every file but `prFiles` and the stand-in's script; `pr`,
 * `prFiles` (paths relative to examples/), in their order.
 */
export async function readDemo(
  prFiles: readonly string[],
): Promise<{ main: Record<string, string>; pr: Record<string, string> }> {
  const main = await readFiles(EXAMPLES);
  const pr: Record<string, string> = {};
  for (const path of Object.keys(main)) {
    if (path.endsWith("stand-in.yaml")) delete main[path];
  }
  for (const path of prFiles) {
    const text = main[path];
    if (text === undefined) throw new Error(`examples/ has no ${path}`);
    pr[path] = text;
    delete main[path];
  }
  return { main, pr };
}

/** The LLM stand-in answering as examples/stand-in.yaml scripts the demo, seeded, validating. */
export async function startDemoStandIn(): Promise<OpenAIStandIn> {
  return startOpenAIStandIn({
    seed: 11,
    validate: true,
    responder: rulesResponder(await loadRules(join(EXAMPLES, "stand-in.yaml"))),
  });
}
