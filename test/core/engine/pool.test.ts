import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEngine, type Engine } from "../../../src/core/engine/engine.js";
import type { Connection } from "../../../src/core/engine/connection.js";
import {
  ConnectionError,
  OperationalError,
  PoolTimeoutError,
  ResourceClosedError,
} from "../../../src/core/errors.js";
import { engineCases, serverCases, SETUP_TIMEOUT_MS } from "./cases.js";

async function backendPid(conn: Connection): Promise<number> {
  const { rows } = await conn.execute({ sql: "SELECT pg_backend_pid()", params: [] });
  return rows[0]![0] as number;
}

/** Terminates a backend from another session and waits until the server has let it go. */
async function terminate(admin: Engine, pid: number): Promise<void> {
  await admin.execute({ sql: "SELECT pg_terminate_backend($1)", params: [pid] });
  for (let i = 0; i < 200; i++) {
    const { rows } = await admin.execute({ sql: "SELECT count(*)::int4 FROM pg_stat_activity WHERE pid = $1", params: [pid] });
    if (rows[0]![0] === 0) return;
    await sleep(10);
  }
  throw new Error(`backend ${pid} did not terminate`);
}

describe.each(serverCases)("pool limits ($name)", (c) => {
  let url: string;
  beforeAll(async () => {
    url = await c.backend.freshUrl();
  }, SETUP_TIMEOUT_MS);

  it("allows poolSize + maxOverflow connections, then times out naming the settings", async () => {
    await using engine = createEngine(url, { ...c.options, poolSize: 2, maxOverflow: 1, poolTimeout: 100 });
    const held = await Promise.all([engine.connect(), engine.connect(), engine.connect()]);
    expect(engine.pool).toMatchObject({ size: 3, checkedOut: 3, idle: 0, waiting: 0 });

    const started = Date.now();
    const error = await engine.connect().then(() => undefined, (e: unknown) => e);
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    expect(error).toBeInstanceOf(PoolTimeoutError);
    const message = (error as Error).message;
    expect(message).toContain("poolTimeout=100 ms");
    expect(message).toContain("poolSize=2 + maxOverflow=1");
    expect(message).toMatch(/release\(\)/);
    expect(message).toMatch(/raise poolSize/);
    expect(engine.pool.waiting).toBe(0);

    // The overflow connection is closed when returned; poolSize connections stay.
    for (const conn of held) await conn.release();
    expect(engine.pool).toMatchObject({ size: 2, checkedOut: 0, idle: 2 });
  });

  it("hands released connections to waiters first come, first served", async () => {
    await using engine = createEngine(url, { ...c.options, poolSize: 1, maxOverflow: 0 });
    const first = await engine.connect();
    const order: number[] = [];
    const waiters = [1, 2, 3].map(async (n) => {
      const conn = await engine.connect();
      order.push(n);
      await sleep(5);
      await conn.release();
    });
    await sleep(20);
    expect(engine.pool.waiting).toBe(3);
    await first.release();
    await Promise.all(waiters);
    expect(order).toEqual([1, 2, 3]);
    expect(engine.pool).toMatchObject({ size: 1, checkedOut: 0, idle: 1, waiting: 0 });
  });

  it("reuses the most recently returned idle connection", async () => {
    await using engine = createEngine(url, { ...c.options, poolSize: 3 });
    const [a, b] = await Promise.all([engine.connect(), engine.connect()]);
    await a!.release();
    await b!.release();
    await using again = await engine.connect();
    expect(again.id).toBe(b!.id);
  });

  it("rejects waiters with ResourceClosedError on dispose", async () => {
    const engine = createEngine(url, { ...c.options, poolSize: 1, maxOverflow: 0 });
    await engine.connect();
    const waiting = engine.connect().then(() => undefined, (e: unknown) => e);
    await sleep(10);
    expect(engine.pool.waiting).toBe(1);
    await engine.dispose();
    expect(await waiting).toBeInstanceOf(ResourceClosedError);
  });

  it("raises ConnectionError, with the password masked, when the database cannot be reached", async () => {
    const missing = new URL(url);
    missing.pathname = "/no_such_database";
    missing.password = "hunter2";
    await using engine = createEngine(missing.toString(), c.options);
    const error = await engine.connect().then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error).toBeInstanceOf(OperationalError);
    expect((error as ConnectionError).sqlstate).toBe("3D000");
    expect((error as Error).message).toContain("no_such_database");
    expect((error as Error).message).not.toContain("hunter2");
    expect(engine.pool.size).toBe(0);

    await using unreachable = createEngine("postgresql://nobody@127.0.0.1:1/none", c.options);
    await expect(unreachable.connect()).rejects.toThrow(ConnectionError);
  });
});

describe.each(serverCases)("broken connections ($name)", (c) => {
  let url: string;
  let admin: Engine;
  beforeAll(async () => {
    url = await c.backend.freshUrl();
    admin = createEngine(url);
  }, SETUP_TIMEOUT_MS);
  afterAll(() => admin?.dispose());

  it("survives the server killing an idle pooled connection; the next checkout gets a new one", async () => {
    await using engine = createEngine(url, { ...c.options, poolSize: 1 });
    const conn = await engine.connect();
    const pid = await backendPid(conn);
    await conn.release();
    await terminate(admin, pid);
    await sleep(50); // let the client see the socket close (no pre-ping in this test)

    await using next = await engine.connect();
    expect(await backendPid(next)).not.toBe(pid);
    expect(next.id).not.toBe(conn.id);
  });

  it("with poolPrePing, replaces a dead idle connection at checkout", async () => {
    await using engine = createEngine(url, { ...c.options, poolSize: 1, poolPrePing: true });
    const conn = await engine.connect();
    const pid = await backendPid(conn);
    await conn.release();
    await terminate(admin, pid);

    await using next = await engine.connect();
    expect(await backendPid(next)).not.toBe(pid);
  });

  it("closes a connection whose backend died while checked out, instead of returning it", async () => {
    await using engine = createEngine(url, { ...c.options, poolSize: 1, maxOverflow: 0 });
    const conn = await engine.connect();
    const pid = await backendPid(conn);
    await conn.begin();
    await terminate(admin, pid);
    await expect(conn.execute({ sql: "SELECT 1", params: [] })).rejects.toThrow(OperationalError);
    await expect(conn.execute({ sql: "SELECT 1", params: [] })).rejects.toThrow(OperationalError);
    await conn.release();
    expect(engine.pool.size).toBe(0);

    await using next = await engine.connect();
    expect(await backendPid(next)).not.toBe(pid);
  });
});

describe.each(engineCases)("reset on return ($name)", (c) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = createEngine(await c.backend.freshUrl(), { ...c.options, poolSize: 1, maxOverflow: 0 });
    await engine.execute({ sql: "CREATE TABLE notes (id int4 PRIMARY KEY)", params: [] });
  }, SETUP_TIMEOUT_MS);
  afterAll(() => engine?.dispose());

  it("rolls back a transaction left open, so the next checkout does not see its rows", async () => {
    const first = await engine.connect();
    await first.begin();
    await first.execute({ sql: "INSERT INTO notes VALUES (1)", params: [] });
    await first.release();

    await using second = await engine.connect();
    expect(second.id).toBe(first.id); // the same physical connection
    expect(second.inTransaction).toBe(false);
    const { rows } = await second.execute({ sql: "SELECT count(*)::int4 FROM notes", params: [] });
    expect(rows).toEqual([[0]]);
  });

  it("also rolls back a BEGIN sent as a plain statement", async () => {
    const first = await engine.connect();
    await first.execute({ sql: "BEGIN", params: [] });
    expect(first.inTransaction).toBe(true);
    await first.execute({ sql: "INSERT INTO notes VALUES (2)", params: [] });
    await first.release();

    const { rows } = await engine.execute({ sql: "SELECT count(*)::int4 FROM notes", params: [] });
    expect(rows).toEqual([[0]]);
  });

  it("rolls back a failed transaction too", async () => {
    const first = await engine.connect();
    await first.begin();
    await first.execute({ sql: "INSERT INTO notes VALUES (3)", params: [] });
    await expect(first.execute({ sql: "SELECT 1/0", params: [] })).rejects.toThrow();
    await first.release();
    const { rows } = await engine.execute({ sql: "SELECT count(*)::int4 FROM notes", params: [] });
    expect(rows).toEqual([[0]]);
  });
});

describe.each(engineCases.filter((c) => c.driver === "pglite"))("PGlite pool ($name)", (c) => {
  let engine: Engine;
  beforeAll(async () => {
    // poolSize and maxOverflow are ignored: PGlite is one connection.
    engine = createEngine(await c.backend.freshUrl(), { poolSize: 5, maxOverflow: 3, poolTimeout: 500 });
    await engine.execute({ sql: "SELECT 1", params: [] });
  }, SETUP_TIMEOUT_MS);
  afterAll(() => engine?.dispose());

  it("has one connection: a second checkout waits until the first is released", async () => {
    const first = await engine.connect();
    let done = false;
    const second = engine.execute({ sql: "SELECT 2", params: [] }).then((r) => {
      done = true;
      return r;
    });
    await sleep(50);
    expect(done).toBe(false);
    expect(engine.pool).toMatchObject({ size: 1, checkedOut: 1, waiting: 1 });
    await first.execute({ sql: "SELECT 1", params: [] });
    await first.release();
    expect((await second).rows).toEqual([[2]]);
  });

  it("says so when a checkout times out", async () => {
    await using held = await engine.connect();
    const error = await engine.execute({ sql: "SELECT 1", params: [] }).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(PoolTimeoutError);
    expect((error as Error).message).toMatch(/PGlite has a single connection/);
    expect(held.inTransaction).toBe(false);
  });
});
