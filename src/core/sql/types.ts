/**
 * SQL types: how a column is declared in DDL, how it is cast in SQL, and how values cross the
 * driver boundary. The drivers already return the canonical JS value for each PostgreSQL type
 * (see src/core/drivers), so most types need no conversion at all; `toDriver` exists for the few
 * whose JS value is not what the driver sends (JSON documents).
 */
import { quoteIdentifier } from "../compiler/identifiers.js";

export interface SqlType<T = unknown> {
  /** The type as written in DDL and casts, e.g. "integer", "varchar(255)", "numeric(10, 2)". */
  readonly sql: string;
  /** Converts a JS value before it is bound as a parameter. */
  toDriver?(value: T): unknown;
  /** Phantom field: carries T for the type checker, never set. */
  readonly __value?: T;
}

function type<T>(sql: string, extra?: Pick<SqlType<T>, "toDriver">): SqlType<T> {
  return Object.freeze({ sql, ...extra });
}

/** A JSON document as JS sees it. */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

export const types = {
  integer: type<number>("integer"),
  smallint: type<number>("smallint"),
  bigint: type<bigint>("bigint"),
  serial: type<number>("serial"),
  bigserial: type<bigint>("bigserial"),
  real: type<number>("real"),
  double: type<number>("double precision"),
  /** Exact decimal; JS gets a string so no precision is lost. */
  numeric: (precision?: number, scale?: number): SqlType<string> =>
    type<string>(precision === undefined ? "numeric" : `numeric(${precision}, ${scale ?? 0})`),
  text: type<string>("text"),
  varchar: (length?: number): SqlType<string> => type<string>(length === undefined ? "varchar" : `varchar(${length})`),
  boolean: type<boolean>("boolean"),
  timestamp: type<Date>("timestamp"),
  timestamptz: type<Date>("timestamptz"),
  /** Calendar date as "YYYY-MM-DD": no time zone can shift it. */
  date: type<string>("date"),
  uuid: type<string>("uuid"),
  json: <T extends Json = Json>(): SqlType<T> => type<T>("json", { toDriver: (v) => JSON.stringify(v) }),
  jsonb: <T extends Json = Json>(): SqlType<T> => type<T>("jsonb", { toDriver: (v) => JSON.stringify(v) }),
  bytea: type<Uint8Array>("bytea"),
  /** A PostgreSQL enum type; `createAll` creates it before the tables that use it. */
  enum: <const V extends string>(name: string, values: readonly V[]): SqlType<V> & EnumType =>
    // `sql` is how the type is written in column definitions and casts: quoted like any identifier.
    Object.freeze({ sql: quoteIdentifier(name), enumName: name, enumValues: values }),
  array: <T>(of: SqlType<T>): SqlType<T[]> => type<T[]>(`${of.sql}[]`),
};

export interface EnumType {
  readonly enumName: string;
  readonly enumValues: readonly string[];
}

export function isEnumType(t: SqlType): t is SqlType & EnumType {
  return (t as Partial<EnumType>).enumName !== undefined;
}

/** serial types are integer/bigint columns with a sequence default. */
export function castName(t: SqlType): string {
  if (t.sql === "serial") return "integer";
  if (t.sql === "bigserial") return "bigint";
  return t.sql;
}
