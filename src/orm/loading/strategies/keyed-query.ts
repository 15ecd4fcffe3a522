/**
 * The batch query shared by selectin, immediate and explicit loads: the related rows for a set of
 * parent keys, in one SQL shape whatever the number of keys (`= ANY($1)` with an array parameter,
 * or a row comparison against `unnest($1, $2)` for composite keys), so the statement is compiled
 * once and a prepared statement is reused.
 *
 * - one-to-many: `SELECT orders.user_id, orders.* FROM orders WHERE orders.user_id = ANY($1)`
 *   (no join back to the parent);
 * - many-to-one: `SELECT users.* FROM users WHERE users.id = ANY($1)` over the distinct foreign keys;
 * - many-to-many: each target row once, with the array of parent keys it belongs to:
 *   `SELECT anon_1.order_id, products.* FROM products JOIN (SELECT s.product_id,
 *   array_agg(s.order_id) AS order_id FROM order_products AS s WHERE s.order_id = ANY($1)
 *   GROUP BY s.product_id) AS anon_1 ON products.id = anon_1.product_id`.
 *   A plain join sends a target once per parent that holds it: W1's 20,000 orders share 1,000
 *   products, so it sent 100,000 product rows where 1,000 rows with a key array each carry the
 *   same graph, in a tenth of the client time (docs/design.md has the figures, and the cost
 *   when no target is shared).
 *   The grouping is on the association table's own columns, so the target needs no primary-key
 *   constraint in the database, and every aggregate of a group sees its rows in the same order,
 *   so composite keys zip back together position by position.
 */
import { bindparam, Expression, type Predicate } from "../../../core/sql/expression.js";
import { freeze, nextAliasId, type AliasNode, type BindNode, type ExprNode, type FromNode, type OrderByNode, type SelectNode, type TableNode } from "../../../core/sql/nodes.js";
import { and, func } from "../../../core/sql/operators.js";
import { types } from "../../../core/sql/types.js";
import { compositeKey } from "../../mapping/identity-key.js";
import { STATE, type Instrumented } from "../../mapping/instance-state.js";
import type { EntityLike } from "../../mapping/instrumented.js";
import { columnOf } from "../../mapping/join-condition.js";
import type { ColumnSpec } from "../../../core/schema/table.js";
import type { RelationshipProperty } from "../../mapping/mapper.js";
import { relationshipOrderBy } from "../relationship-order.js";

export interface KeyedQuery {
  readonly node: SelectNode;
  /** Number of leading grouping-key columns before the target's columns (0 for many-to-one). */
  readonly keyCount: number;
  /** Many-to-many: each leading column holds an array, one key per parent the row belongs to. */
  readonly keyArrays: boolean;
}

/** The columns of the parent (or, for many-to-one, its foreign keys) whose values key the batch. */
export function parentKeyColumns(rel: RelationshipProperty): ColumnSpec[] {
  return rel.pairs.map(([local]) => local);
}

/** The key of one parent for `rel` (undefined when any part is NULL: nothing to load). */
export function parentKey(parent: Instrumented, rel: RelationshipProperty): unknown {
  const values = parent[STATE].values;
  const cols = rel.pairs;
  if (cols.length === 1) {
    const v = values[rel.parent.columnFor(cols[0]![0]).index];
    return v === null || typeof v === "symbol" ? undefined : v;
  }
  const parts = cols.map(([local]) => values[rel.parent.columnFor(local).index]);
  return parts.some((v) => v === null || typeof v === "symbol") ? undefined : compositeKey(parts);
}

/** Splits distinct keys into per-column arrays for the bind parameters. */
export function keyParams(rel: RelationshipProperty, parents: readonly Instrumented[], keys: readonly unknown[]): Record<string, unknown> {
  if (rel.pairs.length === 1) return { keys };
  const params: Record<string, unknown[]> = {};
  rel.pairs.forEach((_, i) => (params[`keys${i}`] = []));
  const done = new Set<unknown>();
  for (const p of parents) {
    const key = parentKey(p, rel);
    if (key === undefined || done.has(key) || !keys.includes(key)) continue;
    done.add(key);
    rel.pairs.forEach(([local], i) => params[`keys${i}`]!.push(p[STATE].values[rel.parent.columnFor(local).index]));
  }
  return params;
}

function keyFilter(filterColumns: readonly ExprNode[], arrayTypes: readonly ColumnSpec[]): ExprNode {
  if (filterColumns.length === 1) {
    const array = bindparam("keys").node as BindNode;
    return freeze({ kind: "any-array", expr: filterColumns[0]!, array, negate: false });
  }
  const arrays = filterColumns.map((_, i) => freeze({ ...(bindparam(`keys${i}`).node as BindNode), type: types.array(arrayTypes[i]!.type) }));
  return freeze({ kind: "tuple-in", exprs: filterColumns, arrays });
}

const cache = new WeakMap<RelationshipProperty, KeyedQuery>();

export function keyedQuery(rel: RelationshipProperty, target: EntityLike | undefined, criteria: Predicate | undefined): KeyedQuery {
  const cacheable = target === undefined && criteria === undefined;
  if (cacheable) {
    const hit = cache.get(rel);
    if (hit) return hit;
  }
  const entity = target ?? rel.target.entity;
  const targetFrom = entity.fromNode;
  const targetColumns = entity.columns().map((c) => c.node);
  if (rel.secondary !== undefined) return cacheQuery(manyToManyQuery(rel, targetFrom, targetColumns, criteria), cacheable, rel);
  const keyColumns = rel.pairs.map(([, remote]) => columnOf(targetFrom, remote).node);
  // Many-to-one needs no grouping column: the target's own key says which parents it belongs to.
  const leading = rel.direction === "one-to-many" ? keyColumns : [];
  const filter = keyFilter(keyColumns, parentKeyColumns(rel));
  const where = criteria === undefined ? filter : freeze({ kind: "boolean-list", op: "AND", items: [criteria.node, filter] } as const);
  const node = selectNode([...leading, ...targetColumns], targetFrom, where, relationshipOrderBy(rel, targetFrom));
  return cacheQuery({ node, keyCount: leading.length, keyArrays: false }, cacheable, rel);
}

function cacheQuery(query: KeyedQuery, cacheable: boolean, rel: RelationshipProperty): KeyedQuery {
  if (cacheable) cache.set(rel, query);
  return query;
}

function selectNode(columns: ExprNode[], from: FromNode, where: ExprNode | undefined, orderBy: OrderByNode[], groupBy: ExprNode[] = []): SelectNode {
  return freeze({
    kind: "select", columns, from: [from], where, groupBy, having: undefined,
    orderBy, limit: undefined, offset: undefined, distinct: false, forUpdate: false,
  });
}

/** The many-to-many form: the association rows grouped per target key, joined to the target. */
function manyToManyQuery(rel: RelationshipProperty, targetFrom: TableNode | AliasNode, targetColumns: ExprNode[], criteria: Predicate | undefined): KeyedQuery {
  const secondary: AliasNode = freeze({ kind: "alias", of: rel.secondary!.node, name: undefined, id: nextAliasId() });
  const parentKeys = rel.pairs.map(([, s]) => columnOf(secondary, s).node);
  const targetKeys = rel.secondaryPairs.map(([s]) => columnOf(secondary, s).node);
  const keyArrays = parentKeys.map((key) => func.array_agg(new Expression(key)).label(key.name).node);
  const filter = keyFilter(parentKeys, parentKeyColumns(rel));
  const grouped: AliasNode = freeze({ kind: "alias", of: selectNode([...targetKeys, ...keyArrays], secondary, filter, [], targetKeys), name: undefined, id: nextAliasId() });
  const on = and(...rel.secondaryPairs.map(([s, t]) => columnOf(targetFrom, t).eq(columnOf(grouped, s))));
  const from: FromNode = freeze({ kind: "join", left: targetFrom, right: grouped, on: on.node, type: "inner" });
  const leading = rel.pairs.map(([, s]) => freeze({ kind: "column", from: grouped, name: s.name, type: types.array(s.type) } as const));
  const node = selectNode([...leading, ...targetColumns], from, criteria?.node, relationshipOrderBy(rel, targetFrom));
  return { node, keyCount: leading.length, keyArrays: true };
}

/** The grouping key of a loaded row (its leading key columns). */
export function rowGroupKey(row: readonly unknown[], keyCount: number): unknown {
  if (keyCount === 1) return row[0];
  return compositeKey(row.slice(0, keyCount));
}

/** Composite keys of a many-to-many row: position j of every key array makes the j-th key. */
export function zipKeys(row: readonly unknown[], keyCount: number): unknown[] {
  const columns = row.slice(0, keyCount) as (readonly unknown[])[];
  return columns[0]!.map((_, j) => compositeKey(columns.map((c) => c[j])));
}
