/**
 * Running one statement on a pooled connection: parameter checks before anything is sent,
 * events and echo around it, driver errors mapped to the DatabaseError hierarchy, and the
 * transaction state tracked from the command tag. Shared by Engine.execute and Connection.
 */
import { toDatabaseError } from "../drivers/database-error.js";
import { encodeParams } from "../drivers/types/params.js";
import { ArgumentError, InvalidRequestError } from "../errors.js";
import { formatEchoLine, type EchoTarget } from "./echo.js";
import type { EventHub } from "./events.js";
import type { Pool, PooledConnection } from "./pool/pool.js";
import type { TransactionOptions } from "./transaction-options.js";
import type { CompiledStatement, QueryResult } from "./types.js";

export interface ExecutionContext {
  readonly pool: Pool;
  readonly events: EventHub;
  readonly echo: EchoTarget | undefined;
  /** The engine's default isolation level and access mode (Connection.begin() merges them). */
  readonly transactionDefaults?: TransactionOptions | undefined;
}

/** A statement whose parameters were checked and encoded (nothing sent yet). */
export interface PreparedStatement {
  readonly sql: string;
  readonly params: readonly unknown[];
  readonly encoded: readonly (string | null)[];
}

/** Validates a statement; throws ArgumentError (e.g. for an undefined parameter) before any I/O. */
export function prepareStatement(stmt: CompiledStatement): PreparedStatement {
  if (typeof stmt !== "object" || stmt === null || typeof stmt.sql !== "string") {
    throw new ArgumentError(`expected a compiled statement { sql, params }, got ${describe(stmt)}`);
  }
  const params = stmt.params ?? [];
  if (!Array.isArray(params)) {
    throw new ArgumentError(`expected the statement's params to be an array, got ${describe(params)}`);
  }
  return { sql: stmt.sql, params, encoded: encodeParams(params) };
}

function describe(value: unknown): string {
  return value === null ? "null" : Array.isArray(value) ? "an array" : typeof value;
}

export async function runStatement(
  ctx: ExecutionContext,
  connection: PooledConnection,
  stmt: PreparedStatement,
): Promise<QueryResult> {
  const { sql, params } = stmt;
  const connectionId = connection.id;
  if (ctx.events.has("execute")) ctx.events.emit("execute", { sql, params, connectionId });
  const started = performance.now();
  let result: QueryResult;
  try {
    result = await connection.driver.query(sql, stmt.encoded);
    trackTransaction(connection, sql, result.command);
  } catch (caught) {
    // Created here, inside the caller's await chain, so the stack shows the caller's frames.
    const error = caught instanceof InvalidRequestError ? caught : toDatabaseError(caught, sql, params);
    finished(ctx, sql, params, connectionId, started, 0, error);
    throw error;
  }
  finished(ctx, sql, params, connectionId, started, result.rowCount, undefined);
  return result;
}

/** BEGIN / COMMIT / ROLLBACK / SAVEPOINT ...: echoed, but not reported as `execute` events. */
export async function runControl(
  ctx: ExecutionContext,
  connection: PooledConnection,
  sql: string,
): Promise<void> {
  const started = performance.now();
  let error: unknown;
  try {
    const result = await connection.driver.query(sql, []);
    trackTransaction(connection, sql, result.command);
  } catch (caught) {
    error = caught instanceof InvalidRequestError ? caught : toDatabaseError(caught, sql, []);
  }
  ctx.echo?.(formatEchoLine(sql, [], performance.now() - started, error));
  if (error !== undefined) throw error;
}

function finished(
  ctx: ExecutionContext,
  sql: string,
  params: readonly unknown[],
  connectionId: number,
  started: number,
  rowCount: number,
  error: unknown,
): void {
  const durationMs = performance.now() - started;
  ctx.echo?.(formatEchoLine(sql, params, durationMs, error));
  if (!ctx.events.has("executed")) return;
  const event = error === undefined
    ? { sql, params, connectionId, durationMs, rowCount }
    : { sql, params, connectionId, durationMs, rowCount, error };
  if (error === undefined) {
    ctx.events.emit("executed", event);
    return;
  }
  try {
    ctx.events.emit("executed", event);
  } catch {
    // The statement's own error is the one the caller needs; a failing listener must not hide it.
  }
}

const ROLLBACK_TO_SAVEPOINT = /^\s*rollback\b[^;]*\bto\b/i;
const PREPARE_TRANSACTION = /^\s*prepare\s+transaction\b/i;
const COMMIT = /^\s*(commit|end)\b/i;

/**
 * Keeps `inTransaction` right for drivers that cannot report the server's status, including for
 * BEGIN/COMMIT sent as plain statements, and turns a COMMIT that rolled back into an error:
 * PostgreSQL answers COMMIT in a failed transaction with the tag ROLLBACK and no error.
 * Pinned by "COMMIT after a failed statement raises" (engine-transactions.test.ts).
 */
function trackTransaction(connection: PooledConnection, sql: string, command: string): void {
  switch (command) {
    case "BEGIN":
    case "START":
      connection.inTransaction = true;
      return;
    case "COMMIT":
      connection.inTransaction = false;
      return;
    case "PREPARE":
      if (PREPARE_TRANSACTION.test(sql)) connection.inTransaction = false;
      return;
    case "ROLLBACK":
      if (ROLLBACK_TO_SAVEPOINT.test(sql)) return;
      connection.inTransaction = false;
      if (COMMIT.test(sql)) {
        throw new InvalidRequestError(
          "COMMIT did not commit: the transaction was rolled back because an earlier statement in it " +
            "failed. Handle the error of that statement (the transaction is gone), then retry the whole " +
            "transaction if needed.",
        );
      }
      return;
  }
}
