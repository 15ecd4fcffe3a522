/**
 * The small interface every driver implements. A driver opens physical connections; the pool
 * (src/core/engine/pool/) decides how many and when. Parameters reach a driver already encoded as
 * text (types/params.ts) and results leave it already converted (types/parsers.ts), so the
 * engine never looks at driver-specific values.
 *
 * Client packages are imported only inside their driver folder, and only when a driver is
 * loaded, so an application using PGlite never loads pg.
 */
import type { QueryResult } from "../engine/types.js";
import type { DatabaseUrl } from "./url.js";

export type DriverName = "pg" | "postgres-js" | "pglite";

/** PostgreSQL's ReadyForQuery status: idle, in a transaction, in a failed transaction. */
export type TransactionStatus = "idle" | "transaction" | "failed";

export interface DriverConnection {
  /**
   * Runs one statement. `params` are encoded text (or null); the result rows are arrays of
   * converted values. Errors are the driver's own; the engine maps them (database-error.ts).
   */
  query(sql: string, params: readonly (string | null)[]): Promise<QueryResult>;
  /**
   * True once the driver reported a fatal problem (socket closed, backend terminated). A broken
   * connection is never reused: the pool closes it instead of taking it back.
   */
  readonly broken: boolean;
  /** The server's transaction status when the driver knows it exactly (pg); else undefined. */
  transactionStatus(): TransactionStatus | undefined;
  /** Closes the physical connection. Never throws. */
  close(): Promise<void>;
}

export interface Driver {
  readonly name: DriverName;
  /** Upper bound on simultaneous connections the driver supports (PGlite: 1). */
  readonly maxConnections: number;
  connect(): Promise<DriverConnection>;
  /** Closes every connection the driver opened and releases its resources. Never throws. */
  close(): Promise<void>;
}

/** Loads the driver for a parsed URL; the client package is imported here, on first use. */
export async function loadDriver(url: DatabaseUrl, name: DriverName): Promise<Driver> {
  switch (name) {
    case "pg": {
      const { createPgDriver } = await import("./pg/pg-driver.js");
      return createPgDriver(url.url);
    }
    case "postgres-js": {
      const { createPostgresJsDriver } = await import("./postgres-js/postgres-js-driver.js");
      return createPostgresJsDriver(url.url);
    }
    case "pglite": {
      const { createPgliteDriver } = await import("./pglite/pglite-driver.js");
      return createPgliteDriver(url.dataDir);
    }
  }
}
