import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { httpFetch } from "../../../src/io/http-fetch.js";

// The engine's fetch hands the openai SDK a buffered stand-in for `Response` on success; these
// tests pin the members the SDK reads, against a real loopback server.
let server: Server;
let base: string;
let lastHeaders: IncomingHttpHeaders = {};
let lastBody = "";

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (d: string) => {
      body += d;
    });
    req.on("end", () => {
      lastHeaders = req.headers;
      lastBody = body;
      if (req.url === "/ok") {
        res.setHeader("content-type", "application/json");
        res.setHeader("X-Request-Id", "req_1");
        res.setHeader("x-multi", ["a", "b"]);
        // Names a hostile or broken proxy could send: they must not replace methods or prototypes.
        res.setHeader("get", "shadow");
        res.setHeader("constructor", "c");
        res.setHeader("__proto__", "p");
        res.end(JSON.stringify({ answer: "héllo" }));
      } else if (req.url === "/limited") {
        res.writeHead(429, { "content-type": "application/json", "retry-after": "2" });
        res.end('{"error":{"message":"slow down"}}');
      } else if (req.url === "/events") {
        res.writeHead(200, { "content-type": "text/event-stream" });
        res.write("data: 1\n\n");
        setTimeout(() => res.end("data: [DONE]\n\n"), 20);
      } else {
        res.writeHead(204);
        res.end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe("httpFetch", () => {
  it("sends the method, the headers the SDK built and the body with its length", async () => {
    const body = JSON.stringify({ q: "ünïcode" });
    const headers = new Headers({ "Content-Type": "application/json", Authorization: "Bearer k" });
    await (await httpFetch(`${base}/ok`, { method: "POST", headers, body })).text();
    expect(lastBody).toBe(body);
    expect(lastHeaders.authorization).toBe("Bearer k");
    expect(lastHeaders["content-length"]).toBe(String(Buffer.byteLength(body)));
  });

  it("answers a success with the Response members the SDK reads", async () => {
    const res = await httpFetch(`${base}/ok`, { method: "POST", body: "{}" });
    expect(res.ok).toBe(true);
    expect(res.status).toBe(200);
    expect(res.url).toBe(`${base}/ok`);
    expect(res.headers.get("x-request-id")).toBe("req_1");
    expect(res.headers.get("X-REQUEST-ID")).toBe("req_1");
    expect(res.headers.get("absent")).toBeNull();
    expect(res.headers.has("Content-Type")).toBe(true);
    // Repeated headers join as fetch's Headers joins them; names are lower case and sorted.
    expect(res.headers.get("x-multi")).toBe("a, b");
    const names = [...res.headers.entries()].map(([name]) => name);
    expect(names).toEqual([...names].sort());
    expect(names).toContain("x-request-id");
    // The SDK's debug log copies headers with Object.entries when they are not a Headers.
    expect(Object.fromEntries(Object.entries(res.headers))).toMatchObject({
      "x-request-id": "req_1",
    });
    expect(res.headers.get("get")).toBe("shadow");
    expect(res.headers.get("constructor")).toBe("c");
    expect(res.headers.get("__proto__")).toBe("p");
    expect(res.headers.has("toString")).toBe(false);
    expect(res.bodyUsed).toBe(false);
    expect(await res.json()).toEqual({ answer: "héllo" });
    expect(res.bodyUsed).toBe(true);
    await expect(res.text()).rejects.toThrow(/already been read/);
  });

  it("still offers the body as a stream for a caller that wants one", async () => {
    const res = await httpFetch(`${base}/ok`);
    const reader = res.body?.getReader();
    let text = "";
    for (let r = await reader?.read(); r && !r.done; r = await reader?.read()) {
      text += Buffer.from(r.value).toString("utf8");
    }
    expect(JSON.parse(text)).toEqual({ answer: "héllo" });
  });

  it("keeps a real Response for errors, so callers can rebuild them with new headers", async () => {
    const res = await httpFetch(`${base}/limited`, { method: "POST", body: "{}" });
    expect(res).toBeInstanceOf(Response);
    expect(res.ok).toBe(false);
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBe("2");
    expect(await res.json()).toEqual({ error: { message: "slow down" } });
  });

  it("streams server-sent events as they come, and answers a 204 with no body", async () => {
    const events = await httpFetch(`${base}/events`);
    expect(events).toBeInstanceOf(Response);
    expect(await events.text()).toBe("data: 1\n\ndata: [DONE]\n\n");
    const empty = await httpFetch(`${base}/nothing`);
    expect(empty.status).toBe(204);
    expect(empty.body).toBeNull();
  });

  it("aborts with the caller's signal", async () => {
    const controller = new AbortController();
    const pending = httpFetch(`${base}/events`, { signal: controller.signal });
    controller.abort();
    await expect(pending).rejects.toThrow(/abort/i);
  });

  it("still aborts a stream of events after its headers came", async () => {
    const controller = new AbortController();
    const events = await httpFetch(`${base}/events`, { signal: controller.signal });
    const reading = events.text();
    controller.abort();
    await expect(reading).rejects.toThrow(/abort/i);
  });

  it("leaves no listener on the caller's signal once an answer is read", async () => {
    const controller = new AbortController();
    const signal = controller.signal;
    let listeners = 0;
    const add = signal.addEventListener.bind(signal);
    const remove = signal.removeEventListener.bind(signal);
    signal.addEventListener = (...args: Parameters<typeof add>) => {
      listeners++;
      add(...args);
    };
    signal.removeEventListener = (...args: Parameters<typeof remove>) => {
      listeners--;
      remove(...args);
    };
    for (let i = 0; i < 3; i++) {
      await (await httpFetch(`${base}/ok`, { method: "POST", body: "{}", signal })).json();
    }
    await new Promise((resolve) => setImmediate(resolve));
    expect(listeners).toBe(0);
  });
});
