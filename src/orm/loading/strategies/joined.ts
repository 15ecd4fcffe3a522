/**
 * joinedload: the related rows come in the same query through a LEFT OUTER JOIN (or JOIN with
 * `innerjoin`) to an anonymous alias of the target, so a table can appear twice and self-joins
 * work. A collection makes parent rows repeat: the result then requires `.unique()`.
 */
import { leafFroms } from "../../../core/compiler/compiler.js";
import { Expression, type Predicate } from "../../../core/sql/expression.js";
import { freeze, type AliasNode, type ExprNode, type FromNode, type TableNode } from "../../../core/sql/nodes.js";
import { relationshipJoin } from "../../mapping/join-condition.js";
import { AliasedEntity } from "../../query/aliased.js";
import type { QueryBuilder } from "../query-builder.js";
import { adaptColumns, adaptCriteria } from "../adapt-columns.js";
import { loadCriteria } from "../entity-criteria.js";
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
  const declared = loadCriteria(child);
  const criteria = declared !== undefined && swaps.size > 0 ? adaptCriteria(declared, swaps) : declared;
  const joinStep = relationshipJoin(rel, parentFrom, target.fromNode, criteria);
  // A parent read from the LIMIT wrapper may have columns renamed there (two entities' "id").
  const renames = qb.slotRenames.get(parentSlot);
  const on = renames === undefined ? joinStep.on : adaptColumns(joinStep.on, (col) => {
    const name = col.from === parentFrom ? renames.get(col.name) : undefined;
    return name === undefined ? col : freeze({ ...col, name });
  });
  const step = { right: joinStep.right, on };
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
