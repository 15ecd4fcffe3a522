/**
 * The batch query shared by selectin, immediate and explicit loads: the related rows for a set of
 * parent keys, in one SQL shape whatever the number of keys (`= ANY($1)` with an array parameter,
 * or a row comparison against `unnest($1, $2)` for composite keys), so the statement is compiled
 * once and a prepared statement is reused.
 *
 * - one-to-many: `SELECT orders.user_id, orders.* FROM orders WHERE orders.user_id = ANY($1)`
 *   (no join back to the parent);
 * - many-to-one: `SELECT users.* FROM users WHERE users.id = ANY($1)` over the distinct foreign keys;
 * - many-to-many: `SELECT s.order_id, products.* FROM products JOIN order_products AS s ON ...
 *   WHERE s.order_id = ANY($1)`.
 */
import { bindparam, type Predicate } from "../../../core/sql/expression.js";
import { freeze, nextAliasId, type AliasNode, type BindNode, type ExprNode, type FromNode, type OrderByNode, type SelectNode, type TableNode } from "../../../core/sql/nodes.js";
import { and } from "../../../core/sql/operators.js";
import { types } from "../../../core/sql/types.js";
import { compositeKey } from "../../mapping/identity-key.js";
import { STATE, type Instrumented } from "../../mapping/instance-state.js";
import type { EntityLike } from "../../mapping/instrumented.js";
import { columnOf } from "../../mapping/join-condition.js";
import type { ColumnSpec } from "../../../core/schema/table.js";
import type { RelationshipProperty } from "../../mapping/mapper.js";

export interface KeyedQuery {
  readonly node: SelectNode;
  /** Number of leading grouping-key columns before the target's columns (0 for many-to-one). */
  readonly keyCount: number;
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

function orderByFor(rel: RelationshipProperty, from: TableNode | AliasNode): OrderByNode[] {
  const spec = rel.options.orderBy;
  if (spec === undefined) return [];
  return spec.split(",").map((part) => {
    const [key, dir] = part.trim().split(/\s+/);
    const col = rel.target.columnsByKey.get(key!) ?? rel.target.columnsByName.get(key!);
    if (!col) throw new Error(`${rel.description}: orderBy names "${key}", which is not a column of ${rel.target.name}.`);
    return freeze({ kind: "order-by", expr: columnOf(from, col.spec).node, direction: dir?.toUpperCase() === "DESC" ? "DESC" : "ASC", nulls: undefined });
  });
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
  let from: FromNode = targetFrom;
  let keyColumns: ExprNode[];
  let filterTypes: ColumnSpec[];
  let leading: ExprNode[];
  if (rel.direction === "one-to-many") {
    keyColumns = rel.pairs.map(([, remote]) => columnOf(targetFrom, remote).node);
    filterTypes = rel.pairs.map(([local]) => local);
    leading = keyColumns;
  } else if (rel.direction === "many-to-one") {
    keyColumns = rel.pairs.map(([, remote]) => columnOf(targetFrom, remote).node);
    filterTypes = rel.pairs.map(([local]) => local);
    leading = [];
  } else {
    const secondary: AliasNode = freeze({ kind: "alias", of: rel.secondary!.node, name: undefined, id: nextAliasId() });
    const on = and(...rel.secondaryPairs.map(([s, t]) => columnOf(targetFrom, t).eq(columnOf(secondary, s))));
    from = freeze({ kind: "join", left: targetFrom, right: secondary, on: on.node, type: "inner" });
    keyColumns = rel.pairs.map(([, s]) => columnOf(secondary, s).node);
    filterTypes = rel.pairs.map(([local]) => local);
    leading = keyColumns;
  }
  const filter = keyFilter(keyColumns, filterTypes);
  const where = criteria === undefined ? filter : freeze({ kind: "boolean-list", op: "AND", items: [criteria.node, filter] } as const);
  const node: SelectNode = freeze({
    kind: "select", columns: [...leading, ...targetColumns], from: [from], where, groupBy: [], having: undefined,
    orderBy: orderByFor(rel, targetFrom), limit: undefined, offset: undefined, distinct: false, forUpdate: false,
  });
  const query = { node, keyCount: leading.length };
  if (cacheable) cache.set(rel, query);
  return query;
}

/** The grouping key of a loaded row (its leading key columns). */
export function rowGroupKey(row: readonly unknown[], keyCount: number): unknown {
  if (keyCount === 1) return row[0];
  return compositeKey(row.slice(0, keyCount));
}
