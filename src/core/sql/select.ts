/**
 * The immutable SELECT builder. Every method returns a new statement, so statements can be shared,
 * cached and extended (the ORM's entity select extends this class and keeps its own extra state:
 * `generate` copies every own field of the subclass too).
 */
import { forEachColumnSource } from "../compiler/compiler.js";
import { ArgumentError } from "../errors.js";
import { ColumnExpression, Table, TableAlias, type ColumnSpec } from "../schema/table.js";
import { coerceOperand, describeValue, Expression, OrderBy, type Predicate, type SelectLike } from "./expression.js";
import { freeze, nextAliasId, type AliasNode, type ExprNode, type FromNode, type OrderByNode, type SelectNode } from "./nodes.js";
import { and } from "./operators.js";

export interface SelectState {
  readonly columns: readonly ExprNode[];
  readonly from: readonly FromNode[];
  readonly where: ExprNode | undefined;
  readonly groupBy: readonly ExprNode[];
  readonly having: ExprNode | undefined;
  readonly orderBy: readonly OrderByNode[];
  readonly limit: ExprNode | undefined;
  readonly offset: ExprNode | undefined;
  readonly distinct: boolean;
  readonly forUpdate: boolean;
}

export const emptySelectState: SelectState = Object.freeze({
  columns: [], from: [], where: undefined, groupBy: [], having: undefined, orderBy: [],
  limit: undefined, offset: undefined, distinct: false, forUpdate: false,
});

const selectNodes = new WeakMap<SelectState, SelectNode>();

/** Things a FROM clause or join accepts. */
export type Selectable = Table | TableAlias | Subquery;

export function fromNodeOf(target: Selectable): FromNode {
  return target.node;
}

export class Select<Row = unknown[]> implements SelectLike {
  declare readonly __row?: Row;
  constructor(readonly state: SelectState) {}

  /** Returns a copy with `patch` applied; subclasses' own fields are copied along. */
  protected generate(patch: Partial<SelectState>): this {
    const copy = Object.create(Object.getPrototypeOf(this) as object) as this;
    Object.assign(copy, this, { state: freeze({ ...this.state, ...patch }) });
    return copy;
  }

  where(...conditions: Predicate[]): this {
    const all = this.state.where === undefined ? conditions : [new Expression<boolean>(this.state.where), ...conditions];
    return this.generate({ where: and(...all).node });
  }

  /** Add FROM items explicitly (those referenced by columns are added automatically). */
  selectFrom(...targets: Selectable[]): this {
    return this.generate({ from: [...this.state.from, ...targets.map(fromNodeOf)] });
  }

  /** INNER JOIN `target` ON `on`, joined to the right of the current FROM (the last FROM item). */
  join(target: Selectable, on: Predicate): this {
    return this.joinNode(fromNodeOf(target), on.node, "inner");
  }

  /** LEFT OUTER JOIN. */
  outerjoin(target: Selectable, on: Predicate): this {
    return this.joinNode(fromNodeOf(target), on.node, "left");
  }

  protected joinNode(right: FromNode, on: ExprNode, type: "inner" | "left"): this {
    const from = [...this.state.from];
    let left = from.pop();
    if (left === undefined) left = this.implicitFrom();
    return this.generate({ from: [...from, freeze({ kind: "join", left, right, on, type })] });
  }

  /** The table the first selected column comes from: what a join with no explicit FROM starts at. */
  protected implicitFrom(): FromNode {
    for (const col of this.state.columns) {
      const node = col.kind === "label" ? col.expr : col;
      if (node.kind === "column") return node.from;
    }
    // No plain column: the first table an expression reads, e.g. select(func.count(Order.id)).join(User, ...).
    for (const col of this.state.columns) {
      let source: FromNode | undefined;
      forEachColumnSource(col, (s) => { source ??= s; });
      if (source !== undefined) return source;
    }
    throw new ArgumentError("join(): the statement has no FROM to join to; call selectFrom() first.");
  }

  orderBy(...items: (Expression | OrderBy)[]): this {
    return this.generate({ orderBy: [...this.state.orderBy, ...items.map(orderByNode)] });
  }

  groupBy(...items: Expression[]): this {
    return this.generate({ groupBy: [...this.state.groupBy, ...items.map((e) => e.node)] });
  }

  having(...conditions: Predicate[]): this {
    const all = this.state.having === undefined ? conditions : [new Expression<boolean>(this.state.having), ...conditions];
    return this.generate({ having: and(...all).node });
  }

  limit(count: number | null): this {
    return this.generate({ limit: count === null ? undefined : coerceOperand(checkCount("limit", count), undefined, "limit()") });
  }

  offset(count: number | null): this {
    return this.generate({ offset: count === null ? undefined : coerceOperand(checkCount("offset", count), undefined, "offset()") });
  }

  distinct(): this {
    return this.generate({ distinct: true });
  }

  forUpdate(): this {
    return this.generate({ forUpdate: true });
  }

  toSelectNode(): SelectNode {
    // One node per state: the compile cache is keyed by node identity, so the same statement
    // executed again must hand over the same node to be compiled (and FROM-linted) only once.
    const cached = selectNodes.get(this.state);
    if (cached !== undefined) return cached;
    const node: SelectNode = freeze({ kind: "select", ...this.state });
    selectNodes.set(this.state, node);
    return node;
  }

  /** Use this statement as a derived table: `(SELECT ...) AS name`. */
  subquery(name?: string): Subquery {
    return new Subquery(this.toSelectNode(), name);
  }

  /** A scalar subquery usable as a value: `(SELECT ...)`. */
  scalarSubquery<T>(): Expression<T> {
    return new Expression<T>(freeze({ kind: "scalar-subquery", select: this.toSelectNode() }));
  }
}

function checkCount(method: string, count: number): number {
  if (!Number.isInteger(count) || count < 0) {
    throw new ArgumentError(`${method}() expects a non-negative integer, got ${describeValue(count)}.`);
  }
  return count;
}

export function orderByNode(item: Expression | OrderBy): OrderByNode {
  if (item instanceof OrderBy) return item.node;
  if (item instanceof Expression) return freeze({ kind: "order-by", expr: item.node, direction: undefined, nulls: undefined });
  throw new ArgumentError(`orderBy() expects a column or expression, got ${describeValue(item)}.`);
}

/**
 * The output name of each column of a SELECT as seen from outside (a derived table): labels keep
 * their names, columns their own, and repeats get `_1`, `_2` (as SQLAlchemy's anon labels) so a
 * wrapped query never has ambiguous names.
 */
export function outputNames(select: SelectNode): string[] {
  const used = new Map<string, number>();
  return select.columns.map((col) => {
    const base = col.kind === "label" ? col.name : col.kind === "column" ? col.name : "anon";
    const n = used.get(base) ?? 0;
    used.set(base, n + 1);
    return n === 0 ? base : `${base}_${n}`;
  });
}

/** `(SELECT ...) AS name`, with its columns addressable as `sub.c.name`. */
export class Subquery {
  readonly node: AliasNode;
  readonly c: Readonly<Record<string, ColumnExpression>>;
  readonly columns: readonly ColumnExpression[];
  constructor(select: SelectNode, name: string | undefined) {
    this.node = freeze({ kind: "alias", of: select, name, id: nextAliasId() });
    const names = outputNames(select);
    const c: Record<string, ColumnExpression> = {};
    this.columns = select.columns.map((col, i) => {
      const inner = col.kind === "label" ? col.expr : col;
      const spec: ColumnSpec = freeze({
        name: names[i]!, type: inner.kind === "column" ? inner.type : { sql: "unknown" },
        nullable: true, primaryKey: false, unique: false, index: false, foreignKey: undefined,
        default: undefined, serverDefault: undefined, autoincrement: false,
      });
      const expr = new ColumnExpression(spec, this.node, `${name ?? "subquery"}.${names[i]!}`);
      c[names[i]!] = expr;
      return expr;
    });
    this.c = Object.freeze(c);
  }
}

/** Core `select(...)` of columns and expressions. Rows come back as arrays. */
export function selectColumns<Row extends unknown[]>(...columns: Expression[]): Select<Row> {
  columns.forEach((c, i) => {
    if (!(c instanceof Expression)) throw new ArgumentError(`select() argument ${i + 1} is ${describeValue(c)}; expected a column or expression.`);
  });
  return new Select<Row>(freeze({ ...emptySelectState, columns: columns.map((c) => c.node) }));
}
