/**
 * Assigning a relationship keeps the other side (backPopulates) consistent in memory, as
 * SQLAlchemy's backref events do: `order.user = u` appends order to `u.orders` when that
 * collection is loaded; `u.orders = [o]` sets `o.user = u`. Foreign keys follow at flush.
 */
import { ArgumentError } from "../../core/errors.js";
import { describeValue } from "../../core/sql/expression.js";
import { STATE, stateOf, type Instrumented } from "./instance-state.js";
import { adoptCollection, onMembershipChange } from "./collection.js";
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

/** Removes `child` from, or adds it to, `owner`'s side `rel` if that side is loaded. */
function syncBack(owner: Instrumented, rel: RelationshipProperty, child: Instrumented, add: boolean): void {
  const current = loaded(owner, rel);
  if (!rel.uselist) {
    // A single-object side can always be set: no load is needed to replace it.
    if (add || current === child) setRaw(owner, rel, add ? child : null);
    return;
  }
  if (current === undefined) {
    const status = owner[STATE].status;
    // A new object's collection is known to be empty, so it can be started; a persistent one's
    // unloaded collection is left alone and the database has the truth after flush.
    if (add && (status === "transient" || status === "pending")) setRaw(owner, rel, [child]);
    return;
  }
  {
    const list = current as object[];
    const at = list.indexOf(child);
    if (add && at < 0) list.push(child);
    if (!add && at >= 0) list.splice(at, 1);
  }
}

/** The other side follows items added to or removed from `owner`'s collection `rel`. */
function membershipChanged(owner: Instrumented, rel: RelationshipProperty, added: readonly Instrumented[], removed: readonly Instrumented[]): void {
  const back = rel.back;
  if (back === undefined) return;
  const list = loaded(owner, rel) as Instrumented[];
  for (const gone of removed) if (!list.includes(gone)) syncBack(gone, back, owner, false);
  for (const item of added) {
    if (!back.uselist) {
      // The child moves from its previous owner's collection to this one.
      const oldOwner = loaded(item, back) as Instrumented | null | undefined;
      if (oldOwner && oldOwner !== owner) syncBack(oldOwner, rel, item, false);
    }
    syncBack(item, back, owner, true);
    markRelChanged(item, back);
  }
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
  const previous = loaded(obj, rel);
  const state = obj[STATE];
  if (rel.uselist && Array.isArray(previous) && state.status === "persistent" && state.relSnapshots?.has(rel.index) !== true) {
    state.relSnapshots ??= new Map();
    state.relSnapshots.set(rel.index, (previous as object[]).slice());
  }
  setRaw(obj, rel, rel.uselist ? [...(value as object[])] : value);
  markRelChanged(obj, rel);
  const back = rel.back;
  if (back === undefined) return;
  const before = previous === undefined ? [] : rel.uselist ? (previous as Instrumented[]) : previous === null ? [] : [previous as Instrumented];
  const after = rel.uselist ? (value as Instrumented[]) : value === null ? [] : [value as Instrumented];
  for (const gone of before) if (!after.includes(gone)) syncBack(gone, back, obj, false);
  for (const added of after) {
    if (before.includes(added)) continue;
    if (!back.uselist) {
      // The child moves from its previous owner's collection to ours.
      const oldOwner = loaded(added, back) as Instrumented | null | undefined;
      if (oldOwner && oldOwner !== obj) syncBack(oldOwner, rel, added, false);
    }
    syncBack(added, back, obj, true);
    markRelChanged(added, back);
  }
}
