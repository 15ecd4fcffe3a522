/**
 * Parameters are turned into PostgreSQL text before any driver sees them, so every driver sends
 * the same bytes and the server picks the type from the statement (`$1::int8`, a column, `ANY`).
 * Drivers disagree on `undefined` (pg and PGlite bind NULL, postgres.js throws), so it is refused
 * here, before anything is sent.
 *
 * | JS                        | sent as                                                       |
 * |---------------------------|---------------------------------------------------------------|
 * | null                      | SQL NULL                                                      |
 * | string                    | itself (refused with a NUL or a lone surrogate)               |
 * | number, bigint            | decimal text ("NaN", "Infinity", "-0" for the float specials) |
 * | boolean                   | "true" / "false"                                              |
 * | Date                      | ISO 8601 in UTC ("2024-01-31T12:00:00.000Z", "... BC")        |
 * | PreciseDate               | the same with six fractional digits (".123456Z")              |
 * | Uint8Array (Buffer)       | bytea hex text ("\x0102")                                     |
 * | array of the above        | array literal ('{"1","2"}'), nested arrays as dimensions      |
 * | other objects             | JSON text, refused when not JSON (NaN, undefined, a Date...)  |
 *
 * These are the checks every parameter gets, typed or not; values bound against a column were
 * already converted by its type's rule (src/core/types/value-rules.ts, docs/values.md).
 */
import { ArgumentError } from "../../errors.js";
import { jsonRule } from "../../types/json-rule.js";
import { PreciseDate } from "../../types/precise-date.js";
import { checkString, Rejected } from "../../types/value-rules.js";
import { serializeArrayLiteral } from "./array-literal.js";

/** Converts statement parameters to text; throws ArgumentError for values it cannot send. */
export function encodeParams(params: readonly unknown[]): (string | null)[] {
  if (params.length > MAX_PARAMS) {
    throw new ArgumentError(
      `a statement can have at most ${MAX_PARAMS} parameters, got ${params.length}; send the values as ` +
        "array parameters instead (`= ANY($1)`, `INSERT ... SELECT * FROM unnest($1::int4[], $2::text[])`)",
    );
  }
  const out = new Array<string | null>(params.length);
  for (let i = 0; i < params.length; i++) {
    const value = params[i];
    if (value === undefined) {
      throw new ArgumentError(`parameter $${i + 1} is undefined; use null for SQL NULL`);
    }
    try {
      out[i] = value === null ? null : Array.isArray(value) ? encodeArray(value) : encodeScalar(value);
    } catch (error) {
      if (!(error instanceof ParamError)) throw error;
      throw new ArgumentError(`parameter $${i + 1} ${error.message}`, { cause: error.cause });
    }
  }
  return out;
}

/** The wire protocol counts parameters in 16 bits. */
const MAX_PARAMS = 65_535;

class ParamError extends Error {}

function encodeArray(values: readonly unknown[]): string {
  checkArray(values, "");
  // A bulk insert's timestamp column: one buffer, without a string per element.
  return (values[0] instanceof Date ? isoArrayLiteral(values) : undefined) ?? serializeArrayLiteral(values, encodeScalar);
}

function checkArray(values: readonly unknown[], path: string): void {
  for (let j = 0; j < values.length; j++) {
    const value = values[j];
    if (value === undefined) {
      throw new ParamError(`contains undefined at index ${path}[${j}]; use null for SQL NULL`);
    }
    if (Array.isArray(value)) checkArray(value, `${path}[${j}]`);
  }
}

function encodeScalar(value: unknown): string {
  switch (typeof value) {
    case "string":
      // pg and postgres.js would send a lone surrogate as U+FFFD and PGlite differently; NUL
      // fails on the server. One check here makes every driver refuse both the same way.
      try {
        checkString(value);
      } catch (error) {
        throw new ParamError(`is ${(error as Rejected).valueKind}: ${(error as Rejected).problem}`);
      }
      return value;
    case "number":
      // String(-0) is "0": the float's sign would be lost.
      return value === 0 && 1 / value < 0 ? "-0" : String(value);
    case "bigint":
      return String(value);
    case "boolean":
      return value ? "true" : "false";
    case "object":
      if (value instanceof Date) return encodeDate(value);
      if (value instanceof Uint8Array) return `\\x${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("hex")}`;
      return encodeJson(value);
    default:
      throw new ParamError(
        `is a ${typeof value}, which cannot be sent; use a string, number, bigint, boolean, Date, ` +
          "Uint8Array, null, an array of those, or a plain object (sent as JSON)",
      );
  }
}

const toJson = jsonRule(false);

function encodeJson(value: unknown): string {
  try {
    return toJson(value) as string;
  } catch (error) {
    if (!(error instanceof Rejected)) throw error;
    const at = error.position ? ` at ${error.position}` : "";
    throw new ParamError(`is not JSON: ${error.valueKind}${at}: ${error.problem}; ${error.fix}`);
  }
}

/** 0001-01-01T00:00:00Z (Date.UTC would read year 1 as 1901). */
const YEAR_1 = new Date(0).setUTCFullYear(1, 0, 1);
const YEAR_10000 = Date.UTC(10000, 0, 1);

/** Bytes of one ISO timestamp, `2024-01-31T00:00:00.000Z`; a PreciseDate's has 3 more digits. */
const PRECISE_ISO_LENGTH = 27;
const scratch = Buffer.alloc(PRECISE_ISO_LENGTH);

/**
 * `new Date(time).toISOString()` for years 1..9999, by arithmetic: toISOString cost about 0.6 µs
 * a Date on the bench machine and this about 0.4 µs (a one-off Date parameter; arrays of them are
 * written straight into one buffer by isoArrayLiteral). The calendar is the proleptic Gregorian one Date uses (days to civil date after Howard
 * Hinnant's `civil_from_days`). Pinned against toISOString by params.test.ts.
 */
export function isoString(time: number, microseconds = 0): string {
  const end = writeIso(scratch, 0, time, microseconds);
  return scratch.toString("latin1", 0, end);
}

/**
 * Writes the 24 bytes of `time`'s ISO text at `at` (27 with `microseconds`, the digits past the
 * millisecond a PreciseDate carries). Bytes, not a template string: a template of
 * thirteen parts built a rope of a dozen string objects per timestamp, 4 MB of garbage for a
 * 10,000-row insert, where an array of timestamps now is one buffer and one string.
 */
function writeIso(bytes: Buffer, at: number, time: number, microseconds: number): number {
  const days = Math.floor(time / 86_400_000);
  let ms = time - days * 86_400_000;
  const z = days + 719_468; // days since 0000-03-01
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor((dayOfEra - Math.floor(dayOfEra / 1_460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365);
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const mp = Math.floor((5 * dayOfYear + 2) / 153); // month from March = 0
  const day = dayOfYear - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  const hour = Math.floor(ms / 3_600_000);
  ms -= hour * 3_600_000;
  const minute = Math.floor(ms / 60_000);
  ms -= minute * 60_000;
  const second = Math.floor(ms / 1_000);
  ms -= second * 1_000;
  let p = writeDigits(bytes, at, Math.floor(year / 100), 2);
  p = writeDigits(bytes, p, year % 100, 2);
  bytes[p++] = 0x2d; // -
  p = writeDigits(bytes, p, month, 2);
  bytes[p++] = 0x2d;
  p = writeDigits(bytes, p, day, 2);
  bytes[p++] = 0x54; // T
  p = writeDigits(bytes, p, hour, 2);
  bytes[p++] = 0x3a; // :
  p = writeDigits(bytes, p, minute, 2);
  bytes[p++] = 0x3a;
  p = writeDigits(bytes, p, second, 2);
  bytes[p++] = 0x2e; // .
  p = writeDigits(bytes, p, ms, 3);
  if (microseconds !== 0) p = writeDigits(bytes, p, microseconds, 3);
  bytes[p++] = 0x5a; // Z
  return p;
}

function writeDigits(bytes: Buffer, at: number, value: number, width: number): number {
  for (let i = width - 1; i >= 0; i--) {
    bytes[at + i] = 0x30 + (value % 10);
    value = Math.floor(value / 10);
  }
  return at + width;
}

/**
 * The array literal of Dates all in years 1..9999, written into one buffer; undefined when one is
 * outside them (or invalid), which encodeDate then writes or refuses one by one.
 */
function isoArrayLiteral(dates: readonly unknown[]): string | undefined {
  const bytes = Buffer.allocUnsafe(2 + dates.length * (PRECISE_ISO_LENGTH + 1));
  let p = 0;
  bytes[p++] = 0x7b; // {
  for (let i = 0; i < dates.length; i++) {
    const date = dates[i];
    if (!(date instanceof Date)) return undefined;
    const time = date.getTime();
    if (!(time >= YEAR_1 && time < YEAR_10000)) return undefined;
    if (i > 0) bytes[p++] = 0x2c; // ,
    p = writeIso(bytes, p, time, date instanceof PreciseDate ? date.microseconds : 0);
  }
  bytes[p++] = 0x7d; // }
  return bytes.toString("latin1", 0, p);
}

/** ISO 8601 in UTC; years outside 1..9999 written the way PostgreSQL reads them. */
function encodeDate(date: Date): string {
  const time = date.getTime();
  if (Number.isNaN(time)) throw new ParamError("is an invalid Date");
  // Years 1..9999 by the time value, which is cheaper than getUTCFullYear() per Date.
  if (time >= YEAR_1 && time < YEAR_10000) return isoString(time, date instanceof PreciseDate ? date.microseconds : 0);
  const year = date.getUTCFullYear();
  const iso = date.toISOString(); // "+010000-01-01T..." or "-000044-03-15T..."
  const rest = iso.slice(iso.indexOf("-", 1));
  return year > 0 ? `${year}${rest}` : `${String(1 - year).padStart(4, "0")}${rest} BC`;
}
