/**
 * `inspect(obj)` and `isLoaded(obj, "orders")`: what the ORM knows about one object, as
 * SQLAlchemy's `inspect(instance)` (an InstanceState) tells it: its lifecycle state, its identity,
 * its session, which attributes are loaded and which changed since the last flush.
 *
 * Inspection only reads the object's state. It never loads anything, never sends SQL and never
 * throws for an unloaded or expired attribute: it is how code asks before it reads.
 */
import { ArgumentError } from "../core/errors.js";
import { describeValue } from "../core/sql/expression.js";
import type { MappedClass } from "./mapping/declarative.js";
import { EXPIRED, NOT_SET, stateOf, type InstanceState } from "./mapping/instance-state.js";
import type { Session } from "./session/session.js";

/** What happened to one attribute since it was loaded or last flushed (SQLAlchemy's History). */
export interface AttributeHistory {
  /** Values set (a column's new value, a collection's new items) since the load or flush. */
  readonly added: readonly unknown[];
  /** Loaded values still there. */
  readonly unchanged: readonly unknown[];
  /** Values replaced or removed (a column's loaded value, a collection's removed items). */
  readonly deleted: readonly unknown[];
}

/** One attribute of an inspected object (SQLAlchemy's AttributeState). */
export interface AttributeInspection {
  readonly key: string;
  readonly kind: "column" | "relationship";
  /** The object holds its value (see isLoaded()). */
  readonly loaded: boolean;
  /** A column expired by commit, rollback or expire() (relationships are simply unloaded). */
  readonly expired: boolean;
  /** The loaded value, or undefined when not loaded (it is never loaded for you). */
  readonly loadedValue: unknown;
  /** Changed since the object was loaded or last flushed. */
  readonly modified: boolean;
  /**
   * Columns and collections compare against the value as loaded. For a single-object
   * relationship that was assigned, `added` holds the new value and `deleted` is empty: the
   * replaced object is not kept.
   */
  readonly history: AttributeHistory;
}

/** The lifecycle states (SQLAlchemy's object states, docs: "Quickie Intro to Object States"). */
export type ObjectState = "transient" | "pending" | "persistent" | "deleted" | "detached";

const EMPTY: readonly unknown[] = Object.freeze([]);
const NO_HISTORY: AttributeHistory = Object.freeze({ added: EMPTY, unchanged: EMPTY, deleted: EMPTY });

/** A read-only view of one object's ORM state; computed when asked, never cached. */
export class InstanceInspection<T extends object = object> {
  /** @internal use inspect(obj). */
  constructor(
    readonly object: T,
    private readonly state: InstanceState,
  ) {}

  /** The entity's registered name ("User"). */
  get entityName(): string {
    return this.state.mapper.name;
  }

  /** The entity class. */
  get entity(): MappedClass<T> {
    return this.state.mapper.cls as unknown as MappedClass<T>;
  }

  /** "transient" (new, in no session), "pending" (added, not flushed), "persistent", "deleted" (its DELETE was flushed) or "detached". */
  get status(): ObjectState {
    return this.state.status;
  }
  get transient(): boolean {
    return this.state.status === "transient";
  }
  get pending(): boolean {
    return this.state.status === "pending";
  }
  get persistent(): boolean {
    return this.state.status === "persistent";
  }
  get deleted(): boolean {
    return this.state.status === "deleted";
  }
  get detached(): boolean {
    return this.state.status === "detached";
  }

  /** Some column is expired (after commit with expireOnCommit, rollback, or expire()): refresh() reloads it. */
  get expired(): boolean {
    return this.state.expired;
  }

  /** The names of the expired columns. */
  get expiredAttributes(): ReadonlySet<string> {
    const out = new Set<string>();
    for (const c of this.state.mapper.columns) if (this.state.values[c.index] === EXPIRED) out.add(c.key);
    return out;
  }

  /** Whether the object has a row (persistent, deleted or detached): then `identity` is its key. */
  get hasIdentity(): boolean {
    const status = this.state.status;
    return status === "persistent" || status === "deleted" || status === "detached";
  }

  /** The primary-key values (one per key column), or null before the object has a row. Known even when expired. */
  get identity(): readonly unknown[] | null {
    if (!this.hasIdentity) return null;
    const state = this.state;
    const pk = state.mapper.primaryKey;
    const values = pk.map((c) => state.values[c.index]);
    if (!values.some((v) => v === EXPIRED || v === NOT_SET)) return values;
    return pk.length === 1 ? [state.identityKey] : decodeCompositeKey(state.identityKey);
  }

  /** The identity-map key, SQLAlchemy's identity_key: the entity and its key values; null before the object has a row. */
  get identityKey(): readonly [MappedClass<T>, readonly unknown[]] | null {
    const identity = this.identity;
    return identity === null ? null : [this.entity, identity];
  }

  /** The session the object belongs to (pending or persistent), else undefined. */
  get session(): Session | undefined {
    const session = this.state.session;
    return session === undefined || session.closed ? undefined : (session as unknown as Session);
  }

  /** Changed since it was loaded or last flushed (a column, a relationship assignment or a collection). */
  get modified(): boolean {
    const state = this.state;
    return (state.changes?.size ?? 0) > 0 || (state.relChanges?.size ?? 0) > 0 || (state.relSnapshots?.size ?? 0) > 0;
  }

  /** Names of the attributes that are not loaded: expired or unset columns, relationships not loaded. */
  get unloaded(): ReadonlySet<string> {
    const out = new Set<string>();
    const state = this.state;
    for (const c of state.mapper.columns) if (!columnLoaded(state, c.index)) out.add(c.key);
    for (const r of state.mapper.relationships) if (state.rels?.[r.index] === undefined) out.add(r.key);
    return out;
  }

  /** Whether the object holds attribute `key`'s value (see isLoaded()). */
  isLoaded(key: Extract<keyof T, string>): boolean {
    return attributeLoaded(this.state, key);
  }

  /** Every mapped attribute by name: columns in mapper order, then relationships. */
  get attrs(): ReadonlyMap<string, AttributeInspection> {
    const out = new Map<string, AttributeInspection>();
    const state = this.state;
    for (const c of state.mapper.columns) out.set(c.key, columnInspection(state, c.key, c.index));
    for (const r of state.mapper.relationships) out.set(r.key, relationshipInspection(state, r.key, r.index, r.uselist));
    return out;
  }
}

function columnLoaded(state: InstanceState, index: number): boolean {
  const v = state.values[index];
  return v !== EXPIRED && v !== NOT_SET;
}

function attributeLoaded(state: InstanceState, key: string): boolean {
  const column = state.mapper.columnsByKey.get(key);
  if (column !== undefined) return columnLoaded(state, column.index);
  const rel = state.mapper.relationships.find((r) => r.key === key);
  if (rel !== undefined) return state.rels?.[rel.index] !== undefined;
  const mapper = state.mapper;
  throw new ArgumentError(
    `${JSON.stringify(key) ?? String(key)} is not an attribute of ${mapper.name} (its columns: ${mapper.columns.map((c) => c.key).join(", ")}; ` +
      `its relationships: ${mapper.relationships.map((r) => r.key).join(", ") || "none"}).`,
  );
}

function columnInspection(state: InstanceState, key: string, index: number): AttributeInspection {
  const value = state.values[index];
  const loaded = value !== EXPIRED && value !== NOT_SET;
  const changed = state.changes?.has(index) === true && state.changes.get(index) !== value;
  let history = NO_HISTORY;
  if (changed) {
    const old = state.changes!.get(index);
    history = { added: loaded ? [value] : EMPTY, unchanged: EMPTY, deleted: old === EXPIRED || old === NOT_SET ? EMPTY : [old] };
  } else if (loaded) {
    // A new object's columns are all "added" until flushed, as in SQLAlchemy.
    history = state.status === "transient" || state.status === "pending" ? { added: [value], unchanged: EMPTY, deleted: EMPTY } : { added: EMPTY, unchanged: [value], deleted: EMPTY };
  }
  return { key, kind: "column", loaded, expired: value === EXPIRED, loadedValue: loaded ? value : undefined, modified: changed, history };
}

function relationshipInspection(state: InstanceState, key: string, index: number, uselist: boolean): AttributeInspection {
  const value = state.rels?.[index];
  const loaded = value !== undefined;
  const snapshot = state.relSnapshots?.get(index);
  const assigned = state.relChanges?.has(index) === true;
  const isNew = state.status === "transient" || state.status === "pending";
  let history = NO_HISTORY;
  if (loaded) {
    const now: readonly unknown[] = uselist ? (value as readonly unknown[]) : value === null ? EMPTY : [value];
    if (snapshot !== undefined) {
      const before = new Set<unknown>(snapshot);
      const after = new Set<unknown>(now);
      history = { added: now.filter((x) => !before.has(x)), unchanged: now.filter((x) => before.has(x)), deleted: snapshot.filter((x) => !after.has(x)) };
    } else if (assigned || isNew) {
      history = { added: [...now], unchanged: EMPTY, deleted: EMPTY };
    } else {
      history = { added: EMPTY, unchanged: [...now], deleted: EMPTY };
    }
  }
  return { key, kind: "relationship", loaded, expired: false, loadedValue: value, modified: assigned || snapshot !== undefined, history };
}

/** compositeKey()'s string back to values: each JSON-encoded (bigint as "<digits>n"), each followed by U+0000. */
function decodeCompositeKey(key: unknown): unknown[] {
  return String(key).split("\u0000").slice(0, -1).map((part) => (/^-?\d+n$/.test(part) ? BigInt(part.slice(0, -1)) : JSON.parse(part) as unknown));
}

function stateFor(obj: object, what: string): InstanceState {
  const state = typeof obj === "object" && obj !== null ? stateOf(obj) : undefined;
  if (state === undefined) throw new ArgumentError(`${what} expects an entity object (an instance of a mapped class), got ${describeValue(obj)}.`);
  return state;
}

/**
 * The ORM state of an entity object, as SQLAlchemy's `inspect(obj)`:
 *
 * ```ts
 * const insp = inspect(user);
 * insp.persistent;            // true
 * insp.identity;              // [1]
 * insp.unloaded;              // Set { "orders", "invoice" }
 * insp.attrs.get("email")!.history;  // { added: ["new@x.com"], unchanged: [], deleted: ["a@x.com"] }
 * ```
 *
 * Sends no SQL and loads nothing; throws only when `obj` is not an entity object.
 */
export function inspect<T extends object>(obj: T): InstanceInspection<T> {
  return new InstanceInspection(obj, stateFor(obj, "inspect()"));
}

/**
 * Whether the object holds attribute `key`'s value, so reading it can neither need SQL nor
 * throw: a column that is not expired (nor unset on a new object), a relationship that was
 * loaded or assigned. `isLoaded(user, "orders")` before `user.orders` is how to branch instead of
 * catching NotLoadedError. When it is false a read may still succeed without SQL where
 * SQLAlchemy's would (a new object's empty collection, a many-to-one whose target is in the
 * identity map); inspection itself never reads. A key that is not a mapped attribute throws
 * ArgumentError naming the attributes.
 */
export function isLoaded<T extends object>(obj: T, key: Extract<keyof T, string>): boolean {
  return attributeLoaded(stateFor(obj, "isLoaded()"), key);
}
