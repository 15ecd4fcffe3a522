/**
 * The shapes that cross the Core engine boundary: what the compiler hands over and what comes
 * back. Every driver produces the same `QueryResult`, with the same JS values for the same
 * PostgreSQL types (see src/core/drivers/types/parsers.ts for the table).
 */

/** SQL text with `$n` placeholders and the values for them, in order. */
export interface CompiledStatement {
  readonly sql: string;
  readonly params: readonly unknown[];
}

export interface QueryResult {
  /** One array per row, values in column order (array row mode: no per-row objects). */
  readonly rows: unknown[][];
  /** Column names, in order. */
  readonly fields: readonly string[];
  /** Rows returned (SELECT) or affected (INSERT/UPDATE/DELETE); 0 for commands without a count. */
  readonly rowCount: number;
  /** First word of the command tag: "SELECT", "INSERT", "CREATE", "BEGIN", ... */
  readonly command: string;
}

/** Emitted just before a statement is sent. */
export interface ExecuteEvent {
  sql: string;
  params: readonly unknown[];
  connectionId: number;
}

/** Emitted after a statement finished, successfully or not (then `error` is set). */
export interface ExecutedEvent extends ExecuteEvent {
  durationMs: number;
  rowCount: number;
  error?: unknown;
}
