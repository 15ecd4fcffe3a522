/**
 * joinedload: the related rows come in the same query through a LEFT OUTER JOIN (or JOIN with
 * `innerjoin`) to an anonymous alias of the target, so a table can appear twice and self-joins
 * work. A collection makes parent rows repeat: the result then requires `.unique()`.
 */
import { ColumnExpression } from "../../../core/schema/table.js";
import { freeze, nextAliasId, type AliasNode, type OrderByNode, type SelectNode } from "../../../core/sql/nodes.js";
import { outputNames } from "../../../core/sql/select.js";
import type { EntityLike, InstrumentedColumn } from "../../mapping/instrumented.js";
import { relationshipJoin } from "../../mapping/join-condition.js";
import { AliasedEntity } from "../../query/aliased.js";
import type { QueryBuilder } from "../../query/compile.js";
import type { ChildLoad } from "../path-options.js";

export function setupJoined(qb: QueryBuilder, child: ChildLoad, parentSlot: number): number {
  const rel = child.rel;
  const parentFrom = qb.slotFroms[parentSlot]!;
  const target = child.targetEntity ?? new AliasedEntity(rel.target, undefined);
  const step = relationshipJoin(rel, parentFrom, target.fromNode, child.criteria);
  qb.joinTo(parentFrom, step.right, step.on, child.args.innerjoin ? "inner" : "left");
  const offset = qb.addColumns(target);
  qb.slotFroms.push(target.fromNode);
  qb.joined.push({ parentSlot, child, offset });
  if (rel.uselist) qb.requiresUnique = true;
  return qb.slotFroms.length - 1;
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
export function wrapForLimit(base: SelectNode, entity: EntityLike): { from: AliasNode; entity: EntityLike; orderBy: readonly OrderByNode[] } {
  const alias: AliasNode = freeze({ kind: "alias", of: base, name: undefined, id: nextAliasId() });
  const names = outputNames(base);
  const cols = entity.mapper.columns.map((c, i) => {
    const col = new ColumnExpression({ ...c.spec, name: names[i]! }, alias, c.key) as unknown as InstrumentedColumn;
    return col;
  });
  const orderBy = base.orderBy.flatMap((o): OrderByNode[] => {
    if (o.expr.kind !== "column" || o.expr.from !== entity.fromNode) return [];
    const i = entity.mapper.columns.findIndex((c) => c.spec.name === (o.expr as { name: string }).name);
    return i < 0 ? [] : [freeze({ ...o, expr: cols[i]!.node })];
  });
  return { from: alias, entity: new SubqueryEntity(entity.mapper, alias, cols), orderBy };
}
