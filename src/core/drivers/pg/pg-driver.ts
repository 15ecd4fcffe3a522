/**
 * The `pg` (node-postgres) driver: one `pg.Client` per pooled connection (pg-pool is not used;
 * the engine's pool does reset-on-return, overflow and FIFO waiting itself).
 *
 * - Results come in array row mode, converted by the shared parsers (`types.getTypeParser`).
 * - Statements worth preparing get a name derived from their SQL (statement-names.ts), so pg
 *   sends Parse once per connection and only Bind/Execute afterwards.
 * - Every client has an `'error'` listener: a server-killed idle connection marks the
 *   connection broken instead of crashing the process (pg re-emits such errors as events).
 */
import type pg from "pg";
import type { QueryResult } from "../../engine/types.js";
import { isFatalConnectionError, sqlstateOf } from "../database-error.js";
import type { Driver, DriverConnection, TransactionStatus } from "../driver.js";
import { statementName } from "../statement-names.js";
import { BUILTIN_PARSERS, identity } from "../types/parsers.js";
import { TypeRegistry, convertNonBuiltinColumns } from "../types/type-registry.js";

type PgModule = typeof pg;

export async function createPgDriver(url: string): Promise<Driver> {
  const { default: pgModule } = await import("pg");
  return new PgDriver(pgModule, url);
}

/** pg asks once per result column; unknown OIDs keep the server's text (type-registry.ts). */
const TYPES: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number) => BUILTIN_PARSERS.get(oid) ?? identity) as pg.CustomTypesConfig["getTypeParser"],
};

class PgDriver implements Driver {
  readonly name = "pg" as const;
  readonly maxConnections = Infinity;
  readonly #pg: PgModule;
  readonly #url: string;
  readonly #types = new TypeRegistry();
  readonly #open = new Set<PgConnection>();

  constructor(pgModule: PgModule, url: string) {
    this.#pg = pgModule;
    this.#url = url;
  }

  async connect(): Promise<DriverConnection> {
    const client = new this.#pg.Client({ connectionString: this.#url, types: TYPES });
    const connection = new PgConnection(client, this.#types, (c) => this.#open.delete(c));
    await client.connect(); // on failure pg has already destroyed the socket
    this.#open.add(connection);
    return connection;
  }

  async close(): Promise<void> {
    await Promise.all([...this.#open].map((c) => c.close()));
  }
}

const TX_STATUS: Readonly<Record<string, TransactionStatus>> = { I: "idle", T: "transaction", E: "failed" };

/** PostgreSQL refuses to reuse a named statement whose result columns changed (ALTER, DROP/CREATE). */
const CHANGED_RESULT_TYPE = /cached plan must not change result type/;

class PgConnection implements DriverConnection {
  readonly #client: pg.Client;
  readonly #types: TypeRegistry;
  readonly #onClose: (c: PgConnection) => void;
  #broken = false;
  #renames = 0;
  #closing: Promise<void> | undefined;
  /** Statements re-prepared under a new name after their result type changed. */
  #renamed: Map<string, string> | undefined;

  constructor(client: pg.Client, types: TypeRegistry, onClose: (c: PgConnection) => void) {
    this.#client = client;
    this.#types = types;
    this.#onClose = onClose;
    client.on("error", () => {
      this.#broken = true;
    });
    client.on("end", () => {
      this.#broken = true;
    });
  }

  get broken(): boolean {
    return this.#broken;
  }

  transactionStatus(): TransactionStatus | undefined {
    const status = this.#client.getTransactionStatus();
    return status === null ? undefined : TX_STATUS[status];
  }

  async query(sql: string, params: readonly (string | null)[]): Promise<QueryResult> {
    const name = this.#renamed?.get(sql) ?? statementName(sql);
    try {
      return await this.#run(sql, params, name);
    } catch (error) {
      if (name !== undefined && sqlstateOf(error) === "0A000" && CHANGED_RESULT_TYPE.test(String(error))) {
        // Pinned by "re-prepares a statement whose result columns changed" (pg-driver.test.ts).
        const fresh = `${statementName(sql)}_r${++this.#renames}`;
        (this.#renamed ??= new Map()).set(sql, fresh);
        if (this.#client.getTransactionStatus() === "I") return await this.#run(sql, params, fresh);
      }
      if (isFatalConnectionError(error)) this.#broken = true;
      throw error;
    }
  }

  async #run(sql: string, params: readonly (string | null)[], name: string | undefined): Promise<QueryResult> {
    const config: pg.QueryArrayConfig & { queryMode?: "extended" } = {
      text: sql,
      values: params as (string | null)[],
      rowMode: "array",
    };
    // Extended protocol even without parameters: one statement per call on every driver.
    if (name === undefined) config.queryMode = "extended";
    else config.name = name;
    const result = await this.#client.query(config);
    const rows = result.rows as unknown[][];
    const fields = result.fields;
    const pending = convertNonBuiltinColumns(
      this.#types,
      fields.map((f) => f.dataTypeID),
      rows,
      (catalogSql, catalogParams) => this.#run(catalogSql, catalogParams, undefined).then((r) => r.rows),
    );
    if (pending !== undefined) await pending;
    return {
      rows,
      fields: fields.map((f) => f.name),
      rowCount: result.rowCount ?? 0,
      command: result.command ?? "", // null for an empty query
    };
  }

  close(): Promise<void> {
    this.#closing ??= this.#client.end().then(
      () => undefined,
      () => undefined,
    ).finally(() => {
      this.#broken = true;
      this.#onClose(this);
    });
    return this.#closing;
  }
}
