/** Free-standing SQL constructs: and/or/not, exists, cast, func.*, literals, CASE. */
import { ArgumentError } from "../errors.js";
import { coerceOperand, describeValue, Expression, predicate, type Predicate, type SelectLike } from "./expression.js";
import { freeze, type ExprNode } from "./nodes.js";
import type { SqlType } from "./types.js";

function predicateNodes(op: string, conditions: readonly unknown[]): ExprNode[] {
  return conditions.map((c, i) => {
    if (c instanceof Expression) return c.node;
    throw new ArgumentError(
      `${op}() argument ${i + 1} is ${describeValue(c)}; expected a condition such as User.id.eq(1). ` +
        `undefined is never treated as "no condition".`,
    );
  });
}

/** `a AND b AND ...`; `and()` with no conditions is TRUE. */
export function and(...conditions: Predicate[]): Predicate {
  const items = predicateNodes("and", conditions);
  if (items.length === 1) return conditions[0]!;
  if (items.length === 0) return predicate(freeze({ kind: "literal", sql: "true" }));
  return predicate(freeze({ kind: "boolean-list", op: "AND", items }));
}

/** `a OR b OR ...`; `or()` with no conditions is FALSE. */
export function or(...conditions: Predicate[]): Predicate {
  const items = predicateNodes("or", conditions);
  if (items.length === 1) return conditions[0]!;
  if (items.length === 0) return predicate(freeze({ kind: "literal", sql: "false" }));
  return predicate(freeze({ kind: "boolean-list", op: "OR", items }));
}

export function not(condition: Predicate): Predicate {
  const [node] = predicateNodes("not", [condition]);
  return predicate(freeze({ kind: "unary", op: "NOT", operand: node! }));
}

export function exists(select: SelectLike): Predicate {
  return predicate(freeze({ kind: "unary", op: "EXISTS", operand: freeze({ kind: "scalar-subquery", select: select.toSelectNode() }) }));
}

export function cast<T>(value: unknown, type: SqlType<T>): Expression<T> {
  return new Expression<T>(freeze({ kind: "cast", expr: coerceOperand(value, undefined, "cast"), type }), type);
}

/** A bound literal value, e.g. `literal(1).add(User.id)`. */
export function literal<T>(value: T, type?: SqlType<T>): Expression<T> {
  return new Expression<T>(coerceOperand(value, type, "literal"), type);
}

export const nullLiteral: Expression<null> = new Expression<null>(freeze({ kind: "literal", sql: "NULL" }));

/** `CASE WHEN ... THEN ... ELSE ... END`. */
export function caseWhen<T>(whens: readonly (readonly [Predicate, T | Expression<T>])[], otherwise?: T | Expression<T>): Expression<T> {
  return new Expression<T>(freeze({
    kind: "case",
    whens: whens.map(([w, t]) => [w.node, coerceOperand(t, undefined, "caseWhen")] as const),
    otherwise: otherwise === undefined ? undefined : coerceOperand(otherwise, undefined, "caseWhen"),
  }));
}

type FunctionBuilder = <T = unknown>(...args: unknown[]) => Expression<T>;

type CommonFunction =
  | "lower" | "upper" | "length" | "coalesce" | "nullif" | "greatest" | "least" | "abs" | "round"
  | "sum" | "avg" | "min" | "max" | "array_agg" | "string_agg" | "json_agg" | "jsonb_agg" | "date_trunc";

function makeFunction(name: string, distinct = false): FunctionBuilder {
  if (!/^[A-Za-z_][A-Za-z0-9_.]*$/.test(name)) throw new ArgumentError(`func.${name}: not a valid SQL function name.`);
  return <T>(...args: unknown[]) =>
    new Expression<T>(freeze({
      kind: "function", name, distinct,
      args: args.map((a) => coerceOperand(a, undefined, `func.${name}()`)),
    }), undefined, `${name}()`);
}

/**
 * SQL functions: `func.count(User.id)`, `func.lower(User.email)`, `func.coalesce(a, b)`, any name.
 * A few have precise types; every other name is accepted as written.
 */
export const func = new Proxy(
  {
    count: (arg?: unknown): Expression<number> =>
      makeFunction("count")<number>(arg === undefined ? new Expression(freeze({ kind: "literal", sql: "*" })) : arg).cast<number>({ sql: "integer" }),
    countDistinct: (arg: unknown): Expression<number> => makeFunction("count", true)<number>(arg).cast<number>({ sql: "integer" }),
    now: (): Expression<Date> => makeFunction("now")<Date>(),
  } as { count(arg?: unknown): Expression<number>; countDistinct(arg: unknown): Expression<number>; now(): Expression<Date> }
    // Named here so they type-check under noUncheckedIndexedAccess (an index signature read may be undefined).
    & { [K in CommonFunction]: FunctionBuilder }
    & Record<string, FunctionBuilder>,
  {
    get(target, name) {
      if (typeof name !== "string") return undefined;
      return target[name] ?? makeFunction(name);
    },
  },
);
