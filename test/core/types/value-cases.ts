/**
 * Shared by the value-rule tests: one random "any JS value" arbitrary, and per column type an
 * oracle written from docs/values.md independently of src/core/types (it must not call the rules):
 * whether the value is accepted, what is sent, and what reading it back must give.
 */
import fc from "fast-check";
import { types, type SqlType } from "../../../src/core/sql/types.js";
import { PreciseDate } from "../../../src/core/types/precise-date.js";

export type Verdict = { readonly accept: false } | { readonly accept: true; readonly sent: unknown; readonly read: unknown };

export interface TypeCase {
  readonly name: string;
  readonly type: SqlType;
  /** The SQL type in CREATE TABLE. */
  readonly ddl: string;
  readonly oracle: (value: unknown) => Verdict;
  /** Values of the right JS kind, mostly valid: the generic arbitrary alone would rarely hit them. */
  readonly typical: fc.Arbitrary<unknown>;
}

const reject: Verdict = { accept: false };
const accept = (sent: unknown, read: unknown = sent): Verdict => ({ accept: true, sent, read });

/** True when the string is valid Unicode: encodeURIComponent throws on a lone surrogate. */
export function wellFormed(s: string): boolean {
  try {
    encodeURIComponent(s);
    return true;
  } catch {
    return false;
  }
}
const plainText = (s: string): boolean => !s.includes("\u0000") && wellFormed(s);

const utf16Char = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));
const anyUtf16 = fc.string({ unit: utf16Char, maxLength: 12 });
const tricky = fc.constantFrom<unknown>(
  0, -0, NaN, Infinity, -Infinity, 1.5, -1.5, 0.1, 2 ** 31, -(2 ** 31), 2 ** 31 - 1, -(2 ** 31) - 1, 32_767, 32_768, -32_769,
  2 ** 53, 2 ** 53 + 2, 2 ** 63, -(2 ** 63), 1e21, 5e-324, 3.4e38, 3.5e38, 1e-46, Number.MAX_VALUE,
  2n ** 63n, -(2n ** 63n), 2n ** 63n - 1n, -(2n ** 63n) - 1n, 2n ** 53n + 1n, 7n, -0n,
  "", "12", "1.5", "-0", "NaN", "Infinity", "-Infinity", "inf", "1_000", "0x1F", " 1", "1e3", ".5", "5.", "-", "+1", "1e", "e5",
  "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11", "{a0eebc999c0b4ef8bb6d6bb9bd380a11}",
  "a0ee-bc99-9c0b-4ef8-bb6d-6bb9-bd38-0a11", "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1",
  "2024-02-29", "2023-02-29", "2024-13-01", "0000-01-01", "0044-03-15 BC", "4714-11-24 BC", "4714-11-23 BC", "01/02/2024",
  "10000-01-01", "02024-01-01", "infinity", "-infinity", "happy", "sad", "HAPPY", "true", "t", "a\u0000b", "\ud800", "x\udfffy",
  true, false, null, new Date(NaN), new Date(0), new Date(new Date(0).setUTCFullYear(-4713, 10, 24)),
  new Date(new Date(0).setUTCFullYear(-4713, 10, 24) - 1), new Date(8.64e15), new Date(-8.64e15), new PreciseDate(Date.UTC(2024, 0, 31), 123),
  Buffer.from([1, 2, 3]), new Uint8Array([0, 255]), new Map([["a", 1]]), new Set([1]), () => 1, Symbol("s"),
  [], [1, 2, 3], [[1, 2], [3, 4]], [[1, 2], [3]], [[1], 2], [[]], [null, [1]], [[1], null], [1, null], ["a", "b"], [1.5], [2 ** 31],
  { a: 1 }, { a: undefined }, { a: NaN }, { a: -0 }, { a: 1n }, { d: new Date(0) }, { b: Buffer.from([1]) }, { s: "\u0000" }, { s: "\ud800" },
  // eslint-disable-next-line no-sparse-arrays
  [1, , 3], [undefined], { [Symbol("k")]: 1 }, Object.create(null) as unknown,
);

const scalar: fc.Arbitrary<unknown> = fc.oneof(
  fc.integer(), fc.double(), fc.integer({ min: -(2 ** 53), max: 2 ** 53 }), fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }),
  fc.string({ maxLength: 12 }), anyUtf16, fc.boolean(), fc.date({ noInvalidDate: false }), fc.uint8Array({ maxLength: 8 }), fc.constant(null),
);

/** Any JS value a caller might pass: scalars, containers of them, JSON values, and the known edge cases. */
export const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: tricky, weight: 3 },
  { arbitrary: scalar, weight: 4 },
  { arbitrary: fc.array(scalar, { maxLength: 4 }), weight: 1 },
  { arbitrary: fc.dictionary(fc.string({ maxLength: 4 }), scalar, { maxKeys: 3 }), weight: 1 },
  { arbitrary: fc.jsonValue({ maxDepth: 3 }), weight: 2 },
);

// --- oracles -------------------------------------------------------------------------------

function integerOracle(min: number, max: number) {
  return (v: unknown): Verdict => {
    if (typeof v === "number" && Number.isInteger(v) && v >= min && v <= max) return accept(v, v === 0 ? 0 : v);
    if (typeof v === "bigint" && v >= BigInt(min) && v <= BigInt(max)) return accept(Number(v));
    return reject;
  };
}

const int8Oracle = (v: unknown): Verdict => {
  if (typeof v === "bigint" && v >= -(2n ** 63n) && v < 2n ** 63n) return accept(v);
  if (typeof v === "number" && Number.isSafeInteger(v)) return accept(v, BigInt(v));
  return reject;
};

const float8Oracle = (v: unknown): Verdict => {
  if (typeof v === "number") return accept(v);
  if (typeof v === "bigint" && Number.isFinite(Number(v)) && BigInt(Number(v)) === v) return accept(Number(v));
  return reject;
};

/** real: the nearest float32, refused when that overflows or underflows to zero. */
const float4Oracle = (v: unknown): Verdict => {
  let n: number;
  if (typeof v === "number") n = v;
  else if (typeof v === "bigint" && Number.isFinite(Number(v)) && BigInt(Number(v)) === v && Math.fround(Number(v)) === Number(v)) n = Number(v);
  else return reject;
  if (Number.isNaN(n)) return accept(n);
  const f = Math.fround(n);
  if ((!Number.isFinite(f) && Number.isFinite(n)) || (f === 0 && n !== 0)) return reject;
  return accept(f);
};

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const numericOracle = (v: unknown): Verdict => {
  let text: string;
  if (typeof v === "string") text = v;
  else if (typeof v === "number") text = v === 0 ? "0" : String(v);
  else if (typeof v === "bigint") text = String(v);
  else return reject;
  if (["NaN", "Infinity", "-Infinity", "+Infinity"].includes(text)) return accept(text, text === "+Infinity" ? "Infinity" : text);
  return DECIMAL.test(text) ? accept(text, canonicalDecimal(text)) : reject;
};

/** The exact value of a decimal text as "[-]digits[.digits]" without redundant zeros. */
export function canonicalDecimal(text: string): string {
  const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (m === null) return text;
  const digits = `${m[2] ?? ""}${m[3] ?? ""}`;
  let point = (m[2] ?? "").length + Number(m[4] ?? 0);
  let d = digits;
  if (point < 0) { d = "0".repeat(-point) + d; point = 0; }
  if (point > d.length) d = d + "0".repeat(point - d.length);
  const int = d.slice(0, point).replace(/^0+/, "") || "0";
  const frac = d.slice(point).replace(/0+$/, "");
  const abs = frac ? `${int}.${frac}` : int;
  return m[1] === "-" && abs !== "0" ? `-${abs}` : abs;
}

const textOracle = (v: unknown): Verdict => (typeof v === "string" && plainText(v) ? accept(v) : reject);
const varchar4Oracle = (v: unknown): Verdict => (typeof v === "string" && plainText(v) && [...v].length <= 4 ? accept(v) : reject);
const booleanOracle = (v: unknown): Verdict => (typeof v === "boolean" ? accept(v) : reject);

const TIMESTAMP_MIN = new Date("-004713-11-24T00:00:00.000Z").getTime();
const timestampOracle = (v: unknown): Verdict => {
  if (v === Infinity || v === -Infinity) return accept(v === Infinity ? "infinity" : "-infinity", v);
  if (v instanceof Date && v.getTime() >= TIMESTAMP_MIN) return accept(v);
  return reject;
};

const dateOracle = (v: unknown): Verdict => {
  if (typeof v !== "string") return reject;
  if (v === "infinity" || v === "-infinity") return accept(v);
  const m = /^(\d{4}|[1-9]\d{4,})-(\d\d)-(\d\d)( BC)?$/.exec(v);
  if (m === null) return reject;
  const year = Number(m[1]);
  const bc = m[4] !== undefined;
  if (year === 0) return reject;
  const d = new Date(0);
  d.setUTCFullYear(bc ? 1 - year : year, Number(m[2]) - 1, Number(m[3]));
  if (d.getUTCMonth() !== Number(m[2]) - 1 || d.getUTCDate() !== Number(m[3]) || Number(m[2]) < 1) return reject;
  if (bc && d.getTime() < TIMESTAMP_MIN) return reject;
  if (!bc && year > 5_874_897) return reject;
  return accept(v);
};

const uuidOracle = (v: unknown): Verdict => {
  if (typeof v !== "string") return reject;
  let body = v;
  if (body.startsWith("{") && body.endsWith("}")) body = body.slice(1, -1);
  // A hyphen may follow any group of four digits, but not end the value.
  if (!/^[0-9a-fA-F]{4}(-?[0-9a-fA-F]{4}){7}$/.test(body)) return reject;
  const hex = body.replaceAll("-", "").toLowerCase();
  const canonical = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  return accept(canonical);
};

/** JSON's own round trip must give the value back (with -0 as 0), in plain objects and arrays only. */
function sameJson(parsed: unknown, original: unknown, binary: boolean): boolean {
  if (typeof original === "string") return parsed === original && (!binary || !original.includes("\u0000")) && wellFormed(original);
  if (typeof original === "number") return parsed === original;
  if (original === null || typeof original === "boolean") return parsed === original;
  if (Array.isArray(original)) {
    if (!Array.isArray(parsed) || parsed.length !== original.length) return false;
    for (let i = 0; i < original.length; i++) if (!(i in original) || !sameJson(parsed[i], original[i], binary)) return false;
    return true;
  }
  if (typeof original !== "object" || typeof parsed !== "object" || parsed === null) return false;
  const proto: unknown = Object.getPrototypeOf(original);
  if (proto !== Object.prototype && proto !== null) return false;
  if (Object.getOwnPropertySymbols(original).length > 0) return false;
  const keys = Object.keys(original);
  if (keys.length !== Object.keys(parsed).length) return false;
  return keys.every((k) => (!binary || !k.includes("\u0000")) && wellFormed(k) && sameJson((parsed as Record<string, unknown>)[k], (original as Record<string, unknown>)[k], binary));
}

function jsonOracle(binary: boolean) {
  return (v: unknown): Verdict => {
    let text: string | undefined;
    try {
      text = JSON.stringify(v);
    } catch {
      return reject;
    }
    if (text === undefined) return reject;
    const parsed: unknown = JSON.parse(text);
    return sameJson(parsed, v, binary) ? accept(text, parsed) : reject;
  };
}

const byteaOracle = (v: unknown): Verdict => (v instanceof Uint8Array ? accept(v, Buffer.from(v)) : reject);
const enumOracle = (v: unknown): Verdict => (v === "happy" || v === "sad" ? accept(v) : reject);

/** "3", "2x3": the dimensions of a valid PostgreSQL array; undefined when ragged or mixed. */
function shapeOf(a: readonly unknown[]): string | undefined {
  for (let i = 0; i < a.length; i++) if (!(i in a)) return undefined;
  if (!a.some(Array.isArray)) return String(a.length);
  if (!a.every((x) => Array.isArray(x) && x.length > 0)) return undefined;
  const shapes = a.map((x) => shapeOf(x as unknown[]));
  if (shapes.some((s) => s === undefined || s !== shapes[0])) return undefined;
  return `${a.length}x${shapes[0]}`;
}

function arrayOracle(element: (v: unknown) => Verdict) {
  return (v: unknown): Verdict => {
    if (!Array.isArray(v) || shapeOf(v) === undefined) return reject;
    let ok = true;
    const map = (a: readonly unknown[], pick: "sent" | "read"): unknown[] =>
      a.map((item) => {
        if (item === null) return null;
        if (Array.isArray(item)) return map(item, pick);
        const verdict = item === undefined ? reject : element(item);
        if (!verdict.accept) {
          ok = false;
          return undefined;
        }
        return verdict[pick];
      });
    const sent = map(v, "sent");
    const read = map(v, "read");
    return ok ? accept(sent, read) : reject;
  };
}

const int4 = integerOracle(-(2 ** 31), 2 ** 31 - 1);
const mood = types.enum("mood", ["happy", "sad"]);

const preciseDates = fc
  .tuple(fc.date({ min: new Date(TIMESTAMP_MIN), max: new Date(8.64e15), noInvalidDate: true }), fc.integer({ min: 0, max: 999 }))
  .map(([d, us]) => new PreciseDate(d.getTime(), us));
const decimalText = fc
  .tuple(fc.constantFrom("", "-", "+"), fc.stringMatching(/^\d{1,20}$/), fc.option(fc.stringMatching(/^\d{0,12}$/)), fc.option(fc.integer({ min: -30, max: 30 })))
  .map(([sign, int, frac, exp]) => `${sign}${int}${frac === null ? "" : `.${frac}`}${exp === null ? "" : `e${exp}`}`);

export const TYPE_CASES: readonly TypeCase[] = [
  { name: "smallint", type: types.smallint, ddl: "smallint", oracle: integerOracle(-32_768, 32_767), typical: fc.integer({ min: -40_000, max: 40_000 }) },
  { name: "integer", type: types.integer, ddl: "integer", oracle: int4, typical: fc.oneof(fc.integer(), fc.double({ min: -3e9, max: 3e9 })) },
  { name: "bigint", type: types.bigint, ddl: "bigint", oracle: int8Oracle, typical: fc.oneof(fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n }), fc.maxSafeInteger()) },
  { name: "double precision", type: types.double, ddl: "double precision", oracle: float8Oracle, typical: fc.oneof(fc.double(), fc.bigInt({ min: -(2n ** 60n), max: 2n ** 60n })) },
  { name: "real", type: types.real, ddl: "real", oracle: float4Oracle, typical: fc.oneof(fc.double(), fc.float()) },
  { name: "numeric", type: types.numeric(), ddl: "numeric", oracle: numericOracle, typical: fc.oneof(decimalText, fc.double(), fc.bigInt()) },
  { name: "text", type: types.text, ddl: "text", oracle: textOracle, typical: fc.oneof(fc.string({ unit: "binary" }), anyUtf16) },
  { name: "varchar(4)", type: types.varchar(4), ddl: "varchar(4)", oracle: varchar4Oracle, typical: fc.oneof(fc.string({ unit: "binary", maxLength: 6 }), anyUtf16) },
  { name: "boolean", type: types.boolean, ddl: "boolean", oracle: booleanOracle, typical: fc.oneof(fc.boolean(), fc.constantFrom(0, 1, "true", "f")) },
  { name: "timestamptz", type: types.timestamptz, ddl: "timestamptz", oracle: timestampOracle, typical: fc.oneof(fc.date({ noInvalidDate: false }), preciseDates) },
  { name: "timestamp", type: types.timestamp, ddl: "timestamp", oracle: timestampOracle, typical: fc.oneof(fc.date({ noInvalidDate: false }), preciseDates) },
  { name: "date", type: types.date, ddl: "date", oracle: dateOracle, typical: fc.date({ noInvalidDate: true }).map((d) => {
    const y = d.getUTCFullYear();
    const md = d.toISOString().slice(-19, -14);
    return y > 0 ? `${String(y).padStart(4, "0")}-${md}` : `${String(1 - y).padStart(4, "0")}-${md} BC`;
  }) },
  { name: "uuid", type: types.uuid, ddl: "uuid", oracle: uuidOracle, typical: fc.oneof(fc.uuid(), fc.uuid().map((u) => u.toUpperCase()), fc.uuid().map((u) => `{${u.replaceAll("-", "")}}`)) },
  { name: "json", type: types.json(), ddl: "json", oracle: jsonOracle(false), typical: fc.oneof(fc.jsonValue(), fc.jsonValue({ stringUnit: "binary" }), fc.anything()) },
  { name: "jsonb", type: types.jsonb(), ddl: "jsonb", oracle: jsonOracle(true), typical: fc.oneof(fc.jsonValue(), fc.jsonValue({ stringUnit: "binary" }), fc.anything()) },
  { name: "bytea", type: types.bytea, ddl: "bytea", oracle: byteaOracle, typical: fc.uint8Array() },
  { name: "enum mood", type: mood, ddl: "mood", oracle: enumOracle, typical: fc.constantFrom("happy", "sad", "angry") },
  { name: "integer[]", type: types.array(types.integer), ddl: "integer[]", oracle: arrayOracle(int4), typical: fc.oneof(fc.array(fc.oneof(fc.integer(), fc.constant(null), fc.double())), fc.array(fc.array(fc.oneof(fc.integer(), fc.constant(null)), { maxLength: 3 }), { maxLength: 3 })) },
  { name: "text[]", type: types.array(types.text), ddl: "text[]", oracle: arrayOracle(textOracle), typical: fc.array(fc.oneof(fc.string({ unit: "binary" }), fc.constant(null), anyUtf16)) },
  { name: "timestamptz[]", type: types.array(types.timestamptz), ddl: "timestamptz[]", oracle: arrayOracle(timestampOracle), typical: fc.array(fc.oneof(preciseDates, fc.date({ noInvalidDate: false }), fc.constant(null))) },
];

/** The values a property test draws for one type: typical ones and anything at all. */
export function valuesFor(c: TypeCase): fc.Arbitrary<unknown> {
  return fc.oneof({ arbitrary: c.typical, weight: 1 }, { arbitrary: anyValue, weight: 1 });
}
