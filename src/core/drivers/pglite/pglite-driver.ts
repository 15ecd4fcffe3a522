/**
 * The PGlite driver: PostgreSQL compiled to WebAssembly, in this process. One instance is one
 * session, so the driver offers exactly one connection at a time (`maxConnections = 1`); the
 * engine's pool makes further checkouts wait.
 *
 * Transactions are plain BEGIN/COMMIT/ROLLBACK statements: PGlite's `transaction()` callback
 * deadlocks when something queries the instance from inside it.
 *
 * PGlite converts values itself; its parser table is replaced by the shared one (unknown OIDs
 * then arrive as text, like on the other drivers) and its serializer table is emptied, since
 * parameters arrive already encoded as text.
 */
import type { PGlite } from "@electric-sql/pglite";
import type { QueryResult } from "../../engine/types.js";
import { ArgumentError } from "../../errors.js";
import type { Driver, DriverConnection, TransactionStatus } from "../driver.js";
import { BUILTIN_PARSERS } from "../types/parsers.js";
import { TypeRegistry, convertNonBuiltinColumns } from "../types/type-registry.js";

/** Data directories opened by a live driver in this process: two instances would corrupt one. */
const openDirectories = new Set<string>();

export async function createPgliteDriver(dataDir: string | undefined): Promise<Driver> {
  if (dataDir !== undefined && openDirectories.has(dataDir)) {
    throw new ArgumentError(
      `the PGlite directory ${dataDir} is already open by another engine in this process; ` +
        "dispose that engine first, or share it",
    );
  }
  const { PGlite } = await import("@electric-sql/pglite");
  if (dataDir !== undefined) openDirectories.add(dataDir);
  try {
    const db = dataDir === undefined ? await createInMemory(PGlite) : await PGlite.create({ dataDir });
    db.parsers = Object.fromEntries(BUILTIN_PARSERS);
    db.serializers = {};
    return new PgliteDriver(db, dataDir);
  } catch (error) {
    if (dataDir !== undefined) openDirectories.delete(dataDir);
    throw error;
  }
}

type PGliteClass = typeof PGlite;

/**
 * A pristine data directory, dumped from the second in-memory database this process creates:
 * loading it skips initdb, about 3x faster than creating a database from scratch (test suites
 * create many). Not taken for the first one, so a process with one database pays nothing.
 */
let template: Promise<Blob> | undefined;
let inMemoryCount = 0;

async function createInMemory(PGliteClass: PGliteClass): Promise<PGlite> {
  inMemoryCount++;
  if (template !== undefined) {
    const pristine = await template.catch(() => undefined);
    if (pristine !== undefined) return PGliteClass.create({ loadDataDir: pristine });
  }
  const db = await PGliteClass.create({});
  if (inMemoryCount >= 2 && template === undefined) {
    const dumping = db.dumpDataDir("none");
    template = dumping;
    dumping.catch(() => {
      if (template === dumping) template = undefined;
    });
    await dumping.catch(() => undefined);
  }
  return db;
}

class PgliteDriver implements Driver {
  readonly name = "pglite" as const;
  readonly maxConnections = 1;
  readonly #db: PGlite;
  readonly #dataDir: string | undefined;
  readonly #types = new TypeRegistry();
  #closing: Promise<void> | undefined;

  constructor(db: PGlite, dataDir: string | undefined) {
    this.#db = db;
    this.#dataDir = dataDir;
  }

  async connect(): Promise<DriverConnection> {
    if (this.#closing !== undefined || this.#db.closed) {
      throw new Error("PGlite instance is closed");
    }
    return new PgliteConnection(this.#db, this.#types);
  }

  close(): Promise<void> {
    this.#closing ??= this.#db
      .close()
      .catch(() => undefined)
      .finally(() => {
        if (this.#dataDir !== undefined) openDirectories.delete(this.#dataDir);
      });
    return this.#closing;
  }
}

class PgliteConnection implements DriverConnection {
  readonly #db: PGlite;
  readonly #types: TypeRegistry;
  #closed = false;

  constructor(db: PGlite, types: TypeRegistry) {
    this.#db = db;
    this.#types = types;
  }

  get broken(): boolean {
    return this.#closed || this.#db.closed;
  }

  transactionStatus(): TransactionStatus | undefined {
    return undefined;
  }

  async query(sql: string, params: readonly (string | null)[]): Promise<QueryResult> {
    if (this.broken) throw new Error("PGlite connection is closed");
    const result = await this.#db.query<unknown[]>(sql, params as (string | null)[], { rowMode: "array" });
    const rows = result.rows;
    const pending = convertNonBuiltinColumns(
      this.#types,
      result.fields.map((f) => f.dataTypeID),
      rows,
      async (catalogSql, catalogParams) =>
        (await this.#db.query<unknown[]>(catalogSql, catalogParams as (string | null)[], { rowMode: "array" })).rows,
    );
    if (pending !== undefined) await pending;
    return {
      rows,
      fields: result.fields.map((f) => f.name),
      rowCount: result.rowCount ?? 0,
      command: result.command ?? "",
    };
  }

  /**
   * The session outlives this handle, so a transaction left open must not leak to the next
   * one. (ROLLBACK outside a transaction is a harmless warning.)
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (!this.#db.closed) await this.#db.query("ROLLBACK").catch(() => undefined);
  }
}
