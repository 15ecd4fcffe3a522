/**
 * The Session's side of its transactions, so Session stays a façade: which transaction is
 * current (autobegin, one per commit/rollback cycle), the isolation options and deadline it
 * starts with, what session.begin(fn) checks before it starts, and how close() stops an
 * operation in flight. The state machine itself is transaction.ts; the guard operation-guard.ts.
 */
import type { Engine } from "../../core/engine/engine.js";
import { checkTransactionOptions, mergeTransactionOptions, type TransactionOptions } from "../../core/engine/transaction-options.js";
import { ArgumentError, InvalidRequestError } from "../../core/errors.js";
import { OperationGuard } from "./operation-guard.js";
import { SessionTransaction } from "./transaction.js";

/** `session.begin(fn, options)`: this transaction's isolation, access mode and deadline. */
export interface BeginOptions extends TransactionOptions {
  /** Milliseconds from now after which no statement is sent and nothing commits. */
  readonly timeout?: number;
}

export interface SessionTransactionOptions extends TransactionOptions {
  /** Milliseconds each transaction may take, from its first statement. */
  readonly transactionTimeout?: number;
}

export class TransactionControl {
  readonly guard = new OperationGuard();
  #tx: SessionTransaction | undefined;
  readonly #options: TransactionOptions | undefined;
  readonly #timeout: number | undefined;

  constructor(
    private readonly engine: Engine,
    options: SessionTransactionOptions,
  ) {
    const { isolationLevel, readOnly, deferrable, transactionTimeout } = options;
    this.#options = mergeTransactionOptions({ isolationLevel, readOnly, deferrable });
    checkTransactionOptions(this.#options);
    checkTimeout("transactionTimeout", transactionTimeout);
    this.#timeout = transactionTimeout;
  }

  /** The current transaction, begun lazily (autobegin). */
  get current(): SessionTransaction {
    const tx = this.#tx;
    if (tx !== undefined && (tx.state === "active" || tx.state === "failed")) return tx;
    const options = mergeTransactionOptions(this.engine.transactionDefaults, this.#options);
    return (this.#tx = new SessionTransaction(this.engine, { options, deadline: deadlineIn(this.#timeout) }));
  }

  /** The current transaction if one was begun, without beginning one. */
  get existing(): SessionTransaction | undefined {
    return this.#tx;
  }

  /** Ends the session's hold on its transaction (committed, rolled back, closed). */
  take(): SessionTransaction | undefined {
    const tx = this.#tx;
    this.#tx = undefined;
    return tx;
  }

  /**
   * session.begin(fn, options): refused when nested in another begin(fn) of this session (a
   * nested begin would commit the outer work), from another task while one runs, or after a
   * write already began a transaction (its commit would take that work along). Then the
   * options and deadline are set on the transaction, before its BEGIN.
   */
  prepareBegin(options: BeginOptions): void {
    if (this.guard.insideBlock()) {
      throw new InvalidRequestError(
        "session.begin() was called inside session.begin(): a nested begin would commit the outer work. " +
          "Use session.beginNested() for a SAVEPOINT inside the transaction.",
      );
    }
    this.guard.check("begin()");
    const { timeout, ...txOptions } = options;
    checkTransactionOptions(txOptions);
    checkTimeout("begin(): timeout", timeout);
    const tx = this.current;
    if (tx.began || tx.state === "failed") {
      throw new InvalidRequestError(
        "A transaction is already begun on this Session (a write or flush ran before begin()): session.begin(fn) would " +
          "commit that work too. Call await session.commit() or session.rollback() first, or use session.beginNested().",
      );
    }
    const deadlines = [deadlineIn(this.#timeout), deadlineIn(timeout)].filter((d): d is number => d !== undefined);
    tx.configure({
      options: mergeTransactionOptions(this.engine.transactionDefaults, this.#options, txOptions),
      deadline: deadlines.length === 0 ? undefined : Math.min(...deadlines),
    });
  }

  /**
   * close(): the running begin(fn) may not touch the session again, and an operation in flight
   * is cancelled (its connection closed, so the server rolls back) and awaited. PGlite cannot
   * cancel a statement: its connection is freed as soon as the statement ends. Returns the
   * transaction, for its rollback.
   */
  async stopForClose(): Promise<SessionTransaction | undefined> {
    this.guard.revokeBlock();
    const tx = this.take();
    const inFlight = this.guard.inFlight;
    if (inFlight !== undefined) {
      if (tx !== undefined && this.engine.driverName !== "pglite") await tx.cancel();
      await inFlight.catch(() => undefined);
    }
    return tx;
  }
}

function deadlineIn(ms: number | undefined): number | undefined {
  return ms === undefined ? undefined : Date.now() + ms;
}

function checkTimeout(what: string, value: unknown): void {
  if (value !== undefined && !(typeof value === "number" && value > 0)) {
    throw new ArgumentError(`${what} must be a number of milliseconds > 0, got ${String(value)}`);
  }
}
