// The floor under the engine's CPU per case on this machine: 1000 cold requests at concurrency 50
// through bare node:http, and through the openai SDK alone (with promptgate's fetch), nothing else.
import http from "node:http";
import OpenAI from "openai";
import { httpFetch } from "../src/io/http-fetch.js";

const [baseURL = "", mode = "http"] = process.argv.slice(2);
const N = 1000;
const CONCURRENCY = 50;
const body = (i: number) => ({
  model: "gpt-4o-mini-2024-07-18",
  messages: [
    { role: "system" as const, content: "Answer briefly." },
    { role: "user" as const, content: `What is item ${i}?` },
  ],
  temperature: 0.2,
  max_tokens: 100,
});

const agent = new http.Agent({ keepAlive: true, maxSockets: 512 });
const url = new URL(`${baseURL}/chat/completions`);
function bare(i: number): Promise<unknown> {
  const text = JSON.stringify(body(i));
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: "POST",
        agent,
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(text) },
      },
      (res) => {
        let data = "";
        res.setEncoding("utf8");
        res.on("data", (d) => {
          data += d;
        });
        res.on("end", () => resolve(JSON.parse(data)));
      },
    );
    req.on("error", reject);
    req.end(text);
  });
}
const client = new OpenAI({
  baseURL,
  apiKey: "bench",
  maxRetries: 0,
  timeout: 30_000,
  fetch: httpFetch,
});
const sdk = (i: number) => client.chat.completions.create(body(i));

const call = mode === "sdk" ? sdk : bare;
const cpu0 = process.cpuUsage();
let next = 0;
await Promise.all(
  Array.from({ length: CONCURRENCY }, async () => {
    while (next < N) await call(next++);
  }),
);
const cpu = process.cpuUsage(cpu0);
process.stdout.write(
  `${JSON.stringify({ cpuMsPerRequest: (cpu.user + cpu.system) / 1000 / N })}\n`,
);
