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
import { InvalidRequestError, ResourceClosedError } from "../errors.js";
import { prepareStatement, runControl, runStatement, type ExecutionContext } from "./execution.js";
import type { PooledConnection } from "./pool/pool.js";
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

  execute(stmt: CompiledStatement): Promise<QueryResult> {
    // Checked synchronously, but reported as a rejection like every other failure.
    try {
      return runStatement(this.#ctx, this.#live(), prepareStatement(stmt));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  async begin(): Promise<void> {
    const pooled = this.#live();
    if (pooled.transactionOpen()) {
      throw new InvalidRequestError(
        "a transaction is already open on this connection; commit() or rollback() it before begin()",
      );
    }
    await runControl(this.#ctx, pooled, "BEGIN");
  }

  /**
   * Commits the open transaction; does nothing when none is open. Throws InvalidRequestError when
   * the server rolled the transaction back instead (an earlier statement in it failed).
   */
  async commit(): Promise<void> {
    const pooled = this.#live();
    if (pooled.transactionOpen()) await runControl(this.#ctx, pooled, "COMMIT");
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
