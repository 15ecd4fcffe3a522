/**
 * New objects are grouped by the columns they set, one INSERT per group: the signature is a bit
 * mask up to 30 columns and a string beyond (both paths pinned here, with the statements sent).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { column, createEngine, declarativeBase, select, Session, type Engine } from "../../../src/index.js";
import { withStatements } from "../../../src/testing/assert-sql.js";
import { engineCases } from "../../core/engine/cases.js";

interface Models { Narrow: Narrow; Wide: Wide; Stamped: Stamped }
const Base = declarativeBase<Models>();
class Narrow extends Base.entity("group_narrow", {
  id: column.integer().primaryKey(),
  a: column.integer().nullable(),
  b: column.text().nullable(),
}) {}
class Wide extends Base.entity("group_wide", {
  id: column.integer().primaryKey(),
  c0: column.integer().nullable(),
  c1: column.integer().nullable(),
  c2: column.integer().nullable(),
  c3: column.integer().nullable(),
  c4: column.integer().nullable(),
  c5: column.integer().nullable(),
  c6: column.integer().nullable(),
  c7: column.integer().nullable(),
  c8: column.integer().nullable(),
  c9: column.integer().nullable(),
  c10: column.integer().nullable(),
  c11: column.integer().nullable(),
  c12: column.integer().nullable(),
  c13: column.integer().nullable(),
  c14: column.integer().nullable(),
  c15: column.integer().nullable(),
  c16: column.integer().nullable(),
  c17: column.integer().nullable(),
  c18: column.integer().nullable(),
  c19: column.integer().nullable(),
  c20: column.integer().nullable(),
  c21: column.integer().nullable(),
  c22: column.integer().nullable(),
  c23: column.integer().nullable(),
  c24: column.integer().nullable(),
  c25: column.integer().nullable(),
  c26: column.integer().nullable(),
  c27: column.integer().nullable(),
  c28: column.integer().nullable(),
  c29: column.integer().nullable(),
  c30: column.integer().nullable(),
  c31: column.integer().nullable(),
}) {}
// Keys and a server default come back for each row; the labels tie each object to its row.
class Stamped extends Base.entity("group_stamped", {
  id: column.integer().primaryKey(),
  label: column.text(),
  stampedAt: column.timestamptz().serverDefault("clock_timestamp()"),
}) {}
Base.register({ Narrow, Wide, Stamped });

const wideNames = (from: number, to: number): string[] => Array.from({ length: to - from + 1 }, (_, i) => `c${from + i}`);
const wideColumns = (from: number, to: number): string => wideNames(from, to).map((c) => `group_wide.${c}`).join(", ");

// Every driver: the generated values of a bulk insert come back as arrays each driver parses.
describe.each(engineCases)("insert groups ($name)", (c) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = createEngine(await c.backend.freshUrl(), c.options);
    await Base.metadata.createAll(engine);
  }, 180_000);
  afterAll(() => engine.dispose());

  it("groups objects of a narrow entity by the columns they set (bit-mask signature)", async () => {
    const s = new Session(engine);
    s.addAll([new Narrow({ a: 1, b: "x" }), new Narrow({ a: 2 }), new Narrow({ a: 3, b: "y" }), new Narrow({ a: 4 })]);
    const { statements } = await withStatements(engine, () => s.commit());
    expect(statements.map((st) => st.sql)).toEqual([
      "WITH inserted AS (INSERT INTO group_narrow (a, b) SELECT * FROM unnest($1::integer[], $2::text[]) RETURNING group_narrow.id AS r0) SELECT array_agg(r0) AS id FROM inserted",
      "WITH inserted AS (INSERT INTO group_narrow (a) SELECT * FROM unnest($1::integer[]) RETURNING group_narrow.id AS r0, group_narrow.b AS r1) SELECT array_agg(r0) AS id, array_agg(r1) AS b FROM inserted",
    ]);
    await s.close();
    await using check = new Session(engine);
    const rows = (await check.execute(select(Narrow).orderBy(Narrow.a))).scalars().all();
    expect(rows.map((n) => [n.a, n.b])).toEqual([[1, "x"], [2, null], [3, "y"], [4, null]]);
  });

  it("groups objects of an entity with more than 30 columns by a string signature", async () => {
    const s = new Session(engine, { expireOnCommit: false });
    const objs = [new Wide({ c0: 1, c31: 31 }), new Wide({ c30: 2 }), new Wide({ c0: 3, c31: 33 })];
    s.addAll(objs);
    const { statements } = await withStatements(engine, () => s.commit());
    expect(statements.map((st) => st.sql)).toEqual([
      // Columns left unset come back from the server (NULL or its default), as for any insert.
      // Many rows: the generated values come back as one row of arrays (Insert.returningArrays).
      "WITH inserted AS (INSERT INTO group_wide (c0, c31) SELECT * FROM unnest($1::integer[], $2::integer[]) RETURNING " +
        ["id", ...wideNames(1, 30)].map((c, i) => `group_wide.${c} AS r${i}`).join(", ") +
        ") SELECT " + ["id", ...wideNames(1, 30)].map((c, i) => `array_agg(r${i}) AS ${c}`).join(", ") + " FROM inserted",
      "INSERT INTO group_wide (c30) VALUES ($1) RETURNING group_wide.id, " + wideColumns(0, 29) + ", group_wide.c31",
    ]);
    expect(objs.every((o) => typeof o.id === "number")).toBe(true);
    await s.close();
    await using check = new Session(engine);
    const rows = (await check.execute(select(Wide).orderBy(Wide.id))).scalars().all();
    // Each group is one statement, so ids follow the groups: both (c0, c31) objects, then c30's.
    expect(rows.map((w) => [w.c0, w.c30, w.c31])).toEqual([[1, null, 31], [3, null, 33], [null, 2, null]]);
  });

  it("gives each object of a bulk insert the key and server default of its own row", async () => {
    const s = new Session(engine, { expireOnCommit: false });
    const objs = Array.from({ length: 300 }, (_, i) => new Stamped({ label: `s${(i * 7) % 300}` }));
    s.addAll(objs);
    const { statements } = await withStatements(engine, () => s.commit());
    expect(statements.map((st) => st.sql)).toEqual([
      "WITH inserted AS (INSERT INTO group_stamped (label) SELECT * FROM unnest($1::text[]) " +
        "RETURNING group_stamped.id AS r0, group_stamped.stamped_at AS r1) SELECT array_agg(r0) AS id, array_agg(r1) AS stamped_at FROM inserted",
    ]);
    await s.close();
    await using check = new Session(engine);
    const rows = (await check.execute(select(Stamped).orderBy(Stamped.id))).scalars().all();
    const byLabel = new Map(rows.map((r) => [r.label, r]));
    for (const obj of objs) {
      const row = byLabel.get(obj.label)!;
      expect([obj.id, obj.stampedAt.getTime()]).toEqual([row.id, row.stampedAt.getTime()]);
    }
  });
});
