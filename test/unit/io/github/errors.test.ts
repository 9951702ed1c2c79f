import { describe, expect, it } from "vitest";
import { isPermissionDenied } from "../../../../src/io/github/errors.js";

/** The shape Octokit's RequestError has: a status, the request, and GitHub's answer. */
function answered(status: number, message: string, headers: Record<string, string> = {}) {
  return Object.assign(new Error(message), {
    status,
    request: { method: "GET", url: "https://api.github.com/x" },
    response: { headers, data: { message } },
  });
}

describe("isPermissionDenied", () => {
  it("is a 403 for want of a permission", () => {
    expect(isPermissionDenied(answered(403, "Resource not accessible by integration"))).toBe(true);
  });

  it("is not GitHub's rate limit, which also answers 403", () => {
    expect(isPermissionDenied(answered(403, "You have exceeded a secondary rate limit"))).toBe(
      false,
    );
    expect(isPermissionDenied(answered(403, "Forbidden", { "retry-after": "60" }))).toBe(false);
    expect(isPermissionDenied(answered(403, "Forbidden", { "x-ratelimit-remaining": "0" }))).toBe(
      false,
    );
  });

  it("is not another status, nor something that is not GitHub's answer", () => {
    expect(isPermissionDenied(answered(404, "Not Found"))).toBe(false);
    expect(isPermissionDenied(new Error("403"))).toBe(false);
  });
});
