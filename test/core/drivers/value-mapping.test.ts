/**
 * One PostgreSQL type, one JS value, whatever the driver (src/core/drivers/types/parsers.ts has
 * the table). Every case runs on PGlite, and on a real server through pg and postgres.js.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEngine, type Engine } from "../../../src/core/engine/engine.js";
import { engineCases, SETUP_TIMEOUT_MS } from "../engine/cases.js";

/** [SQL expression, expected JS value]. */
const RESULT_CASES: ReadonlyArray<readonly [string, unknown]> = [
  ["NULL::int4", null],
  ["7::int2", 7],
  ["(-2147483648)::int4", -2147483648],
  ["9007199254740993::int8", 9007199254740993n],
  ["-1::int8", -1n],
  ["1.5::float4", 1.5],
  ["0.1::float8", 0.1],
  ["'NaN'::float8", NaN],
  ["'-Infinity'::float8", -Infinity],
  ["12345678901234567890.0100::numeric", "12345678901234567890.0100"],
  ["'NaN'::numeric", "NaN"],
  ["true", true],
  ["false", false],
  ["'it''s'::text", "it's"],
  ["'ab'::varchar(5)", "ab"],
  ["'a'::char(3)", "a  "],
  ["'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"],
  [`'{"a": [1, "x", null], "b": {"c": true}}'::json`, { a: [1, "x", null], b: { c: true } }],
  [`'{"a": [1, "x", null]}'::jsonb`, { a: [1, "x", null] }],
  [`'"just a string"'::jsonb`, "just a string"],
  ["'\\x00ff10'::bytea", Buffer.from([0x00, 0xff, 0x10])],
  ["''::bytea", Buffer.alloc(0)],
  ["'2024-01-31 12:34:56.789+02'::timestamptz", new Date("2024-01-31T10:34:56.789Z")],
  ["'2024-01-31 12:34:56.789123'::timestamp", new Date("2024-01-31T12:34:56.789Z")],
  ["'0044-03-15 12:00:00 BC'::timestamp", bcDate(44, 2, 15, 12)],
  ["'0099-12-31 23:59:59'::timestamp", utcDate(99, 11, 31, 23, 59, 59)],
  ["'10000-01-01 00:00:00'::timestamp", new Date(Date.UTC(10000, 0, 1))],
  ["'infinity'::timestamptz", Infinity],
  ["'-infinity'::timestamp", -Infinity],
  ["'2024-02-29'::date", "2024-02-29"],
  ["'0044-03-15 BC'::date", "0044-03-15 BC"],
  ["'12:34:56.5'::time", "12:34:56.5"],
  ["'12:34:56+02'::timetz", "12:34:56+02"],
  ["'1 day 02:00:00'::interval", "1 day 02:00:00"],
  ["'happy'::mood", "happy"],
  ["5::posint", 5],
  ["ARRAY[1, 2, NULL]::int4[]", [1, 2, null]],
  ["ARRAY[1, 9007199254740993]::int8[]", [1n, 9007199254740993n]],
  ["ARRAY[[1, 2], [3, 4]]::int2[]", [[1, 2], [3, 4]]],
  ["'{}'::int4[]", []],
  ["'[0:1]={7,8}'::int4[]", [7, 8]],
  ["ARRAY[1.5, 2.25]::float8[]", [1.5, 2.25]],
  ["ARRAY[1.10]::numeric[]", ["1.10"]],
  ["ARRAY[true, false]", [true, false]],
  [`ARRAY['a', 'b,c', '"q"', 'back\\slash', 'NULL', '', ' x ', NULL]::text[]`, ["a", "b,c", '"q"', "back\\slash", "NULL", "", " x ", null]],
  ["ARRAY['x']::varchar[]", ["x"]],
  ["ARRAY['a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11']::uuid[]", ["a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"]],
  [`ARRAY['{"a": 1}', '[2]']::jsonb[]`, [{ a: 1 }, [2]]],
  [`ARRAY['{"a": 1}']::json[]`, [{ a: 1 }]],
  ["ARRAY['\\x01'::bytea, '\\x'::bytea]", [Buffer.from([1]), Buffer.alloc(0)]],
  ["ARRAY['2024-01-31 00:00:00+00'::timestamptz]", [new Date("2024-01-31T00:00:00Z")]],
  ["ARRAY['2024-01-31 00:00:00'::timestamp]", [new Date("2024-01-31T00:00:00Z")]],
  ["ARRAY['2024-01-31'::date]", ["2024-01-31"]],
  ["ARRAY['01:02:03'::time]", ["01:02:03"]],
  ["ARRAY['happy', 'sad']::mood[]", ["happy", "sad"]],
  ["ARRAY[5, 6]::posint[]", [5, 6]],
];

/** A UTC date for any year (Date.UTC maps years 0..99 to 1900..1999). */
function utcDate(year: number, month: number, day: number, h = 0, m = 0, s = 0): Date {
  const d = new Date(0);
  d.setUTCFullYear(year, month, day);
  d.setUTCHours(h, m, s, 0);
  return d;
}

/** `year` BC: 1 BC is astronomical year 0. */
function bcDate(year: number, month: number, day: number, hour: number): Date {
  return utcDate(1 - year, month, day, hour);
}

/** [cast, JS value sent, JS value expected back]. */
const PARAM_CASES: ReadonlyArray<readonly [string, unknown, unknown]> = [
  ["int4", 42, 42],
  ["int4", null, null],
  ["int8", 2n ** 62n, 2n ** 62n],
  ["int8", 12, 12n],
  ["float8", 0.1, 0.1],
  ["float8", -Infinity, -Infinity],
  ["numeric", "12345678901234567890.123456789", "12345678901234567890.123456789"],
  ["numeric", 1.5, "1.5"],
  ["bool", false, false],
  ["bool", true, true],
  ["text", `it's "quoted" \\ ok`, `it's "quoted" \\ ok`],
  ["text", "", ""],
  ["jsonb", { a: [1, "x"], b: null }, { a: [1, "x"], b: null }],
  ["json", { nested: { deep: true } }, { nested: { deep: true } }],
  ["jsonb", '"a string is sent as JSON text"', "a string is sent as JSON text"],
  ["bytea", Buffer.from([0, 1, 255]), Buffer.from([0, 1, 255])],
  ["bytea", new Uint8Array([9, 8]), Buffer.from([9, 8])],
  ["bytea", new Uint8Array(new Uint8Array([1, 2, 3, 4]).buffer, 1, 2), Buffer.from([2, 3])],
  ["timestamptz", new Date("2024-01-31T10:34:56.789Z"), new Date("2024-01-31T10:34:56.789Z")],
  ["timestamp", new Date("2024-01-31T10:34:56.789Z"), new Date("2024-01-31T10:34:56.789Z")],
  ["timestamptz", bcDate(44, 2, 15, 12), bcDate(44, 2, 15, 12)],
  ["timestamptz", new Date(Date.UTC(12000, 5, 1)), new Date(Date.UTC(12000, 5, 1))],
  ["date", "2024-02-29", "2024-02-29"],
  ["time", "23:59:59", "23:59:59"],
  ["uuid", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"],
  ["mood", "sad", "sad"],
  ["int4[]", [1, 2, 3], [1, 2, 3]],
  ["int4[]", [], []],
  ["int4[]", [[1, 2], [3, 4]], [[1, 2], [3, 4]]],
  ["int8[]", [1n, null, 3n], [1n, null, 3n]],
  ["text[]", ["a", "b,c", '"q"', "back\\slash", "NULL", null, "{x}", ""], ["a", "b,c", '"q"', "back\\slash", "NULL", null, "{x}", ""]],
  ["bool[]", [true, false], [true, false]],
  ["float8[]", [0.5, NaN], [0.5, NaN]],
  // Numbers, bigints, booleans and Dates go into array literals unquoted.
  ["float8[]", [-Infinity, Infinity, 1e21, 5e-324, -1.5], [-Infinity, Infinity, 1e21, 5e-324, -1.5]],
  ["numeric[]", [1.5, -2, 1e21], ["1.5", "-2", "1000000000000000000000"]],
  ["text[]", [1, 2.5, true, 7n, null], ["1", "2.5", "true", "7", null]],
  ["timestamptz[]", [new Date("2024-01-31T00:00:00Z")], [new Date("2024-01-31T00:00:00Z")]],
  ["timestamptz[]", [bcDate(44, 2, 15, 12), new Date(Date.UTC(12000, 5, 1)), null], [bcDate(44, 2, 15, 12), new Date(Date.UTC(12000, 5, 1)), null]],
  ["bytea[]", [Buffer.from([1, 2])], [Buffer.from([1, 2])]],
  ["jsonb[]", [{ a: 1 }, { b: [2] }], [{ a: 1 }, { b: [2] }]],
  ["mood[]", ["happy", "sad"], ["happy", "sad"]],
  ["posint[]", [5], [5]],
];

describe.each(engineCases)("value mapping ($name)", (c) => {
  let engine: Engine;

  beforeAll(async () => {
    engine = createEngine(await c.backend.freshUrl(), c.options);
    await engine.execute({ sql: "CREATE TYPE mood AS ENUM ('happy', 'sad')", params: [] });
    await engine.execute({ sql: "CREATE DOMAIN posint AS int4 CHECK (VALUE > 0)", params: [] });
  }, SETUP_TIMEOUT_MS);
  afterAll(() => engine?.dispose());

  it.each(RESULT_CASES)("reads %s", async (expression, expected) => {
    const { rows } = await engine.execute({ sql: `SELECT ${expression} AS v`, params: [] });
    expect(rows).toEqual([[expected]]);
    expect(typeof rows[0]![0]).toBe(typeof expected);
  });

  it.each(PARAM_CASES)("sends $1::%s", async (cast, value, expected) => {
    const { rows } = await engine.execute({ sql: `SELECT $1::${cast} AS v`, params: [value] });
    expect(rows).toEqual([[expected]]);
  });

  it("reads every column of a row with mixed types in one result", async () => {
    const { rows, fields } = await engine.execute({
      sql: "SELECT 1::int8 AS a, 'happy'::mood AS b, NULL::text AS c, ARRAY['happy']::mood[] AS d",
      params: [],
    });
    expect(fields).toEqual(["a", "b", "c", "d"]);
    expect(rows).toEqual([[1n, "happy", null, ["happy"]]]);
  });

  it("converts timestamptz the same whatever the session time zone", async () => {
    await using conn = await engine.connect();
    await conn.begin();
    await conn.execute({ sql: "SET LOCAL TimeZone = 'Asia/Kolkata'", params: [] });
    const { rows } = await conn.execute({
      sql: "SELECT '2024-01-31 10:00:00+00'::timestamptz, $1::timestamptz, '1900-01-01 00:00:00+00'::timestamptz",
      params: [new Date("2024-06-01T00:00:00Z")],
    });
    expect(rows).toEqual([[new Date("2024-01-31T10:00:00Z"), new Date("2024-06-01T00:00:00Z"), new Date("1900-01-01T00:00:00Z")]]);
    await conn.rollback();
  });

  it("sends a JS array as a PostgreSQL array: WHERE id = ANY($1)", async () => {
    await engine.execute({ sql: "CREATE TABLE any_items (id int4 PRIMARY KEY, big int8, label text)", params: [] });
    await engine.execute({
      sql: "INSERT INTO any_items SELECT * FROM unnest($1::int4[], $2::int8[], $3::text[])",
      params: [[1, 2, 3, 4], [10n, 20n, 30n, 40n], ["a", "b", "c", "d"]],
    });
    const byId = await engine.execute({ sql: "SELECT id FROM any_items WHERE id = ANY($1) ORDER BY id", params: [[1, 3, 9]] });
    expect(byId.rows).toEqual([[1], [3]]);
    const byBig = await engine.execute({ sql: "SELECT id FROM any_items WHERE big = ANY($1) ORDER BY id", params: [[20n, 40n]] });
    expect(byBig.rows).toEqual([[2], [4]]);
    const byLabel = await engine.execute({ sql: "SELECT id FROM any_items WHERE label = ANY($1)", params: [["c"]] });
    expect(byLabel.rows).toEqual([[3]]);
    const none = await engine.execute({ sql: "SELECT id FROM any_items WHERE id = ANY($1)", params: [[]] });
    expect(none.rows).toEqual([]);
  });

  it("sees an enum created after the first lookup of other user types", async () => {
    await engine.execute({ sql: "CREATE TYPE late_mood AS ENUM ('calm')", params: [] });
    const { rows } = await engine.execute({
      sql: "SELECT 'calm'::late_mood, ARRAY['calm']::late_mood[]",
      params: [],
    });
    expect(rows).toEqual([["calm", ["calm"]]]);
  });
});
