import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createEngine, type Engine } from "../../../src/core/engine/engine.js";
import { InvalidRequestError, IntegrityError, ResourceClosedError } from "../../../src/core/errors.js";
import {
  ArgumentError, CommitOutcomeUnknownError, DataError, DeadlockDetectedError, OperationalError, SerializationFailureError,
} from "../../../src/core/errors.js";
import type { Connection } from "../../../src/core/engine/connection.js";
import { isRetryableError } from "../../../src/core/engine/retry.js";
import { startTcpProxy } from "../../support/tcp-proxy.js";
import { engineCases, serverCases, SETUP_TIMEOUT_MS } from "./cases.js";

describe.each(engineCases)("transactions ($name)", (c) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = createEngine(await c.backend.freshUrl(), c.options);
    await engine.execute({ sql: "CREATE TABLE accounts (id int4 PRIMARY KEY, balance int4 NOT NULL)", params: [] });
  }, SETUP_TIMEOUT_MS);
  beforeEach(async () => {
    await engine.execute({ sql: "DELETE FROM accounts", params: [] });
  });
  afterAll(() => engine?.dispose());

  const count = async (): Promise<number> =>
    (await engine.execute({ sql: "SELECT count(*)::int4 FROM accounts", params: [] })).rows[0]![0] as number;

  it("commits", async () => {
    const conn = await engine.connect();
    expect(conn.inTransaction).toBe(false);
    await conn.begin();
    expect(conn.inTransaction).toBe(true);
    await conn.execute({ sql: "INSERT INTO accounts VALUES (1, 10)", params: [] });
    await conn.commit();
    expect(conn.inTransaction).toBe(false);
    await conn.release();
    expect(await count()).toBe(1);
  });

  it("rolls back", async () => {
    const conn = await engine.connect();
    await conn.begin();
    await conn.execute({ sql: "INSERT INTO accounts VALUES (1, 10)", params: [] });
    await conn.rollback();
    expect(conn.inTransaction).toBe(false);
    await conn.release();
    expect(await count()).toBe(0);
  });

  it("refuses a nested begin(); commit() and rollback() without a transaction do nothing", async () => {
    await using conn = await engine.connect();
    await conn.commit();
    await conn.rollback();
    await conn.begin();
    await expect(conn.begin()).rejects.toThrow(InvalidRequestError);
    expect(conn.inTransaction).toBe(true);
    await conn.rollback();
  });

  it("COMMIT after a failed statement raises: PostgreSQL rolled the transaction back", async () => {
    const conn = await engine.connect();
    await conn.begin();
    await conn.execute({ sql: "INSERT INTO accounts VALUES (1, 10)", params: [] });
    await expect(conn.execute({ sql: "INSERT INTO accounts VALUES (1, 20)", params: [] })).rejects.toThrow(IntegrityError);
    expect(conn.inTransaction).toBe(true);
    const error = await conn.commit().then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect((error as Error).message).toMatch(/the transaction was rolled back because an earlier statement in it failed/);
    expect(conn.inTransaction).toBe(false);
    await conn.release();
    expect(await count()).toBe(0);
  });

  it("also raises for COMMIT sent as a plain statement", async () => {
    await using conn = await engine.connect();
    await conn.execute({ sql: "BEGIN", params: [] });
    await conn.execute({ sql: "SELECT 1/0", params: [] }).catch(() => undefined);
    await expect(conn.execute({ sql: "COMMIT", params: [] })).rejects.toThrow(InvalidRequestError);
    expect(conn.inTransaction).toBe(false);
  });

  it("keeps the transaction open across ROLLBACK TO SAVEPOINT", async () => {
    const conn = await engine.connect();
    await conn.begin();
    await conn.execute({ sql: "INSERT INTO accounts VALUES (1, 10)", params: [] });
    await conn.execute({ sql: "SAVEPOINT s1", params: [] });
    await conn.execute({ sql: "INSERT INTO accounts VALUES (1, 20)", params: [] }).catch(() => undefined);
    await conn.execute({ sql: "ROLLBACK TO SAVEPOINT s1", params: [] });
    expect(conn.inTransaction).toBe(true);
    await conn.execute({ sql: "INSERT INTO accounts VALUES (2, 20)", params: [] });
    await conn.commit();
    await conn.release();
    expect(await count()).toBe(2);
  });

  it("tracks BEGIN / START TRANSACTION / COMMIT / END sent as statements", async () => {
    await using conn = await engine.connect();
    await conn.execute({ sql: "START TRANSACTION ISOLATION LEVEL SERIALIZABLE", params: [] });
    expect(conn.inTransaction).toBe(true);
    await conn.execute({ sql: "END", params: [] });
    expect(conn.inTransaction).toBe(false);
    await conn.execute({ sql: "begin", params: [] });
    expect(conn.inTransaction).toBe(true);
    await conn.execute({ sql: "rollback", params: [] });
    expect(conn.inTransaction).toBe(false);
  });

  it("a released handle refuses work; release is idempotent; `await using` releases", async () => {
    const conn = await engine.connect();
    await conn.release();
    await conn.release();
    await expect(conn.execute({ sql: "SELECT 1", params: [] })).rejects.toThrow(ResourceClosedError);
    await expect(conn.begin()).rejects.toThrow(ResourceClosedError);
    expect(conn.inTransaction).toBe(false);

    const before = engine.pool.checkedOut;
    {
      await using scoped = await engine.connect();
      await scoped.begin();
      await scoped.execute({ sql: "INSERT INTO accounts VALUES (5, 50)", params: [] });
      expect(engine.pool.checkedOut).toBe(before + 1);
    }
    expect(engine.pool.checkedOut).toBe(before);
    expect(await count()).toBe(0);
  });
});

describe.each(engineCases)("transaction options and savepoints on a connection ($name)", (c) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = createEngine(await c.backend.freshUrl(), c.options);
    await engine.execute({ sql: "CREATE TABLE items (id int4 PRIMARY KEY)", params: [] });
  }, SETUP_TIMEOUT_MS);
  afterAll(() => engine?.dispose());

  const setting = async (conn: Connection, name: string): Promise<unknown> =>
    (await conn.execute({ sql: `SELECT current_setting('${name}')`, params: [] })).rows[0]![0];

  it("begin({ isolationLevel, readOnly, deferrable }) sends them in BEGIN", async () => {
    await using conn = await engine.connect();
    await conn.begin({ isolationLevel: "serializable", readOnly: true, deferrable: true });
    expect(await setting(conn, "transaction_isolation")).toBe("serializable");
    expect(await setting(conn, "transaction_read_only")).toBe("on");
    expect(await setting(conn, "transaction_deferrable")).toBe("on");
    await expect(conn.execute({ sql: "INSERT INTO items VALUES (1)", params: [] })).rejects.toThrow(/read-only transaction/);
    await conn.rollback();
    await conn.begin({ isolationLevel: "repeatable read" });
    expect(await setting(conn, "transaction_isolation")).toBe("repeatable read");
    await conn.rollback();
  });

  it("an unknown isolation level or option is an ArgumentError before any SQL", async () => {
    await using conn = await engine.connect();
    await expect(conn.begin({ isolationLevel: "snapshot" as never })).rejects.toThrow(ArgumentError);
    await expect(conn.begin({ readonly: true } as never)).rejects.toThrow(/unknown transaction option "readonly"/);
    expect(conn.inTransaction).toBe(false);
    expect(() => createEngine("pglite://memory", { isolationLevel: "chaos" as never })).toThrow(ArgumentError);
  });

  it("the engine's isolationLevel is every transaction's default; begin() options override it", async () => {
    const serializable = createEngine(await c.backend.freshUrl(), { ...c.options, isolationLevel: "serializable" });
    try {
      expect(serializable.transactionDefaults).toEqual({ isolationLevel: "serializable" });
      await using conn = await serializable.connect();
      await conn.begin();
      expect(await setting(conn, "transaction_isolation")).toBe("serializable");
      await conn.rollback();
      await conn.begin({ isolationLevel: "read committed" });
      expect(await setting(conn, "transaction_isolation")).toBe("read committed");
      await conn.rollback();
    } finally {
      await serializable.dispose();
    }
  }, SETUP_TIMEOUT_MS);

  it("savepoint / rollbackToSavepoint / releaseSavepoint", async () => {
    await using conn = await engine.connect();
    await conn.begin();
    await conn.execute({ sql: "INSERT INTO items VALUES (1)", params: [] });
    await conn.savepoint("sp_a");
    await conn.execute({ sql: "INSERT INTO items VALUES (2)", params: [] });
    await conn.rollbackToSavepoint("sp_a");
    await conn.savepoint("sp_b");
    await conn.execute({ sql: "INSERT INTO items VALUES (3)", params: [] });
    await conn.releaseSavepoint("sp_b");
    expect(conn.inTransaction).toBe(true);
    expect((await conn.execute({ sql: "SELECT id FROM items ORDER BY id", params: [] })).rows).toEqual([[1], [3]]);
    await conn.rollback();
    await expect(conn.savepoint("bad name; DROP TABLE items")).rejects.toThrow(InvalidRequestError);
  });
});

describe.each(serverCases)("COMMIT outcomes and retryable errors ($name)", (c) => {
  let url: string;
  let engine: Engine;
  beforeAll(async () => {
    url = await c.backend.freshUrl();
    engine = createEngine(url, c.options);
    await engine.execute({ sql: "CREATE TABLE items (id int4 PRIMARY KEY, n int4 NOT NULL DEFAULT 0)", params: [] });
  }, SETUP_TIMEOUT_MS);
  afterAll(() => engine?.dispose());

  it("a lost COMMIT reply raises CommitOutcomeUnknownError, and the server did commit", async () => {
    const proxy = await startTcpProxy(url);
    const viaProxy = createEngine(proxy.url, c.options);
    try {
      const conn = await viaProxy.connect();
      await conn.begin();
      await conn.execute({ sql: "INSERT INTO items (id) VALUES (100)", params: [] });
      const swallowed = proxy.loseReplyAfter("COMMIT");
      const error = await conn.commit().then(() => undefined, (e: unknown) => e);
      await swallowed;
      expect(error).toBeInstanceOf(CommitOutcomeUnknownError);
      expect(error).toBeInstanceOf(OperationalError);
      expect((error as CommitOutcomeUnknownError).sql).toBe("COMMIT");
      await conn.release();
      expect(viaProxy.pool.checkedOut).toBe(0);
      expect((await engine.execute({ sql: "SELECT count(*)::int4 FROM items WHERE id = 100", params: [] })).rows).toEqual([[1]]);
    } finally {
      await viaProxy.dispose();
      await proxy.close();
    }
  });

  it("a connection already lost before COMMIT: OperationalError, not outcome-unknown, and nothing committed", async () => {
    const admin = createEngine(url);
    try {
      const conn = await engine.connect();
      await conn.begin();
      await conn.execute({ sql: "INSERT INTO items (id) VALUES (200)", params: [] });
      const pid = (await conn.execute({ sql: "SELECT pg_backend_pid()", params: [] })).rows[0]![0];
      await admin.execute({ sql: "SELECT pg_terminate_backend($1)", params: [pid] });
      for (let i = 0; i < 100 && !conn.broken; i++) await new Promise((r) => setTimeout(r, 10));
      expect(conn.broken).toBe(true);
      const error = await conn.commit().then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(OperationalError);
      expect(error).not.toBeInstanceOf(CommitOutcomeUnknownError);
      await conn.release();
      expect((await engine.execute({ sql: "SELECT count(*)::int4 FROM items WHERE id = 200", params: [] })).rows).toEqual([[0]]);
    } finally {
      await admin.dispose();
    }
  });

  it("serialization failures (40001) and deadlocks (40P01) are typed and retryable", async () => {
    await engine.execute({ sql: "INSERT INTO items (id) VALUES (1), (2) ON CONFLICT DO NOTHING", params: [] });
    const a = await engine.connect();
    const b = await engine.connect();
    try {
      // Serialization: both read, both write what the other read.
      await a.begin({ isolationLevel: "serializable" });
      await b.begin({ isolationLevel: "serializable" });
      await a.execute({ sql: "SELECT sum(n) FROM items", params: [] });
      await b.execute({ sql: "SELECT sum(n) FROM items", params: [] });
      await a.execute({ sql: "UPDATE items SET n = n + 1 WHERE id = 1", params: [] });
      await b.execute({ sql: "UPDATE items SET n = n + 1 WHERE id = 2", params: [] });
      await a.commit();
      const serialization = await b.commit().then(() => undefined, (e: unknown) => e);
      expect(serialization).toBeInstanceOf(SerializationFailureError);
      expect((serialization as SerializationFailureError).sqlstate).toBe("40001");
      expect((serialization as SerializationFailureError).retryable).toBe(true);
      expect(isRetryableError(serialization)).toBe(true);
      await b.rollback();

      // Deadlock: each holds the row the other wants.
      await a.begin();
      await b.begin();
      await a.execute({ sql: "UPDATE items SET n = n + 1 WHERE id = 1", params: [] });
      await b.execute({ sql: "UPDATE items SET n = n + 1 WHERE id = 2", params: [] });
      const first = a.execute({ sql: "UPDATE items SET n = n + 1 WHERE id = 2", params: [] }).then(() => undefined, (e: unknown) => e);
      const second = b.execute({ sql: "UPDATE items SET n = n + 1 WHERE id = 1", params: [] }).then(() => undefined, (e: unknown) => e);
      const errors = (await Promise.all([first, second])).filter((e) => e !== undefined);
      expect(errors).toHaveLength(1);
      expect(errors[0]).toBeInstanceOf(DeadlockDetectedError);
      expect((errors[0] as DeadlockDetectedError).retryable).toBe(true);
      await a.rollback();
      await b.rollback();
      // An ordinary failure is not retryable.
      const plain = await engine.execute({ sql: "SELECT 1/0", params: [] }).then(() => undefined, (e: unknown) => e);
      expect((plain as DataError).retryable).toBe(false);
      expect(isRetryableError(plain)).toBe(false);
    } finally {
      await a.release();
      await b.release();
    }
  });
});
