import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { ArgumentError } from "../../src/core/errors.js";
import {
  createDatabase,
  startPostgres,
  type PostgresServer,
} from "../../src/testing/postgres-server.js";
import { backends } from "../support/backends.js";

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
const serverModule = `${repoRoot}/src/testing/postgres-server.ts`;

async function query<Row extends object>(url: string, sql: string): Promise<Row[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<Row>(sql)).rows;
  } finally {
    await client.end();
  }
}

describe("startPostgres", () => {
  let server: PostgresServer;
  const logLines: string[] = [];

  beforeAll(async () => {
    server = await startPostgres({ log: (line) => logLines.push(line) });
  });
  afterAll(() => server?.stop());

  test("serves queries on a loopback URL as the postgres superuser", async () => {
    expect(server.url).toMatch(/^postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres$/);
    const [row] = await query<{ sum: number; user: string }>(
      server.url,
      "SELECT 1 + 1 AS sum, current_user AS user",
    );
    expect(row).toEqual({ sum: 2, user: "postgres" });
  });

  test("runs with the fast test settings, listening on loopback only", async () => {
    const rows = await query<{ name: string; setting: string }>(
      server.url,
      `SELECT name, setting FROM pg_settings
       WHERE name IN ('listen_addresses', 'fsync', 'synchronous_commit', 'full_page_writes',
                      'max_connections', 'server_encoding')
       ORDER BY name`,
    );
    expect(Object.fromEntries(rows.map((row) => [row.name, row.setting]))).toEqual({
      fsync: "off",
      full_page_writes: "off",
      listen_addresses: "127.0.0.1",
      max_connections: "200",
      server_encoding: "UTF8",
      synchronous_commit: "off",
    });
  });

  test("passes the server's output to the log option", () => {
    expect(logLines.some((line) => line.includes("ready to accept connections"))).toBe(true);
  });

  test("createDatabase gives isolated databases", async () => {
    const first = await createDatabase(server.url, "isolation_first");
    const second = await createDatabase(server.url, "isolation_second");
    expect(first).toBe(server.url.replace(/\/postgres$/, "/isolation_first"));

    await query(first, "CREATE TABLE only_in_first (id int); INSERT INTO only_in_first VALUES (1)");
    expect(await query(first, "SELECT id FROM only_in_first")).toEqual([{ id: 1 }]);
    const tables = await query(
      second,
      "SELECT tablename FROM pg_tables WHERE tablename = 'only_in_first'",
    );
    expect(tables).toEqual([]);
  });

  test("createDatabase keeps the name's case and hyphens", async () => {
    const url = await createDatabase(server.url, "Mixed-Case_db");
    expect(await query(url, "SELECT current_database() AS db")).toEqual([{ db: "Mixed-Case_db" }]);
  });

  test("createDatabase rejects names that need URL encoding or would be truncated", async () => {
    for (const name of ["", "x".repeat(64), "with space", "a&b", "caf\u00e9"]) {
      await expect(createDatabase(server.url, name)).rejects.toThrow(ArgumentError);
    }
  });

  test("createDatabase reports an existing name", async () => {
    await createDatabase(server.url, "taken");
    await expect(createDatabase(server.url, "taken")).rejects.toThrow(/already exists/);
  });
});

describe("stopping", () => {
  test("stop() shuts the server down, closes clients and deletes its directory", async () => {
    const server = await startPostgres({ baseDir: tmpdir() });
    const client = new pg.Client({ connectionString: server.url });
    const clientErrors: Error[] = [];
    client.on("error", (error) => clientErrors.push(error));
    await client.connect();
    const [{ data_directory: dataDir } = { data_directory: "" }] = (
      await client.query<{ data_directory: string }>("SHOW data_directory")
    ).rows;
    expect(dataDir.startsWith(tmpdir())).toBe(true);
    expect(existsSync(dataDir)).toBe(true);

    // A connected client must not make stop() wait (fast shutdown, not smart).
    await server.stop();
    await server.stop();

    expect(clientErrors.length).toBeGreaterThan(0);
    expect(existsSync(dataDir)).toBe(false);
    await expect(query(server.url, "SELECT 1")).rejects.toThrow(/ECONNREFUSED/);
  });

  test("a server nobody stopped dies with the Node process", async () => {
    // A separate process that starts a server, prints where it lives and exits without stop().
    const script = `
      import pg from "pg";
      import { startPostgres } from ${JSON.stringify(serverModule)};
      const server = await startPostgres();
      const client = new pg.Client({ connectionString: server.url });
      await client.connect();
      const { rows } = await client.query("SHOW data_directory");
      console.log(JSON.stringify({ url: server.url, dataDir: rows[0].data_directory }));
      process.exit(0);
    `;
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ["--import", "tsx", "--input-type=module", "--eval", script],
      { cwd: repoRoot },
    );
    const { url, dataDir } = JSON.parse(stdout) as { url: string; dataDir: string };

    expect(existsSync(dataDir)).toBe(false);
    await expect(query(url, "SELECT 1")).rejects.toThrow(/ECONNREFUSED/);
  });
});

// test/support/backends.ts is built on the server above; check what it hands to test files.
describe.each(backends)("backend $name", (backend) => {
  test("freshUrl() gives a new database each time", async () => {
    const [first, second] = [await backend.freshUrl(), await backend.freshUrl()];
    if (backend.name === "pglite") {
      expect(first).toBe("pglite://memory");
      return;
    }
    expect(first).not.toBe(second);
    for (const url of [first, second]) {
      const [row] = await query<{ db: string; tables: number }>(
        url,
        `SELECT current_database() AS db,
                (SELECT count(*)::int FROM pg_tables WHERE schemaname = 'public') AS tables`,
      );
      expect(row?.db).toMatch(/^t_[0-9a-f]{8}_\d+_\d+_[0-9a-f]{6}$/);
      expect(row?.tables).toBe(0);
    }
  });
});
