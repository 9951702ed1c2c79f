import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Prepares GitHub's OpenAPI description once for the GitHub stand-in's validation.
    globalSetup: ["./test/support/global-setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Two cores: keep forks few so stand-in servers and git do not starve each other.
    pool: "forks",
    maxWorkers: 2,
  },
});
