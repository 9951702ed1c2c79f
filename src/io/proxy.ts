import http from "node:http";
import https from "node:https";
import net from "node:net";
import tls from "node:tls";

/**
 * The proxy variables of the environment, read at an edge and handed down: the core never reads
 * `process.env`, and a test passes its own. The rules are undici's `EnvHttpProxyAgent`'s (and
 * curl's, mostly): https URLs use HTTPS_PROXY, else HTTP_PROXY; http URLs use HTTP_PROXY; NO_PROXY
 * lists hosts (`example.com` also covers its subdomains, a leading `.` or `*.` is the same, `*`
 * covers everything, `host:port` only that port) that are reached directly.
 */
export interface ProxySettings {
  httpProxy?: string;
  httpsProxy?: string;
  noProxy?: string;
}

/** Upper case first, as undici reads them; empty values count as unset. */
export function readProxySettings(env: Record<string, string | undefined>): ProxySettings {
  const pick = (name: string) => env[name] || env[name.toLowerCase()] || undefined;
  const settings: ProxySettings = {};
  const httpProxy = pick("HTTP_PROXY");
  const httpsProxy = pick("HTTPS_PROXY");
  const noProxy = pick("NO_PROXY");
  if (httpProxy) settings.httpProxy = httpProxy;
  if (httpsProxy) settings.httpsProxy = httpsProxy;
  if (noProxy) settings.noProxy = noProxy;
  return settings;
}

export function hasProxy(settings: ProxySettings | undefined): settings is ProxySettings {
  return Boolean(settings?.httpProxy || settings?.httpsProxy);
}

/** The proxy a request to `url` goes through, or undefined to connect directly. */
export function selectProxy(url: URL, settings: ProxySettings | undefined): URL | undefined {
  if (!settings) return undefined;
  const raw =
    url.protocol === "https:"
      ? (settings.httpsProxy ?? settings.httpProxy)
      : url.protocol === "http:"
        ? settings.httpProxy
        : undefined;
  if (!raw || isExcluded(url, settings.noProxy)) return undefined;
  // "proxy:3128" without a scheme is common in the wild; curl reads it as http.
  return new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`);
}

function isExcluded(url: URL, noProxy: string | undefined): boolean {
  if (!noProxy) return false;
  const host = url.hostname.replace(/^\[|\]$/g, "").toLowerCase();
  const port = url.port || (url.protocol === "https:" ? "443" : "80");
  for (const entry of noProxy.split(/[\s,]+/)) {
    if (!entry) continue;
    if (entry === "*") return true;
    const { name, entryPort } = splitEntry(entry);
    if (entryPort && entryPort !== port) continue;
    if (host === name || host.endsWith(`.${name}`)) return true;
  }
  return false;
}

/** `[::1]:8080`, `host:8080`, `::1` (a bare IPv6 address has no port), `*.example.com`. */
function splitEntry(entry: string): { name: string; entryPort?: string } {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
  const hostPort = /^([^:]+):(\d+)$/.exec(entry);
  const [name, entryPort] = bracketed
    ? [bracketed[1], bracketed[2]]
    : hostPort
      ? [hostPort[1], hostPort[2]]
      : [entry, undefined];
  return {
    name: (name ?? "").replace(/^\*?\./, "").toLowerCase(),
    ...(entryPort ? { entryPort } : {}),
  };
}

/** `Proxy-Authorization` for a proxy URL with a user and password, as curl sends it. */
export function proxyAuthorization(proxy: URL): string | undefined {
  if (!proxy.username && !proxy.password) return undefined;
  const user = decodeURIComponent(proxy.username);
  const password = decodeURIComponent(proxy.password);
  return `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
}

/**
 * An https agent that reaches every origin through a CONNECT tunnel of `proxy`, then speaks TLS
 * to the origin inside it (the proxy never sees the request). Node's Agent accepts a
 * `createConnection` that answers through its callback, which is what lets the tunnel be set up
 * before the TLS handshake while keep-alive pooling stays the Agent's.
 */
export function createTunnelAgent(proxy: URL): https.Agent {
  const agent = new https.Agent({ keepAlive: true, maxSockets: 512 });
  const auth = proxyAuthorization(proxy);
  const proxyPort = Number(proxy.port || (proxy.protocol === "https:" ? 443 : 80));
  const proxyHost = proxy.hostname.replace(/^\[|\]$/g, "");
  // Replaces the instance's method (typed loosely by @types/node); the callback form is Node's.
  (agent as unknown as { createConnection: unknown }).createConnection = (
    options: tls.ConnectionOptions & { host?: string; port?: number; servername?: string },
    callback: (err: Error | null, socket?: net.Socket) => void,
  ) => {
    const target = `${options.host}:${options.port ?? 443}`;
    const socket =
      proxy.protocol === "https:"
        ? tls.connect({ host: proxyHost, port: proxyPort, servername: proxyHost })
        : net.connect({ host: proxyHost, port: proxyPort });
    const fail = (err: Error) => {
      socket.destroy();
      callback(err);
    };
    socket.once("error", fail);
    const connect = http.request({
      createConnection: () => socket,
      method: "CONNECT",
      path: target,
      headers: { host: target, ...(auth ? { "proxy-authorization": auth } : {}) },
    });
    connect.once("connect", (res, tunnel) => {
      socket.removeListener("error", fail);
      if (res.statusCode !== 200) {
        tunnel.destroy();
        callback(
          Object.assign(
            new Error(`the proxy ${proxy.host} refused to tunnel to ${target}: ${res.statusCode}`),
            { code: "EPROXY" },
          ),
        );
        return;
      }
      const secure = tls.connect({
        ...options,
        socket: tunnel,
        servername: options.servername ?? options.host,
      });
      callback(null, secure);
    });
    connect.once("error", fail);
    connect.end();
    return undefined;
  };
  return agent;
}
