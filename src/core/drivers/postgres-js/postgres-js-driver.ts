/**
 * The postgres.js driver. Each pooled connection is its own `postgres({ max: 1 })` instance, so
 * the engine's pool (not postgres.js's) decides how many connections exist, and BEGIN/COMMIT can
 * be sent as statements.
 *
 * postgres.js 3.4.9 can crash the process (`TypeError: Cannot read properties of null (reading
 * 'write')`, upstream #1208/#1154/#1066) when a statement is sent on a connection whose socket
 * has closed, and otherwise reconnects silently, which would run the rest of a transaction
 * outside it. `onclose` marks the connection broken as soon as the socket closes, and a broken
 * connection refuses statements itself. Pinned by "a killed backend mid-transaction fails the
 * next statement without crashing" (postgres-js-driver.test.ts).
 */
import type postgres from "postgres";
import type { QueryResult } from "../../engine/types.js";
import { isFatalConnectionError } from "../database-error.js";
import type { Driver, DriverConnection, TransactionStatus } from "../driver.js";
import { isPreparable } from "../statement-names.js";
import { BUILTIN_PARSERS, identity, type TextParser } from "../types/parsers.js";
import { TypeRegistry, convertNonBuiltinColumns } from "../types/type-registry.js";

type PostgresModule = typeof postgres;
type Sql = postgres.Sql;

export async function createPostgresJsDriver(url: string): Promise<Driver> {
  const { default: postgresModule } = await import("postgres");
  return new PostgresJsDriver(postgresModule, url);
}

/**
 * OIDs postgres.js converts itself unless told otherwise (its built-in `types`: numbers, JSON,
 * booleans, dates, bytea). Every other OID arrives as the server's text when no parser is set.
 */
const POSTGRES_JS_DEFAULT_OIDS: ReadonlySet<number> = new Set([21, 23, 26, 700, 701, 114, 3802, 16, 1082, 1114, 1184, 17]);

/**
 * postgres.js's `types` option, built from the shared parsers: one entry per parser, listing the
 * OIDs it handles. `serialize` is the identity for every OID postgres.js would otherwise
 * serialize itself (booleans, dates, JSON, bytea), since parameters arrive already encoded.
 *
 * The identity parser is registered only where it must replace a postgres.js default (date
 * stays text): for text, varchar, numeric and the like, no parser means postgres.js keeps the
 * decoded string without a function call per value, which is most values of a typical result.
 */
function buildTypes(): Record<string, postgres.PostgresType> {
  const byParser = new Map<TextParser, number[]>();
  for (const [oid, parser] of BUILTIN_PARSERS) {
    if (parser === identity && !POSTGRES_JS_DEFAULT_OIDS.has(oid)) continue;
    const oids = byParser.get(parser);
    if (oids === undefined) byParser.set(parser, [oid]);
    else oids.push(oid);
  }
  const types: Record<string, postgres.PostgresType> = {};
  let n = 0;
  for (const [parser, oids] of byParser) {
    types[`athanor${n++}`] = { to: oids[0]!, from: oids, parse: parser, serialize: (x: unknown) => x as string };
  }
  return types;
}

const TYPES = buildTypes();

class PostgresJsDriver implements Driver {
  readonly name = "postgres-js" as const;
  readonly maxConnections = Infinity;
  readonly #postgres: PostgresModule;
  readonly #url: string;
  readonly #types = new TypeRegistry();
  readonly #open = new Set<PostgresJsConnection>();
  /**
   * One small query and its result kept for the driver's life. postgres.js's queries and results
   * get their hidden classes by transitions V8 holds weakly: once every result is garbage a GC
   * collects the classes, and the compiled row-reading code (postgres.js's DataRow and query()
   * below) is thrown away and compiled again on the next statement ("deoptimizing: weak
   * objects"); see orm/mapping/shapes.ts.
   */
  #shape: unknown;

  constructor(postgresModule: PostgresModule, url: string) {
    this.#postgres = postgresModule;
    this.#url = url;
  }

  async connect(): Promise<DriverConnection> {
    let connection: PostgresJsConnection | undefined;
    let closedEarly = false;
    const sql = this.#postgres(this.#url, {
      max: 1, // one socket per instance; with max 1 postgres.js also allows BEGIN as a statement
      prepare: true,
      fetch_types: false, // array types come from the shared parsers and type-registry.ts
      types: TYPES,
      max_lifetime: null,
      idle_timeout: 0,
      onnotice: () => undefined, // postgres.js prints notices by default
      onclose: () => {
        if (connection === undefined) closedEarly = true;
        else connection.markBroken();
      },
    });
    // postgres.js connects on the first statement. `sql.reserve()` would connect without one,
    // but with `fetch_types: false` it never resolves (3.4.9), so open the socket with a ping.
    try {
      // Extended protocol and array rows, as every statement later: the result is kept (see #shape).
      const query = sql.unsafe("SELECT 1", [], { prepare: false, simple: false } as postgres.UnsafeQueryOptions).values();
      const result = await query;
      this.#shape ??= [query, result];
    } catch (error) {
      await sql.end({ timeout: 0 }).catch(() => undefined);
      throw error;
    }
    connection = new PostgresJsConnection(sql, this.#types, (c) => this.#open.delete(c));
    if (closedEarly) connection.markBroken();
    this.#open.add(connection);
    return connection;
  }

  async close(): Promise<void> {
    await Promise.all([...this.#open].map((c) => c.close()));
  }
}

class PostgresJsConnection implements DriverConnection {
  readonly #sql: Sql;
  readonly #types: TypeRegistry;
  readonly #onClose: (c: PostgresJsConnection) => void;
  #broken = false;
  #closing: Promise<void> | undefined;

  constructor(sql: Sql, types: TypeRegistry, onClose: (c: PostgresJsConnection) => void) {
    this.#sql = sql;
    this.#types = types;
    this.#onClose = onClose;
  }

  get broken(): boolean {
    return this.#broken;
  }

  markBroken(): void {
    this.#broken = true;
  }

  transactionStatus(): TransactionStatus | undefined {
    return undefined;
  }

  async query(sql: string, params: readonly (string | null)[]): Promise<QueryResult> {
    const result = await this.#run(sql, params, isPreparable(sql));
    const columns = result.columns ?? [];
    const oids = columns.map((c) => c.type);
    // A plain array, not postgres.js's Result subclass with its extra fields. A counted loop:
    // Array.from walks a subclass through the iterator protocol, slowly for 100,000 rows.
    const count = result.length;
    const rows = new Array<unknown[]>(count);
    for (let i = 0; i < count; i++) rows[i] = result[i] as unknown as unknown[];
    const pending = convertNonBuiltinColumns(this.#types, oids, rows, (catalogSql, catalogParams) =>
      this.#run(catalogSql, catalogParams, true).then((r) => r as unknown as unknown[][]),
    );
    if (pending !== undefined) await pending;
    return {
      rows,
      fields: columns.map((c) => c.name),
      rowCount: result.count ?? 0,
      command: result.command?.split(" ", 1)[0] ?? "",
    };
  }

  async #run(
    sql: string,
    params: readonly (string | null)[],
    prepare: boolean,
  ): Promise<postgres.ValuesRowList<postgres.Row[]>> {
    if (this.#broken) throw connectionClosed();
    // `simple: false`: extended protocol even without parameters, as on the other drivers.
    const options = { prepare, simple: false } as postgres.UnsafeQueryOptions;
    try {
      return await this.#sql.unsafe(sql, params as string[], options).values();
    } catch (error) {
      if (isFatalConnectionError(error)) this.#broken = true;
      throw error;
    }
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#broken = true;
      await this.#sql.end({ timeout: 0 }).catch(() => undefined);
      this.#onClose(this);
    })();
    return this.#closing;
  }
}

function connectionClosed(): Error {
  return Object.assign(new Error("the connection to the server was closed"), { code: "CONNECTION_CLOSED" });
}
