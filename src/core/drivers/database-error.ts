/**
 * Driver errors -> Athanor's DatabaseError hierarchy, by SQLSTATE class (as psycopg and
 * SQLAlchemy do). pg, postgres.js and PGlite all put the server's SQLSTATE in `code` and the
 * severity in `severity`; errors without a severity come from the client side (sockets, protocol).
 */
import {
  DataError,
  DatabaseError,
  DeadlockDetectedError,
  SerializationFailureError,
  IntegrityError,
  InternalError,
  OperationalError,
  ProgrammingError,
} from "../errors.js";

type DatabaseErrorClass = new (...args: ConstructorParameters<typeof DatabaseError>) => DatabaseError;

const BY_CLASS: Readonly<Record<string, DatabaseErrorClass>> = {
  "22": DataError,
  "23": IntegrityError,
  "42": ProgrammingError,
  "08": OperationalError, // connection exception
  "40": OperationalError, // transaction rollback: serialization failure, deadlock
  "53": OperationalError, // insufficient resources
  "55": OperationalError, // object not in prerequisite state: lock not available
  "57": OperationalError, // operator intervention: query canceled, admin shutdown
  "58": OperationalError, // system error
};

/** SQLSTATEs with a class of their own, before the class-wide table above. */
const BY_SQLSTATE: Readonly<Record<string, DatabaseErrorClass>> = {
  "40001": SerializationFailureError,
  "40P01": DeadlockDetectedError,
};

interface ServerErrorFields {
  code?: unknown;
  severity?: unknown;
  message?: unknown;
  detail?: unknown;
  hint?: unknown;
}

/** The SQLSTATE of an error the server sent, or undefined for client-side errors. */
export function sqlstateOf(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const { code, severity } = error as ServerErrorFields;
  return typeof severity === "string" && typeof code === "string" && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/**
 * True when the error means the connection itself is gone or unusable: a client-side error
 * (socket closed, protocol failure) or a server error of class 08, or a shutdown (57P01..57P03).
 */
export function isFatalConnectionError(error: unknown): boolean {
  const sqlstate = sqlstateOf(error);
  if (sqlstate === undefined) return true;
  return sqlstate.startsWith("08") || sqlstate === "57P01" || sqlstate === "57P02" || sqlstate === "57P03";
}

/** Wraps a driver error with the statement that caused it; `cause` keeps the original. */
export function toDatabaseError(error: unknown, sql: string, params: readonly unknown[]): DatabaseError {
  const sqlstate = sqlstateOf(error);
  const fields = (typeof error === "object" && error !== null ? error : {}) as ServerErrorFields;
  let message = typeof fields.message === "string" && fields.message !== "" ? fields.message : String(error);
  if (typeof fields.detail === "string" && fields.detail !== "") message += `\nDETAIL: ${fields.detail}`;
  if (typeof fields.hint === "string" && fields.hint !== "") message += `\nHINT: ${fields.hint}`;
  const ErrorClass =
    sqlstate === undefined
      ? OperationalError // the server did not answer: the connection failed
      : (BY_SQLSTATE[sqlstate] ?? BY_CLASS[sqlstate.slice(0, 2)] ?? InternalError);
  return new ErrorClass(message, { sql, params, sqlstate, cause: error });
}
