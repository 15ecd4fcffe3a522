/** INSERT / UPDATE / DELETE: compiled SQL and params, argument errors, and execution on both backends. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  ArgumentError, bindParams, type ColumnExpression, columnSpec, compile, createEngine, delete_, type Engine, insert,
  MetaData, selectColumns, Table, types, update,
} from "../../../src/index.js";
import { backends } from "../../support/backends.js";

const items = new Table("items", [
  columnSpec("id", types.integer, { primaryKey: true, autoincrement: true }),
  columnSpec("name", types.text, { nullable: false }),
  columnSpec("qty", types.integer, { serverDefault: "0", nullable: false }),
  columnSpec("meta", types.jsonb(), { nullable: true }),
]);
const id = items.column("id") as ColumnExpression<number>;
const qty = items.column("qty") as ColumnExpression<number>;
const name = items.column("name") as ColumnExpression<string>;

// A second table for UPDATE ... FROM / DELETE ... USING: items restocked from a price list.
const restock = new Table("restock", [columnSpec("item_name", types.text, { primaryKey: true }), columnSpec("extra", types.integer, { nullable: false })]);
const restockName = restock.column("item_name") as ColumnExpression<string>;
const extra = restock.column("extra") as ColumnExpression<number>;

const tagged = new Table("tagged", [columnSpec("id", types.integer, { primaryKey: true }), columnSpec("tags", types.array(types.text))]);

function sqlOf(stmt: { node: Parameters<typeof compile>[0] }): { sql: string; params: unknown[] } {
  const t = compile(stmt.node);
  return { sql: t.sql, params: bindParams(t) };
}

describe("insert", () => {
  it("a single row with RETURNING", () => {
    expect(sqlOf(insert(items).values({ name: "a", qty: 2 }).returning("id", "name"))).toEqual({
      sql: "INSERT INTO items (name, qty) VALUES ($1, $2) RETURNING items.id, items.name",
      params: ["a", 2],
    });
  });

  it("multi-row VALUES: every row gets every column, DEFAULT where a row leaves one out", () => {
    expect(sqlOf(insert(items).values([{ name: "a", qty: 1 }, { name: "b" }, { qty: 3, name: "c" }]).returning(id))).toEqual({
      sql: "INSERT INTO items (name, qty) VALUES ($1, $2), ($3, DEFAULT), ($4, $5) RETURNING items.id",
      params: ["a", 1, "b", "c", 3],
    });
  });

  it("null is bound as NULL; JSON is encoded by the column type", () => {
    expect(sqlOf(insert(items).values({ name: "a", meta: null }))).toEqual({
      sql: "INSERT INTO items (name, meta) VALUES ($1, $2)",
      params: ["a", null],
    });
    expect(sqlOf(insert(items).values({ name: "a", meta: { k: [1, "x"] } }))).toEqual({
      sql: "INSERT INTO items (name, meta) VALUES ($1, $2)",
      params: ["a", '{"k":[1,"x"]}'],
    });
  });

  it("fromArrays is INSERT ... SELECT * FROM unnest with one typed array per column", () => {
    expect(sqlOf(insert(items).fromArrays(["qty", "name"], [[1, 2, 3], ["a", "b", "c"]]).returning("id"))).toEqual({
      sql: "INSERT INTO items (qty, name) SELECT * FROM unnest($1::integer[], $2::text[]) RETURNING items.id",
      params: [[1, 2, 3], ["a", "b", "c"]],
    });
  });

  it("returningArrays collects RETURNING into one row of arrays, named after the columns", () => {
    expect(sqlOf(insert(items).fromArrays(["name"], [["a", "b"]]).returningArrays("id", qty, qty.add(1).label("next")))).toEqual({
      sql:
        "WITH inserted AS (INSERT INTO items (name) SELECT * FROM unnest($1::text[]) RETURNING items.id AS r0, items.qty AS r1, (items.qty + $2) AS r2) " +
        "SELECT array_agg(r0) AS id, array_agg(r1) AS qty, array_agg(r2) AS next FROM inserted",
      params: [["a", "b"], 1],
    });
    // returning() after it goes back to one row per inserted row.
    expect(sqlOf(insert(items).values({ name: "a" }).returningArrays("id").returning("id")).sql).toBe("INSERT INTO items (name) VALUES ($1) RETURNING items.id");
  });

  it("fromArrays encodes JSON values element by element", () => {
    expect(sqlOf(insert(items).fromArrays(["name", "meta"], [["a", "b"], [{ x: 1 }, null]]))).toEqual({
      sql: "INSERT INTO items (name, meta) SELECT * FROM unnest($1::text[], $2::jsonb[])",
      params: [["a", "b"], ['{"x":1}', null]],
    });
  });

  it.each([
    ["a value that is undefined", () => insert(items).values({ name: undefined }), /insert into items: row 1 column "name" is undefined; use null for NULL or leave the key out/],
    ["undefined in a later row", () => insert(items).values([{ name: "a" }, { name: "b", qty: undefined }]), /row 2 column "qty" is undefined/],
    ["an unknown column", () => insert(items).values({ nme: "a" }), /insert into items: no column "nme" \(it has id, name, qty, meta\)/],
    ["no rows", () => insert(items).values([]), /insert\(items\)\.values\(\): no rows given/],
    ["fromArrays with undefined", () => insert(items).fromArrays(["name"], [["a", undefined]]), /insert into items: column "name" value 2 is undefined; use null/],
    ["fromArrays of different lengths", () => insert(items).fromArrays(["name", "qty"], [["a", "b"], [1]]), /column "qty" has 1 values, the first has 2/],
    ["fromArrays with fewer arrays than columns", () => insert(items).fromArrays(["name", "qty"], [["a"]]), /2 columns but 1 arrays/],
    ["fromArrays with an array column", () => insert(tagged).fromArrays(["id", "tags"], [[1], [["a"]]]), /column "tags" is an array \(text\[\]\), which fromArrays\(\) cannot insert; use values\(\)/],
    ["insert(undefined)", () => insert(undefined as unknown as Table), /insert\(\) expects a Table, got undefined/],
    ["returningArrays of an array column", () => insert(tagged).values({ id: 1, tags: ["a"] }).returningArrays("id", "tags"), /column "tags" is an array \(text\[\]\), which returningArrays\(\) cannot collect; use returning\(\)/],
    ["returningArrays of nothing", () => insert(items).values({ name: "a" }).returningArrays(), /returningArrays\(\) needs at least one column/],
    ["returningArrays of an unknown column", () => insert(items).values({ name: "a" }).returningArrays("nme"), /no column "nme"/],
  ] as const)("%s is an ArgumentError", (_n, fn, message) => {
    expect(fn).toThrow(ArgumentError);
    expect(fn).toThrow(message);
  });
});

describe("update and delete", () => {
  it("update with where and returning", () => {
    expect(sqlOf(update(items).set({ qty: 5, name: "z" }).where(id.eq(1)).returning("id", qty))).toEqual({
      sql: "UPDATE items SET qty=$1, name=$2 WHERE items.id = $3 RETURNING items.id, items.qty",
      params: [5, "z", 1],
    });
  });

  it("update set to an expression; where() twice ANDs", () => {
    expect(sqlOf(update(items).set({ qty: qty.add(1) }).where(id.gt(1)).where(name.ne("x")))).toEqual({
      sql: "UPDATE items SET qty=(items.qty + $1) WHERE items.id > $2 AND items.name <> $3",
      params: [1, 1, "x"],
    });
  });

  it("delete with where and returning; without where it is every row", () => {
    expect(sqlOf(delete_(items).where(id.in([1, 2])).returning("name"))).toEqual({
      sql: "DELETE FROM items WHERE items.id IN ($1, $2) RETURNING items.name",
      params: [1, 2],
    });
    expect(sqlOf(delete_(items))).toEqual({ sql: "DELETE FROM items", params: [] });
  });

  it("a WHERE or SET naming another table adds UPDATE ... FROM (each table once)", () => {
    expect(sqlOf(update(items).set({ qty: qty.add(extra) }).where(name.eq(restockName)).where(extra.gt(0)).returning(id, extra))).toEqual({
      sql: "UPDATE items SET qty=(items.qty + restock.extra) FROM restock WHERE items.name = restock.item_name AND restock.extra > $1 RETURNING items.id, restock.extra",
      params: [0],
    });
  });

  it("a WHERE naming another table adds DELETE ... USING; an alias is rendered as one", () => {
    expect(sqlOf(delete_(items).where(name.eq(restockName)))).toEqual({
      sql: "DELETE FROM items USING restock WHERE items.name = restock.item_name",
      params: [],
    });
    const r = restock.alias("r");
    expect(sqlOf(delete_(items).where(name.eq(r.column("item_name") as ColumnExpression<string>)))).toEqual({
      sql: "DELETE FROM items USING restock AS r WHERE items.name = r.item_name",
      params: [],
    });
  });

  it.each([
    ["update set undefined", () => update(items).set({ qty: undefined }), /update items: column "qty" is undefined; use null for NULL or leave it out/],
    ["update set nothing", () => update(items).set({}), /set\(\) needs at least one column/],
    ["update unknown column", () => update(items).set({ nope: 1 }), /update items: no column "nope"/],
    ["update where undefined", () => update(items).set({ qty: 1 }).where(undefined as never), /and\(\) argument 1 is undefined/],
    ["delete where eq(undefined)", () => delete_(items).where(id.eq(undefined as unknown as number)), /items\.id\.eq\(\) got undefined/],
    ["delete where undefined", () => delete_(items).where(undefined as never), /and\(\) argument 1 is undefined/],
  ] as const)("%s is an ArgumentError", (_n, fn, message) => {
    expect(fn).toThrow(ArgumentError);
    expect(fn).toThrow(message);
  });
});

describe.each(backends)("dml executed ($name)", (backend) => {
  let engine: Engine;
  const md = new MetaData();
  md.add(items);
  md.add(restock);
  const exec = async (stmt: { node: Parameters<typeof compile>[0] }): Promise<unknown[][]> => {
    const { sql, params } = sqlOf(stmt);
    return (await engine.execute({ sql, params })).rows;
  };
  const all = async (): Promise<unknown[][]> => {
    const t = compile(selectColumns(id, name, qty, items.column("meta")).orderBy(id).toSelectNode());
    return (await engine.execute({ sql: t.sql, params: bindParams(t) })).rows;
  };

  beforeAll(async () => {
    engine = createEngine(await backend.freshUrl());
    await engine.execute({ sql: "SELECT 1", params: [] });
  }, 120_000);
  beforeEach(async () => {
    await md.dropAll(engine);
    await md.createAll(engine);
  }, 120_000);
  afterAll(async () => {
    await engine.dispose();
  });

  it("insert single and multi-row with RETURNING, defaults applied", async () => {
    expect(await exec(insert(items).values({ name: "a", qty: 2 }).returning("id", "name"))).toEqual([[1, "a"]]);
    expect(await exec(insert(items).values([{ name: "b", meta: { tags: ["x"] } }, { name: "c", qty: 7 }]).returning(id, qty))).toEqual([[2, 0], [3, 7]]);
    expect(await all()).toEqual([[1, "a", 2, null], [2, "b", 0, { tags: ["x"] }], [3, "c", 7, null]]);
  });

  it("fromArrays inserts every row in one statement", async () => {
    const rows = await exec(insert(items).fromArrays(["name", "qty", "meta"], [["a", "b", "c"], [1, 2, 3], [{ n: 1 }, null, [1, 2]]]).returning("id"));
    expect(rows).toEqual([[1], [2], [3]]);
    expect(await all()).toEqual([[1, "a", 1, { n: 1 }], [2, "b", 2, null], [3, "c", 3, [1, 2]]]);
  });

  it("returningArrays gives one row whose arrays follow the insert order", async () => {
    const names = Array.from({ length: 500 }, (_, i) => `n${(i * 7919) % 500}`);
    const qtys = names.map((_, i) => (i * 31) % 97);
    const rows = await exec(insert(items).fromArrays(["name", "qty"], [names, qtys]).returningArrays("id", "name", qty));
    expect(rows).toEqual([[names.map((_, i) => i + 1), names, qtys]]);
    expect((await all()).map((r) => [r[0], r[1], r[2]])).toEqual(names.map((n, i) => [i + 1, n, qtys[i]]));
  });

  it("returningArrays over zero rows gives one row of NULLs", async () => {
    expect(await exec(insert(items).fromArrays(["name"], [[]]).returningArrays("id"))).toEqual([[null]]);
  });

  it("fromArrays with zero rows inserts nothing", async () => {
    expect(await exec(insert(items).fromArrays(["name", "qty"], [[], []]).returning("id"))).toEqual([]);
    expect(await all()).toEqual([]);
  });

  it("a quote in a value is data, not SQL", async () => {
    await exec(insert(items).values({ name: "O'Reilly'); DROP TABLE items; --" }));
    expect(await all()).toEqual([[1, "O'Reilly'); DROP TABLE items; --", 0, null]]);
  });

  it("update with where and returning changes only the matching rows", async () => {
    await exec(insert(items).values([{ name: "a" }, { name: "b" }, { name: "c" }]));
    expect(await exec(update(items).set({ qty: qty.add(10) }).where(id.ge(2)).returning("id", "qty"))).toEqual([[2, 10], [3, 10]]);
    expect(await exec(update(items).set({ meta: { v: true } }).where(name.eq("a")).returning("meta"))).toEqual([[{ v: true }]]);
    expect(await all()).toEqual([[1, "a", 0, { v: true }], [2, "b", 10, null], [3, "c", 10, null]]);
  });

  it("UPDATE ... FROM and DELETE ... USING change only the rows the other table matches", async () => {
    await exec(insert(items).values([{ name: "a" }, { name: "b" }, { name: "c" }]));
    await exec(insert(restock).values([{ item_name: "a", extra: 5 }, { item_name: "c", extra: 7 }]));
    expect(await exec(update(items).set({ qty: qty.add(extra) }).where(name.eq(restockName)).returning("id", "qty"))).toEqual([[1, 5], [3, 7]]);
    expect(await exec(delete_(items).where(name.eq(restockName)).where(extra.gt(6)).returning("name"))).toEqual([["c"]]);
    expect(await all()).toEqual([[1, "a", 5, null], [2, "b", 0, null]]);
  });

  it("delete with where removes only the matching rows", async () => {
    await exec(insert(items).values([{ name: "a" }, { name: "b" }, { name: "c" }]));
    expect(await exec(delete_(items).where(id.eqAny([1, 3])).returning("name"))).toEqual([["a"], ["c"]]);
    expect(await all()).toEqual([[2, "b", 0, null]]);
    const result = await engine.execute(sqlOf(delete_(items)));
    expect(result.rowCount).toBe(1);
    expect(await all()).toEqual([]);
  });
});
