/**
 * The connection pool (SQLAlchemy's QueuePool, in spirit):
 *
 * - keeps up to `size` idle connections; up to `maxOverflow` more may be open at once, and those
 *   are closed when returned while nobody waits;
 * - a checkout with every connection taken waits in a FIFO queue, for at most `timeout` ms
 *   (PoolTimeoutError);
 * - idle connections are reused most-recently-returned first, so the few connections that stay
 *   busy keep their prepared statements warm;
 * - reset on return: ROLLBACK when a transaction is open (pg-pool does not, and the next checkout
 *   would see the uncommitted rows); a connection whose reset fails, or whose driver reported a
 *   fatal error, is closed instead of returned;
 * - `prePing`: `SELECT 1` on every idle connection taken, replacing the ones that are dead;
 * - `dispose()` closes every connection, checked out or not, and rejects the waiters with
 *   ResourceClosedError.
 */
import type { Driver, DriverConnection } from "../../drivers/driver.js";
import { sqlstateOf } from "../../drivers/database-error.js";
import { AthanorError, ConnectionError, PoolTimeoutError, ResourceClosedError } from "../../errors.js";

export interface PoolOptions {
  readonly size: number;
  readonly maxOverflow: number;
  /** Milliseconds a checkout waits before PoolTimeoutError. */
  readonly timeout: number;
  readonly prePing: boolean;
  /** Shown in connection errors (password masked). */
  readonly maskedUrl: string;
  /** The database allows one connection (PGlite): timeout errors say so. */
  readonly singleConnection?: boolean;
  /** Called after housekeeping statements (the reset ROLLBACK) for echo. */
  readonly onHousekeeping?: (sql: string, connectionId: number, durationMs: number, error?: unknown) => void;
}

/** One physical connection, as the pool and the Connection handles see it. */
export class PooledConnection {
  /**
   * Whether a transaction is open, as far as begin/commit/rollback and command tags tell. Only
   * used when the driver cannot report the server's status (PGlite, postgres.js).
   */
  inTransaction = false;

  constructor(
    readonly id: number,
    readonly driver: DriverConnection,
  ) {}

  /** The server's view when the driver has it (pg), else the tracked flag. */
  transactionOpen(): boolean {
    const status = this.driver.transactionStatus();
    return status === undefined ? this.inTransaction : status !== "idle";
  }
}

interface Waiter {
  resolve(connection: PooledConnection): void;
  reject(error: unknown): void;
  timer: ReturnType<typeof setTimeout> | undefined;
}

export interface PoolStatus {
  /** Connections open or being opened (idle + checked out). */
  readonly size: number;
  readonly checkedOut: number;
  readonly idle: number;
  /** Checkouts waiting for a connection. */
  readonly waiting: number;
}

const MAX_TIMER_MS = 2 ** 31 - 1;

export class Pool implements PoolStatus {
  readonly #loadDriver: () => Promise<Driver>;
  readonly #options: PoolOptions;
  #driver: Promise<Driver> | undefined;
  #capacity: number;
  /** Idle connections; the most recently returned is at the end and is taken first. */
  readonly #idle: PooledConnection[] = [];
  readonly #out = new Set<PooledConnection>();
  readonly #waiters: Waiter[] = [];
  #opening = 0;
  #nextId = 1;
  #disposed: Promise<void> | undefined;

  constructor(loadDriver: () => Promise<Driver>, options: PoolOptions) {
    this.#loadDriver = loadDriver;
    this.#options = options;
    this.#capacity = options.size + options.maxOverflow;
  }

  get size(): number {
    return this.#idle.length + this.#out.size + this.#opening;
  }
  get checkedOut(): number {
    return this.#out.size;
  }
  get idle(): number {
    return this.#idle.length;
  }
  get waiting(): number {
    return this.#waiters.length;
  }
  get closed(): boolean {
    return this.#disposed !== undefined;
  }

  async checkout(): Promise<PooledConnection> {
    this.#assertOpen();
    // FIFO: while others wait, a newcomer queues behind them even if a slot just freed.
    if (this.#waiters.length === 0) {
      while (this.#idle.length > 0) {
        const connection = this.#idle.pop()!;
        if (connection.driver.broken) {
          this.#close(connection);
          continue;
        }
        this.#out.add(connection);
        if (this.#options.prePing && !(await this.#ping(connection))) {
          this.#out.delete(connection);
          this.#close(connection);
          this.#assertOpen();
          continue;
        }
        return connection;
      }
      if (this.size < this.#capacity) return this.#openNew();
    }
    return this.#wait();
  }

  /** Returns a connection: reset it, then hand it to the first waiter, keep it idle, or close it. */
  async release(connection: PooledConnection): Promise<void> {
    if (!this.#out.has(connection)) return; // released twice, or closed by dispose()
    let reusable = !connection.driver.broken;
    if (reusable && connection.transactionOpen()) reusable = await this.#reset(connection);
    if (!this.#out.delete(connection)) return; // dispose() ran meanwhile
    if (!reusable || connection.driver.broken) this.#close(connection);
    else this.#checkin(connection);
  }

  dispose(): Promise<void> {
    this.#disposed ??= this.#closeEverything();
    return this.#disposed;
  }

  async #closeEverything(): Promise<void> {
    for (const waiter of this.#waiters.splice(0)) {
      this.#settle(waiter);
      waiter.reject(new ResourceClosedError("the engine was disposed while waiting for a connection"));
    }
    const connections = [...this.#idle.splice(0), ...this.#out];
    this.#out.clear();
    await Promise.all(connections.map((c) => c.driver.close()));
    const driver = this.#driver;
    if (driver !== undefined) await driver.then((d) => d.close(), () => undefined);
  }

  #assertOpen(): void {
    if (this.closed) throw new ResourceClosedError("this engine has been disposed; create a new engine");
  }

  #getDriver(): Promise<Driver> {
    if (this.#driver === undefined) {
      const loading = this.#loadDriver().then((driver) => {
        this.#capacity = Math.min(this.#capacity, driver.maxConnections);
        return driver;
      });
      this.#driver = loading;
      // A failed load (e.g. a PGlite directory still open elsewhere) may succeed later.
      loading.catch(() => {
        if (this.#driver === loading) this.#driver = undefined;
      });
    }
    return this.#driver;
  }

  /** Opens a connection in a slot reserved synchronously by this call; it comes back checked out. */
  async #openNew(): Promise<PooledConnection> {
    this.#opening++;
    let driverConnection: DriverConnection;
    try {
      const driver = await this.#getDriver();
      driverConnection = await driver.connect();
    } catch (error) {
      this.#opening--;
      this.#serveWaiters();
      throw this.#connectError(error);
    }
    this.#opening--;
    if (this.closed) {
      await driverConnection.close();
      throw new ResourceClosedError("the engine was disposed while a connection was being opened");
    }
    const connection = new PooledConnection(this.#nextId++, driverConnection);
    this.#out.add(connection);
    return connection;
  }

  #connectError(error: unknown): unknown {
    if (error instanceof AthanorError) return error;
    const message = error instanceof Error ? error.message : String(error);
    return new ConnectionError(`could not connect to ${this.#options.maskedUrl}: ${message}`, {
      sql: "",
      params: [],
      sqlstate: sqlstateOf(error),
      cause: error,
    });
  }

  #wait(): Promise<PooledConnection> {
    return new Promise<PooledConnection>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, timer: undefined };
      const { timeout } = this.#options;
      if (timeout <= MAX_TIMER_MS) {
        waiter.timer = setTimeout(() => {
          const index = this.#waiters.indexOf(waiter);
          if (index >= 0) this.#waiters.splice(index, 1);
          reject(this.#timeoutError());
        }, timeout);
      }
      this.#waiters.push(waiter);
    });
  }

  #timeoutError(): PoolTimeoutError {
    const { size, maxOverflow, timeout } = this.#options;
    if (this.#capacity === 1 && size + maxOverflow === 1 && this.#options.singleConnection === true) {
      return new PoolTimeoutError(
        `no connection became free within poolTimeout=${timeout} ms: PGlite has a single connection and it ` +
          "is checked out. Release it (await conn.release(), or `await using conn = await engine.connect()`) " +
          "before checking out another; in particular do not call engine.execute() while holding engine.connect().",
      );
    }
    return new PoolTimeoutError(
      `no connection became free within poolTimeout=${timeout} ms: all ${this.#capacity} connections ` +
        `(poolSize=${size} + maxOverflow=${maxOverflow}) are checked out and ${this.#waiters.length} ` +
        "other checkouts are waiting. Release connections when done (await conn.release(), or " +
        "`await using conn = await engine.connect()`), or raise poolSize (or maxOverflow, poolTimeout) in createEngine().",
    );
  }

  #settle(waiter: Waiter): void {
    if (waiter.timer !== undefined) clearTimeout(waiter.timer);
  }

  #checkin(connection: PooledConnection): void {
    const waiter = this.#waiters.shift();
    if (waiter !== undefined) {
      this.#settle(waiter);
      this.#out.add(connection);
      waiter.resolve(connection);
    } else if (this.size >= this.#options.size) {
      this.#close(connection); // overflow: closed when returned
    } else {
      this.#idle.push(connection);
    }
  }

  /** Gives capacity freed by a closed connection to waiters, as new connections. */
  #serveWaiters(): void {
    while (this.#waiters.length > 0 && this.size < this.#capacity && !this.closed) {
      const waiter = this.#waiters.shift()!;
      this.#settle(waiter);
      this.#openNew().then(
        (connection) => waiter.resolve(connection),
        (error: unknown) => waiter.reject(error),
      );
    }
  }

  /** Closes a connection that is neither idle nor checked out any more. */
  #close(connection: PooledConnection): void {
    void connection.driver.close();
    this.#serveWaiters();
  }

  async #ping(connection: PooledConnection): Promise<boolean> {
    try {
      await connection.driver.query("SELECT 1", []);
      return true;
    } catch {
      return false;
    }
  }

  /** ROLLBACK before reuse; false when that failed (the connection is then closed). */
  async #reset(connection: PooledConnection): Promise<boolean> {
    const started = performance.now();
    let error: unknown;
    try {
      await connection.driver.query("ROLLBACK", []);
      connection.inTransaction = false;
    } catch (e) {
      error = e;
    }
    this.#options.onHousekeeping?.("ROLLBACK", connection.id, performance.now() - started, error);
    return error === undefined;
  }
}
