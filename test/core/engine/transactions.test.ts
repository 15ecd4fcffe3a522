import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createEngine, type Engine } from "../../../src/core/engine/engine.js";
import { InvalidRequestError, IntegrityError, ResourceClosedError } from "../../../src/core/errors.js";
import { engineCases, SETUP_TIMEOUT_MS } from "./cases.js";

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
