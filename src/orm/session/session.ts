/**
 * The async Session: an identity map, a unit of work and one transaction at a time on one pooled
 * connection, begun on first use (SQLAlchemy's autobegin). One session serves one async task:
 * a second concurrent call fails before any SQL is sent.
 */
import { InvalidRequestError, ArgumentError, ResourceClosedError } from "../../core/errors.js";
import { bindParams, compile } from "../../core/compiler/compiler.js";
import type { Engine } from "../../core/engine/engine.js";
import type { QueryResult } from "../../core/engine/types.js";
import type { Insert, Update, Delete } from "../../core/sql/dml.js";
import { describeValue } from "../../core/sql/expression.js";
import type { StatementNode } from "../../core/sql/nodes.js";
import { Select } from "../../core/sql/select.js";
import { DetachedInstanceError } from "../errors.js";
import { entityOf, type EntityStatics, type MappedClass } from "../mapping/declarative.js";
import { identityKey } from "../mapping/identity-key.js";
import { EXPIRED, instanceRepr, NOT_SET, STATE, stateOf, type Instrumented, type SessionLink } from "../mapping/instance-state.js";
import type { Mapper } from "../mapping/mapper.js";
import type { LoadingSession } from "../loading/context.js";
import { loadEntities } from "../loading/load-entities.js";
import type { AnyLoad, SpecOf } from "../loading/options.js";
import type { Loaded, LoadedBy } from "../typing/loaded.js";
import type { ElementOf, PathOf, RelationshipNames, ValidPaths } from "../typing/paths.js";
import type { ApplicableOptions, GetTable } from "../typing/applicable.js";
import { EntitySelect } from "../query/select.js";
import { flush, type FlushSession } from "../unit-of-work/flush.js";
import { IdentityMap } from "./identity-map.js";
import { Result } from "./result.js";
import { explicitLoad, type LoadPath } from "./explicit-load.js";
import { cachedGetStatement, getStatement, keyParam, normalizeKey } from "./get-statement.js";
import { checkKeyValues } from "../unit-of-work/check-values.js";
import { NPlusOneDetector, type NPlusOneMode } from "./n-plus-one.js";
import { keepShape } from "../mapping/shapes.js";
import { refreshAll, refreshAttributes, type RefreshableName, type RefreshHost } from "./refresh.js";
import type { ChangeFrame } from "./transaction.js";
import { TransactionControl, type BeginOptions, type SessionTransactionOptions } from "./transaction-control.js";
import { detachAll, restoreAfterFailedFlush, restoreAfterRollback, restoreAfterSavepointRollback, snapshotValues, undoFrames } from "./transaction-objects.js";
import { NestedTransaction, type SavepointHost } from "./nested-transaction.js";

export type { BeginOptions };

export interface SessionOptions extends SessionTransactionOptions {
  /** Expire every object at commit, so the next read sees the database (default true, as SQLAlchemy). */
  readonly expireOnCommit?: boolean;
  /** Flush pending changes before each query (default true). */
  readonly autoflush?: boolean;
  /**
   * What to do when session.load() loads one relationship one object at a time, again and again
   * (an N+1, session/n-plus-one.ts): "warn" (default), "raise" (for test suites) or "ignore".
   */
  readonly nPlusOne?: NPlusOneMode;
  /*
   * Also isolationLevel, readOnly, deferrable (every transaction's, over the engine's) and
   * transactionTimeout: milliseconds each transaction may take from its first statement, after
   * which no statement is sent and it does not commit (TransactionDeadlineError).
   */
}

/** `Table`: the entity `get()` selects; an option starting elsewhere does not compile (typing/applicable.ts). */
export interface GetOptions<L extends readonly AnyLoad[] = readonly AnyLoad[], Table extends string = string> {
  readonly options?: ApplicableOptions<L, Table>;
  readonly populateExisting?: boolean;
}

/** `session.load()`'s result: its input with the paths loaded (arrays element-wise). */
export type LoadedInput<T, Paths extends string> = T extends readonly (infer E)[] ? Loaded<E, Paths>[] : Loaded<T, Paths>;

type DmlStatement = Insert | Update | Delete;
type Executable = EntitySelect<readonly unknown[]> | Select<unknown> | DmlStatement;

export class Session implements LoadingSession, SessionLink, FlushSession, SavepointHost, AsyncDisposable {
  readonly identityMap = new IdentityMap();
  readonly link: SessionLink = this;
  readonly pending = new Set<Instrumented>();
  readonly dirty = new Set<Instrumented>();
  readonly deleted = new Set<Instrumented>();
  closed = false;
  readonly expireOnCommit: boolean;
  readonly autoflush: boolean;
  private readonly nPlusOne: NPlusOneDetector;
  private readonly transactions: TransactionControl;

  constructor(readonly engine: Engine, options: SessionOptions = {}) {
    this.expireOnCommit = options.expireOnCommit ?? true;
    this.autoflush = options.autoflush ?? true;
    this.nPlusOne = new NPlusOneDetector(options.nPlusOne ?? "warn");
    this.transactions = new TransactionControl(engine, options);
  }

  private get guard() {
    return this.transactions.guard;
  }

  /** The current transaction (autobegin; transaction-control.ts). */
  private transaction() {
    this.closed = false;
    return this.transactions.current;
  }

  /** For tests and tools: the transaction in progress, if any. */
  private get tx() {
    return this.transactions.existing;
  }

  // ---- SessionLink / LoadingSession -------------------------------------------------------

  lookupIdentity(mapper: Mapper, key: unknown): object | undefined {
    return this.identityMap.get(mapper, key);
  }

  markDirty(obj: Instrumented): void {
    if (obj[STATE].status === "persistent") this.dirty.add(obj);
  }

  /** Compiles (cached per statement) and runs one statement in the session's transaction. */
  async run(statement: StatementNode, values?: Readonly<Record<string, unknown>>): Promise<QueryResult> {
    const template = compile(statement);
    const params = bindParams(template, values);
    // The transaction begins at the first write (or SELECT ... FOR UPDATE). Under READ COMMITTED
    // every statement takes its own snapshot whether or not a transaction is open, so reads
    // before the first write see the same data either way, and a read-only session saves the
    // BEGIN and ROLLBACK round trips (docs/design.md). With an isolation level or access mode
    // set, BEGIN comes before the first statement (transaction.ts).
    const write = statement.kind !== "select" || Boolean(statement.forUpdate);
    return this.transaction().execute({ sql: template.sql, params }, write);
  }

  // ---- guarding ---------------------------------------------------------------------------

  /** Failed transaction, passed deadline: refused before any SQL (transaction.ts). */
  private checkUsable(): void {
    this.tx?.assertUsable();
  }

  private async autoflushIfNeeded(): Promise<void> {
    if (this.autoflush) await this.flushInner();
  }

  // ---- statements -------------------------------------------------------------------------

  /** Runs a statement. `select(User)` gives objects; other statements give rows. */
  execute<Row extends readonly unknown[]>(statement: EntitySelect<Row>, values?: Readonly<Record<string, unknown>>): Promise<Result<Row>>;
  execute<Row extends readonly unknown[] = unknown[]>(statement: Select<Row> | DmlStatement, values?: Readonly<Record<string, unknown>>): Promise<Result<Row>>;
  execute(statement: Executable, values?: Readonly<Record<string, unknown>>): Promise<Result<readonly unknown[]>> {
    return this.guard.run("execute()", async () => {
      this.checkUsable();
      await this.autoflushIfNeeded();
      if (statement instanceof EntitySelect && statement.orm.items.some((i) => i.kind === "entity")) {
        const loaded = await loadEntities(this, statement as EntitySelect<readonly unknown[]>, values);
        return new Result(loaded.rows, loaded.requiresUnique);
      }
      const node = statementNode(statement);
      const result = await this.run(node, values);
      return new Result(result.rows, false, false, result.rowCount);
    });
  }

  /** `(await session.execute(stmt)).scalars()` in one call. */
  async scalars<Row extends readonly unknown[]>(statement: EntitySelect<Row>, values?: Readonly<Record<string, unknown>>) {
    return (await this.execute(statement, values)).scalars();
  }

  /** The first column of the first row, or null (exempt from the unique() rule, as in SQLAlchemy). */
  async scalar<Row extends readonly unknown[]>(statement: EntitySelect<Row>, values?: Readonly<Record<string, unknown>>): Promise<Row[0] | null> {
    return (await this.execute(statement, values)).scalar();
  }

  /**
   * The object with this primary key: from the identity map without SQL when it is there, else
   * one query. `key` is the value, or an array (or object by property name) for composite keys.
   */
  async get<T extends object, const L extends readonly AnyLoad[] = []>(
    entity: MappedClass<T>, key: unknown, options: GetOptions<L, GetTable<T>> = {},
  ): Promise<LoadedBy<T, SpecOf<L>> | null> {
    const { mapper } = entityOf(entity, "get()");
    this.checkUsable(); // an identity-map hit too: the object may describe a row that was rolled back
    const values = normalizeKey(mapper, key);
    checkKeyValues(mapper, values);
    const idKey = identityKey(values);
    const hit = this.identityMap.get(mapper, idKey) as Instrumented | undefined;
    if (hit !== undefined && !options.populateExisting && !hit[STATE].expired && (options.options?.length ?? 0) === 0) return hit as unknown as LoadedBy<T, SpecOf<L>>;
    // An object already in the map keeps its loaded state and unflushed changes (ANCHORS 18): the
    // query fills what is expired or not loaded, and overwrites only when populateExisting is asked.
    const statics = entity as unknown as EntityStatics;
    const loads = options.options ?? [];
    const populate = options.populateExisting === true;
    const stmt = cachedGetStatement(mapper, statics, loads, populate) ?? getStatement(mapper, statics, loads, populate);
    const params: Record<string, unknown> = {};
    for (let i = 0; i < values.length; i++) params[keyParam(i)] = values[i];
    const result = await this.execute(stmt, params);
    return (result.first()?.[0] ?? null) as LoadedBy<T, SpecOf<L>> | null;
  }

  /**
   * Loads relationships of already-loaded objects, batched: `await session.load(users, "orders")`
   * is one query for all of them; "orders.products" loads two levels. Returns its input.
   */
  async load<T extends object | readonly object[], const P extends readonly LoadPath[]>(objects: T, ...paths: ValidPaths<ElementOf<T>, P>): Promise<LoadedInput<T, PathOf<P[number]>>> {
    return this.guard.run("load()", async () => {
      this.checkUsable();
      const list = (Array.isArray(objects) ? objects : [objects]) as Instrumented[];
      for (const obj of list) this.checkOwned(obj, "load()");
      this.nPlusOne.record(list, paths as unknown as readonly LoadPath[]);
      // As a lazy load's query: pending changes are flushed first, so the load sees them.
      await this.autoflushIfNeeded();
      // ValidPaths<E, P> is P once the call compiled.
      await explicitLoad(this, list, paths as unknown as P);
      return objects as unknown as LoadedInput<T, PathOf<P[number]>>;
    });
  }

  // ---- unit of work -----------------------------------------------------------------------

  /** For the flush (FlushSession): children a delete cascade reaches are loaded first. */
  async loadForCascade(objects: readonly Instrumented[], key: string): Promise<void> {
    await explicitLoad(this, objects, [key]);
  }

  add(obj: object): void {
    const state = stateOf(obj);
    if (state === undefined) throw new ArgumentError(`add() expects an entity object, got ${describeValue(obj)}.`);
    if (state.session !== undefined && state.session !== this && !state.session.closed) {
      throw new InvalidRequestError(`${instanceRepr(obj)} is already attached to another session; expunge it there first.`);
    }
    if (state.status === "transient") this.attach(obj as Instrumented);
    else if (state.status === "detached") {
      state.session = this;
      state.status = "persistent";
      this.identityMap.set(state.mapper, state.identityKey, obj);
      if (state.changes?.size) this.dirty.add(obj as Instrumented);
    } else if (state.status === "deleted") {
      this.deleted.delete(obj as Instrumented);
      state.status = "persistent";
    }
  }

  addAll(objs: Iterable<object, unknown, undefined>): void {
    for (const obj of objs) this.add(obj);
  }

  /** Marks an object for deletion at the next flush. */
  delete(obj: object): void {
    const state = stateOf(obj);
    if (state === undefined) throw new ArgumentError(`delete() expects an entity object, got ${describeValue(obj)}.`);
    if (state.status === "pending") {
      this.pending.delete(obj as Instrumented);
      state.status = "transient";
      state.session = undefined;
      return;
    }
    if (state.status !== "persistent" || state.session !== this) {
      throw new InvalidRequestError(`${instanceRepr(obj)} is not persisted in this session (it is ${state.status}); only loaded or flushed objects can be deleted.`);
    }
    this.deleted.add(obj as Instrumented);
  }

  attach(obj: Instrumented): void {
    const state = obj[STATE];
    state.status = "pending";
    state.session = this;
    this.pending.add(obj);
  }

  registerPersistent(obj: Instrumented): void {
    const state = obj[STATE];
    state.status = "persistent";
    this.identityMap.set(state.mapper, state.identityKey, obj);
    this.transaction().current.inserted.push(obj);
  }

  forgetDeleted(obj: Instrumented): void {
    const state = obj[STATE];
    state.status = "deleted";
    this.identityMap.delete(state.mapper, state.identityKey);
    this.transaction().current.deleted.push(obj);
  }

  /** A flushed UPDATE changed the object's primary key (the identity map was re-keyed). */
  rekeyed(obj: Instrumented, oldKey: unknown, oldValues: readonly unknown[]): void {
    this.transaction().current.rekeyed.push([obj, oldKey, oldValues]);
  }

  /** Writes pending changes in one dependency-ordered plan (see unit-of-work/flush.ts). */
  flush(): Promise<void> {
    return this.guard.run("flush()", async () => {
      this.checkUsable();
      await this.flushInner();
    });
  }

  private async flushInner(): Promise<void> {
    if (this.pending.size === 0 && this.dirty.size === 0 && this.deleted.size === 0) return;
    // The values each new object had, restored if the flush fails.
    const objects = [...this.pending];
    const saved = snapshotValues(objects);
    const tx = this.transaction();
    const level = tx.current;
    for (const obj of this.dirty) level.modified.add(obj);
    try {
      await flush(this);
    } catch (error) {
      // Nothing half-written: the transaction (or the savepoint the flush ran in) is failed and
      // the session refuses SQL until rollback(), as SQLAlchemy's PendingRollbackError does.
      restoreAfterFailedFlush(this, objects, saved);
      tx.flushFailed(error);
      throw error;
    }
  }

  /**
   * Flushes and commits. When anything fails (the flush, COMMIT, the connection) the session is
   * left failed: every operation raises PendingRollbackError until rollback(). A lost COMMIT
   * reply raises CommitOutcomeUnknownError (docs/errors.md: check, then decide).
   */
  async commit(): Promise<void> {
    await this.guard.run("commit()", async () => {
      this.checkUsable();
      await this.flushInner();
      const tx = this.transaction();
      await tx.commit();
      this.transactions.take(); // a later rollback() must not undo what this one committed
      // Rows deleted in the committed transaction are gone: their objects are detached (SQLAlchemy).
      for (const frame of tx.frames) {
        for (const obj of frame.deleted) {
          obj[STATE].status = "detached";
          obj[STATE].session = undefined;
        }
      }
      if (this.expireOnCommit) this.expireAll();
    });
  }

  /**
   * Rolls the whole transaction back (savepoints too) and releases the connection: pending
   * objects are expunged, deleted ones restored, the rest expired. Never fails for a lost
   * connection (the server rolled back already).
   */
  async rollback(): Promise<void> {
    await this.guard.run("rollback()", () => this.rollbackInner());
  }

  private async rollbackInner(): Promise<void> {
    const tx = this.transactions.take();
    if (tx !== undefined) await tx.rollback();
    restoreAfterRollback(this, tx?.frames ?? []);
  }

  /**
   * Ends the transaction (rolling back anything uncommitted), releases the connection and
   * detaches every object. Never refused: an operation in flight is cancelled (its connection
   * closed, so the server rolls back) and awaited; a running begin(fn) may not use the session
   * again (its next call raises ResourceClosedError, and it does not commit).
   */
  async close(): Promise<void> {
    // As SQLAlchemy's close(): the transaction is rolled back on the connection, but the objects
    // are not expired. They are detached with what they had loaded (only rollback() expires).
    // An engine disposed first has closed the connection already; closing still detaches objects.
    const tx = await this.transactions.stopForClose();
    if (tx !== undefined) {
      await tx.rollback().catch((e: unknown) => {
        if (!(e instanceof ResourceClosedError)) throw e;
      });
      undoFrames(this, tx.frames);
    }
    detachAll(this);
    this.closed = true;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /**
   * Runs `fn` in a transaction: commit when it returns, rollback when it throws. Refused before
   * any SQL when called inside another begin() (use beginNested() for a savepoint), when a write
   * already began a transaction, or from another task while one runs (ConcurrentSessionUseError).
   */
  async begin<T>(fn: (session: this) => Promise<T>, options: BeginOptions = {}): Promise<T> {
    this.transactions.prepareBegin(options);
    return this.guard.runBlock("begin()", async () => {
      let result: T;
      try {
        result = await fn(this);
        await this.commit();
      } catch (error) {
        try {
          await this.rollback();
        } catch (rollbackError) {
          // close() ended this block (and rolled back): the callback's own error is the one to see.
          if (!(rollbackError instanceof ResourceClosedError)) throw rollbackError;
        }
        throw error;
      }
      return result;
    });
  }

  /**
   * A SAVEPOINT (SQLAlchemy's begin_nested): pending changes are flushed first. With `fn`: runs
   * it, releases the savepoint when it returns, rolls back to it when it throws (and rethrows);
   * the enclosing transaction goes on either way. Without: returns the handle.
   */
  beginNested(): Promise<NestedTransaction>;
  beginNested<T>(fn: (session: this) => Promise<T>): Promise<T>;
  async beginNested<T>(fn?: (session: this) => Promise<T>): Promise<NestedTransaction | T> {
    const nested = await this.guard.run("beginNested()", async () => {
      this.checkUsable();
      await this.flushInner();
      return new NestedTransaction(this, await this.transaction().beginNested());
    });
    if (fn === undefined) return nested;
    let result: T;
    try {
      result = await fn(this);
    } catch (error) {
      await nested.rollback();
      throw error;
    }
    await nested.commit();
    return result;
  }

  /** @internal NestedTransaction.commit(): flush, then RELEASE SAVEPOINT. */
  releaseSavepoint(frame: ChangeFrame): Promise<void> {
    return this.guard.run("commit() of a savepoint", async () => {
      const tx = this.transaction();
      const at = tx.frames.indexOf(frame);
      if (at > 0) {
        tx.assertUsableFor(at);
        await this.flushInner();
      }
      await tx.releaseNested(frame);
    });
  }

  /** @internal NestedTransaction.rollback(): ROLLBACK TO SAVEPOINT, then put the objects back. */
  rollbackSavepoint(frame: ChangeFrame): Promise<void> {
    return this.guard.run("rollback() of a savepoint", async () => {
      const tx = this.tx;
      if (tx === undefined) return;
      restoreAfterSavepointRollback(this, await tx.rollbackNested(frame));
    });
  }

  // ---- expiry -----------------------------------------------------------------------------

  /** Marks attributes (all by default) as stale: the next read needs refresh(). */
  expire(obj: object, attributes?: readonly string[]): void {
    const state = this.checkOwned(obj as Instrumented, "expire()")[STATE];
    this.keepKey(state);
    if (attributes === undefined) {
      state.values.fill(EXPIRED);
      state.rels = undefined;
    } else {
      for (const name of attributes) {
        const col = state.mapper.columnsByKey.get(name);
        if (col) state.values[col.index] = EXPIRED;
        else if (state.rels) state.rels[state.mapper.relationship(name).index] = undefined;
      }
    }
    state.changes = undefined;
    state.expired = state.values.includes(EXPIRED);
  }

  expireAll(): void {
    for (const obj of this.identityMap.all()) {
      const state = (obj as Instrumented)[STATE];
      this.keepKey(state);
      state.values.fill(EXPIRED);
      state.rels = undefined;
      state.changes = undefined;
      state.relChanges = undefined;
      state.relSnapshots = undefined;
      state.expired = true;
    }
  }

  /** Composite primary-key values of objects whose key columns were expired (refresh() needs them). */
  private readonly expiredKeys = new WeakMap<Instrumented[typeof STATE], unknown[]>();

  private keepKey(state: Instrumented[typeof STATE]): void {
    // A single-column key is the identity key itself: nothing to keep (and no array per object
    // when a commit expires thousands).
    if (state.mapper.primaryKey.length < 2) return;
    const values = state.mapper.primaryKey.map((c) => state.values[c.index]);
    if (values.length > 1 && !values.some((v) => v === EXPIRED || v === NOT_SET)) this.expiredKeys.set(state, values);
  }

  /**
   * Reloads the object's columns from the database (its relationships become unloaded, and the
   * eager loads it was loaded with run again); with attribute names, loads only those columns and
   * relationships: `await session.refresh(user, ["email", "orders"])` (session/refresh.ts).
   */
  refresh<T extends object>(obj: T, options?: GetOptions): Promise<T>;
  refresh<T extends object, const A extends readonly RefreshableName<T>[]>(obj: T, attributeNames: A): Promise<Loaded<T, Extract<A[number], RelationshipNames<T>>>>;
  async refresh<T extends object>(obj: T, namesOrOptions: GetOptions | readonly unknown[] = {}): Promise<T> {
    this.checkOwned(obj as unknown as Instrumented, "refresh()");
    const host: RefreshHost = {
      session: this as unknown as RefreshHost["session"],
      guard: (operation, fn) => this.guard.run(operation, () => {
        this.checkUsable();
        return fn();
      }),
      autoflush: () => this.autoflushIfNeeded(),
      expiredKey: (state) => this.expiredKeys.get(state),
    };
    if (Array.isArray(namesOrOptions)) return refreshAttributes(host, obj, namesOrOptions);
    return refreshAll(host, obj, namesOrOptions as GetOptions);
  }

  /** Removes the object from the session (it becomes detached). */
  expunge(obj: object): void {
    const state = this.checkOwned(obj as Instrumented, "expunge()")[STATE];
    this.identityMap.delete(state.mapper, state.identityKey);
    this.pending.delete(obj as Instrumented);
    this.dirty.delete(obj as Instrumented);
    state.session = undefined;
    state.status = state.status === "pending" ? "transient" : "detached";
  }

  private checkOwned(obj: Instrumented, what: string): Instrumented {
    const state = stateOf(obj);
    if (state === undefined) throw new ArgumentError(`${what} expects an entity object, got ${describeValue(obj)}.`);
    if (state.session !== this) {
      throw new DetachedInstanceError(`Instance ${instanceRepr(obj)} is not bound to this Session; ${what} cannot proceed. Add it with session.add() first.`);
    }
    return obj;
  }

  /** Whether the object belongs to this session (pending or persistent). */
  contains(obj: object): boolean {
    const state = stateOf(obj);
    // A deleted object whose DELETE was flushed is no longer in the session (SQLAlchemy's `in`).
    return state?.session === this && state.status !== "deleted";
  }
}

function statementNode(statement: unknown): StatementNode {
  if (statement instanceof Select) return statement.toSelectNode();
  const node = (statement as { node?: StatementNode } | null)?.node;
  if (node !== undefined && (node.kind === "insert" || node.kind === "update" || node.kind === "delete")) return node;
  throw new ArgumentError(`execute() expects a statement (select, insert, update, delete), got ${describeValue(statement)}.`);
}

// A session that is never used keeps the hidden classes of Session, IdentityMap and their
// fields alive between sessions, so the flush and loading code compiled against them is not
// thrown away by a GC that finds no session alive (see mapping/shapes.ts).
keepShape(new Session(undefined as unknown as Engine));
