/**
 * joinedload: the related rows come in the same query through a LEFT OUTER JOIN (or JOIN with
 * `innerjoin`) to an anonymous alias of the target, so a table can appear twice and self-joins
 * work. A collection makes parent rows repeat: the result then requires `.unique()`.
 */
import { ColumnExpression } from "../../../core/schema/table.js";
import { leafFroms } from "../../../core/compiler/compiler.js";
import { Expression, type Predicate } from "../../../core/sql/expression.js";
import { freeze, nextAliasId, type AliasNode, type ExprNode, type FromNode, type OrderByNode, type SelectNode, type TableNode } from "../../../core/sql/nodes.js";
import { outputNames } from "../../../core/sql/select.js";
import type { EntityLike, InstrumentedColumn } from "../../mapping/instrumented.js";
import { relationshipJoin } from "../../mapping/join-condition.js";
import { AliasedEntity } from "../../query/aliased.js";
import type { QueryBuilder } from "../query-builder.js";
import { relationshipOrderBy } from "../relationship-order.js";
import type { ChildLoad } from "../path-options.js";

export function setupJoined(qb: QueryBuilder, child: ChildLoad, parentSlot: number): number {
  const rel = child.rel;
  const parentFrom = qb.slotFroms[parentSlot]!;
  const target = child.targetEntity ?? new AliasedEntity(rel.target, undefined);
  // `User.orders.and(Order.total.gt(100))` names the orders table; the join is to an anonymous
  // alias of it, so the criteria are re-pointed at that alias (SQLAlchemy's ClauseAdapter). The
  // parent's table likewise becomes the alias the parent is read from here (a deeper eager alias,
  // or the LIMIT wrapper's derived table, whose columns keep their names). The target wins for a
  // self-referential relationship.
  const swaps = new Map<TableNode, TableNode | AliasNode>();
  if (parentFrom.kind === "alias") swaps.set(rel.parent.table.node, parentFrom);
  if (child.targetEntity === undefined) swaps.set(rel.target.table.node, target.fromNode);
  const criteria = child.criteria !== undefined && swaps.size > 0 ? adaptCriteria(child.criteria, swaps) : child.criteria;
  const step = relationshipJoin(rel, parentFrom, target.fromNode, criteria);
  if (!child.args.innerjoin || !nestInnerJoin(qb, parentFrom, step.right, step.on)) {
    qb.joinTo(parentFrom, step.right, step.on, child.args.innerjoin ? "inner" : "left");
  }
  const offset = qb.addColumns(target);
  qb.slotFroms.push(target.fromNode);
  qb.joined.push({ parentSlot, child, offset });
  if (rel.uselist) {
    qb.requiresUnique = true;
    qb.orderBy.push(...relationshipOrderBy(rel, target.fromNode));
  }
  return qb.slotFroms.length - 1;
}

/**
 * An inner join below an outer one (`joinedload(User.orders).joinedload(Order.products, { innerjoin:
 * true })`) goes inside the outer join's right side, as SQLAlchemy nests it: `users LEFT OUTER JOIN
 * (orders AS orders_1 JOIN ...) ON ...`. Appended after the outer join, it would drop the users
 * without orders. Returns false when the parent is not on the optional side of an outer join.
 */
function nestInnerJoin(qb: QueryBuilder, parent: TableNode | AliasNode, right: FromNode, on: ExprNode): boolean {
  const nest = (from: FromNode): FromNode | undefined => {
    if (from.kind !== "join") return undefined;
    const inRight = nest(from.right);
    if (inRight !== undefined) return freeze({ ...from, right: inRight });
    if (from.type === "left" && leafFroms(from.right).includes(parent)) {
      return freeze({ ...from, right: freeze({ kind: "join", left: from.right, right, on, type: "inner" } as const) });
    }
    const inLeft = nest(from.left);
    return inLeft === undefined ? undefined : freeze({ ...from, left: inLeft });
  };
  for (let i = 0; i < qb.froms.length; i++) {
    const nested = nest(qb.froms[i]!);
    if (nested !== undefined) {
      qb.froms[i] = nested;
      return true;
    }
  }
  return false;
}

/** `criteria` with the columns of each table in `swaps` read from its replacement (unchanged subtrees are kept as they are). */
function adaptCriteria(criteria: Predicate, swaps: ReadonlyMap<TableNode, TableNode | AliasNode>): Predicate {
  const adapt = (value: unknown): unknown => {
    if (Array.isArray(value)) {
      const items = value.map(adapt);
      return items.some((v, i) => v !== value[i]) ? freeze(items) : value;
    }
    if (typeof value !== "object" || value === null || typeof (value as { kind?: unknown }).kind !== "string") return value;
    const node = value as { readonly kind: string } & Record<string, unknown>;
    if (node.kind === "column") {
      const to = swaps.get(node.from as TableNode);
      return to === undefined || to === node.from ? node : freeze({ ...node, from: to });
    }
    // Binds carry values, tables and aliases are FROM items; a subquery that selects FROM one of
    // the tables itself refers to its own rows, not the joined ones.
    if (node.kind === "bind" || node.kind === "table" || node.kind === "alias") return node;
    if (node.kind === "select" && (node.from as readonly FromNode[]).some((f) => leafFroms(f).some((l) => swaps.has(l as TableNode)))) return node;
    let changed = false;
    const copy: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(node)) {
      const adapted = key === "type" ? v : adapt(v);
      if (adapted !== v) changed = true;
      copy[key] = adapted;
    }
    return changed ? freeze(copy) : node;
  };
  const node = adapt(criteria.node) as ExprNode;
  return node === criteria.node ? criteria : new Expression<boolean>(node, criteria.sqlType);
}

/** The root entity re-pointed at a derived table: same mapper, columns read from the subquery. */
class SubqueryEntity implements EntityLike {
  constructor(readonly mapper: EntityLike["mapper"], readonly fromNode: AliasNode, private readonly cols: readonly InstrumentedColumn[]) {}
  columns(): readonly InstrumentedColumn[] {
    return this.cols;
  }
}

/**
 * LIMIT/OFFSET/DISTINCT with a joined collection: `SELECT ... FROM (SELECT users.* ... LIMIT $1)
 * AS anon_1 LEFT OUTER JOIN orders AS orders_1 ON anon_1.id = orders_1.user_id ORDER BY anon_1.id`,
 * so the limit counts parents, not joined rows. The ORDER BY is repeated on the subquery's columns.
 */
export function wrapForLimit(base: SelectNode, entity: EntityLike): {
  from: AliasNode; entity: EntityLike; orderBy: readonly OrderByNode[];
  /** The wrapper's column for `base.columns[index]` (a selected expression, read from outside). */
  column(index: number): ExprNode;
} {
  const entityIndex = (o: OrderByNode): number =>
    o.expr.kind === "column" && o.expr.from === entity.fromNode ? entity.mapper.columns.findIndex((c) => c.spec.name === (o.expr as { name: string }).name) : -1;
  // ORDER BY terms that are not the entity's own columns (another table's column, an expression)
  // leave the subquery as extra columns, so the outer query can repeat them (as SQLAlchemy does).
  const extra = base.orderBy.filter((o) => entityIndex(o) < 0);
  const inner: SelectNode = extra.length === 0 ? base : freeze({
    ...base,
    columns: [...base.columns, ...extra.map((o, k) => freeze({ kind: "label", expr: o.expr, name: `order_by_${k}` } as const))],
  });
  const alias: AliasNode = freeze({ kind: "alias", of: inner, name: undefined, id: nextAliasId() });
  const names = outputNames(inner);
  const cols = entity.mapper.columns.map((c, i) => {
    const col = new ColumnExpression({ ...c.spec, name: names[i]! }, alias, c.key) as unknown as InstrumentedColumn;
    return col;
  });
  const column = (index: number): ExprNode => freeze({ kind: "column", from: alias, name: names[index]!, type: { sql: "unknown" } } as const);
  let k = 0;
  const orderBy = base.orderBy.map((o): OrderByNode => {
    const i = entityIndex(o);
    if (i >= 0) return freeze({ ...o, expr: cols[i]!.node });
    return freeze({ ...o, expr: column(base.columns.length + k++) });
  });
  return { from: alias, entity: new SubqueryEntity(entity.mapper, alias, cols), orderBy, column };
}
