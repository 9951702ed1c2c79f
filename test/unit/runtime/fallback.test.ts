import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import OpenAI from "openai";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { PromptgateError } from "../../../src/errors.js";
import {
  createFallbackCaller,
  type FailedAttempt,
  openPrompts,
  type PromptRuntime,
  type Resolved,
  type Target,
  worktreeSource,
} from "../../../src/library/runtime.js";
import { type OpenAIStandIn, startOpenAIStandIn } from "../../support/stand-ins/openai/index.js";

// Three providers on loopback: the app's own endpoint (primary) and two fallbacks' endpoints.
let primary: OpenAIStandIn;
let second: OpenAIStandIn;
let third: OpenAIStandIn;
let root: string;
let runtime: PromptRuntime;

const PROMPT = `---
model: gpt-4o
input:
  schema: { question: string }
---
{{role "user"}}
{{question}}
`;

beforeAll(async () => {
  [primary, second, third] = await Promise.all([
    startOpenAIStandIn({ validate: true }),
    startOpenAIStandIn({ validate: true }),
    startOpenAIStandIn({ validate: true }),
  ]);
  root = await mkdtemp(join(tmpdir(), "promptgate-fallback-"));
  const put = async (path: string, text: string) => {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), text);
  };
  await put("prompts/support-answer/v1.prompt", PROMPT);
  await put(
    "environments.yaml",
    `environments:
  production:
    prompts:
      support-answer:
        version: v1
        model: gpt-4o
        fallback:
          - { model: gpt-4o-mini, base-url: "${second.baseURL}" }
          - { model: gpt-4.1-mini, base-url: "${third.baseURL}" }
`,
  );
  runtime = await openPrompts({ source: worktreeSource(root), refreshMs: 0 });
});

afterEach(() => {
  for (const s of [primary, second, third]) {
    s.setFaults([]);
    s.requests.length = 0;
  }
});

afterAll(async () => {
  runtime.close();
  for (const s of [primary, second, third]) {
    expect(s.violations).toEqual([]);
    await s.close();
  }
  await rm(root, { recursive: true, force: true });
});

/** What an app writes: its own client per target (primary: its usual endpoint), one retry. */
function caller(opts: { timeoutMs?: number; maxRetries?: number } = {}) {
  const failovers: { from: FailedAttempt; to: Target }[] = [];
  const call = createFallbackCaller({
    client: (t) =>
      new OpenAI({
        apiKey: "test",
        baseURL: t.baseUrl ?? primary.baseURL,
        timeout: opts.timeoutMs ?? 5_000,
        maxRetries: opts.maxRetries ?? 0,
      }),
    onFailover: (from, to) => failovers.push({ from, to }),
  });
  const ask = async (p: Resolved) => {
    const messages = await p.render({ question: "Where is my refund?" });
    return call(p, (client, target) =>
      client.chat.completions.create({ model: target.model, messages }),
    );
  };
  return { ask, failovers };
}

const resolved = () => runtime.resolve("production", "support-answer");

describe("resolve", () => {
  it("returns the pin's model first, then its fallbacks in the file's order", () => {
    expect(resolved().targets).toEqual([
      { model: "gpt-4o" },
      { model: "gpt-4o-mini", baseUrl: second.baseURL },
      { model: "gpt-4.1-mini", baseUrl: third.baseURL },
    ]);
    expect(resolved().model).toBe("gpt-4o");
  });
});

describe("createFallbackCaller", () => {
  it("serves from the pin's model while it answers", async () => {
    const { ask, failovers } = caller();
    const r = await ask(resolved());
    expect(r.servedBy).toEqual({ model: "gpt-4o" });
    expect(r.servedByIndex).toBe(0);
    expect(r.value.model).toBe("gpt-4o");
    expect(failovers).toEqual([]);
    expect(second.requests).toHaveLength(0);
  });

  it("moves on after a timeout", async () => {
    primary.setFaults([{ kind: "hang" }]);
    const { ask, failovers } = caller({ timeoutMs: 300 });
    const r = await ask(resolved());
    expect(r.servedBy).toEqual({ model: "gpt-4o-mini", baseUrl: second.baseURL });
    expect(r.failed.map((f) => f.reason)).toEqual(["timeout"]);
    expect(failovers.map((f) => f.to.model)).toEqual(["gpt-4o-mini"]);
    expect(second.requests[0]?.body?.model).toBe("gpt-4o-mini");
  });

  it("moves on after a 5xx", async () => {
    primary.setFaults([{ kind: "status", status: 503 }]);
    const r = await caller().ask(resolved());
    expect(r.servedByIndex).toBe(1);
    expect(r.failed.map((f) => f.reason)).toEqual(["server-error"]);
  });

  it("moves on after a 429 only once the client's retries are spent", async () => {
    primary.setFaults([{ kind: "status", status: 429, retryAfterS: 0 }]);
    const r = await caller({ maxRetries: 2 }).ask(resolved());
    // The SDK's own retry budget ran on the primary first: 1 try + 2 retries.
    expect(primary.requests).toHaveLength(3);
    expect(r.servedBy.model).toBe("gpt-4o-mini");
    expect(r.failed.map((f) => f.reason)).toEqual(["rate-limit"]);
  });

  it("moves on when the connection is refused", async () => {
    const closedPort = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, "127.0.0.1", () => {
        const address = server.address();
        server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
      });
    });
    const call = createFallbackCaller({
      client: (t) =>
        new OpenAI({
          apiKey: "test",
          baseURL: t.baseUrl ?? `http://127.0.0.1:${closedPort}/v1`,
          maxRetries: 0,
          timeout: 5_000,
        }),
    });
    const p = resolved();
    const r = await call(p, async (client, t) =>
      client.chat.completions.create({
        model: t.model,
        messages: await p.render({ question: "hi" }),
      }),
    );
    expect(r.servedBy.model).toBe("gpt-4o-mini");
    expect(r.failed.map((f) => f.reason)).toEqual(["connection"]);
  });

  it("tries every fallback in order and says who answered", async () => {
    primary.setFaults([{ kind: "status", status: 500 }]);
    second.setFaults([{ kind: "status", status: 502 }]);
    const r = await caller().ask(resolved());
    expect(r.servedBy).toEqual({ model: "gpt-4.1-mini", baseUrl: third.baseURL });
    expect(r.servedByIndex).toBe(2);
    expect(r.failed.map((f) => f.target.model)).toEqual(["gpt-4o", "gpt-4o-mini"]);
    expect(r.value.model).toBe("gpt-4.1-mini");
  });

  it.each([400, 401, 403, 404, 422])(
    "does not move on after a %i: the next provider would refuse it too",
    async (status) => {
      primary.setFaults([{ kind: "status", status }]);
      const error = await caller()
        .ask(resolved())
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(error).toBeInstanceOf(OpenAI.APIError);
      expect((error as InstanceType<typeof OpenAI.APIError>).status).toBe(status);
      expect(second.requests).toHaveLength(0);
      expect(third.requests).toHaveLength(0);
    },
  );

  it("names every target tried when all of them fail", async () => {
    for (const s of [primary, second, third]) s.setFaults([{ kind: "status", status: 500 }]);
    const error = await caller()
      .ask(resolved())
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(PromptgateError);
    expect((error as PromptgateError).code).toBe("E_LLM");
    expect((error as PromptgateError).message).toContain(
      `every target failed: gpt-4o (server-error), gpt-4o-mini at ${second.baseURL} (server-error), gpt-4.1-mini at ${third.baseURL} (server-error)`,
    );
  });

  it("makes one client per target and keeps it", async () => {
    let made = 0;
    const call = createFallbackCaller({
      client: () => {
        made++;
        return {};
      },
    });
    for (let i = 0; i < 3; i++) await call(resolved(), async () => "ok");
    expect(made).toBe(1);
  });
});
