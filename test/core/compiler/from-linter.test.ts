/** The FROM linter: warns about cartesian products at compile time, once per statement. */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  and, type ColumnExpression, columnSpec, compile, exists, func, or, selectColumns, setWarningSink, Table, types,
} from "../../../src/index.js";

const users = new Table("users", [columnSpec("id", types.integer, { primaryKey: true }), columnSpec("name", types.text)]);
const orders = new Table("orders", [columnSpec("id", types.integer, { primaryKey: true }), columnSpec("user_id", types.integer)]);
const items = new Table("items", [columnSpec("id", types.integer, { primaryKey: true }), columnSpec("order_id", types.integer)]);
type Col = ColumnExpression<number>;
const uid = users.column("id") as Col;
const oid = orders.column("id") as Col;
const ouser = orders.column("user_id") as Col;
const iid = items.column("id") as Col;
const iorder = items.column("order_id") as Col;

let warnings: { message: string; code: string }[] = [];
let previous: ReturnType<typeof setWarningSink>;
beforeEach(() => {
  warnings = [];
  previous = setWarningSink((message, code) => warnings.push({ message, code }));
});
afterEach(() => {
  setWarningSink(previous);
});

describe("FROM linter", () => {
  it("warns about two unrelated FROM items, naming both", () => {
    const t = compile(selectColumns(uid, oid).toSelectNode());
    expect(t.sql).toBe("SELECT users.id, orders.id FROM users, orders");
    expect(warnings).toEqual([{
      code: "cartesian-product",
      message:
        'SELECT statement has a cartesian product between FROM element(s) "orders" and FROM element "users". ' +
        "Apply join condition(s) between each element to resolve: use join()/outerjoin() with an ON clause " +
        "(or a relationship), or add the condition to where().",
    }]);
  });

  it("compiling the same statement again does not warn again", () => {
    const stmt = selectColumns(uid, oid).where(uid.eq(1));
    compile(stmt.toSelectNode());
    compile(stmt.toSelectNode());
    compile(stmt.toSelectNode());
    expect(warnings).toHaveLength(1);
  });

  it("no warning when a WHERE condition connects them", () => {
    compile(selectColumns(uid, oid).where(ouser.eq(uid)).toSelectNode());
    compile(selectColumns(uid, oid).where(uid.eq(2), or(ouser.eq(uid), ouser.isNull())).toSelectNode());
    expect(warnings).toEqual([]);
  });

  it("no warning for join / outerjoin", () => {
    compile(selectColumns(uid, oid).join(orders, ouser.eq(uid)).toSelectNode());
    compile(selectColumns(uid, oid, iid).outerjoin(orders, ouser.eq(uid)).outerjoin(items, iorder.eq(oid)).toSelectNode());
    expect(warnings).toEqual([]);
  });

  it("separate filters on each table do not connect them", () => {
    compile(selectColumns(uid, oid).where(uid.eq(1), oid.eq(2)).toSelectNode());
    compile(selectColumns(uid, oid).where(and(uid.gt(1), oid.lt(5))).toSelectNode());
    expect(warnings.map((w) => w.code)).toEqual(["cartesian-product", "cartesian-product"]);
  });

  it("a third, unconnected table is reported", () => {
    compile(selectColumns(uid, oid, iid).where(ouser.eq(uid)).toSelectNode());
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.message).toMatch(/^SELECT statement has a cartesian product between FROM element\(s\) "items" and FROM element "users"\./);
  });

  it("a chain of conditions connects all three", () => {
    compile(selectColumns(uid, oid, iid).where(ouser.eq(uid), iorder.eq(oid)).toSelectNode());
    expect(warnings).toEqual([]);
  });

  it("an unconnected derived table is reported as an anonymous subquery", () => {
    const sq = selectColumns(ouser, func.count().label("n")).groupBy(ouser).subquery();
    compile(selectColumns(uid, sq.c["n"]!).toSelectNode());
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.message).toContain('"anonymous subquery"');
    warnings = [];
    compile(selectColumns(uid, sq.c["n"]!).where((sq.c["user_id"] as Col).eq(uid)).toSelectNode());
    expect(warnings).toEqual([]);
  });

  it("two aliases of one table are two FROM items", () => {
    const a = users.alias("a");
    const b = users.alias();
    compile(selectColumns(a.column("id"), b.column("id")).toSelectNode());
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.message).toContain('FROM element(s) "users (alias)" and FROM element "a"');
  });

  it("a correlated subquery is not a cartesian product; an unconnected one inside is", () => {
    compile(selectColumns(uid).where(exists(selectColumns(oid).where(ouser.eq(uid)))).toSelectNode());
    expect(warnings).toEqual([]);
    compile(selectColumns(uid).where(exists(selectColumns(oid, iid).where(ouser.eq(uid)))).toSelectNode());
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.message).toContain('"items" and FROM element "orders"');
  });

  it("a single table never warns", () => {
    compile(selectColumns(uid, users.column("name")).where(uid.eq(1)).toSelectNode());
    expect(warnings).toEqual([]);
  });
});
