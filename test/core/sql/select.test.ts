/** The Core SELECT builder compiled to PostgreSQL: FROM inference, aliases, subqueries, joins, clauses. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  and, ArgumentError, bindParams, type ColumnExpression, columnSpec, compile, createEngine, type Engine, exists, func,
  insert, MetaData, type Select, selectColumns, Table, types,
} from "../../../src/index.js";
import { backends } from "../../support/backends.js";

const users = new Table("users", [
  columnSpec("id", types.integer, { primaryKey: true }),
  columnSpec("name", types.text),
]);
const orders = new Table("orders", [
  columnSpec("id", types.integer, { primaryKey: true }),
  columnSpec("user_id", types.integer, { foreignKey: { target: "users.id", onDelete: undefined } }),
  columnSpec("total", types.double),
]);
type Col<T> = ColumnExpression<T>;
const u = { id: users.column("id") as Col<number>, name: users.column("name") as Col<string> };
const o = {
  id: orders.column("id") as Col<number>,
  userId: orders.column("user_id") as Col<number>,
  total: orders.column("total") as Col<number>,
};

function sqlOf(stmt: Select<unknown[]>): { sql: string; params: unknown[] } {
  const t = compile(stmt.toSelectNode());
  return { sql: t.sql, params: bindParams(t) };
}

describe("FROM inference", () => {
  it("adds the tables the columns come from", () => {
    expect(sqlOf(selectColumns(u.id, u.name))).toEqual({ sql: "SELECT users.id, users.name FROM users", params: [] });
  });

  it("adds tables referenced only in WHERE", () => {
    expect(sqlOf(selectColumns(u.id).where(o.userId.eq(u.id)))).toEqual({
      sql: "SELECT users.id FROM users, orders WHERE orders.user_id = users.id",
      params: [],
    });
  });

  it("a SELECT with no columns is a CompileError", () => {
    expect(() => compile(selectColumns().toSelectNode())).toThrow(/SELECT has no columns/);
  });

  it("select() rejects something that is not an expression", () => {
    expect(() => selectColumns(undefined as unknown as Col<number>)).toThrow(ArgumentError);
    expect(() => selectColumns(undefined as unknown as Col<number>)).toThrow("select() argument 1 is undefined");
  });
});

describe("aliases", () => {
  it("an anonymous table alias is numbered per statement", () => {
    const a = users.alias();
    const c = a.column("id") as Col<number>;
    expect(sqlOf(selectColumns(c, u.id).where(c.eq(u.id)))).toEqual({
      sql: "SELECT users_1.id, users.id FROM users AS users_1, users WHERE users_1.id = users.id",
      params: [],
    });
    // Another statement with another alias starts at 1 again.
    const b = users.alias();
    expect(sqlOf(selectColumns(b.column("id")))).toEqual({ sql: "SELECT users_1.id FROM users AS users_1", params: [] });
  });

  it("two anonymous aliases of the same table get _1 and _2", () => {
    const a = users.alias();
    const b = users.alias();
    const s = selectColumns(a.column("id"), b.column("id")).where((a.column("id") as Col<number>).lt(b.column("id") as Col<number>));
    expect(sqlOf(s)).toEqual({
      sql: "SELECT users_1.id, users_2.id FROM users AS users_1, users AS users_2 WHERE users_1.id < users_2.id",
      params: [],
    });
  });

  it("a named alias keeps its name", () => {
    expect(sqlOf(selectColumns(users.alias("u2").column("name")))).toEqual({ sql: "SELECT u2.name FROM users AS u2", params: [] });
  });
});

describe("subqueries", () => {
  it(".subquery() in FROM is (SELECT ...) AS anon_1, columns addressable by name", () => {
    const sq = selectColumns(o.userId, func.count().label("n")).groupBy(o.userId).subquery();
    expect(sqlOf(selectColumns(sq.c["user_id"]!, sq.c["n"]!).where((sq.c["n"] as Col<number>).gt(1)))).toEqual({
      sql: "SELECT anon_1.user_id, anon_1.n FROM (SELECT orders.user_id, CAST(count(*) AS integer) AS n FROM orders " +
        "GROUP BY orders.user_id) AS anon_1 WHERE anon_1.n > $1",
      params: [1],
    });
  });

  it("a derived table gives repeated column names distinct labels", () => {
    const sq = selectColumns(u.id, o.id).where(o.userId.eq(u.id)).subquery("pairs");
    expect(Object.keys(sq.c)).toEqual(["id", "id_1"]);
    expect(sqlOf(selectColumns(sq.c["id"]!, sq.c["id_1"]!))).toEqual({
      sql: "SELECT pairs.id, pairs.id_1 FROM (SELECT users.id, orders.id AS id_1 FROM users, orders " +
        "WHERE orders.user_id = users.id) AS pairs",
      params: [],
    });
  });

  it("two anonymous subqueries are anon_1 and anon_2; params keep statement order", () => {
    const s1 = selectColumns(u.id).where(u.name.eq("a")).subquery();
    const s2 = selectColumns(o.userId).where(o.total.gt(5)).subquery();
    const s = selectColumns(s1.c["id"]!).where((s1.c["id"] as Col<number>).eq(s2.c["user_id"] as Col<number>));
    expect(sqlOf(s)).toEqual({
      sql: "SELECT anon_1.id FROM (SELECT users.id FROM users WHERE users.name = $1) AS anon_1, " +
        "(SELECT orders.user_id FROM orders WHERE orders.total > $2) AS anon_2 WHERE anon_1.id = anon_2.user_id",
      params: ["a", 5],
    });
  });

  it("a correlated scalar subquery does not repeat the outer table in its FROM", () => {
    const total = selectColumns(func.sum(o.total)).where(o.userId.eq(u.id)).scalarSubquery<number>();
    expect(sqlOf(selectColumns(u.id, total.label("spent")))).toEqual({
      sql: "SELECT users.id, (SELECT sum(orders.total) AS anon FROM orders WHERE orders.user_id = users.id) AS spent FROM users",
      params: [],
    });
  });

  it("correlation works against an alias too", () => {
    const a = users.alias();
    const aid = a.column("id") as Col<number>;
    expect(sqlOf(selectColumns(aid).where(exists(selectColumns(o.id).where(o.userId.eq(aid)))))).toEqual({
      sql: "SELECT users_1.id FROM users AS users_1 WHERE EXISTS (SELECT orders.id FROM orders WHERE orders.user_id = users_1.id)",
      params: [],
    });
  });

  it("exists() correlates and keeps param order with the outer query", () => {
    const s = selectColumns(u.id).where(u.name.ne("x"), exists(selectColumns(o.id).where(o.userId.eq(u.id), o.total.gt(10))));
    expect(sqlOf(s)).toEqual({
      sql: "SELECT users.id FROM users WHERE users.name <> $1 AND EXISTS (SELECT orders.id FROM orders " +
        "WHERE orders.user_id = users.id AND orders.total > $2)",
      params: ["x", 10],
    });
  });

  it("a derived table never correlates to the query around it (it is not LATERAL)", () => {
    const sq = selectColumns(u.id).where(u.name.ne("x")).subquery("ids");
    const s = selectColumns(sq.c["id"]!, u.name).selectFrom(sq).join(users, (sq.c["id"] as Col<number>).eq(u.id));
    expect(sqlOf(s)).toEqual({
      sql: "SELECT ids.id, users.name FROM (SELECT users.id FROM users WHERE users.name <> $1) AS ids JOIN users ON ids.id = users.id",
      params: ["x"],
    });
  });

  it("a select as a comparison operand is a scalar subquery", () => {
    expect(sqlOf(selectColumns(u.id).where(u.id.eq(selectColumns(func.max<number>(o.userId)) as never)))).toEqual({
      sql: "SELECT users.id FROM users WHERE users.id = (SELECT max(orders.user_id) AS anon FROM orders)",
      params: [],
    });
  });
});

describe("joins", () => {
  it("join() is JOIN ... ON, starting from the first column's table", () => {
    expect(sqlOf(selectColumns(u.name, o.total).join(orders, o.userId.eq(u.id)))).toEqual({
      sql: "SELECT users.name, orders.total FROM users JOIN orders ON orders.user_id = users.id",
      params: [],
    });
  });

  it("outerjoin() is LEFT OUTER JOIN; joins chain to the right", () => {
    const a = users.alias("referrer");
    const s = selectColumns(u.id).selectFrom(users).join(orders, o.userId.eq(u.id)).outerjoin(a, (a.column("id") as Col<number>).eq(o.userId));
    expect(sqlOf(s)).toEqual({
      sql: "SELECT users.id FROM users JOIN orders ON orders.user_id = users.id LEFT OUTER JOIN users AS referrer ON referrer.id = orders.user_id",
      params: [],
    });
  });

  it("a join ON with a value binds it", () => {
    expect(sqlOf(selectColumns(u.id).join(orders, and(o.userId.eq(u.id), o.total.gt(3))))).toEqual({
      sql: "SELECT users.id FROM users JOIN orders ON orders.user_id = users.id AND orders.total > $1",
      params: [3],
    });
  });

  it("join() starts from the first table an expression column reads when no plain column is selected", () => {
    expect(sqlOf(selectColumns(func.count(o.id), func.lower(u.name)).join(users, o.userId.eq(u.id)))).toEqual({
      sql: "SELECT CAST(count(orders.id) AS integer), lower(users.name) FROM orders JOIN users ON orders.user_id = users.id",
      params: [],
    });
  });

  it("join() with no FROM to start from is an ArgumentError", () => {
    expect(() => selectColumns(func.now()).join(orders, o.id.eq(1))).toThrow(/no FROM to join to; call selectFrom\(\) first/);
  });
});

describe("clauses", () => {
  it("group by, having, order by asc/desc/nulls, limit and offset as params", () => {
    const n = func.count(o.id);
    const s = selectColumns(u.name, n.label("n"))
      .join(orders, o.userId.eq(u.id))
      .groupBy(u.name)
      .having(n.ge(2))
      .orderBy(u.name.asc(), n.desc().nullsLast(), u.id)
      .limit(10)
      .offset(20);
    expect(sqlOf(s)).toEqual({
      sql: "SELECT users.name, CAST(count(orders.id) AS integer) AS n FROM users JOIN orders ON orders.user_id = users.id " +
        "GROUP BY users.name HAVING CAST(count(orders.id) AS integer) >= $1 " +
        "ORDER BY users.name ASC, CAST(count(orders.id) AS integer) DESC NULLS LAST, users.id LIMIT $2 OFFSET $3",
      params: [2, 10, 20],
    });
  });

  it("a label is `expr AS name` only in the select list; in WHERE, GROUP BY, HAVING, ORDER BY it is its expression", () => {
    const n = func.count(o.id).label("n");
    const lower = func.lower<string>(u.name).label("lname");
    const s = selectColumns(lower, n).selectFrom(users).join(orders, o.userId.eq(u.id)).where(lower.ne("x")).groupBy(lower).having(n.gt(1)).orderBy(n.desc(), lower);
    expect(sqlOf(s)).toEqual({
      sql: "SELECT lower(users.name) AS lname, CAST(count(orders.id) AS integer) AS n FROM users JOIN orders ON orders.user_id = users.id " +
        "WHERE lower(users.name) <> $1 GROUP BY lower(users.name) HAVING CAST(count(orders.id) AS integer) > $2 " +
        "ORDER BY CAST(count(orders.id) AS integer) DESC, lower(users.name)",
      params: ["x", 1],
    });
  });

  it("a labeled comparison used as an operand keeps its parentheses", () => {
    const flag = u.id.eq(1).label("flag");
    expect(sqlOf(selectColumns(flag).where(flag.eq(true)))).toEqual({
      sql: "SELECT users.id = $1 AS flag FROM users WHERE (users.id = $2) = $3",
      params: [1, 1, true],
    });
  });

  it("two columns labeled alike in a derived table get distinct names", () => {
    const sq = selectColumns(func.count(o.id).label("n"), func.max<number>(o.total).label("n")).subquery();
    expect(Object.keys(sq.c)).toEqual(["n", "n_1"]);
    expect(sqlOf(selectColumns(sq.c["n"]!, sq.c["n_1"]!))).toEqual({
      sql: "SELECT anon_1.n, anon_1.n_1 FROM (SELECT CAST(count(orders.id) AS integer) AS n, max(orders.total) AS n_1 FROM orders) AS anon_1",
      params: [],
    });
  });

  it("distinct, nullsFirst, for update", () => {
    expect(sqlOf(selectColumns(u.name).distinct().orderBy(u.name.desc().nullsFirst()).forUpdate())).toEqual({
      sql: "SELECT DISTINCT users.name FROM users ORDER BY users.name DESC NULLS FIRST FOR UPDATE",
      params: [],
    });
  });

  it("limit(null) removes the limit; limit(0) is a real limit", () => {
    expect(sqlOf(selectColumns(u.id).limit(5).limit(null))).toEqual({ sql: "SELECT users.id FROM users", params: [] });
    expect(sqlOf(selectColumns(u.id).limit(0))).toEqual({ sql: "SELECT users.id FROM users LIMIT $1", params: [0] });
  });

  it.each([
    ["limit(-1)", () => selectColumns(u.id).limit(-1), /limit\(\) expects a non-negative integer, got number -1/],
    ["limit(1.5)", () => selectColumns(u.id).limit(1.5), /limit\(\) expects a non-negative integer/],
    ["limit(undefined)", () => selectColumns(u.id).limit(undefined as unknown as number), /limit\(\) expects a non-negative integer, got undefined/],
    ["offset(-2)", () => selectColumns(u.id).offset(-2), /offset\(\) expects a non-negative integer, got number -2/],
    ["where(undefined)", () => selectColumns(u.id).where(undefined as never), /and\(\) argument 1 is undefined/],
    ["having(undefined)", () => selectColumns(u.id).having(undefined as never), /and\(\) argument 1 is undefined/],
    ["orderBy(undefined)", () => selectColumns(u.id).orderBy(undefined as never), /orderBy\(\) expects a column or expression, got undefined/],
  ] as const)("%s throws ArgumentError", (_n, fn, message) => {
    expect(fn).toThrow(ArgumentError);
    expect(fn).toThrow(message);
  });

  it("builders are immutable: extending a statement leaves the original alone", () => {
    const base = selectColumns(u.id);
    const filtered = base.where(u.id.eq(1)).orderBy(u.id).limit(1);
    expect(sqlOf(base).sql).toBe("SELECT users.id FROM users");
    expect(sqlOf(filtered).sql).toBe("SELECT users.id FROM users WHERE users.id = $1 ORDER BY users.id LIMIT $2");
  });
});

describe("identifier quoting", () => {
  const user = new Table("user", [
    columnSpec("id", types.integer, { primaryKey: true }),
    columnSpec("order", types.integer),
    columnSpec("userName", types.text),
    columnSpec("select", types.text),
    columnSpec("has space", types.text),
    columnSpec('we"ird', types.text),
  ]);

  it("quotes reserved words, mixed case and odd characters; leaves plain names bare", () => {
    expect(sqlOf(selectColumns(...user.columns.map((c) => user.column(c.name))).where((user.column("userName") as Col<string>).eq("x")))).toEqual({
      sql: 'SELECT "user".id, "user"."order", "user"."userName", "user"."select", "user"."has space", "user"."we""ird" ' +
        'FROM "user" WHERE "user"."userName" = $1',
      params: ["x"],
    });
  });

  it("quotes alias and label names too", () => {
    const a = user.alias("Order");
    expect(sqlOf(selectColumns(a.column("id").label("Group")))).toEqual({
      sql: 'SELECT "Order".id AS "Group" FROM "user" AS "Order"',
      params: [],
    });
  });
});

describe.each(backends)("select executed ($name)", (backend) => {
  let engine: Engine;
  const run = async (stmt: Select<unknown[]>): Promise<unknown[][]> => {
    const t = compile(stmt.toSelectNode());
    return (await engine.execute({ sql: t.sql, params: bindParams(t) })).rows;
  };

  beforeAll(async () => {
    engine = createEngine(await backend.freshUrl());
    const md = new MetaData();
    md.add(users);
    md.add(orders);
    await md.createAll(engine);
    for (const stmt of [
      insert(users).values([{ id: 1, name: "ann" }, { id: 2, name: "bob" }, { id: 3, name: "cy" }]),
      insert(orders).values([
        { id: 10, user_id: 1, total: 5 }, { id: 11, user_id: 1, total: 7.5 }, { id: 12, user_id: 2, total: 1 },
      ]),
    ]) {
      const t = compile(stmt.node);
      await engine.execute({ sql: t.sql, params: bindParams(t) });
    }
  }, 120_000);
  afterAll(async () => {
    await engine.dispose();
  });

  it("join, group by, having, order by", async () => {
    const n = func.count(o.id);
    const rows = await run(selectColumns(u.name, n).join(orders, o.userId.eq(u.id)).groupBy(u.name).having(n.ge(1)).orderBy(n.desc(), u.name));
    expect(rows).toEqual([["ann", 2], ["bob", 1]]);
  });

  it("labels in GROUP BY / HAVING / ORDER BY run", async () => {
    const n = func.count(o.id).label("n");
    const lower = func.upper<string>(u.name).label("uname");
    const rows = await run(selectColumns(lower, n).selectFrom(users).join(orders, o.userId.eq(u.id)).groupBy(lower).having(n.ge(1)).orderBy(n.desc(), lower));
    expect(rows).toEqual([["ANN", 2], ["BOB", 1]]);
  });

  it("outer join keeps users without orders", async () => {
    const rows = await run(selectColumns(u.name, o.id).outerjoin(orders, o.userId.eq(u.id)).orderBy(u.id, o.id.asc().nullsLast()));
    expect(rows).toEqual([["ann", 10], ["ann", 11], ["bob", 12], ["cy", null]]);
  });

  it("correlated scalar subquery and exists", async () => {
    const spent = selectColumns(func.sum(o.total)).where(o.userId.eq(u.id)).scalarSubquery<number>();
    expect(await run(selectColumns(u.name, spent).orderBy(u.id))).toEqual([["ann", 12.5], ["bob", 1], ["cy", null]]);
    expect(await run(selectColumns(u.name).where(exists(selectColumns(o.id).where(o.userId.eq(u.id), o.total.gt(2)))))).toEqual([["ann"]]);
  });

  it("IN over a multi-row subquery", async () => {
    const ids = selectColumns(o.userId).where(o.total.lt(100)).scalarSubquery<number[]>();
    expect(await run(selectColumns(u.name).where(u.id.in(ids)).orderBy(u.name))).toEqual([["ann"], ["bob"]]);
  });

  it("every reserved keyword works as a table and column name", async () => {
    const words = (await engine.execute({
      sql: "SELECT word FROM pg_get_keywords() WHERE catcode IN ('R', 'T') ORDER BY word",
      params: [],
    })).rows.map(([w]) => w as string);
    expect(words).toEqual(expect.arrayContaining(["user", "order", "select", "collation", "left"]));
    const kw = new Table("select", [columnSpec("id", types.integer, { primaryKey: true }), ...words.map((w) => columnSpec(w, types.text))]);
    const md = new MetaData();
    md.add(kw);
    await md.createAll(engine);
    const ins = compile(insert(kw).values({ id: 1, ...Object.fromEntries(words.map((w) => [w, w.toUpperCase()])) }).node);
    await engine.execute({ sql: ins.sql, params: bindParams(ins) });
    const a = kw.alias("order");
    const rows = await run(selectColumns(...words.map((w) => a.column(w))).where((a.column("user") as Col<string>).eq("USER")));
    expect(rows).toEqual([words.map((w) => w.toUpperCase())]);
    await md.dropAll(engine);
  });

  it("derived table, eqAny, limit/offset", async () => {
    const sq = selectColumns(o.userId, func.count().label("n")).groupBy(o.userId).subquery();
    expect(await run(selectColumns(sq.c["user_id"]!, sq.c["n"]!).orderBy(sq.c["user_id"]!))).toEqual([[1, 2], [2, 1]]);
    expect(await run(selectColumns(u.id).where(u.id.eqAny([1, 3])).orderBy(u.id).limit(1).offset(1))).toEqual([[3]]);
    expect(await run(selectColumns(u.id).where(u.id.in([])))).toEqual([]);
    expect(await run(selectColumns(u.id).where(u.id.notIn([])).orderBy(u.id))).toEqual([[1], [2], [3]]);
  });
});
