/**
 * subqueryload: re-runs the parent statement as a subquery that yields the parents' keys and joins
 * the related table to it: `SELECT anon_1.id, orders.* FROM (SELECT users.id AS id FROM users
 * WHERE ... LIMIT ...) AS anon_1 JOIN orders ON anon_1.id = orders.user_id`. It needs no key list
 * from the first query, only its text. Below the first level Athanor keys the query on the
 * parents already loaded (the selectin form), which returns the same rows with less SQL nesting.
 */
import { loadCriteria } from "../entity-criteria.js";
import { ColumnExpression } from "../../../core/schema/table.js";
import { freeze, nextAliasId, type AliasNode, type ExprNode, type FromNode, type SelectNode, type TableNode } from "../../../core/sql/nodes.js";
import { and } from "../../../core/sql/operators.js";
import { setRaw } from "../../mapping/backrefs.js";
import { STATE, type Instrumented } from "../../mapping/instance-state.js";
import { columnOf } from "../../mapping/join-condition.js";
import type { LoadContext } from "../context.js";
import { instanceFromRow } from "../hydrate.js";
import type { ChildLoad } from "../path-options.js";
import { parentKey, rowGroupKey } from "./keyed-query.js";
import { loadKeyed } from "./select-in.js";
import { joinIntoBatch } from "../eager-joins.js";
import { fillJoined, newFills } from "../joined-rows.js";
import { relationshipOrderBy } from "../relationship-order.js";

export async function loadSubquery(
  ctx: LoadContext, child: ChildLoad, parents: readonly Instrumented[], atRoot: boolean, values?: Readonly<Record<string, unknown>>,
): Promise<void> {
  const rel = child.rel;
  const criteria = loadCriteria(child);
  const base = ctx.rootSelect;
  const rootFrom = atRoot && base !== undefined ? parentFrom(base, rel) : undefined;
  if (base === undefined || rootFrom === undefined) {
    await loadKeyed(ctx, { rel, node: child.node, criteria, targetEntity: child.targetEntity }, parents);
    return;
  }
  const pending = parents.filter((p) => ctx.populateExisting || p[STATE].rels?.[rel.index] === undefined);
  if (pending.length === 0) return;
  const keySpecs = rel.pairs.map(([local]) => local);
  const inner: SelectNode = freeze({
    ...base,
    // Order matters inside the subquery only when it picks rows (LIMIT/OFFSET), as in SQLAlchemy.
    orderBy: base.limit === undefined && base.offset === undefined ? [] : base.orderBy,
    columns: keySpecs.map((spec, i) => freeze({ kind: "label", expr: columnOf(rootFrom, spec).node, name: `key_${i}` } as const)),
  });
  const anon: AliasNode = freeze({ kind: "alias", of: inner, name: undefined, id: nextAliasId() });
  const anonKeys = keySpecs.map((spec, i) => new ColumnExpression({ ...spec, name: `key_${i}` }, anon, `key_${i}`));
  const target = child.targetEntity ?? rel.target.entity;
  let from: FromNode;
  if (rel.secondary === undefined) {
    const on = and(...rel.pairs.map(([, remote], i) => anonKeys[i]!.eq(columnOf(target.fromNode, remote))));
    from = freeze({ kind: "join", left: anon, right: target.fromNode, on: (criteria ? and(on, criteria) : on).node, type: "inner" });
  } else {
    const secondary: AliasNode = freeze({ kind: "alias", of: rel.secondary.node, name: undefined, id: nextAliasId() });
    const onSecondary = and(...rel.pairs.map(([, s], i) => anonKeys[i]!.eq(columnOf(secondary, s))));
    const onTarget = and(...rel.secondaryPairs.map(([s, t]) => columnOf(secondary, s).eq(columnOf(target.fromNode, t))));
    const first: FromNode = freeze({ kind: "join", left: anon, right: secondary, on: onSecondary.node, type: "inner" });
    from = freeze({ kind: "join", left: first, right: target.fromNode, on: (criteria ? and(onTarget, criteria) : onTarget).node, type: "inner" });
  }
  const leading: ExprNode[] = anonKeys.map((k) => k.node);
  const query: SelectNode = freeze({
    kind: "select", columns: [...leading, ...target.columns().map((c) => c.node)], from: [from], where: undefined,
    groupBy: [], having: undefined, orderBy: relationshipOrderBy(rel, target.fromNode), limit: undefined, offset: undefined, distinct: false, forUpdate: false,
  });
  // Joined steps below this level join into this query (issue 11, defect 1).
  const batch = joinIntoBatch(query, target.fromNode, child.node);
  const result = await ctx.session.run(batch?.node ?? query, values);
  const groups = new Map<unknown, Instrumented[]>();
  const slots: (Instrumented | null)[] = [];
  const fills = batch === undefined ? undefined : newFills(batch.joined);
  for (const row of result.rows) {
    const obj = instanceFromRow(ctx, rel.target, row, leading.length, child.node);
    if (fills !== undefined) {
      slots[0] = obj;
      fillJoined(ctx, row, slots, 1, batch!.joined, fills);
    }
    if (obj === null) continue;
    const key = rowGroupKey(row, leading.length);
    const list = groups.get(key) ?? [];
    // A parent repeated in the parent query repeats its children here; keep each once.
    if (!list.includes(obj)) list.push(obj);
    groups.set(key, list);
  }
  for (const p of pending) {
    const key = parentKey(p, rel);
    const found = key === undefined ? undefined : groups.get(key);
    setRaw(p, rel, rel.uselist ? found ?? [] : found?.[0] ?? null);
  }
}

/**
 * Where the parent statement reads the relationship's parent entity from: its table or an alias
 * of it, found among the selected columns (`select(User, Order)` with `subqueryload(Order.products)`
 * keys on orders, not on the first entity). Undefined when there is no single such FROM item
 * (the entity selected twice, or from a derived table): the caller then keys on the loaded parents.
 */
function parentFrom(base: SelectNode, rel: ChildLoad["rel"]): TableNode | AliasNode | undefined {
  const table = rel.parent.table.node;
  const found = new Set<TableNode | AliasNode>();
  for (const c of base.columns) {
    if (c.kind !== "column") continue;
    if (c.from === table || (c.from.kind === "alias" && c.from.of === table)) found.add(c.from);
  }
  return found.size === 1 ? [...found][0] : undefined;
}
