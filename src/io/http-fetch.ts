import http from "node:http";
import https from "node:https";
import { Readable } from "node:stream";

/**
 * A `fetch` for the openai SDK over node:http with keep-alive agents. Node 20's built-in fetch
 * (undici's WHATWG pipeline) costs ~1 ms of CPU per request, as much as the rest of a sample;
 * this path costs about a third of that, which is what lets one CI core drive 50+ requests in
 * flight. Bodies other than strings (uploads, which promptgate never sends) use the global fetch.
 */
const agents = {
  "http:": new http.Agent({ keepAlive: true, maxSockets: 512 }),
  "https:": new https.Agent({ keepAlive: true, maxSockets: 512 }),
};

export function httpFetch(
  input: string | URL | Request,
  init: RequestInit = {},
): Promise<Response> {
  const body = init.body;
  if (
    input instanceof Request ||
    (body !== undefined && body !== null && typeof body !== "string")
  ) {
    return fetch(input, init);
  }
  const url = typeof input === "string" ? new URL(input) : input;
  const protocol = url.protocol as keyof typeof agents;
  const agent = agents[protocol];
  if (!agent) return fetch(input, init);
  const headers: Record<string, string> = {};
  new Headers(init.headers).forEach((value, key) => {
    headers[key] = value;
  });
  if (typeof body === "string") headers["content-length"] = String(Buffer.byteLength(body));
  const request = protocol === "https:" ? https.request : http.request;

  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: init.method ?? "GET", headers, agent, signal: init.signal ?? undefined },
      (res) => {
        const responseHeaders = new Headers();
        const raw = res.rawHeaders;
        for (let i = 0; i + 1 < raw.length; i += 2) responseHeaders.append(raw[i]!, raw[i + 1]!);
        const status = res.statusCode ?? 0;
        const meta = { status, statusText: res.statusMessage, headers: responseHeaders };
        // A null-body status may not carry a body at all.
        if (status === 204 || status === 304 || init.method === "HEAD") {
          res.resume();
          resolve(new Response(null, meta));
          return;
        }
        // Server-sent events stay a stream; a JSON answer is read whole first, because wrapping
        // it in a web ReadableStream costs more CPU than the rest of the response handling.
        if ((responseHeaders.get("content-type") ?? "").includes("text/event-stream")) {
          resolve(new Response(Readable.toWeb(res) as ReadableStream, meta));
          return;
        }
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => resolve(new Response(Buffer.concat(chunks), meta)));
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
    req.end(body ?? undefined);
  });
}
