/**
 * A checked-out connection. Each `engine.connect()` gives a new handle; after `release()` the
 * handle is dead (its methods throw ResourceClosedError) while the physical connection goes
 * back to the pool, rolled back if a transaction was left open.
 *
 * ```ts
 * await using conn = await engine.connect();
 * await conn.begin();
 * await conn.execute({ sql: "INSERT INTO users (name) VALUES ($1)", params: ["ada"] });
 * await conn.commit();
 * ```
 */
import { isFatalConnectionError } from "../drivers/database-error.js";
import { CommitOutcomeUnknownError, DatabaseError, InvalidRequestError, OperationalError, ResourceClosedError } from "../errors.js";
import { prepareStatement, runControl, runStatement, type ExecutionContext } from "./execution.js";
import type { PooledConnection } from "./pool/pool.js";
import { beginStatement, checkTransactionOptions, mergeTransactionOptions, type TransactionOptions } from "./transaction-options.js";
import type { CompiledStatement, QueryResult } from "./types.js";

export class Connection {
  /** The physical connection's id (stable across checkouts; the `connectionId` of events). */
  readonly id: number;
  readonly #ctx: ExecutionContext;
  #pooled: PooledConnection | undefined;
  #released: Promise<void> | undefined;

  /** @internal Use `engine.connect()`. */
  constructor(ctx: ExecutionContext, pooled: PooledConnection) {
    this.#ctx = ctx;
    this.#pooled = pooled;
    this.id = pooled.id;
  }

  /** True between begin() and commit()/rollback() (also for BEGIN sent as a statement). */
  get inTransaction(): boolean {
    return this.#pooled?.transactionOpen() ?? false;
  }

  /** True once released, or once the driver reported the physical connection lost. */
  get broken(): boolean {
    return this.#pooled === undefined || this.#pooled.driver.broken;
  }

  execute(stmt: CompiledStatement): Promise<QueryResult> {
    // Checked synchronously, but reported as a rejection like every other failure.
    try {
      return runStatement(this.#ctx, this.#live(), prepareStatement(stmt));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** BEGIN, with an isolation level and access mode when given (ArgumentError before any SQL). */
  async begin(options?: TransactionOptions): Promise<void> {
    checkTransactionOptions(options);
    const pooled = this.#live();
    if (pooled.transactionOpen()) {
      throw new InvalidRequestError(
        "a transaction is already open on this connection; commit() or rollback() it before begin()",
      );
    }
    await runControl(this.#ctx, pooled, beginStatement(mergeTransactionOptions(this.#ctx.transactionDefaults, options)));
  }

  /**
   * Commits the open transaction; does nothing when none is open. Throws InvalidRequestError when
   * the server rolled the transaction back instead (an earlier statement in it failed),
   * OperationalError when the connection was already lost (the server rolled back), and
   * CommitOutcomeUnknownError when the connection was lost after COMMIT was sent and before its
   * reply (the server may have committed). Pinned by "a lost COMMIT reply ..." (transactions.test.ts).
   */
  async commit(): Promise<void> {
    const pooled = this.#live();
    if (!pooled.transactionOpen()) return;
    if (pooled.driver.broken) {
      throw new OperationalError(
        "the connection was lost before COMMIT was sent: PostgreSQL rolled the transaction back. Run the whole transaction again if needed.",
        { sql: "COMMIT", params: [], sqlstate: undefined, cause: undefined },
      );
    }
    try {
      await runControl(this.#ctx, pooled, "COMMIT");
    } catch (error) {
      if (error instanceof DatabaseError && (error.sqlstate === undefined || isFatalConnectionError(error.cause))) {
        throw new CommitOutcomeUnknownError(
          "the connection was lost after COMMIT was sent and before its reply: the transaction may or may not " +
            "have been committed. Do not retry blindly; check whether the work is in the database, then decide.",
          { sql: "COMMIT", params: [], sqlstate: error.sqlstate, cause: error },
        );
      }
      throw error;
    }
  }

  /** SAVEPOINT <name> (the name is Athanor's own: an identifier, never user text). */
  async savepoint(name: string): Promise<void> {
    await runControl(this.#ctx, this.#live(), `SAVEPOINT ${savepointName(name)}`);
  }

  /** RELEASE SAVEPOINT <name>: its work joins the enclosing transaction. */
  async releaseSavepoint(name: string): Promise<void> {
    await runControl(this.#ctx, this.#live(), `RELEASE SAVEPOINT ${savepointName(name)}`);
  }

  /** ROLLBACK TO SAVEPOINT <name>: undoes the work since it; the savepoint stays defined. */
  async rollbackToSavepoint(name: string): Promise<void> {
    await runControl(this.#ctx, this.#live(), `ROLLBACK TO SAVEPOINT ${savepointName(name)}`);
  }

  /**
   * Closes the physical connection instead of returning it: a statement in flight fails at once
   * and the server rolls its transaction back. The handle is released. Never throws.
   */
  async invalidate(): Promise<void> {
    const pooled = this.#pooled;
    if (pooled === undefined) return;
    await pooled.driver.close();
    await this.release().catch(() => undefined);
  }

  /** Rolls back the open transaction; does nothing when none is open. */
  async rollback(): Promise<void> {
    const pooled = this.#live();
    if (pooled.transactionOpen()) await runControl(this.#ctx, pooled, "ROLLBACK");
  }

  /** Returns the connection to the pool (ROLLBACK first if a transaction is open). Idempotent. */
  release(): Promise<void> {
    this.#released ??= this.#returnToPool();
    return this.#released;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.release();
  }

  async #returnToPool(): Promise<void> {
    const pooled = this.#pooled;
    this.#pooled = undefined;
    if (pooled !== undefined) await this.#ctx.pool.release(pooled);
  }

  #live(): PooledConnection {
    if (this.#pooled === undefined) {
      throw new ResourceClosedError(
        "this connection was released to the pool; check out another one with engine.connect()",
      );
    }
    if (this.#ctx.pool.closed) {
      throw new ResourceClosedError("the engine of this connection has been disposed");
    }
    return this.#pooled;
  }
}

function savepointName(name: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new InvalidRequestError(`invalid savepoint name ${JSON.stringify(name)}`);
  return name;
}
