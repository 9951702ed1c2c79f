import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Prepares GitHub's OpenAPI description once for the GitHub stand-in's validation.
    globalSetup: ["./test/support/global-setup.ts"],
    // The end-to-end tests run the bundled action, git and two stand-in servers per step: 10-20 s
    // on a busy 2-core runner. The limit is for hangs, not for speed (timings live in bench/).
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores: keep forks few so stand-in servers and git do not starve each other.
    pool: "forks",
    maxWorkers: 2,
  },
});
