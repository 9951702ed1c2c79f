// The LLM stand-in as its own process, so its CPU and memory never count against the engine's.
import { startOpenAIStandIn } from "../test/support/stand-ins/openai/index.js";

const latencyMs = Number(process.argv[2] ?? "100");
const standIn = await startOpenAIStandIn({ latencyMs, seed: 1 });
process.stdout.write(`${standIn.baseURL}\n`);
process.on("SIGTERM", () => {
  void standIn.close().then(() => process.exit(0));
});
