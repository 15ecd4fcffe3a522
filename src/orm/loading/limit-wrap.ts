/**
 * LIMIT/OFFSET/DISTINCT/GROUP BY with a joined collection anywhere in the statement's joins:
 * `SELECT ... FROM (SELECT users.* ... LIMIT $1) AS anon_1 LEFT OUTER JOIN orders AS orders_1 ON
 * anon_1.id = orders_1.user_id ORDER BY anon_1.id`, so the limit counts parents, not joined rows
 * (SQLAlchemy nests the same way). Every selected entity, selected expression and containsEager
 * target is read from the subquery; the ORDER BY is repeated on the subquery's columns.
 */
import { ColumnExpression } from "../../core/schema/table.js";
import { freeze, nextAliasId, type AliasNode, type ExprNode, type OrderByNode, type SelectNode } from "../../core/sql/nodes.js";
import { outputNames } from "../../core/sql/select.js";
import type { EntityLike, InstrumentedColumn } from "../mapping/instrumented.js";

/** An entity re-pointed at the derived table: same mapper, columns read from the subquery. */
class SubqueryEntity implements EntityLike {
  constructor(readonly mapper: EntityLike["mapper"], readonly fromNode: AliasNode, private readonly cols: readonly InstrumentedColumn[]) {}
  columns(): readonly InstrumentedColumn[] {
    return this.cols;
  }
}

export interface WrappedEntity {
  readonly entity: EntityLike;
  /** Original column name -> its name in the subquery, when any differs (undefined: none does). */
  readonly renames: ReadonlyMap<string, string> | undefined;
}

export interface WrappedSelect {
  readonly from: AliasNode;
  /** For each entity passed in (selected ones, then carried ones), the same entity read from the subquery. */
  readonly entities: readonly WrappedEntity[];
  readonly orderBy: readonly OrderByNode[];
  /** The wrapper's column for `base.columns[index]` (a selected expression, read from outside). */
  column(index: number): ExprNode;
}

/**
 * `selected`: the statement's entities with the index of their first column in `base.columns`.
 * `carried`: entities of the statement's own joins (containsEager targets) whose columns the
 * subquery must pass out.
 */
export function wrapForLimit(
  base: SelectNode, selected: readonly { readonly entity: EntityLike; readonly start: number }[], carried: readonly EntityLike[],
): WrappedSelect {
  const extraEntities = carried.map((entity, k) => ({ entity, start: base.columns.length + carried.slice(0, k).reduce((n, e) => n + e.columns().length, 0) }));
  const all = [...selected, ...extraEntities];
  const columnIndex = (o: OrderByNode): number => {
    if (o.expr.kind !== "column") return -1;
    const expr = o.expr;
    for (const { entity, start } of all) {
      if (expr.from !== entity.fromNode) continue;
      const i = entity.mapper.columns.findIndex((c) => c.spec.name === expr.name);
      if (i >= 0) return start + i;
    }
    return -1;
  };
  // ORDER BY terms that are not an entity's own columns (another table's column, an expression)
  // leave the subquery as extra columns, so the outer query can repeat them (as SQLAlchemy does).
  const extra = base.orderBy.filter((o) => columnIndex(o) < 0);
  const carriedColumns = carried.flatMap((e) => e.columns().map((c) => c.node));
  const inner: SelectNode = extra.length === 0 && carried.length === 0 ? base : freeze({
    ...base,
    columns: [...base.columns, ...carriedColumns, ...extra.map((o, k) => freeze({ kind: "label", expr: o.expr, name: `order_by_${k}` } as const))],
  });
  const alias: AliasNode = freeze({ kind: "alias", of: inner, name: undefined, id: nextAliasId() });
  const names = outputNames(inner);
  const column = (index: number): ExprNode => freeze({ kind: "column", from: alias, name: names[index]!, type: { sql: "unknown" } } as const);
  const entities = all.map(({ entity, start }): WrappedEntity => {
    const renames = new Map<string, string>();
    const cols = entity.mapper.columns.map((c, i) => {
      const name = names[start + i]!;
      if (name !== c.spec.name) renames.set(c.spec.name, name);
      return new ColumnExpression({ ...c.spec, name }, alias, c.key) as unknown as InstrumentedColumn;
    });
    return { entity: new SubqueryEntity(entity.mapper, alias, cols), renames: renames.size === 0 ? undefined : renames };
  });
  let k = 0;
  const extraStart = base.columns.length + carriedColumns.length;
  const orderBy = base.orderBy.map((o): OrderByNode => {
    const i = columnIndex(o);
    return freeze({ ...o, expr: column(i >= 0 ? i : extraStart + k++) });
  });
  return { from: alias, entities, orderBy, column };
}

