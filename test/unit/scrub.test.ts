import { describe, expect, it } from "vitest";
import { createScrubber, redactUrl, secretsOfUrl } from "../../src/scrub.js";

describe("scrub: one scrubber for every writer", () => {
  const key = "sk-proj-Abc123Def456Ghi789";
  const scrub = createScrubber([
    key,
    "short",
    undefined,
    ...secretsOfUrl("http://u:p%40ss-word-1@h/v1"),
  ]);

  it("removes known secrets, also URL-encoded and JSON-escaped", () => {
    expect(scrub(`Incorrect API key provided: ${key}.`)).toBe("Incorrect API key provided: ***.");
    expect(scrub(`"key=${encodeURIComponent(key)}"`)).toBe('"key=***"');
    expect(scrub("the password p@ss-word-1 was wrong")).toBe("the password *** was wrong");
  });

  it("keeps short values: no real credential is that short, and common words are not blanked", () => {
    expect(scrub("a short test")).toBe("a short test");
  });

  it("removes URL userinfo and query strings, and keeps the rest of the URL", () => {
    expect(scrub("POST https://user:hunter2@llm.example/v1/chat?api-key=zzz failed")).toBe(
      "POST https://***@llm.example/v1/chat?*** failed",
    );
    expect(scrub('{"url":"http://a:b@127.0.0.1:8080/v1"}')).toBe(
      '{"url":"http://***@127.0.0.1:8080/v1"}',
    );
    expect(redactUrl("https://api.openai.com/v1")).toBe("https://api.openai.com/v1");
  });

  it("removes bearer tokens and key-shaped tokens nobody passed in", () => {
    const other = createScrubber();
    expect(other("Authorization: Bearer abcdefgh12345678")).toBe("Authorization: Bearer ***");
    expect(other("echo sk-live0123456789abcdefXYZ")).toBe("echo ***");
  });
});
