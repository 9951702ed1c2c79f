/**
 * The runtime library: what an application imports to serve the prompt versions that
 * environments.yaml pins, following rollbacks and canary shares without a redeploy.
 *
 *   const prompts = await openPrompts({ source: worktreeSource("/srv/prompts") });
 *   const p = prompts.resolve("production", "support-answer", userId);
 *   const messages = await p.render({ question });  // call p.model with messages and p.config
 *
 *   // Or let the pin's fallbacks take over in an outage, and log who answered:
 *   const call = createFallbackCaller({ client: (t) => new OpenAI({ baseURL: t.baseUrl, timeout: 20_000 }) });
 *   const { value, servedBy } = await call(p, (c, t) => c.chat.completions.create({ model: t.model, messages }));
 *
 * An edge like src/cli/: the package's `promptgate/runtime` entry, where the runtime core
 * (src/runtime/) meets the file sources of the adapter wing (src/io/), which the core never imports.
 */
export { PromptgateError, PromptgateErrors } from "../errors.js";
export type { ChatMessage, ModelConfig } from "../formats/prompt-file.js";
export { gitRevisionSource, worktreeSource } from "../io/file-sources.js";
export { type FetchLike, type GitHubSourceOptions, githubSource, type HttpsSourceOptions, httpsSource, type RemoteSource, } from "../io/remote-sources.js";
export { bucketOf, isInCanary } from "../runtime/canary.js";
export { classifyFailure, createFallbackCaller, describeTarget, type FailedAttempt, type FailoverReason, type FallbackCaller, type FallbackCallerOptions, type Served, type Target, } from "../runtime/fallback.js";
export { createInputRecorder, type InputRecorderOptions } from "../runtime/record-inputs.js";
export { type OpenPromptsOptions, openPrompts, type PromptRuntime, type PromptStore, type RefreshResult, type Resolved, type RuntimeChange, type RuntimeStatus, } from "../runtime/runtime.js";
