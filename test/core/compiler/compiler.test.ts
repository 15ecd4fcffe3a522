/** The compiler's contract: a cached template per statement, `$n` params in order, named binds filled per execution. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ArgumentError, bindparam, CompileError, bindParams, type ColumnExpression, columnSpec, compile, createEngine, delete_, type Engine,
  func, insert, literal, MetaData, or, selectColumns, Table, types, update,
} from "../../../src/index.js";
import { backends } from "../../support/backends.js";

const docs = new Table("docs", [
  columnSpec("id", types.integer, { primaryKey: true }),
  columnSpec("title", types.text),
  columnSpec("body", types.jsonb(), { nullable: true }),
]);
const id = docs.column("id") as ColumnExpression<number>;
const title = docs.column("title") as ColumnExpression<string>;
const body = docs.column("body") as ColumnExpression<unknown>;

describe("compile cache", () => {
  it("compiling the same select statement twice returns the identical template", () => {
    const stmt = selectColumns(id, title).where(id.eq(1));
    const first = compile(stmt.toSelectNode());
    expect(compile(stmt.toSelectNode())).toBe(first);
    expect(first.sql).toBe("SELECT docs.id, docs.title FROM docs WHERE docs.id = $1");
    expect(Object.isFrozen(first)).toBe(true);
  });

  it("a derived statement is a different statement with its own template", () => {
    const stmt = selectColumns(id).where(id.eq(1));
    const limited = stmt.limit(1);
    expect(compile(limited.toSelectNode())).not.toBe(compile(stmt.toSelectNode()));
    expect(compile(limited.toSelectNode()).sql).toBe("SELECT docs.id FROM docs WHERE docs.id = $1 LIMIT $2");
  });

  it("insert, update and delete statements are cached by their node", () => {
    const ins = insert(docs).values({ id: 1, title: "t" });
    const upd = update(docs).set({ title: "u" }).where(id.eq(1));
    const del = delete_(docs).where(id.eq(1));
    for (const stmt of [ins, upd, del]) expect(compile(stmt.node)).toBe(compile(stmt.node));
  });

  it("the cached template's binds still give each statement's own values", () => {
    const a = selectColumns(id).where(id.eq(1));
    const b = selectColumns(id).where(id.eq(2));
    expect(compile(a.toSelectNode()).sql).toBe(compile(b.toSelectNode()).sql);
    expect(bindParams(compile(a.toSelectNode()))).toEqual([1]);
    expect(bindParams(compile(b.toSelectNode()))).toEqual([2]);
  });
});

describe("parameters", () => {
  it("are numbered in the order they appear in the text, across clauses and subqueries", () => {
    const sub = selectColumns(func.max<number>(id)).selectFrom(docs).where(title.ne("s")).scalarSubquery<number>();
    const stmt = selectColumns(id, literal(5).label("five"))
      .where(or(id.lt(sub), title.eq("w")))
      .orderBy(id)
      .limit(3)
      .offset(4);
    const t = compile(stmt.toSelectNode());
    expect(t.sql).toBe(
      "SELECT docs.id, $1 AS five FROM docs WHERE docs.id < (SELECT max(docs.id) AS anon FROM docs WHERE docs.title <> $2) " +
        "OR docs.title = $3 ORDER BY docs.id LIMIT $4 OFFSET $5",
    );
    expect(bindParams(t)).toEqual([5, "s", "w", 3, 4]);
  });

  it("the same value used twice is two parameters", () => {
    const p = id.eq(7);
    const t = compile(selectColumns(id).where(or(p, p)).toSelectNode());
    expect(t.sql).toBe("SELECT docs.id FROM docs WHERE docs.id = $1 OR docs.id = $2");
    expect(bindParams(t)).toEqual([7, 7]);
  });

  it("JSON values are encoded by the column's type when bound", () => {
    const t = compile(update(docs).set({ body: { a: [1, 2] } }).where(id.eq(1)).node);
    expect(t.sql).toBe("UPDATE docs SET body=$1 WHERE docs.id = $2");
    expect(bindParams(t)).toEqual(['{"a":[1,2]}', 1]);
  });
});

describe("correlation", () => {
  it("a subquery whose only table is correlated away is a CompileError, not a silent read of the outer row", () => {
    const sub = selectColumns(func.max<number>(id)).where(title.ne("s")).scalarSubquery<number>();
    expect(() => compile(selectColumns(id).where(id.lt(sub)).toSelectNode())).toThrow(CompileError);
    expect(() => compile(selectColumns(id).where(id.lt(sub)).toSelectNode())).toThrow(/no FROM clause left after correlation.*table\.alias\(\)/);
  });

  it("an alias of the same table inside is not correlated", () => {
    const inner = docs.alias();
    const sub = selectColumns(func.max<number>(inner.column("id"))).scalarSubquery<number>();
    const t = compile(selectColumns(id).where(id.eq(sub)).toSelectNode());
    expect(t.sql).toBe("SELECT docs.id FROM docs WHERE docs.id = (SELECT max(docs_1.id) AS anon FROM docs AS docs_1)");
  });
});

describe("named bind parameters", () => {
  const stmt = selectColumns(id).where(title.eq(bindparam<string>("t")), id.gt(bindparam<number>("min")));
  const template = compile(stmt.toSelectNode());

  it("render as $n and take their values from bindParams(template, values)", () => {
    expect(template.sql).toBe("SELECT docs.id FROM docs WHERE docs.title = $1 AND docs.id > $2");
    expect(bindParams(template, { t: "a", min: 1 })).toEqual(["a", 1]);
    expect(bindParams(template, { t: "b", min: 2, unused: 3 })).toEqual(["b", 2]);
  });

  it("null is a value", () => {
    expect(bindParams(template, { t: null, min: 0 })).toEqual([null, 0]);
  });

  it("a missing value throws ArgumentError naming the parameter", () => {
    expect(() => bindParams(template, { t: "a" })).toThrow(ArgumentError);
    expect(() => bindParams(template, { t: "a" })).toThrow('No value for bind parameter "min"');
    expect(() => bindParams(template)).toThrow('No value for bind parameter "t"');
  });

  it("an undefined value throws ArgumentError", () => {
    expect(() => bindParams(template, { t: undefined, min: 1 })).toThrow(ArgumentError);
    expect(() => bindParams(template, { t: undefined, min: 1 })).toThrow('Bind parameter "t" is undefined; use null for NULL.');
  });

  it("a typed bindparam applies the type's encoding", () => {
    const t = compile(insert(docs).values({ id: bindparam("id"), title: "x", body: bindparam("doc", types.jsonb()) }).node);
    expect(t.sql).toBe("INSERT INTO docs (id, title, body) VALUES ($1, $2, $3)");
    expect(bindParams(t, { id: 1, doc: { k: "v" } })).toEqual([1, "x", '{"k":"v"}']);
  });
});

describe.each(backends)("compiled templates executed ($name)", (backend) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = createEngine(await backend.freshUrl());
    const md = new MetaData();
    md.add(docs);
    await md.createAll(engine);
  }, 120_000);
  afterAll(async () => {
    await engine.dispose();
  });

  it("one template runs many times with different named values", async () => {
    const ins = compile(insert(docs).values({ id: bindparam("id"), title: bindparam("title"), body: bindparam("body", types.jsonb()) }).node);
    for (const [i, t] of ["a", "b", "c"].entries()) {
      await engine.execute({ sql: ins.sql, params: bindParams(ins, { id: i + 1, title: t, body: { i } }) });
    }
    const q = compile(selectColumns(title, body).where(id.ge(bindparam<number>("from"))).orderBy(id).toSelectNode());
    expect((await engine.execute({ sql: q.sql, params: bindParams(q, { from: 2 }) })).rows).toEqual([["b", { i: 1 }], ["c", { i: 2 }]]);
    expect((await engine.execute({ sql: q.sql, params: bindParams(q, { from: 3 }) })).rows).toEqual([["c", { i: 2 }]]);
  });
});
