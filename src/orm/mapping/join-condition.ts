/** ON clauses derived from relationships, between any two FROM items (tables or aliases). */
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
    const inner = criteria ? and(equalities(rel.secondaryPairs, secondary, targetFrom), criteria) : equalities(rel.secondaryPairs, secondary, targetFrom);
    const right: FromNode = freeze({ kind: "join", left: secondary, right: targetFrom, on: inner.node, type: "inner" });
    return { right, on: equalities(rel.pairs, parentFrom, secondary).node };
  }
  const on = equalities(rel.pairs, parentFrom, targetFrom);
  return { right: targetFrom, on: (criteria ? and(on, criteria) : on).node };
}
