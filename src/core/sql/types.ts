/**
 * SQL types: how a column is declared in DDL, how it is cast in SQL, and how values cross the
 * driver boundary. The drivers already return the canonical JS value for each PostgreSQL type
 * (see src/core/drivers). Going the other way, every built-in type's `toDriver` is its value rule
 * (src/core/types/value-rules.ts, the table in docs/values.md): it takes exactly the values the
 * type can hold, converts the few whose JS form is not what is sent (JSON documents, uuid
 * spellings), and refuses the rest before anything is sent.
 */
import { quoteIdentifier } from "../compiler/identifiers.js";
import { jsonRule } from "../types/json-rule.js";
import {
  arrayRule, booleanRule, byteaRule, dateRule, enumRule, float4Rule, float8Rule, int8Rule, integerRule, numericRule,
  textRule, timestampRule, uuidRule, type ValueRule,
} from "../types/value-rules.js";

export interface SqlType<T = unknown> {
  /** The type as written in DDL and casts, e.g. "integer", "varchar(255)", "numeric(10, 2)". */
  readonly sql: string;
  /**
   * Converts a JS value before it is bound as a parameter (the built-in types check it too:
   * convert.ts names the column when it throws).
   */
  toDriver?(value: T): unknown;
  /** Phantom field: carries T for the type checker, never set. */
  readonly __value?: T;
}

function type<T>(sql: string, rule: ValueRule): SqlType<T> {
  return Object.freeze({ sql, toDriver: rule });
}

const int2 = integerRule("smallint", -32_768, 32_767);
const int4 = integerRule("integer", -2_147_483_648, 2_147_483_647);
const text = textRule();
const json = jsonRule(false);
const jsonb = jsonRule(true);

/** A JSON document as JS sees it. */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

export const types = {
  integer: type<number>("integer", int4),
  smallint: type<number>("smallint", int2),
  bigint: type<bigint>("bigint", int8Rule),
  serial: type<number>("serial", int4),
  bigserial: type<bigint>("bigserial", int8Rule),
  real: type<number>("real", float4Rule),
  double: type<number>("double precision", float8Rule),
  /** Exact decimal; JS gets a string so no precision is lost. */
  numeric: (precision?: number, scale?: number): SqlType<string> =>
    type<string>(precision === undefined ? "numeric" : `numeric(${precision}, ${scale ?? 0})`, numericRule(precision, scale)),
  text: type<string>("text", text),
  varchar: (length?: number): SqlType<string> =>
    type<string>(length === undefined ? "varchar" : `varchar(${length})`, length === undefined ? text : textRule(length)),
  boolean: type<boolean>("boolean", booleanRule),
  /** Read as a Date, or a PreciseDate when the value has microseconds (docs/values.md). */
  timestamp: type<Date>("timestamp", timestampRule),
  timestamptz: type<Date>("timestamptz", timestampRule),
  /** Calendar date as "YYYY-MM-DD": no time zone can shift it. */
  date: type<string>("date", dateRule),
  uuid: type<string>("uuid", uuidRule),
  json: <T extends Json = Json>(): SqlType<T> => type<T>("json", json),
  jsonb: <T extends Json = Json>(): SqlType<T> => type<T>("jsonb", jsonb),
  bytea: type<Uint8Array>("bytea", byteaRule),
  /** A PostgreSQL enum type; `createAll` creates it before the tables that use it. */
  enum: <const V extends string>(name: string, values: readonly V[]): SqlType<V> & EnumType =>
    // `sql` is how the type is written in column definitions and casts: quoted like any identifier.
    Object.freeze({ sql: quoteIdentifier(name), enumName: name, enumValues: values, toDriver: enumRule(name, values) }),
  /** Arrays of `of` (nested JS arrays for more dimensions); elements follow `of`'s rule. */
  array: <T>(of: SqlType<T>): SqlType<T[]> => {
    const element: ValueRule = of.toDriver === undefined ? (v) => v : (v) => of.toDriver!(v as T);
    return type<T[]>(`${of.sql}[]`, arrayRule(element, of.sql === "json" || of.sql === "jsonb"));
  },
};

const arrayTypes = new WeakMap<SqlType, SqlType>();

/** `types.array(of)`, made once per element type (what `eqAny` binds its list as). */
export function arrayOf<T>(of: SqlType<T>): SqlType<T[]> {
  let array = arrayTypes.get(of);
  if (array === undefined) arrayTypes.set(of, (array = types.array(of)));
  return array as SqlType<T[]>;
}

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
