/**
 * Text-format result parsers, shared by every driver. Each driver is configured to hand these
 * functions the server's text for the OIDs below (pg: `types.getTypeParser`, postgres.js: `types`,
 * PGlite: `parsers`), so one PostgreSQL type gives one JS value whatever the driver:
 *
 * | PostgreSQL                          | JS                                                 |
 * |-------------------------------------|----------------------------------------------------|
 * | int2, int4, oid, float4, float8     | number (NaN / ±Infinity for the float specials)    |
 * | int8                                | bigint                                             |
 * | numeric, money                      | string (exact)                                     |
 * | bool                                | boolean                                            |
 * | text, varchar, char, name, uuid     | string                                             |
 * | json, jsonb                         | parsed value (JSON.parse)                          |
 * | bytea                               | Buffer (a Uint8Array)                              |
 * | timestamptz, timestamp              | Date (timestamp read as UTC); a PreciseDate when it |
 * |                                     | has microseconds; ±Infinity for ±infinity           |
 * | date, time, timetz, interval        | string as the server prints it ("2024-01-31")      |
 * | enums, other types                  | string                                             |
 * | arrays of the above                 | arrays of the converted elements                   |
 * | domains                             | as their base type                                 |
 *
 * Pinned per type and per driver by test/core/drivers/value-mapping.test.ts.
 */
import { parseArrayLiteral, type TextParser } from "./array-literal.js";
import { ARRAY_ELEMENT_OIDS, Oid } from "./oids.js";
import { PreciseDate } from "../../types/precise-date.js";

export type { TextParser };

export const identity: TextParser = (text) => text;

const parseNumber: TextParser = (text) => Number(text);
const parseBigInt: TextParser = (text) => BigInt(text);
const parseBool: TextParser = (text) => text === "t";
const parseJson: TextParser = (text) => JSON.parse(text);

const parseBytea: TextParser = (text) => {
  if (text.startsWith("\\x")) return Buffer.from(text.slice(2), "hex");
  return parseByteaEscape(text);
};

/** `bytea_output = 'escape'`: printable bytes as is, `\\` for a backslash, `\ooo` octal for others. */
function parseByteaEscape(text: string): Buffer {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code !== 0x5c /* \ */) {
      bytes.push(code);
    } else if (text[i + 1] === "\\") {
      bytes.push(0x5c);
      i++;
    } else {
      bytes.push(parseInt(text.slice(i + 1, i + 4), 8));
      i += 3;
    }
  }
  return Buffer.from(bytes);
}

const TIMESTAMP =
  /^(\d{4,})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?(?:([+-])(\d\d)(?::(\d\d))?(?::(\d\d))?)?( BC)?$/;

/**
 * `timestamp` and `timestamptz` in ISO DateStyle. A `timestamp` (no offset) is read as UTC, so
 * the result does not depend on the process time zone, and Dates sent as parameters (which
 * are sent in UTC, see params.ts) come back equal. A value with microseconds past the millisecond
 * reads as a PreciseDate, which keeps them (and params.ts writes them back): nothing is truncated.
 *
 * Loading a graph parses one timestamp per row, so the common shape (a four-digit year from 100
 * on, AD) is read by character codes: on the bench machine the regular expression took about
 * 1 µs a value and the fast path a quarter of that. Anything else takes the general path.
 */
export const parseTimestamp: TextParser = (text) => {
  const fast = fastTimestamp(text);
  if (fast === undefined) return parseTimestampGeneral(text);
  // The fast shape has its fraction at 19: ".123456" puts the microsecond digits at 23..25.
  const us = text.length > 23 && text.charCodeAt(19) === 46 ? microDigits(text, 23) : 0;
  return us === 0 ? new Date(fast) : new PreciseDate(fast, us);
};

/** The fraction's digits 4 to 6 (at `at`) as microseconds, ".1234" giving 400; 0 when absent. */
function microDigits(text: string, at: number): number {
  let us = 0;
  let scale = 100;
  for (let i = at; i < at + 3; i++) {
    const d = text.charCodeAt(i) - 48;
    if (!(d >= 0 && d <= 9)) break;
    us += d * scale;
    scale /= 10;
  }
  return us;
}

/** Two ASCII digits at `i` as a number, or -1 when either is not a digit. */
function twoDigits(text: string, i: number): number {
  const a = text.charCodeAt(i) - 48;
  const b = text.charCodeAt(i + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

/**
 * Milliseconds since the epoch for `YYYY-MM-DD HH:MM:SS[.f{1,6}][±HH[:MM[:SS]]]` with a year of
 * 100 or later; undefined for any other text (BC, five-digit years, infinity, other styles).
 */
export function fastTimestamp(text: string): number | undefined {
  const length = text.length;
  if (length < 19 || text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45 || text.charCodeAt(10) !== 32 ||
    text.charCodeAt(13) !== 58 || text.charCodeAt(16) !== 58) return undefined;
  const century = twoDigits(text, 0);
  const yy = twoDigits(text, 2);
  const month = twoDigits(text, 5);
  const day = twoDigits(text, 8);
  const hour = twoDigits(text, 11);
  const minute = twoDigits(text, 14);
  const second = twoDigits(text, 17);
  if (century < 1 || yy < 0 || month < 0 || day < 0 || hour < 0 || minute < 0 || second < 0) return undefined;
  let i = 19;
  let ms = 0;
  if (i < length && text.charCodeAt(i) === 46 /* . */) {
    i++;
    const begin = i;
    for (; i < length && i - begin < 6; i++) {
      const d = text.charCodeAt(i) - 48;
      if (d < 0 || d > 9) break;
      if (i - begin < 3) ms = ms * 10 + d;
    }
    const digits = i - begin;
    if (digits === 0) return undefined;
    if (digits === 1) ms *= 100;
    else if (digits === 2) ms *= 10;
  }
  let offsetSeconds = 0;
  if (i < length) {
    const sign = text.charCodeAt(i);
    if (sign !== 43 /* + */ && sign !== 45 /* - */) return undefined;
    const oh = twoDigits(text, i + 1);
    if (oh < 0) return undefined;
    offsetSeconds = oh * 3600;
    i += 3;
    if (i < length) {
      if (text.charCodeAt(i) !== 58) return undefined;
      const om = twoDigits(text, i + 1);
      if (om < 0) return undefined;
      offsetSeconds += om * 60;
      i += 3;
      if (i < length) {
        if (text.charCodeAt(i) !== 58) return undefined;
        const os = twoDigits(text, i + 1);
        if (os < 0) return undefined;
        offsetSeconds += os;
        i += 3;
      }
    }
    if (i !== length) return undefined;
    if (sign === 45) offsetSeconds = -offsetSeconds;
  }
  const time = Date.UTC(century * 100 + yy, month - 1, day, hour, minute, second, ms);
  return time - offsetSeconds * 1000;
}

/** Every ISO-style timestamp the server prints (exported for the fast path's tests). */
export function parseTimestampGeneral(text: string): Date | number {
  const m = TIMESTAMP.exec(text);
  if (m === null) {
    if (text === "infinity") return Infinity;
    if (text === "-infinity") return -Infinity;
    return new Date(text);
  }
  let year = Number(m[1]);
  if (m[12] !== undefined) year = 1 - year; // 1 BC is year 0
  const fraction = m[7] === undefined ? "" : `${m[7]}00000`;
  const ms = m[7] === undefined ? 0 : Number(fraction.slice(0, 3));
  const us = m[7] === undefined ? 0 : Number(fraction.slice(3, 6));
  let time: number;
  if (year >= 100) {
    time = Date.UTC(year, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]), ms);
  } else {
    // Date.UTC maps years 0..99 to 1900..1999.
    const d = new Date(0);
    d.setUTCFullYear(year, Number(m[2]) - 1, Number(m[3]));
    d.setUTCHours(Number(m[4]), Number(m[5]), Number(m[6]), ms);
    time = d.getTime();
  }
  if (m[8] !== undefined) {
    const offsetSeconds = Number(m[9]) * 3600 + Number(m[10] ?? 0) * 60 + Number(m[11] ?? 0);
    time -= (m[8] === "+" ? 1 : -1) * offsetSeconds * 1000;
  }
  return us === 0 ? new Date(time) : new PreciseDate(time, us);
}

const SCALAR_PARSERS: ReadonlyArray<readonly [number, TextParser]> = [
  [Oid.bool, parseBool],
  [Oid.bytea, parseBytea],
  [Oid.char, identity],
  [Oid.name, identity],
  [Oid.int8, parseBigInt],
  [Oid.int2, parseNumber],
  [Oid.int4, parseNumber],
  [Oid.text, identity],
  [Oid.oid, parseNumber],
  [Oid.json, parseJson],
  [Oid.xml, identity],
  [Oid.float4, parseNumber],
  [Oid.float8, parseNumber],
  [Oid.money, identity],
  [Oid.macaddr, identity],
  [Oid.inet, identity],
  [Oid.cidr, identity],
  [Oid.bpchar, identity],
  [Oid.varchar, identity],
  [Oid.date, identity],
  [Oid.time, identity],
  [Oid.timestamp, parseTimestamp],
  [Oid.timestamptz, parseTimestamp],
  [Oid.interval, identity],
  [Oid.timetz, identity],
  [Oid.bit, identity],
  [Oid.varbit, identity],
  [Oid.numeric, identity],
  [Oid.uuid, identity],
  [Oid.jsonb, parseJson],
  [Oid.jsonpath, identity],
];

/** An array parser applying `element` to each element (`;` is the delimiter of box[] only). */
export function arrayParser(element: TextParser, delimiter = ","): TextParser {
  return (text) => parseArrayLiteral(text, element, delimiter);
}

function buildBuiltinParsers(): ReadonlyMap<number, TextParser> {
  const map = new Map<number, TextParser>(SCALAR_PARSERS);
  for (const [arrayOid, elementOid] of ARRAY_ELEMENT_OIDS) {
    map.set(arrayOid, arrayParser(map.get(elementOid) ?? identity));
  }
  return map;
}

/** Parser for every built-in OID Athanor converts. OIDs not listed arrive as the server's text. */
export const BUILTIN_PARSERS: ReadonlyMap<number, TextParser> = buildBuiltinParsers();
