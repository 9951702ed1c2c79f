import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Two cores: keep forks few so stand-in servers and git do not starve each other.
    pool: "forks",
    maxWorkers: 2,
  },
});
