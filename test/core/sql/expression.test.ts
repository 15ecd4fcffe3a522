/** The expression language compiled to PostgreSQL text: exact SQL and exact params. */
import { describe, expect, it } from "vitest";
import {
  and, ArgumentError, bindParams, caseWhen, cast, type ColumnExpression, columnSpec, compile, func, literal, not, or, selectColumns, Table, types,
  type Predicate,
} from "../../../src/index.js";
import { User } from "../../fixtures/models.js";

const users = new Table("users", [
  columnSpec("id", types.integer, { primaryKey: true }),
  columnSpec("name", types.text),
  columnSpec("age", types.integer, { nullable: true }),
  columnSpec("score", types.double),
]);
const c = {
  id: users.column("id") as ColumnExpression<number>,
  name: users.column("name") as ColumnExpression<string>,
  age: users.column("age") as ColumnExpression<number>,
  score: users.column("score") as ColumnExpression<number>,
};

function where(p: Predicate): { sql: string; params: unknown[] } {
  const t = compile(selectColumns(c.id).where(p).toSelectNode());
  return { sql: t.sql.replace("SELECT users.id FROM users WHERE ", ""), params: bindParams(t) };
}

describe("comparison operators", () => {
  it.each([
    ["eq", c.id.eq(1), "users.id = $1"],
    ["ne", c.id.ne(1), "users.id <> $1"],
    ["lt", c.id.lt(1), "users.id < $1"],
    ["le", c.id.le(1), "users.id <= $1"],
    ["gt", c.id.gt(1), "users.id > $1"],
    ["ge", c.id.ge(1), "users.id >= $1"],
  ] as const)("%s", (_name, p, sql) => {
    expect(where(p)).toEqual({ sql, params: [1] });
  });

  it("compares two columns without params", () => {
    expect(where(c.id.eq(c.age))).toEqual({ sql: "users.id = users.age", params: [] });
  });

  it("eq(null) is IS NULL and ne(null) IS NOT NULL, never = NULL", () => {
    expect(where(c.age.eq(null))).toEqual({ sql: "users.age IS NULL", params: [] });
    expect(where(c.age.ne(null))).toEqual({ sql: "users.age IS NOT NULL", params: [] });
    expect(where(c.age.isNull())).toEqual({ sql: "users.age IS NULL", params: [] });
  });

  it("works on ORM entity columns, which are Core column expressions", () => {
    const t = compile(selectColumns(User.email).where(User.email.eq("a@x")).toSelectNode());
    expect(t.sql).toBe("SELECT users.email FROM users WHERE users.email = $1");
    expect(bindParams(t)).toEqual(["a@x"]);
  });
});

describe("boolean logic", () => {
  it("and / or / not nest with parentheses, params in order", () => {
    const p = or(and(c.id.eq(1), c.age.gt(3)), not(c.id.lt(5)));
    expect(where(p)).toEqual({ sql: "(users.id = $1 AND users.age > $2) OR NOT (users.id < $3)", params: [1, 3, 5] });
  });

  it("and inside or inside and", () => {
    const p = and(c.id.eq(1), or(c.age.eq(2), and(c.age.eq(3), c.name.eq("x"))));
    expect(where(p)).toEqual({
      sql: "users.id = $1 AND (users.age = $2 OR (users.age = $3 AND users.name = $4))",
      params: [1, 2, 3, "x"],
    });
  });

  it("and() with one condition is that condition; with none it is true; or() with none false", () => {
    expect(where(and(c.id.eq(1)))).toEqual({ sql: "users.id = $1", params: [1] });
    expect(where(and())).toEqual({ sql: "true", params: [] });
    expect(where(or())).toEqual({ sql: "false", params: [] });
  });

  it("not() of a conjunction keeps it grouped", () => {
    expect(where(not(and(c.id.eq(1), c.age.eq(2))))).toEqual({ sql: "NOT (users.id = $1 AND users.age = $2)", params: [1, 2] });
  });

  it("where() called twice ANDs the conditions", () => {
    const t = compile(selectColumns(c.id).where(c.id.eq(1)).where(c.age.eq(2)).toSelectNode());
    expect(t.sql).toBe("SELECT users.id FROM users WHERE users.id = $1 AND users.age = $2");
    expect(bindParams(t)).toEqual([1, 2]);
  });
});

describe("precedence", () => {
  it("a comparison used as an operand is parenthesized (= is non-associative, IS binds tighter)", () => {
    expect(where(c.id.eq(1).eq(true))).toEqual({ sql: "(users.id = $1) = $2", params: [1, true] });
    expect(where(c.id.eq(1).isNull())).toEqual({ sql: "(users.id = $1) IS NULL", params: [1] });
    expect(where(c.id.gt(1).ne(false))).toEqual({ sql: "(users.id > $1) <> $2", params: [1, false] });
  });

  it("concatenation is grouped inside a comparison", () => {
    expect(where(c.name.concat("!").eq("a!"))).toEqual({ sql: "(users.name || $1) = $2", params: ["!", "a!"] });
  });
});

describe("IN, ANY, BETWEEN, LIKE", () => {
  it("in([]) is always false and notIn([]) always true, never 'no condition'", () => {
    expect(where(c.id.in([]))).toEqual({ sql: "(1 != 1)", params: [] });
    expect(where(c.id.notIn([]))).toEqual({ sql: "(1 = 1)", params: [] });
  });

  it("in([1, 2]) binds each value", () => {
    expect(where(c.id.in([1, 2]))).toEqual({ sql: "users.id IN ($1, $2)", params: [1, 2] });
    expect(where(c.id.notIn([1, 2]))).toEqual({ sql: "users.id NOT IN ($1, $2)", params: [1, 2] });
  });

  it("eqAny binds one array parameter, the same SQL for any size", () => {
    expect(where(c.id.eqAny([1, 2, 3]))).toEqual({ sql: "users.id = ANY($1)", params: [[1, 2, 3]] });
    expect(where(c.id.eqAny([]))).toEqual({ sql: "users.id = ANY($1)", params: [[]] });
  });

  it("between", () => {
    expect(where(c.id.between(1, 5))).toEqual({ sql: "users.id BETWEEN $1 AND $2", params: [1, 5] });
  });

  it("like / ilike / notLike", () => {
    expect(where(c.name.like("a%"))).toEqual({ sql: "users.name LIKE $1", params: ["a%"] });
    expect(where(c.name.ilike("A%"))).toEqual({ sql: "users.name ILIKE $1", params: ["A%"] });
    expect(where(c.name.notLike("a%"))).toEqual({ sql: "users.name NOT LIKE $1", params: ["a%"] });
  });
});

describe("arithmetic, functions, casts, labels", () => {
  it("arithmetic groups each operation", () => {
    expect(where(c.id.add(1).mul(2).gt(10))).toEqual({ sql: "((users.id + $1) * $2) > $3", params: [1, 2, 10] });
    expect(where(c.id.add(c.age.mul(2)).eq(7))).toEqual({ sql: "(users.id + (users.age * $1)) = $2", params: [2, 7] });
  });

  it("func.count(), func.count(col), func.lower(col), cast, label", () => {
    const t = compile(selectColumns(
      func.count(), func.count(c.id).label("n"), func.lower(c.name).label("ln"), cast(c.id, types.text), c.score.cast(types.integer),
    ).toSelectNode());
    expect(t.sql).toBe(
      "SELECT CAST(count(*) AS integer), CAST(count(users.id) AS integer) AS n, lower(users.name) AS ln, " +
        "CAST(users.id AS text), CAST(users.score AS integer) FROM users",
    );
    expect(bindParams(t)).toEqual([]);
  });

  it("function arguments that are values become params", () => {
    const t = compile(selectColumns(func.coalesce(c.name, "none")).toSelectNode());
    expect(t.sql).toBe("SELECT coalesce(users.name, $1) FROM users");
    expect(bindParams(t)).toEqual(["none"]);
  });

  it("func rejects names that are not SQL function names", () => {
    expect(() => (func as Record<string, unknown>)["drop table x; --"]).toThrow(ArgumentError);
  });
});

describe("CASE, negation, IS DISTINCT FROM, literals", () => {
  it("caseWhen binds its results", () => {
    const size = caseWhen([[c.age.ge(18), "adult"], [c.age.isNull(), "unknown"]], "minor");
    const t = compile(selectColumns(size.label("size")).toSelectNode());
    expect(t.sql).toBe("SELECT CASE WHEN users.age >= $1 THEN $2 WHEN users.age IS NULL THEN $3 ELSE $4 END AS size FROM users");
    expect(bindParams(t)).toEqual([18, "adult", "unknown", "minor"]);
  });

  it("neg, isDistinctFrom, literal, concat", () => {
    expect(where(c.id.neg().lt(0))).toEqual({ sql: "-users.id < $1", params: [0] });
    expect(where(c.id.add(1).neg().lt(0))).toEqual({ sql: "-(users.id + $1) < $2", params: [1, 0] });
    expect(where(c.age.isDistinctFrom(null))).toEqual({ sql: "users.age IS DISTINCT FROM $1", params: [null] });
    expect(where(literal(1).add(c.id).eq(2))).toEqual({ sql: "($1 + users.id) = $2", params: [1, 2] });
  });
});

describe("values are never inlined", () => {
  it("a string with a quote goes to params", () => {
    expect(where(c.name.eq("O'Reilly'; DROP TABLE users; --"))).toEqual({
      sql: "users.name = $1",
      params: ["O'Reilly'; DROP TABLE users; --"],
    });
  });
});

describe("undefined is an error, not 'no condition'", () => {
  const cases: [string, () => unknown, RegExp][] = [
    ["eq(undefined)", () => User.email.eq(undefined as unknown as string), /User\.email\.eq\(\) got undefined.*pass null/],
    ["ne(undefined)", () => c.name.ne(undefined as unknown as string), /users\.name\.ne\(\) got undefined/],
    ["in([undefined])", () => User.email.in([undefined as unknown as string]), /User\.email\.in\(\) got undefined.*pass null/],
    ["eqAny([undefined])", () => User.email.eqAny(["a", undefined as unknown as string]), /User\.email\.eqAny\(\).*undefined/],
    ["between(undefined, 3)", () => c.id.between(undefined as unknown as number, 3), /users\.id\.between\(\) got undefined/],
    ["like(undefined)", () => c.name.like(undefined as unknown as string), /users\.name\.like\(\) got undefined/],
    ["add(undefined)", () => c.id.add(undefined as unknown as number), /users\.id\.add\(\) got undefined/],
    ["and(undefined)", () => and(c.id.eq(1), undefined as unknown as Predicate), /and\(\) argument 2 is undefined.*User\.id\.eq\(1\)/],
    ["or(undefined)", () => or(undefined as unknown as Predicate), /or\(\) argument 1 is undefined/],
    ["not(undefined)", () => not(undefined as unknown as Predicate), /not\(\) argument 1 is undefined/],
    ["in(undefined)", () => c.id.in(undefined as unknown as number[]), /users\.id\.in\(\) expects an array of values, got undefined/],
  ];
  it.each(cases)("%s throws ArgumentError", (_name, fn, message) => {
    expect(fn).toThrow(ArgumentError);
    expect(fn).toThrow(message);
  });
});
