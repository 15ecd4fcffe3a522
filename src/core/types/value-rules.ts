/**
 * One rule per column type: what JS values it takes and what it sends (docs/values.md has the
 * table). A rule returns the value to encode (params.ts turns it into text) or throws `Rejected`;
 * convert.ts names the column in the InvalidValueError. Rules check what the server would reject
 * and, above all, what it would silently change (a rounded integer, a truncated string, a NaN
 * turned into JSON null), so the same value fails the same way on every driver, before anything is
 * sent. Messages name the kind of value, never the value itself: it may be a secret.
 *
 * Rules run once per bound value, and once per element of a bulk insert's arrays, so each starts
 * with the cheapest test that accepts the common case (`typeof`, `Number.isInteger`).
 */
import { PreciseDate } from "./precise-date.js";

export type ValueRule = (value: unknown) => unknown;

/** Why a value was refused; convert.ts turns it into an InvalidValueError. */
export class Rejected extends Error {
  constructor(
    readonly valueKind: string,
    readonly problem: string,
    readonly fix: string,
    /** Where inside an array or JSON document, e.g. "[2]" or ".tags[0]". */
    readonly position = "",
  ) {
    super(`${valueKind}: ${problem}`);
  }
}

/** "a number", "a Buffer", "an array", ...: how messages name a value without showing it. */
export function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  switch (typeof value) {
    case "undefined": return "undefined";
    case "number": return Number.isNaN(value) ? "NaN" : value === Infinity ? "Infinity" : value === -Infinity ? "-Infinity" : "a number";
    case "object": {
      const proto = Object.getPrototypeOf(value) as { constructor?: { name?: string } } | null;
      if (proto === null || proto === Object.prototype) return "a plain object";
      const name = proto.constructor?.name;
      return name ? `a ${name}` : "an object";
    }
    default: return `a ${typeof value}`;
  }
}

function expected(value: unknown, what: string, fix: string): never {
  throw new Rejected(kindOf(value), `expected ${what}`, fix);
}

// --- integers ------------------------------------------------------------------------------

/** smallint, integer (and serial): a number that is an integer in range, or a bigint in range. */
export function integerRule(sqlName: string, min: number, max: number): ValueRule {
  const minBig = BigInt(min);
  const maxBig = BigInt(max);
  const range = `${sqlName} holds ${min} to ${max}`;
  return (value) => {
    if (typeof value === "number") {
      if (Number.isInteger(value)) {
        if (value >= min && value <= max) return value;
        throw new Rejected("a number out of range", range, "use a bigint column for larger values");
      }
      if (Number.isNaN(value) || !Number.isFinite(value)) throw new Rejected(kindOf(value), `${sqlName} has no such value`, "use a double precision column for NaN and infinities");
      throw new Rejected("a number that is not an integer", `${sqlName} would round it`, "round it first (Math.round, Math.trunc), or use a numeric or double precision column");
    }
    if (typeof value === "bigint") {
      if (value >= minBig && value <= maxBig) return Number(value);
      throw new Rejected("a bigint out of range", range, "use a bigint column for larger values");
    }
    return expected(value, "an integer number", "convert it first (Number(text) for a string), checking the result");
  };
}

const INT8_MIN = -(2n ** 63n);
const INT8_MAX = 2n ** 63n - 1n;

/** bigint (and bigserial): a bigint in range, or a number that is a safe integer. */
export const int8Rule: ValueRule = (value) => {
  if (typeof value === "bigint") {
    if (value >= INT8_MIN && value <= INT8_MAX) return value;
    throw new Rejected("a bigint out of range", "bigint holds -2^63 to 2^63 - 1", "use a numeric column for larger integers");
  }
  if (typeof value === "number") {
    if (Number.isSafeInteger(value)) return value;
    if (Number.isInteger(value)) {
      throw new Rejected("a number beyond 2^53", "a number this large is already rounded (numbers hold integers exactly up to 2^53)", "pass a bigint (123n, BigInt(text))");
    }
    throw new Rejected(Number.isFinite(value) ? "a number that is not an integer" : kindOf(value), "bigint holds integers only", "pass a bigint, or round the number first");
  }
  return expected(value, "a bigint", "convert it first (BigInt(text) for a string)");
};

// --- floating point and numeric ------------------------------------------------------------

/** double precision: any number (NaN, ±Infinity and -0 kept); a bigint only if exactly representable. */
export const float8Rule: ValueRule = (value) => {
  if (typeof value === "number") return value;
  if (typeof value === "bigint") {
    const n = Number(value);
    if (Number.isFinite(n) && BigInt(n) === value) return n;
    throw new Rejected("a bigint with no exact double value", "double precision would round it", "use a numeric or bigint column, or convert with Number() if rounding is intended");
  }
  return expected(value, "a number", "convert it first (Number(text) for a string), checking the result");
};

const FLOAT4_MAX = 3.4028234663852886e38;

/**
 * real: a number, stored as the nearest 32-bit float (the server rounds the same way; sending
 * Math.fround's value makes the rounding PostgreSQL's and JS's alike). Values beyond real's range,
 * or so small they would become 0, are refused, as the server refuses them.
 */
export const float4Rule: ValueRule = (value) => {
  if (typeof value === "number") {
    const f = Math.fround(value);
    if (f === value || Number.isNaN(value)) return value;
    if (!Number.isFinite(f) && Math.abs(value) > FLOAT4_MAX) throw new Rejected("a number out of range", "real holds magnitudes up to 3.4e38", "use a double precision column");
    if (f === 0 && value !== 0) throw new Rejected("a number too close to zero", "real would store it as 0", "use a double precision column");
    return f;
  }
  if (typeof value === "bigint") {
    const n = Number(value);
    if (Number.isFinite(n) && Math.fround(n) === n && BigInt(n) === value) return n;
    throw new Rejected("a bigint with no exact real value", "real would round it", "use a numeric or bigint column");
  }
  return expected(value, "a number", "convert it first (Number(text) for a string), checking the result");
};

const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;
const NUMERIC_SPECIAL = new Set(["NaN", "Infinity", "-Infinity", "+Infinity"]);

/**
 * numeric / numeric(p, s): a decimal string ("12.50", "-1e3", "NaN", "Infinity"), a number (sent as
 * its shortest exact decimal, String(n)) or a bigint. Only the portable syntax: PostgreSQL 16 also
 * reads "1_000" and "0x1F", 15 does not. With a scale, digits beyond it would be rounded by the
 * server, so they are refused; so are values with more integer digits than p - s.
 */
export function numericRule(precision?: number, scale?: number): ValueRule {
  const maxFraction = precision === undefined ? Infinity : scale ?? 0;
  const maxInteger = precision === undefined ? Infinity : precision - (scale ?? 0);
  const sqlName = precision === undefined ? "numeric" : `numeric(${precision}, ${scale ?? 0})`;
  const check = (text: string, kind: string): string => {
    if (NUMERIC_SPECIAL.has(text)) {
      if (precision !== undefined) throw new Rejected(text === "NaN" ? "NaN" : "an infinity", `${sqlName} holds finite values only`, "use an unconstrained numeric column");
      return text;
    }
    const m = DECIMAL.exec(text);
    if (m === null || (m[2] === "" && (m[3] ?? "") === "")) {
      throw new Rejected(kind, "it is not a decimal number", 'write digits with an optional sign, point and exponent ("-12.5", "1e3"), "NaN" or "Infinity"');
    }
    if (precision === undefined) return text;
    const exponent = m[4] === undefined ? 0 : Number(m[4]);
    const digits = (m[2] ?? "") + (m[3] ?? "");
    const significant = digits.replace(/^0+/, "").replace(/0+$/, "");
    if (significant === "") return text;
    // Position of the decimal point relative to the digits, after the exponent.
    const point = (m[2] ?? "").length + exponent;
    const firstNonZero = digits.length - digits.replace(/^0+/, "").length;
    const lastNonZero = digits.replace(/0+$/, "").length; // one past
    const fractionDigits = Math.max(0, lastNonZero - point);
    const integerDigits = Math.max(0, point - firstNonZero);
    if (fractionDigits > maxFraction) {
      throw new Rejected(`${kind} with ${fractionDigits} decimal places`, `${sqlName} keeps ${maxFraction} and would round it`, "round it to the column's scale first, or widen the scale");
    }
    if (integerDigits > maxInteger) {
      throw new Rejected(`${kind} out of range`, `${sqlName} holds ${maxInteger} digits before the point`, "widen the column's precision");
    }
    return text;
  };
  return (value) => {
    if (typeof value === "string") return check(value, "a string");
    if (typeof value === "number") return check(Object.is(value, -0) ? "0" : String(value), kindOf(value));
    if (typeof value === "bigint") return check(String(value), "a bigint");
    return expected(value, "a decimal string, number or bigint", 'pass the amount as a string ("12.50")');
  };
}

// --- text, boolean, uuid, enum, bytea --------------------------------------------------------

interface WellFormed { isWellFormed(): boolean }

/** NUL and lone surrogates: PostgreSQL text cannot hold the first, UTF-8 cannot encode the second. */
export function checkString(value: string, where = ""): void {
  if (value.indexOf("\u0000") !== -1) {
    throw new Rejected("a string with a NUL character", "PostgreSQL text cannot hold U+0000", "remove it, or store the data in a bytea column", where);
  }
  if (!(value as unknown as WellFormed).isWellFormed()) {
    throw new Rejected("a string with a lone surrogate", "it is not valid Unicode and would be sent as U+FFFD", "repair the string (String.prototype.toWellFormed) or find where it was cut", where);
  }
}

/** text / varchar(n): a string without NUL or lone surrogates, at most n characters. */
export function textRule(maxLength?: number): ValueRule {
  return (value) => {
    if (typeof value !== "string") return expected(value, "a string", "convert it first (String(value))");
    checkString(value);
    // varchar(n) counts characters (code points); length counts UTF-16 units, never fewer.
    if (maxLength !== undefined && value.length > maxLength) {
      let count = 0;
      for (const _ of value) count++;
      if (count > maxLength) throw new Rejected("a string too long", `varchar(${maxLength}) holds ${maxLength} characters`, "shorten it, or widen the column");
    }
    return value;
  };
}

export const booleanRule: ValueRule = (value) => {
  if (typeof value === "boolean") return value;
  return expected(value, "a boolean", "convert it first (value === 1, text === \"true\")");
};

const UUID_CANONICAL = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const UUID_INPUT = /^(?:\{[0-9a-f]{4}(?:-?[0-9a-f]{4}){7}\}|[0-9a-f]{4}(?:-?[0-9a-f]{4}){7})$/i;

/**
 * uuid: any form PostgreSQL reads (upper case, braces, hyphens after any group of four), sent in
 * the canonical lower-case form it prints, so the value sent is the value read back.
 */
export const uuidRule: ValueRule = (value) => {
  if (typeof value !== "string") return expected(value, "a uuid string", 'write it as "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"');
  if (UUID_CANONICAL.test(value)) return value;
  if (!UUID_INPUT.test(value)) throw new Rejected("a string that is not a uuid", "a uuid is 32 hexadecimal digits", 'write it as "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"');
  const hex = value.replace(/[{}-]/g, "").toLowerCase();
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
};

export function enumRule(name: string, values: readonly string[]): ValueRule {
  const allowed = new Set(values);
  return (value) => {
    if (typeof value === "string" && allowed.has(value)) return value;
    if (typeof value === "string") throw new Rejected("a string that is not a label of the enum", `${name} has ${values.map((v) => JSON.stringify(v)).join(", ")}`, "use one of them, or add the label to the type");
    return expected(value, `one of ${name}'s labels`, "pass the label as a string");
  };
}

export const byteaRule: ValueRule = (value) => {
  if (value instanceof Uint8Array) return value;
  return expected(value, "a Uint8Array or Buffer", typeof value === "string" ? "encode it first (Buffer.from(text, \"utf8\"))" : "convert it to bytes first");
};

// --- timestamps and dates -----------------------------------------------------------------

/** 4714-11-24 00:00:00 BC, the first instant PostgreSQL's timestamps hold (Julian day 0). */
const TIMESTAMP_MIN = new Date(0).setUTCFullYear(-4713, 10, 24);

/**
 * timestamp / timestamptz: a valid Date (a PreciseDate keeps its microseconds), or ±Infinity for
 * PostgreSQL's ±infinity (what the parser reads them as). Strings are refused: their meaning
 * depends on the server's DateStyle and time zone.
 */
export const timestampRule: ValueRule = (value) => {
  if (value instanceof Date) {
    const time = value.getTime();
    if (time >= TIMESTAMP_MIN) return value;
    if (Number.isNaN(time)) throw new Rejected("an invalid Date", "it has no time (new Date(\"not a date\"))", "check the value before building the Date");
    throw new Rejected("a Date before 4714-11-24 BC", "PostgreSQL timestamps begin there", "use a later date");
  }
  if (value === Infinity || value === -Infinity) return value === Infinity ? "infinity" : "-infinity";
  return expected(value, "a Date", typeof value === "string" ? "parse it first (new Date(isoText)), checking the result" : "build a Date first");
};

// Four-digit years, or longer ones without a leading zero: the form the server prints back.
const DATE_TEXT = /^(\d{4}|[1-9]\d{4,})-(\d\d)-(\d\d)( BC)?$/;
const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * date: "YYYY-MM-DD" (or "YYYY-MM-DD BC", "infinity", "-infinity"), the form the parser returns.
 * Other spellings ("01/02/2024") are refused: the server reads them by its DateStyle.
 */
export const dateRule: ValueRule = (value) => {
  if (typeof value !== "string") {
    return expected(value, 'a "YYYY-MM-DD" string', value instanceof Date ? "format the calendar day you mean (date.toISOString().slice(0, 10) for the UTC day)" : 'write it as "2024-01-31"');
  }
  if (value === "infinity" || value === "-infinity") return value;
  const m = DATE_TEXT.exec(value);
  const month = m === null ? 0 : Number(m[2]);
  const day = m === null ? 0 : Number(m[3]);
  const year = m === null ? 0 : Number(m[1]);
  const bc = m?.[4] !== undefined;
  const astronomical = bc ? 1 - year : year;
  const leap = astronomical % 4 === 0 && (astronomical % 100 !== 0 || astronomical % 400 === 0);
  if (m === null || year === 0 || month < 1 || month > 12 || day < 1 || day > DAYS_IN_MONTH[month - 1]! || (month === 2 && day === 29 && !leap)) {
    throw new Rejected("a string that is not a date", 'dates are written "YYYY-MM-DD"', 'write it as "2024-01-31" (or "0044-03-15 BC")');
  }
  if ((bc && (year > 4714 || (year === 4714 && (month < 11 || (month === 11 && day < 24))))) || (!bc && year > 5_874_897)) {
    throw new Rejected("a date out of range", "PostgreSQL dates run from 4714-11-24 BC to 5874897-12-31", "use a date inside that range");
  }
  return value;
};

// --- arrays --------------------------------------------------------------------------------

/**
 * Arrays of a type: a JS array (nested arrays for more dimensions, all of one depth and length
 * per level, as PostgreSQL requires), each element null or taken by the element's rule. The
 * array is returned as is when no element changed, so key lists and bulk columns are not copied.
 */
export function arrayRule(element: ValueRule, elementIsDocument: boolean): ValueRule {
  // shape[d]: the length of every array at depth d; nestedAt[d]: whether its elements are arrays.
  const convert = (values: readonly unknown[], path: string, shape: number[], nestedAt: boolean[], depth: number): unknown[] => {
    const expectedLength = shape[depth];
    if (expectedLength === undefined) shape[depth] = values.length;
    else if (expectedLength !== values.length) {
      throw new Rejected("a ragged array", "the inner arrays of one level have different lengths", "make every inner array of a level the same length", path);
    }
    let out: unknown[] | undefined;
    let sawNull = false;
    for (let i = 0; i < values.length; i++) {
      const value = values[i];
      let converted: unknown;
      if (value === null) {
        sawNull = true;
        converted = null;
      } else {
        const isArray = Array.isArray(value) && !elementIsDocument;
        const nested = nestedAt[depth] ??= isArray;
        if (nested !== isArray || (nested && sawNull)) {
          throw new Rejected("an array mixing inner arrays with single values or nulls", "every element of one level must be an array, or none", "give the array one shape", `${path}[${i}]`);
        }
        if (isArray) {
          if ((value as unknown[]).length === 0) throw new Rejected("an empty inner array", "PostgreSQL arrays have no empty dimension", "leave the inner array out", `${path}[${i}]`);
          converted = convert(value as unknown[], `${path}[${i}]`, shape, nestedAt, depth + 1);
        } else if (value === undefined) {
          throw new Rejected("undefined", "an array element cannot be undefined", "use null for SQL NULL", `${path}[${i}]`);
        } else {
          try {
            converted = element(value);
          } catch (error) {
            if (!(error instanceof Rejected)) throw error;
            throw new Rejected(error.valueKind, error.problem, error.fix, `${path}[${i}]${error.position}`);
          }
        }
      }
      if (converted !== value && out === undefined) out = values.slice(0, i);
      if (out !== undefined) out.push(converted);
    }
    if (sawNull && nestedAt[depth] === true) {
      throw new Rejected("an array mixing inner arrays with nulls", "every element of one level must be an array, or none", "give the array one shape", path);
    }
    return out ?? (values as unknown[]);
  };
  return (value) => {
    if (!Array.isArray(value)) return expected(value, "an array", "wrap a single value in an array");
    return convert(value, "", [], [], 0);
  };
}
