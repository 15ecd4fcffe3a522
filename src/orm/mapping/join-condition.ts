/** ON clauses derived from relationships, between any two FROM items (tables or aliases). */
import { forEachColumnSource } from "../../core/compiler/compiler.js";
import { ColumnExpression, type ColumnSpec } from "../../core/schema/table.js";
import type { Predicate } from "../../core/sql/expression.js";
import { freeze, nextAliasId, type AliasNode, type ExprNode, type FromNode, type TableNode } from "../../core/sql/nodes.js";
import { and } from "../../core/sql/operators.js";
import type { RelationshipProperty } from "./mapper.js";

export function columnOf(from: TableNode | AliasNode, spec: ColumnSpec): ColumnExpression {
  return new ColumnExpression(spec, from, spec.name);
}

function equalities(pairs: readonly (readonly [ColumnSpec, ColumnSpec])[], left: TableNode | AliasNode, right: TableNode | AliasNode): Predicate {
  return and(...pairs.map(([l, r]) => columnOf(left, l).eq(columnOf(right, r))));
}

export interface JoinStep {
  /** What to join: the target, or for many-to-many `(secondary JOIN target ON ...)`. */
  readonly right: FromNode;
  readonly on: ExprNode;
}

/**
 * The join from `parentFrom` across `rel` to `targetFrom`. Many-to-many goes through an alias of
 * the secondary table as a nested join, so the outer join keeps parents with no targets.
 */
export function relationshipJoin(rel: RelationshipProperty, parentFrom: TableNode | AliasNode, targetFrom: TableNode | AliasNode, criteria: Predicate | undefined): JoinStep {
  if (rel.secondary !== undefined) {
    const secondary: AliasNode = freeze({ kind: "alias", of: rel.secondary.node, name: undefined, id: nextAliasId() });
    // Criteria on the target go inside the parenthesized join, as SQLAlchemy places them. Criteria
    // that name anything else (the parent: `Order.products.and(Product.id.ne(Order.userId))`)
    // cannot: PostgreSQL does not let a nested join's ON see tables outside it, so they join the
    // outer ON, which filters the same pairs.
    const inside = criteria !== undefined && namesOnly(criteria, [secondary, targetFrom]);
    const targetOn = equalities(rel.secondaryPairs, secondary, targetFrom);
    const right: FromNode = freeze({ kind: "join", left: secondary, right: targetFrom, on: (inside ? and(targetOn, criteria) : targetOn).node, type: "inner" });
    const parentOn = equalities(rel.pairs, parentFrom, secondary);
    return { right, on: (criteria !== undefined && !inside ? and(parentOn, criteria) : parentOn).node };
  }
  const on = equalities(rel.pairs, parentFrom, targetFrom);
  return { right: targetFrom, on: (criteria ? and(on, criteria) : on).node };
}

/** Whether every column `criteria` reads belongs to one of `froms`. */
function namesOnly(criteria: Predicate, froms: readonly (TableNode | AliasNode)[]): boolean {
  let only = true;
  forEachColumnSource(criteria.node, (source) => {
    if (!froms.includes(source)) only = false;
  });
  return only;
}
