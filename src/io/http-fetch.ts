import http from "node:http";
import https from "node:https";
import { Readable } from "node:stream";
import { urlToHttpOptions } from "node:url";
import {
  createTunnelAgent,
  hasProxy,
  type ProxySettings,
  proxyAuthorization,
  selectProxy,
} from "./proxy.js";

/**
 * A `fetch` for the openai SDK over node:http with keep-alive agents. Node 20's built-in fetch
 * (undici's WHATWG pipeline) costs ~1 ms of CPU per request, as much as the rest of a sample;
 * this path costs a fraction of that, which is what lets one CI core drive 50+ requests in
 * flight. Bodies other than strings (uploads, which promptgate never sends) use the global fetch.
 */
const agents = {
  "http:": new http.Agent({ keepAlive: true, maxSockets: 512 }),
  "https:": new https.Agent({ keepAlive: true, maxSockets: 512 }),
};

/** Direct connections only; `createHttpFetch` below gives one that honours a proxy. */
export const httpFetch: HttpFetch = createHttpFetch();

/**
 * `httpFetch` that honours HTTP_PROXY/HTTPS_PROXY/NO_PROXY as `proxy` gives them (read at the
 * edge): http origins through the proxy with an absolute-URI request, https origins through a
 * CONNECT tunnel. Without a proxy it is `httpFetch` itself.
 */
export function createHttpFetch(proxy?: ProxySettings): HttpFetch {
  const settings = hasProxy(proxy) ? proxy : undefined;
  const destinations = new Map<string, Destination>();
  const tunnels = new Map<string, http.Agent>();
  return (input, init = {}) =>
    fetchOnce(input, init, (url) => findDestination(url, destinations, settings, tunnels));
}

export type HttpFetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

function fetchOnce(
  input: string | URL | Request,
  init: RequestInit,
  find: (input: string | URL) => Destination | undefined,
): Promise<Response> {
  const body = init.body;
  if (
    input instanceof Request ||
    (body !== undefined && body !== null && typeof body !== "string")
  ) {
    return fetch(input, init);
  }
  const destination = find(input);
  // Only uploads (never sent by promptgate) take this path, and it does not go through a proxy.
  if (!destination) return fetch(input, init);
  const headers = { ...toOutgoingHeaders(init.headers), ...destination.headers };
  if (typeof body === "string") headers["content-length"] = String(Buffer.byteLength(body));
  const signal = init.signal ?? undefined;

  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortError(signal));
      return;
    }
    const req = destination.request(
      { ...destination.options, method: init.method ?? "GET", headers },
      (res) => {
        const status = res.statusCode ?? 0;
        const statusText = res.statusMessage ?? "";
        const raw = res.rawHeaders;
        const contentType = res.headers["content-type"] ?? "";
        // A null-body status may not carry a body at all.
        if (status === 204 || status === 304 || init.method === "HEAD") {
          res.resume();
          resolve(new Response(null, { status, statusText, headers: toHeaders(raw) }));
          return;
        }
        // Server-sent events stay a stream.
        if (contentType.includes("text/event-stream")) {
          resolve(
            new Response(Readable.toWeb(res) as ReadableStream, {
              status,
              statusText,
              headers: toHeaders(raw),
            }),
          );
          return;
        }
        // Anything else is read whole: a JSON answer of a few kilobytes, where wrapping it in a
        // web ReadableStream and a WHATWG Response costs more CPU than the rest of the request.
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => {
          const bytes = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
          // Errors keep a real Response: they are rare, and callers rebuild them with new headers.
          resolve(
            status >= 200 && status < 300
              ? bufferedResponse(status, statusText, destination.href, raw, bytes)
              : new Response(bytes, { status, statusText, headers: toHeaders(raw) }),
          );
        });
        res.on("aborted", () =>
          reject(
            Object.assign(new Error("the response broke off after the headers"), {
              code: "ECONNRESET",
            }),
          ),
        );
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    if (signal) {
      // One listener, dropped when the exchange closes; node's own `signal` option costs a
      // stream-level abort hook and an end-of-stream watcher per request.
      const abort = () => req.destroy(abortError(signal));
      signal.addEventListener("abort", abort, { once: true });
      req.once("close", () => signal.removeEventListener("abort", abort));
    }
    req.end(body ?? undefined);
  });
}

interface Destination {
  href: string;
  request: typeof http.request;
  options: http.RequestOptions;
  /** Sent on top of the caller's: the origin's host and the credentials of a forward proxy. */
  headers?: Record<string, string>;
}

/**
 * Request options per URL string (one map per fetch). The SDK sends every chat request to the
 * same URL, and parsing it into options again for each one is a measurable part of a request's
 * CPU.
 */
const MAX_DESTINATIONS = 64;

function findDestination(
  input: string | URL,
  destinations: Map<string, Destination>,
  proxy: ProxySettings | undefined,
  tunnels: Map<string, http.Agent>,
): Destination | undefined {
  const key = typeof input === "string" ? input : input.href;
  const known = destinations.get(key);
  if (known) return known;
  const url = typeof input === "string" ? new URL(input) : input;
  const agent =
    url.protocol === "http:" || url.protocol === "https:" ? agents[url.protocol] : undefined;
  if (!agent) return undefined;
  const via = selectProxy(url, proxy);
  let destination: Destination;
  if (!via) {
    destination = {
      href: url.href,
      request: url.protocol === "https:" ? https.request : http.request,
      options: { ...urlToHttpOptions(url), agent },
    };
  } else if (url.protocol === "https:") {
    let tunnel = tunnels.get(via.href);
    if (!tunnel) {
      tunnel = createTunnelAgent(via);
      tunnels.set(via.href, tunnel);
    }
    destination = {
      href: url.href,
      request: https.request,
      options: { ...urlToHttpOptions(url), agent: tunnel },
    };
  } else {
    // A plain-http origin: the proxy gets the absolute URL and forwards the request.
    const auth = proxyAuthorization(via);
    destination = {
      href: url.href,
      request: via.protocol === "https:" ? https.request : http.request,
      options: {
        host: via.hostname.replace(/^\[|\]$/g, ""),
        port: Number(via.port || (via.protocol === "https:" ? 443 : 80)),
        path: url.href,
        agent: agents[via.protocol === "https:" ? "https:" : "http:"],
      },
      headers: { host: url.host, ...(auth ? { "proxy-authorization": auth } : {}) },
    };
  }
  if (destinations.size >= MAX_DESTINATIONS) destinations.clear();
  destinations.set(key, destination);
  return destination;
}

/** What fetch rejects with when its signal aborts: an "AbortError" carrying the reason. */
function abortError(signal: AbortSignal): Error {
  return Object.assign(new DOMException("This operation was aborted", "AbortError"), {
    cause: signal.reason,
  });
}

/** The SDK hands over a Headers object it has already validated; copy it without re-validating. */
function toOutgoingHeaders(init: RequestInit["headers"]): Record<string, string> {
  const headers: Record<string, string> = {};
  if (init === undefined || init === null) return headers;
  const source = init instanceof Headers ? init : new Headers(init);
  source.forEach((value, key) => {
    headers[key] = value;
  });
  return headers;
}

function toHeaders(raw: string[]): Headers {
  const headers = new Headers();
  for (let i = 0; i + 1 < raw.length; i += 2)
    headers.append(raw[i] as string, raw[i + 1] as string);
  return headers;
}

/**
 * The read-only view of a fetch `Headers` that the SDK uses on a successful answer (`get`,
 * `has`, `entries`, iteration), over node's already-parsed header list. The SDK's debug log
 * copies headers that are not a `Headers` with `Object.entries`, so each header is also an own
 * enumerable property, unless its name is one of the methods (a header cannot replace `get`).
 */
class ReceivedHeaders {
  readonly #values = new Map<string, string>();
  #sorted: [string, string][] | undefined;

  constructor(raw: string[]) {
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const name = (raw[i] as string).toLowerCase();
      const value = raw[i + 1] as string;
      const before = this.#values.get(name);
      // Repeated headers join with ", ", as fetch's Headers does (set-cookie aside).
      this.#values.set(name, before === undefined ? value : `${before}, ${value}`);
    }
    // `in` also covers Object.prototype's members, `__proto__` among them.
    const own = this as unknown as Record<string, string>;
    for (const [name, value] of this.#values)
      if (!(name in ReceivedHeaders.prototype)) own[name] = value;
  }
  get(name: string): string | null {
    return this.#values.get(name.toLowerCase()) ?? null;
  }
  has(name: string): boolean {
    return this.#values.has(name.toLowerCase());
  }
  getSetCookie(): string[] {
    const value = this.get("set-cookie");
    return value === null ? [] : [value];
  }
  forEach(callback: (value: string, key: string, parent: this) => void): void {
    for (const [key, value] of this.entries()) callback(value, key, this);
  }
  entries(): IterableIterator<[string, string]> {
    this.#sorted ??= [...this.#values].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return this.#sorted.values();
  }
  keys(): IterableIterator<string> {
    return [...this.entries()].map(([key]) => key).values();
  }
  values(): IterableIterator<string> {
    return [...this.entries()].map(([, value]) => value).values();
  }
  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }
}

/**
 * A successful answer already read into memory, with the members of `Response` the openai SDK
 * uses (status, headers, `json`, `text`). Building a WHATWG Response around a buffer costs a
 * web ReadableStream, a Headers and a body-mixin read; this is a property lookup and a
 * `JSON.parse`. Anything unusual (`body`, `clone`, `formData`) falls back to a real Response.
 */
function bufferedResponse(
  status: number,
  statusText: string,
  url: string,
  raw: string[],
  bytes: Buffer,
): Response {
  let used = false;
  let real: Response | undefined;
  const headers = new ReceivedHeaders(raw);
  const consume = (): Buffer => {
    if (used) throw new TypeError("Body is unusable: Body has already been read");
    used = true;
    return bytes;
  };
  const toReal = (): Response => {
    real ??= new Response(bytes, { status, statusText, headers: toHeaders(raw) });
    return real;
  };
  const response = {
    ok: true,
    status,
    statusText,
    url,
    redirected: false,
    type: "basic",
    headers,
    get body() {
      return toReal().body;
    },
    get bodyUsed() {
      return used || (real?.bodyUsed ?? false);
    },
    text: async () => consume().toString("utf8"),
    json: async () => JSON.parse(consume().toString("utf8")),
    arrayBuffer: async () => {
      const b = consume();
      return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
    },
    bytes: async () => new Uint8Array(consume()),
    blob: async () => new Blob([consume()]),
    formData: () => toReal().formData(),
    clone: () => toReal().clone(),
  };
  // The SDK types `fetch` as returning a Response; this object has every member it reads.
  return response as unknown as Response;
}
