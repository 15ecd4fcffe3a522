/**
 * A Session's transaction as a small state machine, and its savepoint stack:
 *
 *   active ──statement/flush/COMMIT fails──▶ failed ──rollback()──▶ closed
 *     │                                        ▲
 *     └──COMMIT succeeds──▶ committed          └── a savepoint's statement fails: only that
 *                                                   savepoint is failed; rolling it back recovers
 *
 * While failed, every operation is refused with PendingRollbackError before any SQL: COMMIT is
 * never sent for an aborted transaction, and the next statement never runs on a fresh
 * connection as if nothing had happened. The connection is checked out at the first statement;
 * BEGIN is sent before the first write (docs/design.md, "Transactions begin at the first write"),
 * or before the first statement when an isolation level or access mode was asked for (a snapshot
 * must cover the reads).
 *
 * Each level (the transaction, then each savepoint) records what its flushes changed, so a
 * rollback can put exactly those objects back (transaction-objects.ts).
 */
import { warn } from "../../core/compiler/from-linter.js";
import type { Connection } from "../../core/engine/connection.js";
import type { Engine } from "../../core/engine/engine.js";
import { hasTransactionOptions, type TransactionOptions } from "../../core/engine/transaction-options.js";
import type { CompiledStatement, QueryResult } from "../../core/engine/types.js";
import { CommitOutcomeUnknownError, DatabaseError } from "../../core/errors.js";
import { PendingRollbackError, TransactionDeadlineError } from "../errors.js";
import type { Instrumented } from "../mapping/instance-state.js";

export type TransactionState = "active" | "failed" | "committed" | "closed";

/** What the flushes of one level (the transaction, or a savepoint) did. */
export interface ChangeFrame {
  /** The SAVEPOINT's name; undefined for the transaction itself. */
  readonly savepoint: string | undefined;
  /** Objects inserted (their rows exist only if this level commits). */
  readonly inserted: Instrumented[];
  /** Objects whose rows were deleted. */
  readonly deleted: Instrumented[];
  /** Primary keys changed by an UPDATE: the object, its old identity key, its old key values. */
  readonly rekeyed: [Instrumented, unknown, readonly unknown[]][];
  /** Objects whose changes were flushed (UPDATEd). */
  readonly modified: Set<Instrumented>;
  /** A statement failed at this savepoint level: it must be rolled back. */
  failure: unknown;
}

export interface TransactionSettings {
  readonly options: TransactionOptions | undefined;
  /** Date.now() after which no statement is sent and nothing commits. */
  readonly deadline: number | undefined;
}

function newFrame(savepoint: string | undefined): ChangeFrame {
  return { savepoint, inserted: [], deleted: [], rekeyed: [], modified: new Set(), failure: undefined };
}

let savepointCounter = 0;

export class SessionTransaction {
  #state: TransactionState = "active";
  #failure: unknown;
  #connection: Connection | undefined;
  #began = false;
  readonly frames: ChangeFrame[] = [newFrame(undefined)];

  constructor(
    private readonly engine: Engine,
    private settings: TransactionSettings,
  ) {}

  get state(): TransactionState {
    return this.#state;
  }

  /** True once BEGIN was sent (work may need a COMMIT). */
  get began(): boolean {
    return this.#began;
  }

  /** The connection, when one is checked out. */
  get connection(): Connection | undefined {
    return this.#connection;
  }

  /** The level flushes record into (the innermost savepoint, else the transaction). */
  get current(): ChangeFrame {
    return this.frames[this.frames.length - 1]!;
  }

  /** Options and deadline can change until BEGIN is sent (session.begin(fn, options)). */
  configure(settings: TransactionSettings): void {
    this.settings = settings;
  }

  /** Throws PendingRollbackError while failed, TransactionDeadlineError once the deadline passed. */
  assertUsable(): void {
    if (this.#state === "failed") throw pendingRollback(this.#failure, "session.rollback()");
    const failedSavepoint = this.current.failure;
    if (failedSavepoint !== undefined) throw pendingRollback(failedSavepoint, "the savepoint's rollback() (or session.rollback())");
    const { deadline } = this.settings;
    if (deadline !== undefined && Date.now() >= deadline) {
      const error = new TransactionDeadlineError(
        `The transaction's deadline passed ${Date.now() - deadline} ms ago: no further statement is sent and it will not commit. ` +
          "Call await session.rollback() and start again, with a longer timeout if the work needs it.",
      );
      this.fail(error);
      throw error;
    }
  }

  /** Marks the whole transaction failed: refused until rollback(). */
  fail(error: unknown): void {
    if (this.#state === "active") {
      this.#state = "failed";
      this.#failure = error;
    }
  }

  /** Runs one statement in the transaction (BEGIN first when `write` or options ask for it). */
  async execute(statement: CompiledStatement, write: boolean): Promise<QueryResult> {
    this.assertUsable();
    const connection = await this.#connect();
    if (!this.#began && (write || hasTransactionOptions(this.settings.options))) await this.#begin(connection);
    try {
      return await connection.execute(statement);
    } catch (error) {
      this.#statementFailed(error, connection);
      throw error;
    }
  }

  /** COMMIT (when BEGIN was sent) and release. Any failure leaves the transaction failed. */
  async commit(): Promise<void> {
    this.assertUsable();
    const connection = this.#connection;
    if (connection !== undefined && this.#began) {
      try {
        await connection.commit();
      } catch (error) {
        this.fail(error);
        // The outcome is decided (or unknowable); either way this connection is done with.
        if (error instanceof CommitOutcomeUnknownError || connection.broken) await connection.invalidate();
        throw error;
      }
    }
    this.#state = "committed";
    this.#connection = undefined;
    if (connection !== undefined) await connection.release();
  }

  /**
   * ROLLBACK (if the connection still lives) and release; never fails for a lost connection,
   * since the server rolls back a transaction whose connection is gone.
   */
  async rollback(): Promise<void> {
    const connection = this.#connection;
    this.#connection = undefined;
    this.#state = "closed";
    if (connection === undefined) return;
    try {
      if (!connection.broken) await connection.rollback();
    } catch (error) {
      if (!(error instanceof DatabaseError)) throw error;
      await connection.invalidate();
    } finally {
      await connection.release();
    }
  }

  /** close() while a statement is in flight: the connection is closed under it (the server rolls back). */
  async cancel(): Promise<void> {
    const connection = this.#connection;
    this.#connection = undefined;
    this.#state = "closed";
    if (connection !== undefined) await connection.invalidate();
  }

  /**
   * A flush failed part-way (a server error, or a row count the plan did not expect): what it
   * wrote is in the transaction, so the level it ran in is failed whatever the error was.
   */
  flushFailed(error: unknown): void {
    if (!this.#began) return;
    if (this.frames.length === 1 || this.#connection?.broken !== false) this.fail(error);
    else this.current.failure ??= error;
  }

  // ---- savepoints -------------------------------------------------------------------------

  /** SAVEPOINT (BEGIN first if needed); returns the new level. */
  async beginNested(): Promise<ChangeFrame> {
    this.assertUsable();
    const connection = await this.#connect();
    if (!this.#began) await this.#begin(connection);
    const name = `athanor_sp_${++savepointCounter}`;
    try {
      await connection.savepoint(name);
    } catch (error) {
      this.#statementFailed(error, connection);
      throw error;
    }
    const frame = newFrame(name);
    this.frames.push(frame);
    return frame;
  }

  /** RELEASE SAVEPOINT: the level's changes join the enclosing one. */
  async releaseNested(frame: ChangeFrame): Promise<void> {
    const at = this.#levelOf(frame, "commit()");
    if (at < 0) return;
    this.assertUsableFor(at);
    const connection = this.#connection;
    if (connection === undefined || !this.#savepointAlive(connection, frame)) return;
    try {
      await connection.releaseSavepoint(frame.savepoint!);
    } catch (error) {
      if (this.#lostSavepoint(error, frame)) return;
      this.#statementFailed(error, connection);
      throw error;
    }
    const parent = this.frames[at - 1]!;
    for (const done of this.frames.splice(at)) {
      parent.inserted.push(...done.inserted);
      parent.deleted.push(...done.deleted);
      parent.rekeyed.push(...done.rekeyed);
      for (const obj of done.modified) parent.modified.add(obj);
    }
  }

  /**
   * ROLLBACK TO SAVEPOINT: undoes the level (and the levels inside it). Returns the levels
   * undone, innermost last, for the objects to be put back. Does not throw for a lost
   * connection: the transaction is then failed, and the next operation says so.
   */
  async rollbackNested(frame: ChangeFrame): Promise<ChangeFrame[]> {
    const at = this.#levelOf(frame, "rollback()");
    if (at < 0) return [];
    const undone = this.frames.splice(at);
    const connection = this.#connection;
    if (this.#state !== "active" || connection === undefined) return undone;
    if (!this.#savepointAlive(connection, frame)) return undone;
    try {
      await connection.rollbackToSavepoint(frame.savepoint!);
    } catch (error) {
      if (!(error instanceof DatabaseError)) throw error;
      if (!this.#lostSavepoint(error, frame)) this.fail(error);
    }
    return undone;
  }

  /** Like assertUsable, for an operation on the level at `at` (a failure inside it is its own to clear). */
  assertUsableFor(at: number): void {
    if (this.#state === "failed") throw pendingRollback(this.#failure, "session.rollback()");
    for (let i = this.frames.length - 1; i >= at; i--) {
      const failure = this.frames[i]!.failure;
      if (failure !== undefined) throw pendingRollback(failure, "the savepoint's rollback() (or session.rollback())");
    }
  }

  // ---- internals ---------------------------------------------------------------------------

  async #connect(): Promise<Connection> {
    if (this.#connection === undefined) {
      if (this.#state !== "active") throw pendingRollback(this.#failure, "session.rollback()");
      this.#connection = await this.engine.connect();
    }
    return this.#connection;
  }

  async #begin(connection: Connection): Promise<void> {
    try {
      await connection.begin(this.settings.options);
    } catch (error) {
      // Nothing was in a transaction yet: drop the connection, the session stays usable.
      if (connection.broken) {
        this.#connection = undefined;
        await connection.release();
      }
      throw error;
    }
    this.#began = true;
  }

  #statementFailed(error: unknown, connection: Connection): void {
    // Argument errors and the like are raised before anything is sent: nothing to undo.
    if (!(error instanceof DatabaseError)) return;
    if (!this.#began) {
      // An autocommit read failed: no transaction to abort. A dead connection is replaced.
      if (connection.broken) {
        this.#connection = undefined;
        void connection.release();
      }
      return;
    }
    if (connection.broken || this.frames.length === 1) this.fail(error);
    else this.current.failure ??= error;
  }

  #levelOf(frame: ChangeFrame, what: string): number {
    const at = this.frames.indexOf(frame);
    if (at <= 0 && this.#state === "active") {
      warn(`savepoint ${frame.savepoint ?? "(transaction)"} has already ended; ${what} did nothing.`, "savepoint-ended");
    }
    return at;
  }

  /** False (with a warning) when the transaction holding the savepoint ended underneath it. */
  #savepointAlive(connection: Connection, frame: ChangeFrame): boolean {
    if (connection.inTransaction) return true;
    warn(
      `savepoint ${frame.savepoint!} no longer exists: the transaction around it ended underneath (a COMMIT or ROLLBACK ` +
        "sent as a statement?). The session's transaction is failed; call session.rollback().",
      "savepoint-lost",
    );
    this.fail(new PendingRollbackError(`savepoint ${frame.savepoint!} was lost underneath`));
    return false;
  }

  /** SQLSTATE 3B001 (savepoint does not exist): warn; PostgreSQL aborted the transaction. */
  #lostSavepoint(error: unknown, frame: ChangeFrame): boolean {
    if (!(error instanceof DatabaseError) || error.sqlstate !== "3B001") return false;
    warn(
      `savepoint ${frame.savepoint!} no longer exists (released or rolled back by a statement sent directly?). ` +
        "The transaction is aborted; call session.rollback().",
      "savepoint-lost",
    );
    this.fail(error);
    return true;
  }
}

function pendingRollback(cause: unknown, remedy: string): PendingRollbackError {
  const message = cause instanceof Error ? cause.message : String(cause);
  return new PendingRollbackError(
    `This Session's transaction was rolled back due to a previous exception (in a statement, a flush or COMMIT). ` +
      `Call await ${remedy} before using the session again. Original error: ${message}`,
    { cause },
  );
}
