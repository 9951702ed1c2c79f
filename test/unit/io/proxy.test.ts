import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createRestClient } from "../../../src/io/github/client.js";
import { createOpenAIModels } from "../../../src/io/openai-client.js";
import { createTunnelAgent, readProxySettings, selectProxy } from "../../../src/io/proxy.js";
import { type OpenAIStandIn, startOpenAIStandIn } from "../../support/stand-ins/openai/index.js";

/**
 * A loopback forward proxy: absolute-URI requests are forwarded, CONNECT opens a tunnel. It
 * counts both, so a test can tell whether a client went through it or around it.
 */
interface LoopbackProxy {
  url: string;
  forwarded: string[];
  tunnels: string[];
  close(): Promise<void>;
}

async function startLoopbackProxy(): Promise<LoopbackProxy> {
  const forwarded: string[] = [];
  const tunnels: string[] = [];
  const server = http.createServer((req, res) => {
    forwarded.push(`${req.method} ${req.url}`);
    const target = new URL(req.url ?? "");
    const upstream = http.request(
      {
        host: target.hostname,
        port: target.port,
        path: `${target.pathname}${target.search}`,
        method: req.method,
        headers: req.headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on("error", () => res.destroy());
    req.pipe(upstream);
  });
  server.on("connect", (req, client, head) => {
    tunnels.push(req.url ?? "");
    const [host, port] = (req.url ?? "").split(":");
    const upstream = net.connect(Number(port), host, () => {
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on("error", () => client.destroy());
    client.on("error", () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    forwarded,
    tunnels,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

let proxy: LoopbackProxy;
let openai: OpenAIStandIn;
beforeAll(async () => {
  proxy = await startLoopbackProxy();
  openai = await startOpenAIStandIn({ models: ["gpt-4o-mini"] });
});
afterAll(async () => {
  await proxy.close();
  await openai.close();
});
beforeEach(() => {
  proxy.forwarded.length = 0;
  proxy.tunnels.length = 0;
});

const ask = {
  model: "gpt-4o-mini",
  messages: [{ role: "user" as const, content: "Capital of France?" }],
  params: { temperature: 0, max_tokens: 16 },
  sampleIndex: 0,
};

const modelsWith = (env: Record<string, string>) =>
  createOpenAIModels({
    apiKey: "test-key",
    baseURL: openai.baseURL,
    timeoutMs: 5_000,
    maxRetries: 0,
    proxy: readProxySettings(env),
  });

describe("the model client behind a proxy", () => {
  it("sends its requests through HTTP_PROXY", async () => {
    const res = await modelsWith({ HTTP_PROXY: proxy.url }).complete(ask);
    expect(res.output.length).toBeGreaterThan(0);
    expect(proxy.forwarded).toEqual([`POST ${openai.baseURL}/chat/completions`]);
    expect(openai.requests).not.toHaveLength(0);
  });

  it("goes around the proxy for hosts in NO_PROXY", async () => {
    await modelsWith({ HTTP_PROXY: proxy.url, NO_PROXY: "127.0.0.1" }).complete(ask);
    expect(proxy.forwarded).toEqual([]);
    expect(proxy.tunnels).toEqual([]);
  });

  it("connects directly with no proxy variables", async () => {
    await modelsWith({}).complete(ask);
    expect(proxy.forwarded).toEqual([]);
  });
});

describe("the GitHub client behind a proxy", () => {
  let github: http.Server;
  let apiUrl: string;
  beforeAll(async () => {
    github = http.createServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ login: "octocat" }));
    });
    await new Promise<void>((resolve) => github.listen(0, "127.0.0.1", resolve));
    apiUrl = `http://127.0.0.1:${(github.address() as AddressInfo).port}`;
  });
  afterAll(
    () =>
      new Promise<void>((resolve) => {
        github.closeAllConnections();
        github.close(() => resolve());
      }),
  );

  it("sends its requests through HTTP_PROXY, and around it for NO_PROXY", async () => {
    const proxied = createRestClient("t0ken", apiUrl, {
      retries: 0,
      proxy: readProxySettings({ http_proxy: proxy.url }),
    });
    const { data } = await proxied.request("GET /user");
    expect(data).toEqual({ login: "octocat" });
    expect(proxy.forwarded).toEqual([`GET ${apiUrl}/user`]);

    const direct = createRestClient("t0ken", apiUrl, {
      retries: 0,
      proxy: readProxySettings({ HTTP_PROXY: proxy.url, NO_PROXY: "localhost,127.0.0.1" }),
    });
    await direct.request("GET /user");
    expect(proxy.forwarded).toHaveLength(1);
  });
});

describe("https through a CONNECT tunnel", () => {
  let dir: string;
  let server: https.Server;
  let cert: Buffer;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "promptgate-proxy-"));
    execFileSync(
      "openssl",
      [
        ...["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"],
        ...["-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem")],
        ...["-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
      ],
      { stdio: "ignore" },
    );
    cert = readFileSync(join(dir, "cert.pem"));
    server = https.createServer({ key: readFileSync(join(dir, "key.pem")), cert }, (_req, res) =>
      res.end("secret answer"),
    );
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  });
  afterAll(() => {
    server.closeAllConnections();
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("tunnels to the origin and speaks TLS inside the tunnel", async () => {
    const port = (server.address() as AddressInfo).port;
    const agent = createTunnelAgent(new URL(proxy.url));
    const body = await new Promise<string>((resolve, reject) => {
      https
        .get({ host: "localhost", port, path: "/", agent, ca: cert }, (res) => {
          let text = "";
          res.on("data", (c) => {
            text += c;
          });
          res.on("end", () => resolve(text));
        })
        .on("error", reject);
    });
    agent.destroy();
    expect(body).toBe("secret answer");
    expect(proxy.tunnels).toEqual([`localhost:${port}`]);
    expect(proxy.forwarded).toEqual([]);
  });
});

describe("selectProxy", () => {
  const settings = readProxySettings({
    HTTPS_PROXY: "http://secure-proxy:3128",
    HTTP_PROXY: "proxy:8080",
    NO_PROXY: ".internal.example, ghe.corp:8443, [::1]",
  });
  const via = (url: string) => selectProxy(new URL(url), settings)?.href;

  it("picks HTTPS_PROXY for https and HTTP_PROXY for http", () => {
    expect(via("https://api.openai.com/v1")).toBe("http://secure-proxy:3128/");
    expect(via("http://ollama:11434/v1")).toBe("http://proxy:8080/");
  });
  it("skips NO_PROXY hosts, their subdomains, and host:port entries on that port only", () => {
    expect(via("https://internal.example/")).toBeUndefined();
    expect(via("https://git.internal.example/")).toBeUndefined();
    expect(via("https://notinternal.example/")).toBe("http://secure-proxy:3128/");
    expect(via("https://ghe.corp:8443/api/v3")).toBeUndefined();
    expect(via("https://ghe.corp/api/v3")).toBe("http://secure-proxy:3128/");
    expect(via("http://[::1]:8000/")).toBeUndefined();
  });
  it("takes `*` as every host, and https falls back to HTTP_PROXY", () => {
    expect(selectProxy(new URL("https://x.y/"), { noProxy: "*", httpProxy: "http://p" })).toBe(
      undefined,
    );
    expect(selectProxy(new URL("https://x.y/"), { httpProxy: "http://p:1" })?.href).toBe(
      "http://p:1/",
    );
  });
});
