// The GitHub stand-in as its own process, so its CPU never counts against the runtime's refresh.
// Prints one JSON line: { url, token, repository }.
import { startGitHubStandIn } from "../test/support/stand-ins/github/index.js";

const files: Record<string, string> = JSON.parse(process.argv[2] ?? "{}");
const gh = await startGitHubStandIn({ validate: false });
await gh.createRepo("acme", "prompts", files);
process.stdout.write(
  `${JSON.stringify({ url: gh.url, token: gh.createToken("app-reader"), repository: "acme/prompts" })}\n`,
);
process.on("SIGTERM", () => {
  void gh.close().then(() => process.exit(0));
});
