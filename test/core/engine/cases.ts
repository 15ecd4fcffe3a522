/**
 * The engine configurations the Core engine and driver tests run against: every backend from
 * test/support/backends.ts, and on the PostgreSQL backend both the pg and the postgres.js driver.
 */
import type { EngineOptions } from "../../../src/core/engine/engine.js";
import { backends, type Backend } from "../../support/backends.js";

export interface EngineCase {
  /** "pglite", "postgresql (pg)", "postgresql (postgres-js)". */
  readonly name: string;
  readonly backend: Backend;
  readonly driver: "pglite" | "pg" | "postgres-js";
  /** Options selecting the driver; spread them into the options of the engine under test. */
  readonly options: EngineOptions;
}

export const engineCases: EngineCase[] = backends.flatMap((backend): EngineCase[] =>
  backend.name === "pglite"
    ? [{ name: "pglite", backend, driver: "pglite", options: {} }]
    : [
        { name: "postgresql (pg)", backend, driver: "pg", options: { driver: "pg" } },
        { name: "postgresql (postgres-js)", backend, driver: "postgres-js", options: { driver: "postgres-js" } },
      ],
);

/** Only the cases on a real server (for tests that need several sessions, or server control). */
export const serverCases: EngineCase[] = engineCases.filter((c) => c.backend.name === "postgresql");

/**
 * Timeout for hooks and tests that create databases. A PGlite database runs initdb in
 * WebAssembly: a couple of seconds normally, but a minute or more on a saturated machine.
 */
export const SETUP_TIMEOUT_MS = 180_000;
