import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEngine, type Engine } from "../../../src/core/engine/engine.js";
import { serverCases, SETUP_TIMEOUT_MS } from "../engine/cases.js";

const preparedStatements = "SELECT name, statement FROM pg_prepared_statements ORDER BY statement";

describe.each(serverCases)("prepared statements ($name)", (c) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = createEngine(await c.backend.freshUrl(), { ...c.options, poolSize: 1 });
    await engine.execute({ sql: "CREATE TABLE pets (id int4 PRIMARY KEY, name text)", params: [] });
    await engine.execute({ sql: "INSERT INTO pets VALUES (1, 'rex'), (2, 'tom')", params: [] });
  }, SETUP_TIMEOUT_MS);
  afterAll(() => engine?.dispose());

  it("prepares a statement shape once per connection; DDL is not prepared", async () => {
    await using conn = await engine.connect();
    const byId = "SELECT name FROM pets WHERE id = $1";
    expect((await conn.execute({ sql: byId, params: [1] })).rows).toEqual([["rex"]]);
    expect((await conn.execute({ sql: byId, params: [2] })).rows).toEqual([["tom"]]);
    await conn.execute({ sql: "CREATE TEMP TABLE scratch (x int4)", params: [] });
    const { rows } = await conn.execute({ sql: preparedStatements, params: [] });
    const statements = rows.map((row) => row[1]);
    expect(statements.filter((s) => s === byId)).toHaveLength(1);
    expect(statements.some((s) => String(s).startsWith("CREATE"))).toBe(false);
    if (c.driver === "pg") {
      const name = rows.find((row) => row[1] === byId)![0] as string;
      expect(name).toMatch(/^ath_[0-9a-f]{16}$/);
    }
  });

  it("re-prepares a statement whose result columns changed", async () => {
    await using conn = await engine.connect();
    const all = "SELECT * FROM pets WHERE id = $1";
    expect((await conn.execute({ sql: all, params: [1] })).fields).toEqual(["id", "name"]);
    await conn.execute({ sql: "ALTER TABLE pets ADD COLUMN age int4", params: [] });
    const after = await conn.execute({ sql: all, params: [1] });
    expect(after.fields).toEqual(["id", "name", "age"]);
    expect(after.rows).toEqual([[1, "rex", null]]);
    await conn.execute({ sql: "ALTER TABLE pets DROP COLUMN age", params: [] });
    expect((await conn.execute({ sql: all, params: [1] })).rows).toEqual([[1, "rex"]]);
  });
});
