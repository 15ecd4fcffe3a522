/**
 * What a rollback does to the objects (SQLAlchemy's SessionTransaction._restore_snapshot):
 *
 * - of the whole transaction: objects inserted in it, and pending ones, become transient; deleted
 *   ones are persistent again; primary keys changed in it are the old ones; everything else in
 *   the identity map is expired (the next read goes to the database);
 * - of a savepoint: the same for what happened since the SAVEPOINT, and only the objects changed
 *   since then (flushed or not) are expired.
 *
 * Also what a failed flush and close() do to them (restoreAfterFailedFlush, detachAll).
 */
import { STATE, type Instrumented } from "../mapping/instance-state.js";
import type { IdentityMap } from "./identity-map.js";
import type { ChangeFrame } from "./transaction.js";

export interface RollbackTarget {
  readonly identityMap: IdentityMap;
  readonly pending: Set<Instrumented>;
  readonly dirty: Set<Instrumented>;
  readonly deleted: Set<Instrumented>;
  expire(obj: object): void;
  expireAll(): void;
}

/** The transaction was rolled back: `frames` are all its levels. */
export function restoreAfterRollback(session: RollbackTarget, frames: readonly ChangeFrame[]): void {
  undoFrames(session, frames);
  session.expireAll();
}

/** A savepoint was rolled back: `undone` are its level and the levels inside it. */
export function restoreAfterSavepointRollback(session: RollbackTarget, undone: readonly ChangeFrame[]): void {
  const changed = new Set<Instrumented>(session.dirty);
  for (const frame of undone) {
    for (const obj of frame.modified) changed.add(obj);
    for (const obj of frame.deleted) changed.add(obj);
    for (const [obj] of frame.rekeyed) changed.add(obj);
  }
  session.identityMap.forEach((obj) => {
    if ((obj as Instrumented)[STATE].changes?.size) changed.add(obj as Instrumented);
  });
  undoFrames(session, undone);
  for (const obj of changed) {
    const state = obj[STATE];
    if (state.status === "persistent" && state.session !== undefined) session.expire(obj);
  }
}

/**
 * Puts back what the levels' flushes did (keys, inserted, deleted, pending) without expiring:
 * close() uses it alone (SQLAlchemy's close() detaches objects with what they had loaded).
 */
export function undoFrames(session: RollbackTarget, frames: readonly ChangeFrame[]): void {
  // Keys first, innermost and latest first, so each object gets the key it had before.
  for (let f = frames.length - 1; f >= 0; f--) {
    const rekeyed = frames[f]!.rekeyed;
    for (let i = rekeyed.length - 1; i >= 0; i--) {
      const [obj, oldKey, oldValues] = rekeyed[i]!;
      const state = obj[STATE];
      if (state.status !== "persistent") continue;
      if (session.identityMap.get(state.mapper, state.identityKey) === obj) session.identityMap.delete(state.mapper, state.identityKey);
      state.identityKey = oldKey;
      state.mapper.primaryKey.forEach((c, j) => (state.values[c.index] = oldValues[j]));
      session.identityMap.set(state.mapper, oldKey, obj);
    }
  }
  // Rows inserted in the rolled-back levels never existed: their objects are transient.
  for (const frame of frames) {
    for (const obj of frame.inserted) {
      const state = obj[STATE];
      if (session.identityMap.get(state.mapper, state.identityKey) === obj) session.identityMap.delete(state.mapper, state.identityKey);
      state.status = "transient";
      state.session = undefined;
      session.dirty.delete(obj);
    }
  }
  for (const obj of session.pending) {
    obj[STATE].status = "transient";
    obj[STATE].session = undefined;
  }
  session.pending.clear();
  // Deleted rows are back, except those inserted in the same levels (transient above, as in
  // SQLAlchemy, whose revert_deletion skips objects the rollback expunged).
  for (const frame of frames) {
    for (const obj of frame.deleted) {
      const state = obj[STATE];
      if (state.status !== "deleted") continue;
      state.status = "persistent";
      session.identityMap.set(state.mapper, state.identityKey, obj);
    }
  }
  for (const obj of session.deleted) {
    if (obj[STATE].status === "deleted") obj[STATE].status = "persistent";
  }
  session.deleted.clear();
  session.dirty.clear();
}

/**
 * The values of the objects a flush is about to insert, end to end in one array (not two small
 * arrays per object: a 10,000-row flush made 20,000 of them, only for the error path).
 */
export function snapshotValues(objects: readonly Instrumented[]): unknown[] {
  const saved: unknown[] = [];
  for (let i = 0; i < objects.length; i++) {
    const values = objects[i]![STATE].values;
    for (let j = 0; j < values.length; j++) saved.push(values[j]);
  }
  return saved;
}

/** A flush failed: the objects it was inserting are pending again, with the values they had. */
export function restoreAfterFailedFlush(session: RollbackTarget, objects: readonly Instrumented[], saved: readonly unknown[]): void {
  let at = 0;
  for (const obj of objects) {
    const state = obj[STATE];
    if (state.status === "persistent") session.identityMap.delete(state.mapper, state.identityKey);
    state.status = "pending";
    state.values = saved.slice(at, (at += state.values.length));
    session.pending.add(obj);
  }
}

/**
 * close(): persistent objects are detached with what they had loaded (not expired, as
 * SQLAlchemy's close()), pending ones become transient, and the session forgets them all.
 */
export function detachAll(session: RollbackTarget): void {
  session.identityMap.forEach((obj) => {
    const state = (obj as Instrumented)[STATE];
    state.session = undefined;
    state.status = "detached";
  });
  for (const obj of session.pending) {
    obj[STATE].session = undefined;
    obj[STATE].status = "transient";
  }
  session.identityMap.clear();
  session.pending.clear();
  session.dirty.clear();
  session.deleted.clear();
}
