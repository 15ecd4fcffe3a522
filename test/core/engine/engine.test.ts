import { inspect } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEngine, Engine } from "../../../src/core/engine/engine.js";
import type { ExecuteEvent, ExecutedEvent } from "../../../src/core/engine/types.js";
import { ArgumentError, ProgrammingError, ResourceClosedError } from "../../../src/core/errors.js";
import { engineCases, SETUP_TIMEOUT_MS } from "./cases.js";

describe.each(engineCases)("Engine ($name)", (c) => {
  let engine: Engine;
  const echoed: string[] = [];

  beforeAll(async () => {
    engine = createEngine(await c.backend.freshUrl(), { ...c.options, echo: (line) => echoed.push(line) });
    await engine.execute({ sql: "CREATE TABLE items (id int4 PRIMARY KEY, name text NOT NULL)", params: [] });
  }, SETUP_TIMEOUT_MS);
  afterAll(() => engine?.dispose());

  it("names its driver", () => {
    expect(engine.driverName).toBe(c.driver);
  });

  it("returns rows as arrays, with field names, row count and command", async () => {
    const insert = await engine.execute({
      sql: "INSERT INTO items (id, name) VALUES ($1, $2), ($3, $4)",
      params: [1, "one", 2, "two"],
    });
    expect(insert).toEqual({ rows: [], fields: [], rowCount: 2, command: "INSERT" });

    const select = await engine.execute({ sql: "SELECT id, name AS label FROM items ORDER BY id", params: [] });
    expect(select).toEqual({ rows: [[1, "one"], [2, "two"]], fields: ["id", "label"], rowCount: 2, command: "SELECT" });

    const returning = await engine.execute({
      sql: "UPDATE items SET name = upper(name) WHERE id = $1 RETURNING id, name",
      params: [2],
    });
    expect(returning).toEqual({ rows: [[2, "TWO"]], fields: ["id", "name"], rowCount: 1, command: "UPDATE" });

    const ddl = await engine.execute({ sql: "CREATE INDEX items_name ON items (name)", params: [] });
    expect(ddl).toEqual({ rows: [], fields: [], rowCount: 0, command: "CREATE" });
  });

  it("runs one statement per call on every driver", async () => {
    await expect(engine.execute({ sql: "SELECT 1; SELECT 2", params: [] })).rejects.toThrow(ProgrammingError);
  });

  it("refuses an undefined parameter before checking out a connection or sending anything", async () => {
    const sent: ExecuteEvent[] = [];
    const off = engine.on("execute", (e) => sent.push(e));
    try {
      const attempt = engine.execute({ sql: "SELECT $1::int4, $2::int4", params: [1, undefined] });
      expect(engine.pool.checkedOut).toBe(0);
      await expect(attempt).rejects.toThrow(new ArgumentError("parameter $2 is undefined; use null for SQL NULL"));
      await using conn = await engine.connect();
      await expect(conn.execute({ sql: "SELECT $1::int4", params: [undefined] })).rejects.toThrow(ArgumentError);
      expect(sent).toEqual([]);
    } finally {
      off();
    }
  });

  it("refuses something that is not a compiled statement", async () => {
    await expect(engine.execute("SELECT 1" as never)).rejects.toThrow(ArgumentError);
    await expect(engine.execute({ sql: "SELECT 1", params: "x" as never })).rejects.toThrow(ArgumentError);
  });

  it("reports statements before and after they run, and stops when unsubscribed", async () => {
    const events: Array<["execute", ExecuteEvent] | ["executed", ExecutedEvent]> = [];
    const offBefore = engine.on("execute", (e) => events.push(["execute", e]));
    const offAfter = engine.on("executed", (e) => events.push(["executed", e]));
    const conn = await engine.connect();
    await conn.begin();
    await conn.execute({ sql: "SELECT id FROM items WHERE id = ANY($1)", params: [[1, 2]] });
    await conn.execute({ sql: "SELECT nope FROM items", params: [] }).catch(() => undefined);
    await conn.rollback();
    await conn.release(); // PGlite has one connection: engine.execute below needs it
    offBefore();
    offAfter();
    await engine.execute({ sql: "SELECT 1", params: [] });

    // Transaction control is housekeeping, not reported.
    expect(events.map(([kind, e]) => [kind, e.sql])).toEqual([
      ["execute", "SELECT id FROM items WHERE id = ANY($1)"],
      ["executed", "SELECT id FROM items WHERE id = ANY($1)"],
      ["execute", "SELECT nope FROM items"],
      ["executed", "SELECT nope FROM items"],
    ]);
    const [, ok] = events[1] as ["executed", ExecutedEvent];
    expect(ok).toMatchObject({ params: [[1, 2]], connectionId: conn.id, rowCount: 2 });
    expect(ok.durationMs).toBeGreaterThanOrEqual(0);
    expect(ok.error).toBeUndefined();
    const [, failed] = events[3] as ["executed", ExecutedEvent];
    expect(failed.error).toBeInstanceOf(ProgrammingError);
    expect(failed.rowCount).toBe(0);
  });

  it("lets an execute listener stop a statement before it is sent", async () => {
    const off = engine.on("execute", () => {
      throw new Error("vetoed");
    });
    try {
      await expect(engine.execute({ sql: "INSERT INTO items VALUES (99, 'x')", params: [] })).rejects.toThrow("vetoed");
    } finally {
      off();
    }
    const { rows } = await engine.execute({ sql: "SELECT count(*)::int4 FROM items WHERE id = 99", params: [] });
    expect(rows).toEqual([[0]]);
  });

  it("echoes each statement with its parameters and duration", async () => {
    echoed.length = 0;
    await using conn = await engine.connect();
    await conn.begin();
    await conn.execute({ sql: "SELECT name FROM items WHERE id = $1", params: [1] });
    await conn.commit();
    await conn.execute({ sql: "SELECT nope", params: [] }).catch(() => undefined);
    expect(echoed).toHaveLength(4);
    expect(echoed[0]).toMatch(/^BEGIN -- \(\d+\.\d\d ms\)$/);
    expect(echoed[1]).toMatch(/^SELECT name FROM items WHERE id = \$1 -- params: \[1\] \(\d+\.\d\d ms\)$/);
    expect(echoed[2]).toMatch(/^COMMIT -- \(\d+\.\d\d ms\)$/);
    expect(echoed[3]).toMatch(/^SELECT nope -- \(\d+\.\d\d ms\) FAILED: ProgrammingError$/);
  });

  it("counts connections in pool.size, checkedOut, idle and waiting", async () => {
    const conn = await engine.connect();
    expect(engine.pool.checkedOut).toBe(1);
    expect(engine.pool.waiting).toBe(0);
    expect(engine.pool.size).toBe(engine.pool.checkedOut + engine.pool.idle);
    await conn.release();
    expect(engine.pool.checkedOut).toBe(0);
    expect(engine.pool.idle).toBeGreaterThanOrEqual(1);
  });
});

describe("createEngine", () => {
  it("masks the password in url, toString and inspect", () => {
    const engine = createEngine("postgresql://app:s3cret@db.example:5432/app");
    expect(engine.url).toBe("postgresql://app:***@db.example:5432/app");
    expect(String(engine)).toBe("Engine(postgresql://app:***@db.example:5432/app)");
    expect(inspect(engine)).not.toContain("s3cret");
    expect(JSON.stringify(engine)).not.toContain("s3cret");
    expect(engine.driverName).toBe("pg");
    expect(createEngine("postgres://h/db", { driver: "postgres-js" }).driverName).toBe("postgres-js");
    expect(createEngine("pglite://memory").driverName).toBe("pglite");
  });

  it("loads no driver before the first connection", async () => {
    const engine = createEngine("postgresql://nobody@127.0.0.1:1/none");
    expect(engine.pool.size).toBe(0);
    await engine.dispose();
  });

  it.each([
    [{ poolSize: 0 }, /poolSize must be an integer >= 1/],
    [{ poolSize: 1.5 }, /poolSize must be an integer >= 1/],
    [{ maxOverflow: -1 }, /maxOverflow must be an integer >= 0/],
    [{ poolTimeout: -5 }, /poolTimeout must be a number of milliseconds/],
    [{ driver: "mysql" }, /driver must be "pg" or "postgres-js"/],
    [{ echo: "yes" }, /echo must be a boolean or a function/],
    [{ poolsize: 3 }, /unknown engine option "poolsize"/],
  ])("rejects the options %j", (options, message) => {
    expect(() => createEngine("postgresql://h/db", options as never)).toThrow(ArgumentError);
    expect(() => createEngine("postgresql://h/db", options as never)).toThrow(message);
  });

  it("rejects a driver option on a PGlite URL and unknown URL schemes", () => {
    expect(() => createEngine("pglite://memory", { driver: "pg" })).toThrow(ArgumentError);
    expect(() => createEngine("sqlite://x")).toThrow(/unsupported database URL/);
  });
});

describe.each(engineCases)("Engine.dispose ($name)", (c) => {
  it("closes everything; the engine and its connections then refuse work", async () => {
    const engine = createEngine(await c.backend.freshUrl(), c.options);
    const held = await engine.connect();
    await engine.dispose();
    await engine.dispose(); // idempotent
    expect(engine.pool.size).toBe(0);
    expect(engine.pool.checkedOut).toBe(0);
    await expect(engine.execute({ sql: "SELECT 1", params: [] })).rejects.toThrow(ResourceClosedError);
    await expect(engine.connect()).rejects.toThrow(ResourceClosedError);
    await expect(held.execute({ sql: "SELECT 1", params: [] })).rejects.toThrow(ResourceClosedError);
    await held.release(); // harmless after dispose
  }, SETUP_TIMEOUT_MS);

  it("is what `await using` calls", async () => {
    let escaped: Engine | undefined;
    {
      await using engine = createEngine(await c.backend.freshUrl(), c.options);
      await engine.execute({ sql: "SELECT 1", params: [] });
      escaped = engine;
    }
    await expect(escaped.execute({ sql: "SELECT 1", params: [] })).rejects.toThrow(ResourceClosedError);
  }, SETUP_TIMEOUT_MS);
});
