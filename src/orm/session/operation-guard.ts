/**
 * One Session serves one async task. The guard rejects, before any SQL, an operation that starts
 * while another is in flight, and any operation from outside a running `session.begin(fn)`
 * (which would otherwise join that transaction and be committed, or rolled back, with it).
 * SQLAlchemy's AsyncSession refuses the same ("concurrent operations are not permitted").
 *
 * A rejected call changes nothing, so the owner's work and `close()` go on as if it never
 * happened. `close()` is never refused: it waits for (or cancels) the operation in flight.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { ResourceClosedError } from "../../core/errors.js";
import { ConcurrentSessionUseError } from "../errors.js";

/** A running begin(fn) of one guard; `revoked` once close() ended it from outside. */
interface Block {
  readonly guard: OperationGuard;
  readonly parent: Block | undefined;
  revoked: boolean;
}

/** The begin(fn) blocks the current async call chain runs in (innermost first). */
const blocks = new AsyncLocalStorage<Block>();

export class OperationGuard {
  #busy: string | undefined;
  #inFlight: Promise<unknown> | undefined;
  #block: Block | undefined;

  /** The operation in flight, if any (close() waits for it). */
  get inFlight(): Promise<unknown> | undefined {
    return this.#inFlight;
  }

  /** True while a begin(fn) of this session runs, and the caller is inside it. */
  insideBlock(): boolean {
    return this.#block !== undefined && this.#ownBlock() === this.#block;
  }

  /** Throws ConcurrentSessionUseError (or ResourceClosedError) if `operation` may not start now. */
  check(operation: string): void {
    const own = this.#ownBlock();
    if (own?.revoked) {
      throw new ResourceClosedError(`${operation} was called inside a session.begin() callback after the session was closed; the transaction was rolled back.`);
    }
    if (this.#block !== undefined && own !== this.#block) {
      throw new ConcurrentSessionUseError(
        `This session is inside session.begin() in another task; concurrent operations on one Session are not permitted ` +
          `(${operation} was called from outside it). Give each concurrent task its own Session.`,
      );
    }
    if (this.#busy !== undefined) {
      throw new ConcurrentSessionUseError(
        `This session is busy with ${this.#busy}; concurrent operations on one Session are not permitted ` +
          `(${operation} was called before it finished). Await each call, or give each concurrent task its own Session.`,
      );
    }
  }

  async run<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    this.check(operation);
    this.#busy = operation;
    const running = fn();
    this.#inFlight = running;
    try {
      return await running;
    } finally {
      if (this.#inFlight === running) {
        this.#busy = undefined;
        this.#inFlight = undefined;
      }
    }
  }

  /** Runs a begin(fn) body: until it settles, calls from outside it are refused. */
  async runBlock<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    this.check(operation);
    const block: Block = { guard: this, parent: blocks.getStore(), revoked: false };
    this.#block = block;
    try {
      return await blocks.run(block, fn);
    } finally {
      if (this.#block === block) this.#block = undefined;
    }
  }

  /** close(): the running begin(fn), if any, may not touch the session again. */
  revokeBlock(): void {
    if (this.#block !== undefined) this.#block.revoked = true;
    this.#block = undefined;
  }

  #ownBlock(): Block | undefined {
    for (let b = blocks.getStore(); b !== undefined; b = b.parent) if (b.guard === this) return b;
    return undefined;
  }
}
