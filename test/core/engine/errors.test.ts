import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEngine, type Engine } from "../../../src/core/engine/engine.js";
import {
  DataError,
  DatabaseError,
  IntegrityError,
  InternalError,
  OperationalError,
  ProgrammingError,
} from "../../../src/core/errors.js";
import { engineCases, SETUP_TIMEOUT_MS } from "./cases.js";

describe.each(engineCases)("database errors ($name)", (c) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = createEngine(await c.backend.freshUrl(), c.options);
    await engine.execute({ sql: "CREATE TABLE users (id int4 PRIMARY KEY, email text UNIQUE NOT NULL)", params: [] });
    await engine.execute({ sql: "INSERT INTO users VALUES (1, 'a@example.com')", params: [] });
  }, SETUP_TIMEOUT_MS);
  afterAll(() => engine?.dispose());

  const failure = (sql: string, params: unknown[] = []): Promise<unknown> =>
    engine.execute({ sql, params }).then(() => undefined, (e: unknown) => e);

  it("maps a unique violation to IntegrityError with the server's message, SQL, parameters and cause", async () => {
    const sql = "INSERT INTO users VALUES ($1, $2)";
    const error = await failure(sql, [2, "a@example.com"]);
    expect(error).toBeInstanceOf(IntegrityError);
    const e = error as IntegrityError;
    expect(e.sqlstate).toBe("23505");
    expect(e.sql).toBe(sql);
    expect(e.params).toEqual([2, "a@example.com"]);
    expect(e.code).toBe("integrity");
    expect(e.message.split("\n")[0]).toBe('duplicate key value violates unique constraint "users_email_key"');
    expect(e.message).toContain("DETAIL: Key (email)=(a@example.com) already exists.");
    expect(e.message).toContain(`[SQL: ${sql}]`);
    expect(e.cause).toBeInstanceOf(Error);
    expect((e.cause as { code: string }).code).toBe("23505");
  });

  it("keeps the caller's frames in the stack", async () => {
    const error = (await failure("SELECT * FROM no_such_table")) as Error;
    expect(error).toBeInstanceOf(ProgrammingError);
    expect(error.stack).toContain("errors.test.ts");
  });

  it.each([
    ["INSERT INTO users (id) VALUES (3)", IntegrityError, "23502"],
    ["SELECT 1/0", DataError, "22012"],
    ["SELECT 'x'::int4", DataError, "22P02"],
    ["SELEC 1", ProgrammingError, "42601"],
    ["SELECT nope FROM users", ProgrammingError, "42703"],
  ] as const)("%s -> %o", async (sql, ErrorClass, sqlstate) => {
    const error = await failure(sql);
    expect(error).toBeInstanceOf(ErrorClass);
    expect((error as DatabaseError).sqlstate).toBe(sqlstate);
  });

  it.each([
    ["23503", IntegrityError],
    ["22001", DataError],
    ["42501", ProgrammingError],
    ["08006", OperationalError],
    ["40001", OperationalError],
    ["40P01", OperationalError],
    ["53200", OperationalError],
    ["55P03", OperationalError],
    ["57014", OperationalError],
    ["58030", OperationalError],
    ["XX000", InternalError],
    ["P0001", InternalError],
    ["0A000", InternalError],
  ] as const)("SQLSTATE %s -> %o", async (sqlstate, ErrorClass) => {
    const error = await failure(`DO $$ BEGIN RAISE EXCEPTION 'raised %', '${sqlstate}' USING ERRCODE = '${sqlstate}'; END $$`);
    expect(error).toBeInstanceOf(ErrorClass);
    expect(error).toBeInstanceOf(DatabaseError);
    expect((error as DatabaseError).sqlstate).toBe(sqlstate);
    expect((error as Error).message.split("\n")[0]).toBe(`raised ${sqlstate}`);
  });

  it("leaves the connection usable after a statement error", async () => {
    await expect(engine.execute({ sql: "SELECT 1/0", params: [] })).rejects.toThrow(DataError);
    const { rows } = await engine.execute({ sql: "SELECT count(*)::int4 FROM users", params: [] });
    expect(rows).toEqual([[1]]);
  });
});
