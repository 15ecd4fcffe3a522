/**
 * The unit of work. A flush is a plan: new objects reachable from the session's objects are
 * cascaded in, foreign keys are synced from relationships, entity types are ordered so every row
 * is inserted after the rows it references (self-referential rows in waves), inserts are batched
 * per entity in one statement (`INSERT ... SELECT * FROM unnest($1::int[], ...)`: one SQL text
 * for any row count), then updates of changed columns, association rows, and deletes in reverse
 * order. Everything runs inside the session's transaction; bad input is rejected before any SQL.
 */
import { ArgumentError } from "../../core/errors.js";
import { delete_, insert, update } from "../../core/sql/dml.js";
import type { StatementNode } from "../../core/sql/nodes.js";
import type { QueryResult } from "../../core/engine/types.js";
import { topologicalSort } from "../../core/util/topological-sort.js";
import { FlushError, StaleDataError } from "../errors.js";
import { identityKey } from "../mapping/identity-key.js";
import { EXPIRED, NOT_SET, STATE, UNKNOWN_BEFORE, type Instrumented } from "../mapping/instance-state.js";
import type { Mapper, RelationshipProperty } from "../mapping/mapper.js";
import { columnOf } from "../mapping/join-condition.js";
import { collectAssociations, hasAssociationWork, writeAssociations, type AssociationRows } from "./associations.js";
import { checkInsertValues, checkUpdateValues } from "./check-values.js";
import type { IdentityMap } from "../session/identity-map.js";
import { and, not, or } from "../../core/sql/operators.js";
import type { Predicate } from "../../core/sql/expression.js";

export interface FlushSession {
  readonly pending: Set<Instrumented>;
  readonly dirty: Set<Instrumented>;
  readonly deleted: Set<Instrumented>;
  run(statement: StatementNode): Promise<QueryResult>;
  attach(obj: Instrumented): void;
  registerPersistent(obj: Instrumented): void;
  forgetDeleted(obj: Instrumented): void;
  /** Re-keyed when an UPDATE changes an object's primary key. */
  readonly identityMap: IdentityMap;
  /** Told of each re-keying, so a rollback can restore the old key. */
  rekeyed(obj: Instrumented, oldKey: unknown, oldValues: readonly unknown[]): void;
  /** Loads relationship `key` of `objects` (session.load without the autoflush): a cascade needs the children. */
  loadForCascade(objects: readonly Instrumented[], key: string): Promise<void>;
}

function relValue(obj: Instrumented, rel: RelationshipProperty): unknown {
  return obj[STATE].rels?.[rel.index];
}

function pkValues(obj: Instrumented): unknown[] {
  const state = obj[STATE];
  return state.mapper.primaryKey.map((c) => state.values[c.index]);
}

function pkWhere(obj: Instrumented): Predicate {
  const state = obj[STATE];
  return and(...state.mapper.primaryKey.map((c) => c.attribute.eq(state.values[c.index] as never)));
}

/** Adds transient objects reachable through loaded relationships (save-update cascade). */
function cascadeNew(session: FlushSession): void {
  const queue = [...session.pending, ...session.dirty];
  // Breadth-first, so cascaded objects are inserted in the order they were reached.
  for (let at = 0; at < queue.length; at++) {
    const obj = queue[at]!;
    for (const rel of obj[STATE].mapper.relationships) {
      const value = relValue(obj, rel);
      if (value === undefined || value === null) continue;
      for (const target of (rel.uselist ? value : [value]) as Instrumented[]) {
        const ts = target[STATE];
        if (ts.status === "transient") {
          session.attach(target);
          queue.push(target);
        }
      }
    }
  }
}

/**
 * Whether `child`'s back-populated many-to-one was set to something other than `parent`: it was
 * assigned after it joined `parent`'s collection (or the collection could not be told, its key
 * being expired), and the last assignment wins.
 */
function pointsElsewhere(child: Instrumented, rel: RelationshipProperty, parent: Instrumented): boolean {
  const back = rel.back;
  if (back === undefined) return false;
  const value = relValue(child, back);
  return value !== undefined && value !== parent;
}

/** child -> the parents whose one-to-many collections hold it (their keys become its foreign keys). */
function collectionOwners(objects: Iterable<Instrumented>): Map<Instrumented, [RelationshipProperty, Instrumented][]> {
  const owners = new Map<Instrumented, [RelationshipProperty, Instrumented][]>();
  for (const parent of objects) {
    for (const rel of parent[STATE].mapper.relationships) {
      if (rel.direction !== "one-to-many") continue;
      const value = relValue(parent, rel);
      if (value === undefined || value === null) continue;
      for (const child of (rel.uselist ? value : [value]) as Instrumented[]) {
        if (pointsElsewhere(child, rel, parent)) continue;
        const list = owners.get(child) ?? [];
        list.push([rel, parent]);
        owners.set(child, list);
      }
    }
  }
  return owners;
}

function setColumn(obj: Instrumented, index: number, value: unknown): void {
  const state = obj[STATE];
  const old = state.values[index];
  if (old === value) return;
  if (state.status === "persistent") {
    state.changes ??= new Map();
    if (!state.changes.has(index)) state.changes.set(index, old);
  }
  state.values[index] = value;
}

/** Copies keys from related objects into this object's foreign-key columns. */
function syncForeignKeys(obj: Instrumented, owners: Map<Instrumented, [RelationshipProperty, Instrumented][]>): void {
  const state = obj[STATE];
  for (const rel of state.mapper.relationships) {
    if (rel.direction !== "many-to-one") continue;
    const value = relValue(obj, rel);
    if (value === undefined) continue;
    if (value === null) {
      if (state.relChanges?.has(rel.index)) for (const [local] of rel.pairs) setColumn(obj, state.mapper.columnFor(local).index, null);
      continue;
    }
    const target = (value as Instrumented)[STATE];
    for (const [local, remote] of rel.pairs) setColumn(obj, state.mapper.columnFor(local).index, target.values[target.mapper.columnFor(remote).index]);
  }
  for (const [rel, parent] of owners.get(obj) ?? []) {
    const ps = parent[STATE];
    for (const [local, remote] of rel.pairs) setColumn(obj, state.mapper.columnFor(remote).index, ps.values[ps.mapper.columnFor(local).index]);
  }
}

/**
 * Children that left a one-to-many collection since user code first read it: deleted with
 * cascade "all, delete-orphan", otherwise de-associated (foreign key set to NULL) unless another
 * collection in this flush now holds them.
 */
function removeFromCollections(session: FlushSession, parents: readonly Instrumented[], owners: Map<Instrumented, [RelationshipProperty, Instrumented][]>): Instrumented[] {
  const changed: Instrumented[] = [];
  for (const parent of parents) {
    const state = parent[STATE];
    if (state.relSnapshots === undefined) continue;
    for (const rel of state.mapper.relationships) {
      const before = state.relSnapshots.get(rel.index) as Instrumented[] | undefined;
      if (rel.direction !== "one-to-many" || before === undefined || before === UNKNOWN_BEFORE) continue;
      const now = new Set((relValue(parent, rel) as Instrumented[] | undefined) ?? []);
      for (const child of before) {
        if (now.has(child) || owners.has(child) || child[STATE].status !== "persistent") continue;
        // Moved to another parent whose collection is not loaded: its many-to-one has the new key.
        const back = rel.back === undefined ? undefined : relValue(child, rel.back);
        if (back !== undefined && back !== null && back !== parent) continue;
        if (rel.options.cascade === "all, delete-orphan") {
          session.deleted.add(child);
          continue;
        }
        for (const [, remote] of rel.pairs) setColumn(child, child[STATE].mapper.columnFor(remote).index, null);
        changed.push(child);
      }
    }
  }
  return changed;
}

/**
 * One-to-many sides assigned while they were not loaded (`user.orders = [o]` on a user whose
 * orders were never read; `UNKNOWN_BEFORE`): the rows they held are not known, so one UPDATE
 * de-associates every row pointing at the parent except the assigned ones, as SQLAlchemy
 * de-associates the old collection it loads first. Objects in the session see the NULL too.
 */
async function deassociateReplaced(session: FlushSession, parents: readonly Instrumented[]): Promise<void> {
  for (const parent of parents) {
    const state = parent[STATE];
    if (state.relSnapshots === undefined) continue;
    for (const rel of state.mapper.relationships) {
      if (state.relSnapshots.get(rel.index) !== UNKNOWN_BEFORE) continue;
      const value = relValue(parent, rel);
      const kept = (rel.uselist ? value ?? [] : value === null || value === undefined ? [] : [value]) as Instrumented[];
      const keys = rel.pairs.map(([local, remote]) => [rel.target.columnFor(remote), state.values[state.mapper.columnFor(local).index]] as const);
      const pk = rel.target.primaryKey;
      const keep = kept.length === 0 ? undefined
        : pk.length === 1 ? not(pk[0]!.attribute.eqAny(kept.map((k) => k[STATE].values[pk[0]!.index]) as never[]))
        : not(or(...kept.map((k) => and(...pk.map((c) => c.attribute.eq(k[STATE].values[c.index] as never))))));
      const set: Record<string, unknown> = {};
      for (const [col] of keys) set[col.spec.name] = null;
      const where = and(...keys.map(([col, v]) => col.attribute.eq(v as never)), ...(keep === undefined ? [] : [keep]));
      await session.run(update(rel.target.table).set(set).where(where).node);
      const keptSet = new Set(kept);
      for (const obj of session.identityMap.all()) {
        const os = (obj as Instrumented)[STATE];
        if (os.mapper !== rel.target || keptSet.has(obj as Instrumented) || !keys.every(([col, v]) => os.values[col.index] === v)) continue;
        for (const [col] of keys) os.values[col.index] = null;
        if (rel.back !== undefined && relValue(obj as Instrumented, rel.back) === parent) os.rels![rel.back.index] = null;
      }
    }
  }
}

/** Entity types ordered so referenced tables come first. */
function mapperOrder(mappers: readonly Mapper[]): Mapper[] {
  return topologicalSort(mappers, (m) => m.relationships.filter((r) => r.direction === "many-to-one").map((r) => r.target)
    .concat(mappers.filter((other) => other.relationships.some((r) => r.direction === "one-to-many" && r.target === m))));
}

function checkInsertable(obj: Instrumented, owners: Map<Instrumented, [RelationshipProperty, Instrumented][]>): void {
  const state = obj[STATE];
  for (const col of state.mapper.columns) {
    const v = state.values[col.index];
    if (v !== NOT_SET) continue;
    const spec = col.spec;
    if (spec.default !== undefined) {
      state.values[col.index] = typeof spec.default === "function" ? (spec.default as () => unknown)() : spec.default;
      continue;
    }
    // The foreign keys relationships will fill are worked out only when a required column is unset.
    if (spec.nullable || spec.serverDefault !== undefined || spec.autoincrement || relationshipFilled(obj, owners).has(col.index)) continue;
    throw new ArgumentError(
      `Cannot insert ${state.mapper.name}: ${state.mapper.name}.${col.key} is required (NOT NULL, no default) but was not set. ` +
        `Set it, or give the column .default(...) / .serverDefault("...") / .nullable(). Nothing was sent to the database.`,
    );
  }
}

/** Foreign-key columns a relationship will fill at flush (so a missing value there is not an error). */
function relationshipFilled(obj: Instrumented, owners: Map<Instrumented, [RelationshipProperty, Instrumented][]>): Set<number> {
  const state = obj[STATE];
  const out = new Set<number>();
  for (const rel of state.mapper.relationships) {
    if (rel.direction === "many-to-one" && relValue(obj, rel) !== undefined && relValue(obj, rel) !== null) {
      for (const [local] of rel.pairs) out.add(state.mapper.columnFor(local).index);
    }
  }
  for (const [rel] of owners.get(obj) ?? []) for (const [, remote] of rel.pairs) out.add(state.mapper.columnFor(remote).index);
  return out;
}

/**
 * Objects with the same set of given columns share one statement. The signature is a bit mask
 * (a number: no string built and hashed per object) for up to 30 columns, else a string.
 */
function groupBySetColumns(objs: readonly Instrumented[], columnCount: number): Map<number | string, Instrumented[]> {
  const groups = new Map<number | string, Instrumented[]>();
  for (let o = 0; o < objs.length; o++) {
    const obj = objs[o]!;
    const values = obj[STATE].values;
    let sig: number | string;
    if (columnCount <= 30) {
      sig = 0;
      for (let i = 0; i < columnCount; i++) if (values[i] !== NOT_SET) sig |= 1 << i;
    } else {
      sig = "";
      for (let i = 0; i < columnCount; i++) sig += values[i] === NOT_SET ? "0" : "1";
    }
    const list = groups.get(sig);
    if (list === undefined) groups.set(sig, [obj]);
    else list.push(obj);
  }
  return groups;
}

/** One array per column of `indexes`, holding that column's value of each object. */
function columnArrays(group: readonly Instrumented[], indexes: readonly number[]): unknown[][] {
  const arrays = new Array<unknown[]>(indexes.length);
  for (let k = 0; k < indexes.length; k++) {
    const index = indexes[k]!;
    const column = new Array<unknown>(group.length);
    for (let i = 0; i < group.length; i++) column[i] = group[i]![STATE].values[index];
    arrays[k] = column;
  }
  return arrays;
}

// The loops over every object live in small synchronous functions: V8 threw away the optimized
// code of this async function after each full GC ("weak objects"), so loops inside it ran in the
// interpreter on every large flush.
async function insertBatch(session: FlushSession, mapper: Mapper, objs: readonly Instrumented[]): Promise<void> {
  const groups = groupBySetColumns(objs, mapper.columns.length);
  for (const [sig, group] of groups) {
    const isGiven = (i: number): boolean => (typeof sig === "number" ? (sig & (1 << i)) !== 0 : sig[i] === "1");
    const given = mapper.columns.filter((_, i) => isGiven(i));
    const returned = mapper.columns.filter((c, i) => !isGiven(i) || c.spec.serverDefault !== undefined);
    let stmt = insert(mapper.table);
    if (group.length === 1 || given.length === 0) {
      if (given.length === 0) {
        for (const obj of group) {
          const one = returned.length > 0 ? stmt.returning(...returned.map((c) => c.spec.name)) : stmt;
          const result = await session.run(one.node);
          applyReturned(obj, returned.map((c) => c.index), result.rows[0]);
        }
        continue;
      }
      const values: Record<string, unknown> = {};
      for (const c of given) values[c.spec.name] = group[0]![STATE].values[c.index];
      stmt = stmt.values(values);
    } else if (given.some((c) => c.spec.type.sql.endsWith("[]"))) {
      // unnest() would flatten array columns: multi-row VALUES keeps them whole.
      stmt = stmt.values(group.map((o) => Object.fromEntries(given.map((c) => [c.spec.name, o[STATE].values[c.index]]))));
    } else {
      stmt = stmt.fromArrays(given.map((c) => c.spec.name), columnArrays(group, given.map((c) => c.index)));
      // The generated keys of many rows come back as one row of arrays: a RETURNING row per
      // object cost a 10,000-row insert about as much client time as everything else together.
      if (returned.length > 0 && !returned.some((c) => c.spec.type.sql.endsWith("[]"))) {
        const result = await session.run(stmt.returningArrays(...returned.map((c) => c.spec.name)).node);
        applyReturnedArrays(mapper, group, returned.map((c) => c.index), result.rows[0]);
        continue;
      }
    }
    if (returned.length > 0) stmt = stmt.returning(...returned.map((c) => c.spec.name));
    const result = await session.run(stmt.node);
    if (result.rowCount !== group.length) throw new FlushError(`INSERT into ${mapper.table.name} affected ${result.rowCount} rows, expected ${group.length}.`);
    // RETURNING comes back in input order for INSERT ... SELECT FROM unnest (one scan of the arrays).
    const returnedIndexes = returned.map((c) => c.index);
    if (returned.length > 0) for (let i = 0; i < group.length; i++) applyReturned(group[i]!, returnedIndexes, result.rows[i]);
  }
}

/** Column `k` of the one returned row is the array of `indexes[k]`'s values, in insert order. */
function applyReturnedArrays(mapper: Mapper, group: readonly Instrumented[], indexes: readonly number[], row: readonly unknown[] | undefined): void {
  for (let k = 0; k < indexes.length; k++) {
    const values = row?.[k];
    if (!Array.isArray(values) || values.length !== group.length) {
      throw new FlushError(`INSERT into ${mapper.table.name} returned ${Array.isArray(values) ? values.length : 0} rows, expected ${group.length}.`);
    }
    const index = indexes[k]!;
    for (let i = 0; i < group.length; i++) group[i]![STATE].values[index] = values[i];
  }
}

function applyReturned(obj: Instrumented, indexes: readonly number[], row: readonly unknown[] | undefined): void {
  if (row === undefined) throw new FlushError(`INSERT returned no row for ${obj[STATE].mapper.name}.`);
  const values = obj[STATE].values;
  for (let i = 0; i < indexes.length; i++) values[indexes[i]!] = row[i];
}

/** Self-referential rows: parents before children, in waves. */
function waves(mapper: Mapper, objs: Instrumented[]): Instrumented[][] {
  const selfRels = mapper.relationships.filter((r) => r.target === mapper);
  if (selfRels.length === 0) return [objs];
  const inBatch = new Set(objs);
  const dependsOn = (o: Instrumented): Instrumented[] =>
    selfRels.flatMap((r) => {
      const v = relValue(o, r);
      if (r.direction === "many-to-one") return v ? [v as Instrumented] : [];
      return [];
    }).filter((d) => inBatch.has(d));
  // Parents whose children collections hold o also come first.
  const parentsOf = new Map<Instrumented, Instrumented[]>();
  for (const o of objs) for (const r of selfRels) if (r.direction === "one-to-many") for (const c of (relValue(o, r) as Instrumented[] | undefined) ?? []) {
    parentsOf.set(c, [...(parentsOf.get(c) ?? []), o]);
  }
  const result: Instrumented[][] = [];
  const done = new Set<Instrumented>();
  let remaining = objs;
  while (remaining.length > 0) {
    const ready = remaining.filter((o) => [...dependsOn(o), ...(parentsOf.get(o) ?? [])].every((d) => done.has(d) || !inBatch.has(d)));
    if (ready.length === 0) throw new FlushError(`Cycle between new ${mapper.name} objects: each references another; flush them in two steps.`);
    ready.forEach((o) => done.add(o));
    result.push(ready);
    remaining = remaining.filter((o) => !done.has(o));
  }
  return result;
}

async function updateDirty(session: FlushSession, obj: Instrumented): Promise<void> {
  const state = obj[STATE];
  if (!state.changes || state.changes.size === 0) return;
  const set: Record<string, unknown> = {};
  for (const index of state.changes.keys()) {
    const col = state.mapper.columns[index]!;
    const v = state.values[index];
    if (v === EXPIRED || v === NOT_SET) continue;
    // Set back to the value it was loaded with: no net change, nothing to send (SQLAlchemy's history).
    if (v === state.changes.get(index)) continue;
    set[col.spec.name] = v;
  }
  if (Object.keys(set).length === 0) return;
  // The WHERE uses the key as loaded, so changing a primary key updates the right row.
  const original = state.mapper.primaryKey.map((c) => (state.changes!.has(c.index) ? state.changes!.get(c.index) : state.values[c.index]));
  const where = and(...state.mapper.primaryKey.map((c, i) => c.attribute.eq(original[i] as never)));
  const result = await session.run(update(state.mapper.table).set(set).where(where).node);
  if (result.rowCount !== 1) {
    throw new StaleDataError(`UPDATE of ${state.mapper.name} ${JSON.stringify(original, (_, v: unknown) => (typeof v === "bigint" ? `${v}` : v))} matched ${result.rowCount} rows, expected 1: it was deleted or its key changed in another transaction.`);
  }
  // A changed primary key is a new identity: the map must find the object under its new key only.
  const newKey = identityKey(pkValues(obj));
  if (newKey !== state.identityKey) {
    if (session.identityMap.get(state.mapper, state.identityKey) === obj) session.identityMap.delete(state.mapper, state.identityKey);
    session.rekeyed(obj, state.identityKey, original);
    state.identityKey = newKey;
    session.identityMap.set(state.mapper, newKey, obj);
  }
}

function clearHistory(obj: Instrumented): void {
  const state = obj[STATE];
  state.changes = undefined;
  state.relChanges = undefined;
  state.relSnapshots = undefined;
}

/** `UPDATE child SET fk = NULL WHERE fk = <parent key>` for a deleted parent's unloaded children. */
async function deassociateUnloaded(session: FlushSession, parent: Instrumented, rel: RelationshipProperty): Promise<void> {
  const ps = parent[STATE];
  const keys = rel.pairs.map(([local, remote]) => [rel.target.columnFor(remote), ps.values[ps.mapper.columnFor(local).index]] as const);
  const set: Record<string, unknown> = {};
  for (const [col] of keys) set[col.spec.name] = null;
  await session.run(update(rel.target.table).set(set).where(and(...keys.map(([col, v]) => col.attribute.eq(v as never)))).node);
  // Children already in the session (loaded by another query) see the NULL too.
  for (const obj of session.identityMap.all()) {
    const state = (obj as Instrumented)[STATE];
    if (state.mapper !== rel.target || !keys.every(([col, v]) => state.values[col.index] === v)) continue;
    for (const [col] of keys) state.values[col.index] = null;
  }
}

async function deleteObjects(session: FlushSession, order: readonly Mapper[]): Promise<void> {
  const byMapper = new Map<Mapper, Instrumented[]>();
  const queue = [...session.deleted];
  const all = new Set(queue);
  while (queue.length > 0) {
    const obj = queue.pop()!;
    const state = obj[STATE];
    for (const rel of state.mapper.relationships) {
      let value = relValue(obj, rel);
      if (rel.direction === "many-to-many") {
        const where = and(...rel.pairs.map(([local, s]) => columnOf(rel.secondary!.node, s).eq(state.values[state.mapper.columnFor(local).index])));
        await session.run(delete_(rel.secondary!).where(where).node);
        continue;
      }
      if (rel.direction !== "one-to-many" || value === null) continue;
      const cascadesDelete = rel.options.cascade === "all" || rel.options.cascade === "all, delete-orphan";
      if (value === undefined) {
        // Not loaded: SQLAlchemy loads the children to de-associate them; one UPDATE does the same.
        if (!cascadesDelete) {
          await deassociateUnloaded(session, obj, rel);
          continue;
        }
        // Children to delete are loaded, as SQLAlchemy does: each is then deleted with its own
        // cascades, and the session forgets it.
        await session.loadForCascade([obj], rel.key);
        value = relValue(obj, rel);
        if (value === null || value === undefined) continue;
      }
      for (const child of (rel.uselist ? value : [value]) as Instrumented[]) {
        if (all.has(child)) continue;
        if (cascadesDelete) {
          all.add(child);
          queue.push(child);
        } else if (child[STATE].status === "persistent") {
          // As SQLAlchemy: children of a deleted parent are de-associated (FK set to NULL).
          for (const [, remote] of rel.pairs) setColumn(child, child[STATE].mapper.columnFor(remote).index, null);
          await updateDirty(session, child);
          child[STATE].changes = undefined;
        }
      }
    }
    const list = byMapper.get(state.mapper) ?? [];
    list.push(obj);
    byMapper.set(state.mapper, list);
  }
  // Children reached by cascade may be of types the flush did not start with: order them all,
  // so referencing rows are deleted before the rows they reference.
  for (const mapper of mapperOrder([...new Set([...order, ...byMapper.keys()])]).reverse()) {
    const objs = byMapper.get(mapper);
    if (!objs) continue;
    for (const obj of objs) {
      const result = await session.run(delete_(mapper.table).where(pkWhere(obj)).node);
      if (result.rowCount !== 1) throw new StaleDataError(`DELETE of ${mapper.name} ${JSON.stringify(pkValues(obj), (_, v: unknown) => (typeof v === "bigint" ? `${v}` : v))} matched ${result.rowCount} rows, expected 1.`);
      session.forgetDeleted(obj);
    }
  }
}

export async function flush(session: FlushSession): Promise<void> {
  if (session.pending.size === 0 && session.dirty.size === 0 && session.deleted.size === 0) return;
  cascadeNew(session);
  const pending = [...session.pending];
  const dirty = [...session.dirty].filter((o) => o[STATE].status === "persistent");
  const owners = collectionOwners([...pending, ...dirty]);
  // Validate everything before the first statement: a flush never half-writes bad input.
  for (const obj of pending) checkInsertable(obj, owners);
  for (const obj of pending) checkInsertValues(obj);
  for (const obj of dirty) checkUpdateValues(obj);
  const mappers = [...new Set([...pending, ...dirty, ...session.deleted].map((o) => o[STATE].mapper))];
  const order = mapperOrder(mappers);
  for (const mapper of order) {
    const objs = pending.filter((o) => o[STATE].mapper === mapper);
    for (const wave of waves(mapper, objs)) {
      for (const obj of wave) syncForeignKeys(obj, owners);
      await insertBatch(session, mapper, wave);
      for (const obj of wave) {
        const state = obj[STATE];
        const pk = state.mapper.primaryKey;
        state.identityKey = pk.length === 1 ? state.values[pk[0]!.index] : identityKey(pkValues(obj));
        session.registerPersistent(obj);
      }
    }
  }
  const deassociated = removeFromCollections(session, dirty, owners);
  for (const obj of dirty) syncForeignKeys(obj, owners);
  // Persistent children added to a collection get their foreign key from the parent too.
  for (const child of owners.keys()) if (child[STATE].status === "persistent") syncForeignKeys(child, owners);
  const toUpdate = new Set([...dirty, ...deassociated, ...[...owners.keys()].filter((c) => c[STATE].status === "persistent" && c[STATE].changes?.size)]);
  // A row this flush deletes needs no UPDATE first (an orphan's foreign key set to NULL, say).
  for (const obj of toUpdate) if (!pending.includes(obj) && !session.deleted.has(obj)) await updateDirty(session, obj);
  await deassociateReplaced(session, dirty);
  const associations: AssociationRows = new Map();
  // A synchronous check first: a 10,000-object insert should not make 10,000 async calls that
  // find nothing to write.
  for (const obj of pending) if (hasAssociationWork(obj, true)) await collectAssociations(session, obj, true, associations);
  for (const obj of dirty) if (hasAssociationWork(obj, false)) await collectAssociations(session, obj, false, associations);
  await writeAssociations(session, associations);
  await deleteObjects(session, order);
  for (const obj of pending) clearHistory(obj);
  for (const obj of toUpdate) clearHistory(obj);
  session.pending.clear();
  session.dirty.clear();
  session.deleted.clear();
}
