/**
 * The error hierarchy. Every error carries a stable `code` (documented in docs/errors.md) and a
 * message that says what to do next. Database errors keep the SQL and parameters that caused
 * them, and the driver's error as `cause`.
 *
 * Core errors live here; ORM errors (DetachedInstanceError, LazyLoadError, ...) extend these in
 * src/orm/errors.ts, so `catch (e) { if (e instanceof InvalidRequestError) ... }` covers both.
 */
export class AthanorError extends Error {
  /** Stable identifier, e.g. "invalid-request"; never changes between releases. */
  readonly code: string = "athanor";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A function was called with arguments it cannot use (raised before any SQL is sent). */
export class ArgumentError extends AthanorError {
  override readonly code: string = "argument";
}

/** The call is valid in itself but not in the current state (SQLAlchemy's InvalidRequestError). */
export class InvalidRequestError extends AthanorError {
  override readonly code: string = "invalid-request";
}

/** `one()` found no row. */
export class NoResultFound extends InvalidRequestError {
  override readonly code: string = "no-result-found";
}

/** `one()` / `oneOrNone()` found more than one row. */
export class MultipleResultsFound extends InvalidRequestError {
  override readonly code: string = "multiple-results-found";
}

/** A statement could not be compiled (unsupported construct, missing ON clause, ...). */
export class CompileError extends AthanorError {
  override readonly code: string = "compile";
}

/** No connection could be checked out of the pool within `poolTimeout`. */
export class PoolTimeoutError extends AthanorError {
  override readonly code: string = "pool-timeout";
}

/** The engine or connection was used after `dispose()` / `close()`. */
export class ResourceClosedError extends InvalidRequestError {
  override readonly code: string = "resource-closed";
}

/** Where an InvalidValueError's value was headed, and why it was refused. */
export interface InvalidValueDetails {
  /** How the message names the destination: "Order.total", "orders.total", 'bindparam("pk0")'. */
  readonly target: string;
  /** The Core table and column, when the value was bound against a table column. */
  readonly table?: string | undefined;
  readonly column?: string | undefined;
  /** The ORM entity and attribute, when the value was bound against a mapped column. */
  readonly entity?: string | undefined;
  readonly attribute?: string | undefined;
  /** The column's SQL type, e.g. "integer", "numeric(10, 2)". */
  readonly sqlType: string;
  /** What the value was, never the value itself: "a number that is not an integer", "NaN". */
  readonly valueKind: string;
  readonly problem: string;
  readonly fix: string;
  /** Where in an array, a bulk insert or a JSON document: "row 3", "[2][0]", ".tags[1]". */
  readonly position?: string | undefined;
}

/**
 * A value that its column's type cannot hold exactly (docs/values.md has the rules per type),
 * refused before it is sent, the same on every driver. The message names the column (or the ORM
 * attribute) and the kind of value, not the value: it could be a secret.
 */
export class InvalidValueError extends ArgumentError {
  override readonly code: string = "invalid-value";
  readonly details: InvalidValueDetails;
  constructor(details: InvalidValueDetails) {
    const at = details.position ? ` at ${details.position}` : "";
    super(`${details.target} (${details.sqlType}) cannot take ${details.valueKind}${at}: ${details.problem}; ${details.fix}. The value was not sent.`);
    this.details = details;
  }
  get target(): string { return this.details.target; }
  get valueKind(): string { return this.details.valueKind; }
  /** The same error under another name (the ORM's `Entity.attribute` for a table column). */
  relabel(patch: Partial<InvalidValueDetails>): InvalidValueError {
    const error = new InvalidValueError({ ...this.details, ...patch });
    error.stack = `${error.name}: ${error.message}\n${this.stack?.split("\n").slice(1).join("\n") ?? ""}`;
    return error;
  }
}

export interface DatabaseErrorDetails {
  sql: string;
  params: readonly unknown[];
  /** PostgreSQL SQLSTATE, e.g. "23505". */
  sqlstate: string | undefined;
  cause: unknown;
}

/**
 * An error raised by the database or the driver while running a statement. Subclasses follow
 * PEP 249 (as SQLAlchemy does) and are chosen from the SQLSTATE class.
 */
export class DatabaseError extends AthanorError {
  override readonly code: string = "database";
  readonly sql: string;
  readonly params: readonly unknown[];
  readonly sqlstate: string | undefined;
  /**
   * True when running the whole transaction again may succeed (serialization failure, deadlock):
   * see `withRetry()` (core/engine/retry.ts). Never true for a single statement's retry.
   */
  readonly retryable: boolean = false;
  constructor(message: string, details: DatabaseErrorDetails) {
    // No statement (a connection that could not be opened): nothing to show but the message.
    const statement =
      details.sql === "" ? "" : `\n[SQL: ${details.sql}]\n[parameters: ${formatParams(details.params)}]`;
    super(`${message}${statement}`, { cause: details.cause });
    this.sql = details.sql;
    this.params = details.params;
    this.sqlstate = details.sqlstate;
  }
}

/** Constraint violations: unique, foreign key, not null, check (SQLSTATE class 23). */
export class IntegrityError extends DatabaseError {
  override readonly code: string = "integrity";
}
/** Bad data: invalid text representation, out of range, division by zero (class 22). */
export class DataError extends DatabaseError {
  override readonly code: string = "data";
}
/** Syntax errors, undefined tables or columns, privileges (class 42). */
export class ProgrammingError extends DatabaseError {
  override readonly code: string = "programming";
}
/** Connection failures, shutdowns, serialization failures, lock timeouts (classes 08, 40, 53, 55, 57, 58). */
export class OperationalError extends DatabaseError {
  override readonly code: string = "operational";
}
/**
 * A connection could not be opened: server unreachable, authentication failed, unknown database,
 * too many clients. Raised at checkout; `sql` is "" and `cause` is the driver's error.
 */
export class ConnectionError extends OperationalError {
  override readonly code: string = "connection";
}
/**
 * SQLSTATE 40001: a concurrent transaction made this one's result impossible (SERIALIZABLE,
 * REPEATABLE READ). The transaction is gone; run the whole unit of work again (`withRetry`).
 */
export class SerializationFailureError extends OperationalError {
  override readonly code: string = "serialization-failure";
  override readonly retryable: boolean = true;
}
/** SQLSTATE 40P01: PostgreSQL broke a deadlock by aborting this transaction; run it again (`withRetry`). */
export class DeadlockDetectedError extends OperationalError {
  override readonly code: string = "deadlock-detected";
  override readonly retryable: boolean = true;
}
/**
 * COMMIT was sent and the connection was lost before its reply: the server may or may not have
 * committed. Never retry blindly (the work may be applied twice): check whether it is there,
 * then decide. Raised only for that case; a COMMIT that surely failed raises its own error.
 */
export class CommitOutcomeUnknownError extends OperationalError {
  override readonly code: string = "commit-outcome-unknown";
}
/** Everything else the server reports (class XX, internal errors). */
export class InternalError extends DatabaseError {
  override readonly code: string = "internal";
}

function formatParams(params: readonly unknown[]): string {
  const shown = params.slice(0, 10).map((p) => {
    if (typeof p === "bigint") return `${p}n`;
    if (p instanceof Date) return p.toISOString();
    if (Array.isArray(p) && p.length > 10) return `[${p.slice(0, 10).join(", ")}, ... ${p.length} items]`;
    return JSON.stringify(p) ?? String(p);
  });
  return `[${shown.join(", ")}${params.length > 10 ? `, ... ${params.length} in all` : ""}]`;
}
