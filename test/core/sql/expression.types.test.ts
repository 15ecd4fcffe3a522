/**
 * Type-level tests, checked by `tsc --noEmit` (the npm test script runs it over test/): every
 * `@ts-expect-error` below must be an error, or tsc fails with "Unused '@ts-expect-error'".
 * The positive cases also run, so vitest sees a real test.
 */
import { describe, expect, expectTypeOf, it } from "vitest";
import {
  and, bindparam, cast, compile, type Expression, func, literal, not, or, type Predicate, selectColumns, types,
} from "../../../src/index.js";
import { Order, Product, User } from "../../fixtures/models.js";

/** Never called: only tsc looks at these. */
export function rejected(): void {
  // @ts-expect-error text column compared with a number
  User.email.eq(3);
  // @ts-expect-error double column compared with a string
  Order.total.gt("x");
  // @ts-expect-error
  User.id.eq("1");
  // @ts-expect-error
  User.id.ne(true);
  // @ts-expect-error
  Order.total.between(1, "9");
  // @ts-expect-error list of the wrong type
  User.email.in([1, 2]);
  // @ts-expect-error
  User.id.notIn(["a"]);
  // @ts-expect-error
  User.id.eqAny(["a"]);
  // @ts-expect-error LIKE is for text columns only
  Order.total.like("1%");
  // @ts-expect-error
  User.id.ilike("1%");
  // @ts-expect-error pattern must be a string
  User.email.like(1);
  // @ts-expect-error arithmetic with a string
  User.id.add("1");
  // @ts-expect-error
  Order.total.mul(User.email);
  // @ts-expect-error a column of another type
  User.id.eq(User.email);
  // @ts-expect-error timestamp compared with a string
  Order.createdAt.gt("2024-01-01");
  // @ts-expect-error numeric is a string in JS
  Product.price.eq(10);
  // @ts-expect-error count() is a number
  func.count().gt("3");
  // @ts-expect-error the cast changes the type
  User.id.cast(types.text).eq(1);
  // @ts-expect-error
  cast(User.email, types.integer).eq("x");
  // @ts-expect-error a typed bindparam keeps its type
  User.email.eq(bindparam<number>("n"));
  // @ts-expect-error
  literal(1).eq("one");
  // @ts-expect-error and() takes predicates, not columns
  and(User.email);
  // @ts-expect-error
  or(User.id.eq(1), "x");
  // @ts-expect-error
  not(User.id);
  // @ts-expect-error where() takes predicates
  selectColumns(User.id).where(User.email);
  // @ts-expect-error limit() takes a number
  selectColumns(User.id).limit("10");
}

describe("expression types", () => {
  it("accepts well-typed comparisons, and they build", () => {
    const predicates: Predicate[] = [
      User.email.eq("a@x"),
      User.email.eq(null),
      User.tenantId.eq(null),
      User.tenantId.eq(3),
      User.id.eq(Order.userId),
      User.id.in([1, 2]),
      User.id.notIn([]),
      User.id.eqAny([1, 2]),
      Order.total.gt(10.5),
      Order.total.between(1, 2),
      Order.total.add(1).mul(User.id).lt(100),
      Order.createdAt.gt(new Date(0)),
      Product.price.eq("10.00"),
      User.email.like("%@x"),
      User.email.ilike("%@X"),
      User.email.concat("!").eq("a@x!"),
      func.count().gt(3),
      func.lower<string>(User.email).eq("a@x"),
      User.id.cast(types.text).eq("1"),
      User.email.eq(bindparam<string>("e")),
      literal(1).add(User.id).eq(2),
      and(User.id.eq(1), or(User.email.like("a%"), not(User.tenantId.isNull()))),
    ];
    expect(predicates).toHaveLength(22);
    const t = compile(selectColumns(User.id).where(...predicates.slice(0, 2)).limit(10).toSelectNode());
    expect(t.sql).toBe("SELECT users.id FROM users WHERE users.email = $1 AND users.email IS NULL LIMIT $2");
  });

  it("columns carry their JS types", () => {
    expectTypeOf(User.email).toMatchTypeOf<Expression<string>>();
    expectTypeOf(User.id).toMatchTypeOf<Expression<number>>();
    expectTypeOf(Order.total).toMatchTypeOf<Expression<number>>();
    expectTypeOf(Order.createdAt).toMatchTypeOf<Expression<Date>>();
    expectTypeOf(Product.price).toMatchTypeOf<Expression<string>>();
    expectTypeOf(func.count()).toEqualTypeOf<Expression<number>>();
    expectTypeOf(User.id.add(1)).toEqualTypeOf<Expression<number>>();
    expectTypeOf(User.id.cast(types.bigint)).toEqualTypeOf<Expression<bigint>>();
    expectTypeOf(User.email.eq("x")).toEqualTypeOf<Predicate>();
  });
});
