/**
 * Per-object ORM state, kept under a symbol so the object's own properties stay the user's.
 * Column values live in one array in mapper order (a loaded row is copied in with one slice);
 * relationship values in another, `undefined` meaning "not loaded".
 */
import type { Mapper } from "./mapper.js";

export const STATE: unique symbol = Symbol("athanor.state");

/** A column that was expired (commit, rollback, expire()) and must be refreshed before reading. */
export const EXPIRED: unique symbol = Symbol("athanor.expired");
/** A column of a new object that was never set: inserts leave it to its default. */
export const NOT_SET: unique symbol = Symbol("athanor.not-set");

export type Status = "transient" | "pending" | "persistent" | "deleted" | "detached";

/** The loader options in force where an object was loaded (see loading/path-options.ts). */
export interface LoadPathOptions {
  /** The lazy mode a query option imposes on one relationship of this object, if any. */
  lazyFor(key: string): "raise" | "raise_on_sql" | "noload" | undefined;
}

/** What the state needs from its session, without the mapping layer importing the session. */
export interface SessionLink {
  readonly closed: boolean;
  lookupIdentity(mapper: Mapper, key: unknown): object | undefined;
  /** A persistent object changed: the next flush must look at it. */
  markDirty(obj: Instrumented): void;
}

export class InstanceState {
  status: Status;
  session: SessionLink | undefined = undefined;
  /** Identity-map key: the primary key value, or a string of the values for composite keys. */
  identityKey: unknown = undefined;
  /** Relationship values by relationship index; `undefined` = not loaded. */
  rels: unknown[] | undefined = undefined;
  /** Original values of columns changed since load or flush, by column index (the flush diff). */
  changes: Map<number, unknown> | undefined = undefined;
  /** Relationships assigned since the last flush (their foreign keys are synced at flush). */
  relChanges: Set<number> | undefined = undefined;
  /**
   * Collections as they were when user code first read them (persistent objects only): the flush
   * diffs against them, so `user.orders.push(o)` and `splice` are saved like an assignment.
   */
  relSnapshots: Map<number, readonly object[]> | undefined = undefined;
  loadOptions: LoadPathOptions | undefined = undefined;
  /** Some column holds EXPIRED (lets hydration skip the scan for the common case). */
  expired = false;
  constructor(
    readonly mapper: Mapper,
    public values: unknown[],
    status: Status,
  ) {
    this.status = status;
  }
}

/**
 * The `relSnapshots` entry of a one-to-many side assigned while it was not loaded: what it held
 * is not known, so the flush de-associates every row it held except the assigned ones.
 */
export const UNKNOWN_BEFORE: readonly object[] = Object.freeze([]);

export interface Instrumented {
  [STATE]: InstanceState;
}

export function stateOf(obj: object): InstanceState | undefined {
  return (obj as Partial<Instrumented>)[STATE];
}

/** "<User at 0x1a2b>" as SQLAlchemy names instances in errors; the number is stable per object. */
const objectIds = new WeakMap<object, number>();
let nextObjectId = 0x1000;
export function instanceRepr(obj: object): string {
  let id = objectIds.get(obj);
  if (id === undefined) {
    id = nextObjectId++;
    objectIds.set(obj, id);
  }
  const name = stateOf(obj)?.mapper.name ?? obj.constructor.name;
  return `<${name} at 0x${id.toString(16)}>`;
}
