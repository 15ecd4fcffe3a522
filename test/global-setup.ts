/**
 * vitest globalSetup: decides which backends the suite runs against and, for PostgreSQL, which
 * server. Test files read the decision through test/support/backends.ts.
 *
 * - ATHANOR_TEST_BACKENDS: comma-separated subset of "pglite,postgresql" (default: both).
 * - DATABASE_URL: use this PostgreSQL server (the role needs CREATEDB) instead of starting a
 *   throwaway one; the databases the run creates there are dropped on teardown.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import type { TestProject } from "vitest/node";
import { startPostgres } from "../src/testing/postgres-server.js";

export type BackendName = "pglite" | "postgresql";

const BACKEND_NAMES: readonly BackendName[] = ["pglite", "postgresql"];

declare module "vitest" {
  export interface ProvidedContext {
    /** The backends to run every backend-parametrised test against. */
    athanorBackends: BackendName[];
    /** The server test files create their databases on; null when PostgreSQL is not selected. */
    athanorPostgresUrl: string | null;
    /** Prefix of this run's database names, distinct from concurrent runs on the same server. */
    athanorRunId: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const backends = parseBackends(process.env.ATHANOR_TEST_BACKENDS);
  const runId = randomBytes(4).toString("hex");
  project.provide("athanorBackends", backends);
  project.provide("athanorRunId", runId);

  if (!backends.includes("postgresql")) {
    project.provide("athanorPostgresUrl", null);
    return async () => {};
  }
  const externalUrl = process.env.DATABASE_URL;
  if (externalUrl) {
    project.provide("athanorPostgresUrl", externalUrl);
    return () => dropRunDatabases(externalUrl, runId);
  }
  const server = await startPostgres();
  project.provide("athanorPostgresUrl", server.url);
  return () => server.stop();
}

function parseBackends(value: string | undefined): BackendName[] {
  if (value === undefined || value.trim() === "") return [...BACKEND_NAMES];
  const names = value.split(",").map((name) => name.trim().toLowerCase()).filter(Boolean);
  const unknown = names.filter((name) => !(BACKEND_NAMES as readonly string[]).includes(name));
  if (unknown.length > 0) {
    throw new Error(
      `ATHANOR_TEST_BACKENDS: unknown backend ${unknown.map((name) => `"${name}"`).join(", ")}; ` +
        `expected a comma-separated subset of ${BACKEND_NAMES.join(",")}.`,
    );
  }
  return BACKEND_NAMES.filter((name) => names.includes(name));
}

/** Drops the databases test files created on a server that outlives the run. */
async function dropRunDatabases(serverUrl: string, runId: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ datname: string }>(
      "SELECT datname FROM pg_database WHERE starts_with(datname, $1)",
      [`t_${runId}_`],
    );
    for (const { datname } of rows) {
      // WITH (FORCE) (PostgreSQL 13+) ends connections a test forgot to close.
      await client.query(`DROP DATABASE "${datname.replaceAll('"', '""')}" WITH (FORCE)`);
    }
  } finally {
    await client.end();
  }
}
