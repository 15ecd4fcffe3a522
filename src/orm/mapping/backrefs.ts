/**
 * Assigning a relationship keeps the other side (backPopulates) consistent in memory, as
 * SQLAlchemy's backref events do: `order.user = u` appends order to `u.orders` when that
 * collection is loaded; `u.orders = [o]` sets `o.user = u`. Foreign keys follow at flush.
 *
 * The last change wins on both sides, whatever was loaded: when a many-to-one side was never
 * read, its current target is found without SQL from the foreign key in the identity map (as
 * SQLAlchemy's set event finds the old value with PASSIVE_NO_FETCH), so `order.user = u2` also
 * takes the order out of its old user's loaded `orders`. test/orm/mapping/backrefs.test.ts pins
 * each order of operations; backrefs.property.test.ts checks random sequences against a model.
 */
import { ArgumentError } from "../../core/errors.js";
import { describeValue } from "../../core/sql/expression.js";
import { EXPIRED, NOT_SET, STATE, stateOf, UNKNOWN_BEFORE, type Instrumented } from "./instance-state.js";
import { adoptCollection, onMembershipChange } from "./collection.js";
import { identityKey } from "./identity-key.js";
import type { RelationshipProperty } from "./mapper.js";

function checkTarget(rel: RelationshipProperty, value: unknown): void {
  const target = value === null ? undefined : stateOf(value as object);
  if (value !== null && (target === undefined || target.mapper !== rel.target)) {
    const article = /^[AEIOU]/.test(rel.target.name) ? "an" : "a";
    throw new ArgumentError(`${rel.description} expects ${article} ${rel.target.name} object${rel.uselist ? " in the array" : " or null"}, got ${describeValue(value)}.`);
  }
}

export function setRaw(obj: Instrumented, rel: RelationshipProperty, value: unknown): void {
  const state = obj[STATE];
  state.rels ??= [];
  if (rel.uselist && Array.isArray(value)) adoptCollection(value, obj, rel.index);
  state.rels[rel.index] = value;
}

export function markRelChanged(obj: Instrumented, rel: RelationshipProperty): void {
  const state = obj[STATE];
  state.relChanges ??= new Set();
  state.relChanges.add(rel.index);
  state.session?.markDirty(obj);
}

function loaded(obj: Instrumented, rel: RelationshipProperty): unknown {
  return obj[STATE].rels?.[rel.index];
}

/**
 * The foreign-key values of a many-to-one as the object was loaded (a column changed since keeps
 * its loaded value in `changes`: loaded collections reflect that one), or null for a NULL or
 * never-set key, or undefined when a key column is expired.
 */
function loadedForeignKey(obj: Instrumented, rel: RelationshipProperty): unknown[] | null | undefined {
  const state = obj[STATE];
  const fk: unknown[] = [];
  for (const [local] of rel.pairs) {
    const index = state.mapper.columnFor(local).index;
    const v = state.changes?.has(index) === true ? state.changes.get(index) : state.values[index];
    if (v === null || v === NOT_SET) return null;
    if (v === EXPIRED) return undefined;
    fk.push(v);
  }
  return fk;
}

/**
 * A single-object side's value without SQL: what is loaded, else for a many-to-one the target its
 * foreign key names if that object is in the session's identity map (null for a NULL key).
 * undefined when it cannot be known: the target is not in memory, so no loaded side holds it.
 */
function currentTarget(obj: Instrumented, rel: RelationshipProperty): Instrumented | null | undefined {
  const value = loaded(obj, rel) as Instrumented | null | undefined;
  if (value !== undefined || rel.direction !== "many-to-one") return value;
  const fk = loadedForeignKey(obj, rel);
  if (fk === null) return null;
  const session = obj[STATE].session;
  if (fk === undefined || session === undefined || session.closed) return undefined;
  return session.lookupIdentity(rel.target, identityKey(fk)) as Instrumented | undefined;
}

/** Whether `child`'s single-object side `rel` points at `owner`, or may (not loaded, key expired). */
function mayPointAt(child: Instrumented, rel: RelationshipProperty, owner: Instrumented): boolean {
  const value = loaded(child, rel);
  if (value !== undefined) return value === owner;
  if (rel.direction !== "many-to-one") return true;
  const fk = loadedForeignKey(child, rel);
  if (fk === undefined) return true;
  if (fk === null) return false;
  const os = owner[STATE];
  return rel.pairs.every(([, remote], i) => os.values[os.mapper.columnFor(remote).index] === fk[i]);
}

/** A persistent object's one-to-many side is replaced while not loaded: see UNKNOWN_BEFORE. */
function replacedUnknown(obj: Instrumented, rel: RelationshipProperty): void {
  const state = obj[STATE];
  if (state.status !== "persistent" || state.relSnapshots?.has(rel.index) === true) return;
  state.relSnapshots ??= new Map();
  state.relSnapshots.set(rel.index, UNKNOWN_BEFORE);
}

/** Removes `child` from, or adds it to, `owner`'s side `rel` if that side is loaded. */
function syncBack(owner: Instrumented, rel: RelationshipProperty, child: Instrumented, add: boolean): void {
  if (!rel.uselist) {
    // A single-object side can always be set: no load is needed to replace it. It is marked
    // changed, so the flush writes its foreign key (a one-to-one's replaced side gets NULL).
    if (add ? loaded(owner, rel) !== child : mayPointAt(owner, rel, child)) {
      // A one-to-one held from the side without the foreign key (user.invoice), never read: the
      // flush must clear the row it held (invoice.user = u replaces u's old invoice).
      if (add && loaded(owner, rel) === undefined && rel.direction === "one-to-many" && rel.options.cascade !== "all, delete-orphan") replacedUnknown(owner, rel);
      setRaw(owner, rel, add ? child : null);
      markRelChanged(owner, rel);
    }
    return;
  }
  const current = loaded(owner, rel);
  if (current === undefined) {
    const status = owner[STATE].status;
    // A new object's collection is known to be empty, so it can be started; a persistent one's
    // unloaded collection is left alone and the database has the truth after flush.
    if (add && (status === "transient" || status === "pending")) setRaw(owner, rel, [child]);
    return;
  }
  const list = current as object[];
  const at = list.indexOf(child);
  if (add && at < 0) list.push(child);
  if (!add && at >= 0) list.splice(at, 1);
}

/**
 * `item` joins `owner`'s side `rel`: its single-object back side points at `owner` now, so it
 * leaves the side of the object it pointed at before (a collection, or a one-to-one).
 */
function moveTo(owner: Instrumented, rel: RelationshipProperty, back: RelationshipProperty, item: Instrumented): void {
  if (!back.uselist) {
    const oldOwner = currentTarget(item, back);
    if (oldOwner && oldOwner !== owner) syncBack(oldOwner, rel, item, false);
  }
  syncBack(item, back, owner, true);
  markRelChanged(item, back);
}

/** The other side follows items added to or removed from `owner`'s collection `rel`. */
function membershipChanged(owner: Instrumented, rel: RelationshipProperty, added: readonly Instrumented[], removed: readonly Instrumented[]): void {
  const back = rel.back;
  if (back === undefined) return;
  const list = loaded(owner, rel) as Instrumented[];
  for (const gone of removed) if (!list.includes(gone)) syncBack(gone, back, owner, false);
  for (const item of added) moveTo(owner, rel, back, item);
}

onMembershipChange({
  check: (owner, index, added) => {
    const rel = owner[STATE].mapper.relationships[index]!;
    for (const item of added) checkTarget(rel, item);
  },
  changed: (owner, index, added, removed) =>
    membershipChanged(owner, owner[STATE].mapper.relationships[index]!, added as Instrumented[], removed as Instrumented[]),
});

export function assignRelationship(obj: Instrumented, rel: RelationshipProperty, value: unknown): void {
  if (value === undefined) throw new ArgumentError(`${rel.description} cannot be set to undefined; use ${rel.uselist ? "[]" : "null"}.`);
  if (rel.uselist) {
    if (!Array.isArray(value)) throw new ArgumentError(`${rel.description} is a collection; assign an array of ${rel.target.name}.`);
    value.forEach((v: unknown) => checkTarget(rel, v));
  } else {
    checkTarget(rel, value);
  }
  const back = rel.back;
  // The value being replaced: for a many-to-one never read, the target its key names (if in memory).
  const previous = rel.uselist || back === undefined ? loaded(obj, rel) : currentTarget(obj, rel);
  const state = obj[STATE];
  if (state.status === "persistent" && state.relSnapshots?.has(rel.index) !== true) {
    if (rel.uselist && Array.isArray(previous)) {
      state.relSnapshots ??= new Map();
      state.relSnapshots.set(rel.index, (previous as object[]).slice());
    } else if (previous === undefined && rel.direction === "one-to-many") {
      // SQLAlchemy loads the old value first (active history); Athanor cannot in a setter, so the
      // flush de-associates the rows the side held except the new ones. Deleting them as orphans
      // would need each row and its own cascades: refused here, before anything changed.
      if (rel.options.cascade === "all, delete-orphan") {
        throw new ArgumentError(
          `${rel.description} is not loaded, so replacing it would delete (delete-orphan) ${rel.uselist ? "the objects it holds" : "the object it holds"} ` +
            `without Athanor knowing which. Load it first: await session.load(obj, "${rel.key}"), or the query's options(selectinload(${rel.description})).`,
        );
      }
      replacedUnknown(obj, rel);
    }
  }
  setRaw(obj, rel, rel.uselist ? [...(value as object[])] : value);
  markRelChanged(obj, rel);
  if (back === undefined) return;
  const before = previous === undefined ? [] : rel.uselist ? (previous as Instrumented[]) : previous === null ? [] : [previous as Instrumented];
  const after = rel.uselist ? (value as Instrumented[]) : value === null ? [] : [value as Instrumented];
  for (const gone of before) if (!after.includes(gone)) syncBack(gone, back, obj, false);
  for (const added of after) if (!before.includes(added)) moveTo(obj, rel, back, added);
}
