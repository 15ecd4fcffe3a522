import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Starts PostgreSQL (unless DATABASE_URL is set) and picks the backends; see the file.
    globalSetup: ["test/global-setup.ts"],
    // Child processes rather than worker threads: each test file gets a real process (exit
    // hooks, signals, process.env), and one that crashes cannot take the others down.
    pool: "forks",
    // vitest's default is one worker per core minus one, which on a 2-core CI machine means
    // running test files one at a time; they mostly wait on the database, so use at least two.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
