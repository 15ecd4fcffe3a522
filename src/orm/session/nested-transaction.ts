/**
 * The handle `session.beginNested()` returns: a SAVEPOINT inside the session's transaction
 * (SQLAlchemy's begin_nested). `commit()` releases it (its work joins the enclosing transaction,
 * committed or not with it); `rollback()` undoes the work since it and expires only the objects
 * changed since then, and the session goes on. `await using` rolls back one left open.
 *
 * ```ts
 * const sp = await session.beginNested();      // flush, then SAVEPOINT athanor_sp_1
 * try { session.add(user); await session.flush(); await sp.commit(); }
 * catch (e) { await sp.rollback(); }           // ROLLBACK TO SAVEPOINT athanor_sp_1
 * ```
 */
import type { ChangeFrame } from "./transaction.js";

export interface SavepointHost {
  releaseSavepoint(frame: ChangeFrame): Promise<void>;
  rollbackSavepoint(frame: ChangeFrame): Promise<void>;
}

export class NestedTransaction implements AsyncDisposable {
  #active = true;

  /** @internal Use `session.beginNested()`. */
  constructor(
    private readonly host: SavepointHost,
    private readonly frame: ChangeFrame,
  ) {}

  /** The SAVEPOINT's name. */
  get name(): string {
    return this.frame.savepoint!;
  }

  /** False once committed or rolled back. */
  get isActive(): boolean {
    return this.#active;
  }

  /** Flushes, then RELEASE SAVEPOINT. */
  async commit(): Promise<void> {
    await this.host.releaseSavepoint(this.frame);
    this.#active = false;
  }

  /** ROLLBACK TO SAVEPOINT; objects changed since it are expired, objects added since it expunged. */
  async rollback(): Promise<void> {
    this.#active = false;
    await this.host.rollbackSavepoint(this.frame);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (this.#active) await this.rollback();
  }
}
