/**
 * The Engine: a database URL, a driver and a connection pool.
 *
 * ```ts
 * const engine = createEngine("postgresql://app:secret@localhost/app", { poolSize: 10 });
 * const result = await engine.execute({ sql: "SELECT id, name FROM users WHERE id = ANY($1)", params: [[1, 2]] });
 * // result.rows: [[1, "ada"], [2, "grace"]], result.fields: ["id", "name"]
 * await engine.dispose();
 * ```
 *
 * URLs: `postgresql://` / `postgres://` (driver "pg", or "postgres-js"), `pglite://memory`,
 * `pglite://<directory>`. PGlite is a single connection: the pool has size 1, no overflow, and
 * a second checkout waits until the first is released.
 */
import { loadDriver, type DriverName } from "../drivers/driver.js";
import { parseDatabaseUrl } from "../drivers/url.js";
import { ArgumentError } from "../errors.js";
import { Connection } from "./connection.js";
import { echoTarget, formatEchoLine } from "./echo.js";
import { EventHub } from "./events.js";
import { prepareStatement, runStatement, type ExecutionContext } from "./execution.js";
import { Pool, type PoolStatus } from "./pool/pool.js";
import type { CompiledStatement, ExecuteEvent, ExecutedEvent, QueryResult } from "./types.js";
import { checkTransactionOptions, mergeTransactionOptions, type TransactionOptions } from "./transaction-options.js";

/**
 * Engine options. `isolationLevel`, `readOnly` and `deferrable` (TransactionOptions) are the
 * default of every transaction begun on the engine's connections (`conn.begin()`, sessions);
 * a session's and a transaction's own options override them.
 */
export interface EngineOptions extends TransactionOptions {
  /** Connections kept open in the pool. Default 5. */
  poolSize?: number;
  /** Extra connections allowed above poolSize, closed when returned. Default 10. */
  maxOverflow?: number;
  /** Milliseconds a checkout waits for a free connection before PoolTimeoutError. Default 30000. */
  poolTimeout?: number;
  /** `SELECT 1` on each checkout of an idle connection; dead ones are replaced. Default false. */
  poolPrePing?: boolean;
  /** Log every statement with its parameters and duration: `true` for console.log, or a function. */
  echo?: boolean | ((line: string) => void);
  /** Driver for postgresql:// URLs. Default "pg". */
  driver?: "pg" | "postgres-js";
}

const DEFAULTS = { poolSize: 5, maxOverflow: 10, poolTimeout: 30_000 } as const;
const OPTION_NAMES: ReadonlySet<string> = new Set([
  "poolSize", "maxOverflow", "poolTimeout", "poolPrePing", "echo", "driver",
  "isolationLevel", "readOnly", "deferrable",
]);

export function createEngine(url: string, options?: EngineOptions): Engine {
  return new Engine(url, options);
}

export class Engine {
  /** The URL with its password masked: safe to print. */
  readonly url: string;
  readonly driverName: DriverName;
  /** Live pool counters. */
  readonly pool: PoolStatus;
  /** Isolation level and access mode every transaction starts with, unless told otherwise. */
  readonly transactionDefaults: TransactionOptions | undefined;
  readonly #pool: Pool;
  readonly #events = new EventHub();
  readonly #ctx: ExecutionContext;

  constructor(url: string, options: EngineOptions = {}) {
    const parsed = parseDatabaseUrl(url);
    checkOptions(options);
    const driverName: DriverName =
      parsed.scheme === "pglite" ? "pglite" : (options.driver ?? "pg");
    if (parsed.scheme === "pglite" && options.driver !== undefined) {
      throw new ArgumentError(`the driver option applies to postgresql:// URLs; ${parsed.masked} always uses PGlite`);
    }
    const single = driverName === "pglite";
    const echo = echoTarget(options.echo);
    this.url = parsed.masked;
    this.driverName = driverName;
    this.#pool = new Pool(() => loadDriver(parsed, driverName), {
      size: single ? 1 : (options.poolSize ?? DEFAULTS.poolSize),
      maxOverflow: single ? 0 : (options.maxOverflow ?? DEFAULTS.maxOverflow),
      timeout: options.poolTimeout ?? DEFAULTS.poolTimeout,
      prePing: options.poolPrePing ?? false,
      maskedUrl: parsed.masked,
      singleConnection: single,
      onHousekeeping:
        echo === undefined
          ? undefined
          : (sql, _connectionId, durationMs, error) => echo(formatEchoLine(`${sql} (reset on return)`, [], durationMs, error)),
    });
    const pool = this.#pool;
    this.pool = Object.freeze({
      get size() { return pool.size; },
      get checkedOut() { return pool.checkedOut; },
      get idle() { return pool.idle; },
      get waiting() { return pool.waiting; },
    });
    const { isolationLevel, readOnly, deferrable } = options;
    this.transactionDefaults = mergeTransactionOptions({ isolationLevel, readOnly, deferrable });
    this.#ctx = { pool, events: this.#events, echo, transactionDefaults: this.transactionDefaults };
  }

  /** Checks out a pooled connection; release it (or `await using`) when done. */
  async connect(): Promise<Connection> {
    return new Connection(this.#ctx, await this.#pool.checkout());
  }

  /** Checks out a connection, runs one statement, and releases the connection. */
  async execute(stmt: CompiledStatement): Promise<QueryResult> {
    const prepared = prepareStatement(stmt); // argument errors before any checkout
    const connection = await this.#pool.checkout();
    try {
      return await runStatement(this.#ctx, connection, prepared);
    } finally {
      await this.#pool.release(connection);
    }
  }

  /** Subscribes to statement events; returns the function that unsubscribes. */
  on(event: "execute", fn: (e: ExecuteEvent) => void): () => void;
  on(event: "executed", fn: (e: ExecutedEvent) => void): () => void;
  on(event: "execute" | "executed", fn: ((e: ExecuteEvent) => void) | ((e: ExecutedEvent) => void)): () => void {
    return this.#events.on(event, fn as (e: ExecuteEvent | ExecutedEvent) => void);
  }

  /**
   * Closes every connection (checked out ones too: their handles then throw ResourceClosedError)
   * and rejects waiting checkouts. Idempotent.
   */
  dispose(): Promise<void> {
    return this.#pool.dispose();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.dispose();
  }

  toString(): string {
    return `Engine(${this.url})`;
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }
}

function checkOptions(options: EngineOptions): void {
  if (typeof options !== "object" || options === null) {
    throw new ArgumentError(`expected engine options to be an object, got ${options === null ? "null" : typeof options}`);
  }
  for (const key of Object.keys(options)) {
    if (!OPTION_NAMES.has(key)) {
      throw new ArgumentError(`unknown engine option "${key}"; expected one of ${[...OPTION_NAMES].join(", ")}`);
    }
  }
  const { poolSize, maxOverflow, poolTimeout, driver, echo, poolPrePing, isolationLevel, readOnly, deferrable } = options;
  checkTransactionOptions({ isolationLevel, readOnly, deferrable });
  if (poolSize !== undefined && !(Number.isInteger(poolSize) && poolSize >= 1)) {
    throw new ArgumentError(`poolSize must be an integer >= 1, got ${String(poolSize)}`);
  }
  if (maxOverflow !== undefined && !((Number.isInteger(maxOverflow) || maxOverflow === Infinity) && maxOverflow >= 0)) {
    throw new ArgumentError(`maxOverflow must be an integer >= 0 (or Infinity), got ${String(maxOverflow)}`);
  }
  if (poolTimeout !== undefined && !(typeof poolTimeout === "number" && poolTimeout >= 0)) {
    throw new ArgumentError(`poolTimeout must be a number of milliseconds >= 0, got ${String(poolTimeout)}`);
  }
  if (driver !== undefined && driver !== "pg" && driver !== "postgres-js") {
    throw new ArgumentError(`driver must be "pg" or "postgres-js", got ${JSON.stringify(driver)}`);
  }
  if (echo !== undefined && typeof echo !== "boolean" && typeof echo !== "function") {
    throw new ArgumentError(`echo must be a boolean or a function, got ${typeof echo}`);
  }
  if (poolPrePing !== undefined && typeof poolPrePing !== "boolean") {
    throw new ArgumentError(`poolPrePing must be a boolean, got ${typeof poolPrePing}`);
  }
}
