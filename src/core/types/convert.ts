/**
 * Applies a column type's value rule (value-rules.ts) where a value is bound against that column,
 * and names the column when the rule refuses it: expressions (`users.id.eq(v)`), INSERT values,
 * UPDATE SET, bulk insert arrays and named bind parameters all come through here, before any SQL
 * is sent. The ORM renames the column to its entity attribute (orm/mapping/instrumented.ts, the
 * flush).
 */
import { InvalidValueError } from "../errors.js";
import type { SqlType } from "../sql/types.js";
import { Rejected } from "./value-rules.js";

/** What a bound value is compared with or written to, as errors name it. */
export interface BindTarget {
  /** "users.email", "User.email", 'bindparam("pk0")'. */
  readonly target: string;
  readonly table?: string | undefined;
  readonly column?: string | undefined;
  /** The ORM entity and attribute mapped to the column (set by the ORM). */
  readonly entity?: string | undefined;
  readonly attribute?: string | undefined;
  /** The row (1-based) of a multi-row INSERT. */
  readonly row?: number | undefined;
}

/** The value to bind for `value` against `type`; throws InvalidValueError naming `target`. */
export function convertValue(type: SqlType | undefined, value: unknown, target: BindTarget | string): unknown {
  const toDriver = type?.toDriver;
  if (toDriver === undefined || value === null) return value;
  try {
    return toDriver.call(type, value);
  } catch (error) {
    throw asInvalidValue(error, type!, target, undefined);
  }
}

/**
 * A bulk insert's column: every element converted, the array itself returned when nothing
 * changed. Errors say which row (1-based), as the INSERT's rows are numbered.
 */
export function convertColumn(type: SqlType, values: readonly unknown[], target: BindTarget): readonly unknown[] {
  const toDriver = type.toDriver;
  if (toDriver === undefined) return values;
  let out: unknown[] | undefined;
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    let converted: unknown;
    try {
      converted = value === null ? null : toDriver.call(type, value);
    } catch (error) {
      throw asInvalidValue(error, type, target, i + 1);
    }
    if (converted !== value && out === undefined) out = values.slice(0, i);
    if (out !== undefined) out.push(converted);
  }
  return out ?? values;
}

function asInvalidValue(error: unknown, type: SqlType, target: BindTarget | string, bulkRow: number | undefined): unknown {
  if (!(error instanceof Rejected)) return error;
  const where: BindTarget = typeof target === "string" ? { target } : target;
  const rowNumber = bulkRow ?? where.row;
  const row = rowNumber === undefined ? "" : `row ${rowNumber}`;
  const position = row && error.position ? `${row}, ${error.position}` : row || error.position || undefined;
  return new InvalidValueError({
    target: where.target, table: where.table, column: where.column, entity: where.entity, attribute: where.attribute, sqlType: type.sql,
    valueKind: error.valueKind, problem: error.problem, fix: error.fix, position,
  });
}
