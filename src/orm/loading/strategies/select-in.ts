/**
 * selectinload: after the parents arrive, one batch query per relationship level keyed on the
 * parents' keys (see keyed-query.ts). No query when no parent needs it; parents without related
 * rows get [] (or null). Many-to-one skips targets already in the identity map. A self-referential
 * relationship with `recursionDepth` repeats on each new level (-1: until a level is empty).
 */
import { loadCriteria } from "../entity-criteria.js";
import { setRaw } from "../../mapping/backrefs.js";
import { STATE, type Instrumented } from "../../mapping/instance-state.js";
import type { RelationshipProperty } from "../../mapping/mapper.js";
import type { LoadContext } from "../context.js";
import { instanceFromRow } from "../hydrate.js";
import type { ChildLoad } from "../path-options.js";
import { keyedQuery, keyParams, parentKey, rowGroupKey, zipKeys, type KeyedQuery } from "./keyed-query.js";
import { identityKey } from "../../mapping/identity-key.js";
import type { PathNode } from "../path-options.js";
import type { Predicate } from "../../../core/sql/expression.js";
import type { EntityLike } from "../../mapping/instrumented.js";
import { joinIntoBatch } from "../eager-joins.js";
import { fillJoined, newFills } from "../joined-rows.js";
import type { JoinedSlot } from "../query-builder.js";

export interface KeyedLoadSpec {
  readonly rel: RelationshipProperty;
  readonly node: PathNode;
  readonly criteria: Predicate | undefined;
  readonly targetEntity: EntityLike | undefined;
}

function needsLoad(ctx: LoadContext, parent: Instrumented, rel: RelationshipProperty): boolean {
  return ctx.populateExisting || parent[STATE].rels?.[rel.index] === undefined;
}

/** Loads `spec.rel` for every parent that needs it, with one query. Returns the objects loaded. */
export async function loadKeyed(ctx: LoadContext, spec: KeyedLoadSpec, parents: readonly Instrumented[], force = false): Promise<void> {
  const { rel } = spec;
  const pending = force ? parents : parents.filter((p) => needsLoad(ctx, p, rel));
  if (pending.length === 0) return;
  if (rel.direction === "many-to-one") return loadManyToOne(ctx, spec, pending);
  const keys: unknown[] = [];
  const seen = new Set<unknown>();
  for (const p of pending) {
    const key = parentKey(p, rel);
    if (key !== undefined && !seen.has(key)) { seen.add(key); keys.push(key); }
  }
  let groups: Map<unknown, Instrumented[]> | undefined;
  if (keys.length > 0) {
    const query = keyedQuery(rel, spec.targetEntity, spec.criteria);
    const batch = joinIntoBatch(query.node, (spec.targetEntity ?? rel.target.entity).fromNode, spec.node);
    const result = await ctx.session.run(batch?.node ?? query.node, keyParams(rel, pending, keys));
    groups = groupRows(ctx, spec, result.rows, query, batch?.joined);
  }
  assignGroups(pending, rel, groups);
}

// The loops over every row and parent are synchronous functions of their own: in an async
// function, the code after an await lost its optimized form after full GCs ("weak objects"), so
// a 100,000-row load could run them in the interpreter (the flush's insertBatch did, every run).

/** The objects of `rows`, grouped by the parent key the rows start with (or, many-to-many, by each key of the key arrays). */
function groupRows(
  ctx: LoadContext, spec: KeyedLoadSpec, rows: readonly (readonly unknown[])[], query: KeyedQuery, joined: readonly JoinedSlot[] | undefined,
): Map<unknown, Instrumented[]> {
  const groups = new Map<unknown, Instrumented[]>();
  const target = spec.rel.target;
  const { keyCount, keyArrays } = query;
  // With joined steps below, a target repeats once per joined row: it joins its groups once.
  const slots: (Instrumented | null)[] = [];
  const fills = joined === undefined ? undefined : newFills(joined);
  const grouped = joined === undefined ? undefined : new Set<Instrumented>();
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r]!;
    const obj = instanceFromRow(ctx, target, row, keyCount, spec.node);
    if (fills !== undefined) {
      slots[0] = obj;
      fillJoined(ctx, row, slots, 1, joined!, fills);
    }
    if (obj === null) continue;
    if (grouped !== undefined) {
      // One-to-many rows of one target share its one key; many-to-many rows carry all its keys.
      if (grouped.has(obj)) continue;
      grouped.add(obj);
    }
    if (!keyArrays) addToGroup(groups, rowGroupKey(row, keyCount), obj);
    else if (keyCount === 1) for (const key of row[0] as readonly unknown[]) addToGroup(groups, key, obj);
    else for (const key of zipKeys(row, keyCount)) addToGroup(groups, key, obj);
  }
  return groups;
}

function addToGroup(groups: Map<unknown, Instrumented[]>, key: unknown, obj: Instrumented): void {
  const list = groups.get(key);
  if (list === undefined) groups.set(key, [obj]);
  else list.push(obj);
}

/** Each parent gets its group (a collection, or its one object), empty or null when it has none. */
function assignGroups(parents: readonly Instrumented[], rel: RelationshipProperty, groups: Map<unknown, Instrumented[]> | undefined): void {
  for (let i = 0; i < parents.length; i++) {
    const p = parents[i]!;
    const key = parentKey(p, rel);
    const found = key === undefined ? undefined : groups?.get(key);
    setRaw(p, rel, rel.uselist ? found ?? [] : found?.[0] ?? null);
  }
}

async function loadManyToOne(ctx: LoadContext, spec: KeyedLoadSpec, parents: readonly Instrumented[]): Promise<void> {
  const { rel } = spec;
  const keys: unknown[] = [];
  const seen = new Set<unknown>();
  for (const p of parents) {
    const key = parentKey(p, rel);
    if (key === undefined || seen.has(key)) continue;
    seen.add(key);
    // Targets already in the identity map need no query (unless overwriting was asked for, or
    // they are expired: the query refreshes them).
    const known = ctx.lookup(rel.target, key) as Instrumented | undefined;
    if (ctx.populateExisting || known === undefined || known[STATE].expired || spec.criteria !== undefined) keys.push(key);
  }
  const found = new Map<unknown, Instrumented>();
  if (keys.length > 0) {
    const query = keyedQuery(rel, spec.targetEntity, spec.criteria);
    const batch = joinIntoBatch(query.node, (spec.targetEntity ?? rel.target.entity).fromNode, spec.node);
    const result = await ctx.session.run(batch?.node ?? query.node, keyParams(rel, parents, keys));
    const pkIndexes = rel.target.primaryKey.map((c) => c.index);
    const slots: (Instrumented | null)[] = [];
    const fills = batch === undefined ? undefined : newFills(batch.joined);
    for (const row of result.rows) {
      const obj = instanceFromRow(ctx, rel.target, row, 0, spec.node);
      if (fills !== undefined) {
        slots[0] = obj;
        fillJoined(ctx, row, slots, 1, batch!.joined, fills);
      }
      if (obj !== null) found.set(identityKey(pkIndexes.map((i) => row[i])), obj);
    }
  }
  for (const p of parents) {
    const key = parentKey(p, rel);
    const target = key === undefined ? null : found.get(key) ?? (spec.criteria === undefined ? ctx.lookup(rel.target, key) : undefined) ?? null;
    setRaw(p, rel, target);
  }
}

export async function loadSelectIn(ctx: LoadContext, child: ChildLoad, parents: readonly Instrumented[]): Promise<void> {
  const spec = { rel: child.rel, node: child.node, criteria: loadCriteria(child), targetEntity: child.targetEntity };
  await loadKeyed(ctx, spec, parents);
  const depth = child.args.recursionDepth;
  if (depth === undefined || child.rel.parent !== child.rel.target) return;
  // Self-referential trees: each level's children are the next level's parents. Objects already
  // reached are not visited again, so cyclic data (9 -> 10 -> 9) ends the walk: with depth -1 it
  // used to loop forever, with no SQL (issue 11, defect 4; recursion-cycles.test.ts).
  let remaining = depth < 0 ? Number.POSITIVE_INFINITY : depth;
  const visited = new Set<Instrumented>(parents);
  let level = collect(parents, child.rel, visited);
  while (remaining > 0 && level.length > 0) {
    await loadKeyed(ctx, spec, level);
    level = collect(level, child.rel, visited);
    remaining -= 1;
  }
}

/** The objects `rel` holds across `parents` that are not in `visited` yet (added to it). */
function collect(parents: readonly Instrumented[], rel: RelationshipProperty, visited: Set<Instrumented>): Instrumented[] {
  const out: Instrumented[] = [];
  const add = (obj: Instrumented): void => {
    if (visited.has(obj)) return;
    visited.add(obj);
    out.push(obj);
  };
  for (const p of parents) {
    const v = p[STATE].rels?.[rel.index];
    if (Array.isArray(v)) for (const c of v as Instrumented[]) add(c);
    else if (v) add(v as Instrumented);
  }
  return out;
}
