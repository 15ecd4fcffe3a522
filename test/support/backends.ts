/**
 * The databases every test runs against, chosen by test/global-setup.ts from the environment:
 * embedded PGlite and a real PostgreSQL server (ATHANOR_TEST_BACKENDS restricts the list).
 *
 * ```ts
 * describe.each(backends)("select ($name)", (backend) => {
 *   let engine: Engine;
 *   beforeAll(async () => { engine = createEngine(await backend.freshUrl()); });
 *   afterAll(() => engine.dispose());
 *   ...
 * });
 * ```
 */
import { randomBytes } from "node:crypto";
import { inject } from "vitest";
import { createDatabase } from "../../src/testing/postgres-server.js";
import type { BackendName } from "../global-setup.js";

export type { BackendName };

export interface Backend {
  readonly name: BackendName;
  /** The URL of a new, empty database that no other test uses. */
  freshUrl(): Promise<string>;
}

const pglite: Backend = {
  name: "pglite",
  // The engine layer maps this URL to a new in-memory PGlite database, so it is always fresh.
  freshUrl: async () => "pglite://memory",
};

let databaseCount = 0;

function postgresql(serverUrl: string, runId: string): Backend {
  return {
    name: "postgresql",
    freshUrl: () => {
      // The run id lets global teardown drop this run's databases from a shared DATABASE_URL
      // server; pid, counter and random suffix keep concurrent test files apart.
      const name = `t_${runId}_${process.pid}_${++databaseCount}_${randomBytes(3).toString("hex")}`;
      return createDatabase(serverUrl, name);
    },
  };
}

function selectedBackends(): Backend[] {
  const names = inject("athanorBackends");
  if (names === undefined) {
    throw new Error(
      "test/support/backends.ts needs test/global-setup.ts; run the tests with vitest.config.ts.",
    );
  }
  return names.map((name) => {
    if (name === "pglite") return pglite;
    const serverUrl = inject("athanorPostgresUrl");
    if (serverUrl === null) throw new Error("global setup selected postgresql without a server");
    return postgresql(serverUrl, inject("athanorRunId"));
  });
}

export const backends: Backend[] = selectedBackends();
