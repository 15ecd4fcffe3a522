/**
 * The expression language: immutable wrappers around frozen nodes with typed operators.
 * `T` is the JS type of the value the expression produces, so `User.email.eq(3)` does not compile.
 */
import { ArgumentError } from "../errors.js";
import {
  freeze, type BinaryOperator, type BindNode, type ExprNode, type OrderByNode, type SelectNode,
} from "./nodes.js";
import { convertValue, type BindTarget } from "../types/convert.js";
import { arrayOf, type SqlType } from "./types.js";

/** A value or another expression of the same type: what operators accept on their right side. */
export type Operand<T> = T | Expression<T>;

export class Expression<T = unknown> {
  /** Phantom: carries T for the type checker only. */
  declare readonly __type?: T;
  constructor(
    readonly node: ExprNode,
    /** SQL type used to bind values compared against this expression (casts, JSON encoding). */
    readonly sqlType: SqlType<T> | undefined = undefined,
    /** How errors name this expression, e.g. "User.email". */
    protected readonly descriptionText: string = "expression",
  ) {}

  get description(): string {
    return this.descriptionText;
  }

  eq(other: Operand<T> | null): Predicate { return this.compare("=", other, "eq"); }
  ne(other: Operand<T> | null): Predicate { return this.compare("<>", other, "ne"); }
  lt(other: Operand<T>): Predicate { return this.compare("<", other, "lt"); }
  le(other: Operand<T>): Predicate { return this.compare("<=", other, "le"); }
  gt(other: Operand<T>): Predicate { return this.compare(">", other, "gt"); }
  ge(other: Operand<T>): Predicate { return this.compare(">=", other, "ge"); }
  isDistinctFrom(other: Operand<T> | null): Predicate { return this.binary("IS DISTINCT FROM", other, "isDistinctFrom"); }

  isNull(): Predicate { return predicate(freeze({ kind: "unary", op: "IS NULL", operand: this.node })); }
  isNotNull(): Predicate { return predicate(freeze({ kind: "unary", op: "IS NOT NULL", operand: this.node })); }

  /**
   * `expr IN (...)`. An empty list is legal and is always false (`notIn([])` always true), as in
   * SQLAlchemy; it never turns into "no condition".
   */
  in(values: readonly Operand<T>[] | Expression<T[]>): Predicate { return this.inList(values, false, "in"); }
  notIn(values: readonly Operand<T>[] | Expression<T[]>): Predicate { return this.inList(values, true, "notIn"); }

  /** `expr = ANY($1)`: one parameter holding an array, so the SQL text is the same for any list size. */
  eqAny(values: readonly T[]): Predicate {
    const missing = Array.isArray(values) ? (values as readonly unknown[]).indexOf(undefined) : -1;
    if (missing >= 0) {
      throw new ArgumentError(`${this.description}.eqAny() got undefined at index ${missing}; use null for NULL or leave it out of the list.`);
    }
    const array = bindValue(this.description, "eqAny", values, this.sqlType && arrayOf(this.sqlType), this.bindTarget()) as BindNode;
    return predicate(freeze({ kind: "any-array", expr: this.node, array, negate: false }));
  }

  between(low: Operand<T>, high: Operand<T>): Predicate {
    return predicate(freeze({
      kind: "between", expr: this.node, negate: false,
      low: this.coerce(low, "between"), high: this.coerce(high, "between"),
    }));
  }

  like(this: Expression<string> | Expression<string | null>, pattern: Operand<string>): Predicate {
    return this.binary("LIKE", pattern, "like");
  }
  ilike(this: Expression<string> | Expression<string | null>, pattern: Operand<string>): Predicate {
    return this.binary("ILIKE", pattern, "ilike");
  }
  notLike(this: Expression<string> | Expression<string | null>, pattern: Operand<string>): Predicate {
    return this.binary("NOT LIKE", pattern, "notLike");
  }
  concat(this: Expression<string> | Expression<string | null>, other: Operand<string>): Expression<string> {
    return new Expression(this.binaryNode("||", other, "concat"));
  }

  add(other: Operand<T>): Expression<T> { return this.arithmetic("+", other, "add"); }
  sub(other: Operand<T>): Expression<T> { return this.arithmetic("-", other, "sub"); }
  mul(other: Operand<T>): Expression<T> { return this.arithmetic("*", other, "mul"); }
  div(other: Operand<T>): Expression<T> { return this.arithmetic("/", other, "div"); }
  mod(other: Operand<T>): Expression<T> { return this.arithmetic("%", other, "mod"); }
  neg(): Expression<T> { return new Expression(freeze({ kind: "unary", op: "-", operand: this.node }), this.sqlType); }

  label(name: string): Labeled<T> { return new Labeled(this, name); }
  cast<U>(type: SqlType<U>): Expression<U> {
    return new Expression<U>(freeze({ kind: "cast", expr: this.node, type }), type);
  }

  asc(): OrderBy { return new OrderBy(freeze({ kind: "order-by", expr: this.node, direction: "ASC", nulls: undefined })); }
  desc(): OrderBy { return new OrderBy(freeze({ kind: "order-by", expr: this.node, direction: "DESC", nulls: undefined })); }

  protected coerce(value: unknown, method: string): ExprNode {
    return coerceOperand(value, this.sqlType, `${this.description}.${method}()`, this.bindTarget());
  }

  /** How an InvalidValueError names a value bound against this expression. */
  protected bindTarget(): BindTarget {
    const node = this.node;
    if (node.kind !== "column") return { target: this.description };
    const from = node.from.kind === "table" ? node.from : node.from.of.kind === "table" ? node.from.of : undefined;
    return { target: this.description, table: from?.name, column: node.name };
  }

  private compare(op: BinaryOperator, other: unknown, method: string): Predicate {
    // SQLAlchemy's `== None` rule: comparing with null means IS NULL, never `= NULL`.
    if (other === null && (op === "=" || op === "<>")) return op === "=" ? this.isNull() : this.isNotNull();
    return this.binary(op, other, method);
  }

  private binary(op: BinaryOperator, other: unknown, method: string): Predicate {
    return predicate(this.binaryNode(op, other, method));
  }

  private binaryNode(op: BinaryOperator, other: unknown, method: string): ExprNode {
    return freeze({ kind: "binary", op, left: this.node, right: this.coerce(other, method) });
  }

  private arithmetic(op: BinaryOperator, other: unknown, method: string): Expression<T> {
    return new Expression<T>(freeze({ kind: "grouping", expr: this.binaryNode(op, other, method) }), this.sqlType);
  }

  private inList(values: unknown, negate: boolean, method: string): Predicate {
    if (values instanceof Expression) {
      return predicate(freeze({ kind: "in-list", expr: this.node, items: [values.node], negate }));
    }
    if (!Array.isArray(values)) {
      throw new ArgumentError(`${this.description}.${method}() expects an array of values, got ${describeValue(values)}.`);
    }
    const items = values.map((v: unknown) => this.coerce(v, method));
    return predicate(freeze({ kind: "in-list", expr: this.node, items, negate }));
  }
}

/** A boolean SQL expression: what `where`, `having` and `on` accept. */
export type Predicate = Expression<boolean>;

export function predicate(node: ExprNode): Predicate {
  return new Expression<boolean>(node);
}

export class Labeled<T> extends Expression<T> {
  constructor(readonly inner: Expression<T>, readonly name: string) {
    super(freeze({ kind: "label", expr: inner.node, name }), inner.sqlType, name);
  }
}

export class OrderBy {
  constructor(readonly node: OrderByNode) {}
  nullsFirst(): OrderBy { return new OrderBy(freeze({ ...this.node, nulls: "FIRST" })); }
  nullsLast(): OrderBy { return new OrderBy(freeze({ ...this.node, nulls: "LAST" })); }
}

export function describeValue(value: unknown): string {
  if (value === undefined) return "undefined";
  if (value === null) return "null";
  if (typeof value === "object") return value.constructor?.name ?? "object";
  return `${typeof value} ${String(value)}`;
}

/**
 * The one place user values become SQL: expressions pass through, values become bind parameters,
 * converted by `type`'s value rule now (so a value its column cannot hold fails at the call that
 * gave it, naming `target`), and bound as converted.
 */
export function coerceOperand(value: unknown, type: SqlType | undefined, where: string, target?: BindTarget | string): ExprNode {
  if (value instanceof Expression) return value.node;
  if (isSelectLike(value)) return freeze({ kind: "scalar-subquery", select: value.toSelectNode() });
  return bindValue(where, "", value, type, target);
}

function bindValue(where: string, method: string, value: unknown, type: SqlType | undefined, target?: BindTarget | string): ExprNode {
  if (value === undefined) {
    const site = method ? `${where}.${method}()` : where;
    throw new ArgumentError(
      `${site} got undefined. undefined is never "no condition": pass null to compare with NULL, ` +
        `or leave the condition out of the query.`,
    );
  }
  return freeze({ kind: "bind", value: convertValue(type, value, target ?? where), type, key: undefined });
}

/** A bind parameter filled at execution time: `execute(stmt, { keys: [...] })`. */
export function bindparam<T>(key: string, type?: SqlType<T>): Expression<T> {
  return new Expression<T>(freeze({ kind: "bind", value: undefined, type, key }), type, `bindparam("${key}")`);
}

/** Anything that can become a SELECT node (core Select, ORM select): used for subqueries. */
export interface SelectLike {
  toSelectNode(): SelectNode;
}

export function isSelectLike(value: unknown): value is SelectLike {
  return typeof value === "object" && value !== null && typeof (value as SelectLike).toSelectNode === "function";
}
