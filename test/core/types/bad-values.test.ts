/**
 * Issue 13, defect 5: the (column type, bad value) pairs that PostgreSQL alone rejected, or that
 * changed silently on the way (-0 became 0, NaN and ±Infinity became JSON null, a Buffer became
 * {"type":"Buffer",...} in jsonb, a lone surrogate became U+FFFD, 2^63 was rounded in float8, ...).
 * Each is refused with InvalidValueError before anything is sent, the same on every driver; the
 * few documented conversions read back as docs/values.md says.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bindParams, compile } from "../../../src/core/compiler/compiler.js";
import { createEngine, type Engine } from "../../../src/core/engine/engine.js";
import { InvalidValueError } from "../../../src/core/errors.js";
import { columnSpec, Table } from "../../../src/core/schema/table.js";
import { insert } from "../../../src/core/sql/dml.js";
import { selectColumns } from "../../../src/core/sql/select.js";
import { types, type SqlType } from "../../../src/core/sql/types.js";
import { captureStatements } from "../../../src/testing/assert-sql.js";
import { engineCases, SETUP_TIMEOUT_MS } from "../engine/cases.js";

const COLUMNS: Record<string, SqlType> = {
  int2: types.smallint, int4: types.integer, int8: types.bigint, float4: types.real, float8: types.double,
  num: types.numeric(), num52: types.numeric(5, 2), txt: types.text, vc3: types.varchar(3), bool: types.boolean,
  ts: types.timestamptz, day: types.date, id: types.uuid, doc: types.jsonb(), js: types.json(), bin: types.bytea,
  ints: types.array(types.integer), stamps: types.array(types.timestamptz),
};
const DDL = "int2 smallint, int4 integer, int8 bigint, float4 real, float8 double precision, num numeric, num52 numeric(5, 2), " +
  "txt text, vc3 varchar(3), bool boolean, ts timestamptz, day date, id uuid, doc jsonb, js json, bin bytea, ints integer[], stamps timestamptz[]";

const cycle: Record<string, unknown> = {};
cycle.self = cycle;

/** [column, value, the kind the message must name]. */
const REFUSED: ReadonlyArray<readonly [string, unknown, string]> = [
  ["int4", 1.5, "a number that is not an integer"],
  ["int4", 2 ** 31, "a number out of range"],
  ["int4", NaN, "NaN"],
  ["int4", "12", "a string"],
  ["int4", 12n ** 20n, "a bigint out of range"],
  ["int4", true, "a boolean"],
  ["int2", 32_768, "a number out of range"],
  ["int8", 2 ** 63, "a number beyond 2^53"],
  ["int8", 2n ** 63n, "a bigint out of range"],
  ["int8", 1.5, "a number that is not an integer"],
  ["int8", "9007199254740993", "a string"],
  ["float8", 2n ** 63n + 1n, "a bigint with no exact double value"],
  ["float8", "1.5", "a string"],
  ["float4", 1e39, "a number out of range"],
  ["float4", 1e-46, "a number too close to zero"],
  ["num", "1_000", "a string"],
  ["num", "0x1F", "a string"],
  ["num", "12 apples", "a string"],
  ["num52", "1.005", "a string with 3 decimal places"],
  ["num52", "1234", "a string out of range"],
  ["num52", NaN, "NaN"],
  ["txt", "a\u0000b", "a string with a NUL character"],
  ["txt", "lone \ud800 surrogate", "a string with a lone surrogate"],
  ["txt", 42, "a number"],
  ["vc3", "abcd", "a string too long"],
  ["bool", 1, "a number"],
  ["bool", "true", "a string"],
  ["ts", new Date(NaN), "an invalid Date"],
  ["ts", "2024-01-31T00:00:00Z", "a string"],
  ["ts", new Date(-8.64e15), "a Date before 4714-11-24 BC"],
  ["ts", Date.now(), "a number"],
  ["day", "01/02/2024", "a string that is not a date"],
  ["day", "2023-02-29", "a string that is not a date"],
  ["day", new Date(0), "a Date"],
  ["id", "not-a-uuid", "a string that is not a uuid"],
  ["id", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1", "a string that is not a uuid"],
  ["doc", { ratio: NaN }, "NaN in a JSON document"],
  ["doc", [Infinity], "Infinity in a JSON document"],
  ["doc", { at: undefined }, "undefined in a JSON document"],
  ["doc", { file: Buffer.from([1, 2]) }, "a Buffer in a JSON document"],
  ["doc", { when: new Date(0) }, "a Date in a JSON document"],
  ["doc", { n: 1n }, "a bigint in a JSON document"],
  ["doc", { f: () => 1 }, "a function in a JSON document"],
  ["doc", cycle, "a document that contains itself"],
  ["doc", new Map([["a", 1]]), "a Map in a JSON document"],
  ["doc", { s: "\ud83d" }, "a string with a lone surrogate"],
  ["doc", { s: "\u0000" }, "a string with a NUL character"],
  ["doc", [1, , 3], "an array with a hole in a JSON document"], // eslint-disable-line no-sparse-arrays
  ["js", { x: -Infinity }, "-Infinity in a JSON document"],
  ["bin", "\\x0102", "a string"],
  ["bin", [1, 2], "an array"],
  ["ints", [1, 2.5], "a number that is not an integer"],
  ["ints", [[1, 2], [3]], "a ragged array"],
  ["ints", [[]], "an empty inner array"],
  ["ints", [[1], 2], "an array mixing inner arrays with single values or nulls"],
  ["ints", 5, "a number"],
  ["stamps", [new Date(0), new Date(NaN)], "an invalid Date"],
];

/** [column, value sent, value read back]: conversions docs/values.md documents, exact otherwise. */
const CONVERTED: ReadonlyArray<readonly [string, unknown, unknown]> = [
  ["float8", -0, -0],
  ["float8", NaN, NaN],
  ["float8", -Infinity, -Infinity],
  ["float8", 2n ** 63n, 2 ** 63],
  ["int4", -0, 0],
  ["int4", 7n, 7],
  ["int8", 2 ** 53 - 1, 2n ** 53n - 1n],
  ["float4", 0.1, 0.1], // stored as Math.fround(0.1); the server prints the shortest text, "0.1"
  ["num", -0, "0"],
  ["num", 1e21, "1000000000000000000000"],
  ["id", "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"],
  ["id", "{a0eebc999c0b4ef8bb6d6bb9bd380a11}", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"],
  ["doc", { z: -0, s: "x" }, { z: 0, s: "x" }],
  ["js", { nul: "\u0000" }, { nul: "\u0000" }],
  ["ts", Infinity, Infinity],
];

describe.each(engineCases)("bad values ($name)", (ec) => {
  let engine: Engine;
  const table = new Table("bad_values", [
    columnSpec("k", types.integer, { primaryKey: true }),
    ...Object.entries(COLUMNS).map(([name, type]) => columnSpec(name, type, { nullable: true })),
  ]);
  const run = async (node: Parameters<typeof compile>[0]): Promise<unknown[][]> => {
    const t = compile(node);
    return (await engine.execute({ sql: t.sql, params: bindParams(t) })).rows;
  };
  beforeAll(async () => {
    engine = createEngine(await ec.backend.freshUrl(), ec.options);
    await engine.execute({ sql: `CREATE TABLE bad_values (k integer PRIMARY KEY, ${DDL})`, params: [] });
  }, SETUP_TIMEOUT_MS);
  afterAll(() => engine?.dispose());

  it.each(REFUSED.map(([c, v, kind], i) => [`${c} ← ${kind}`, c, v, kind, i] as const))("refuses %s, sending nothing", async (_n, col, value, kind, i) => {
    const capture = captureStatements(engine);
    const error = await (async () => run(insert(table).values({ k: i, [col]: value }).node))().catch((e: unknown) => e);
    capture.stop();
    expect(error).toBeInstanceOf(InvalidValueError);
    expect((error as InvalidValueError).details).toMatchObject({ target: `bad_values.${col}`, table: "bad_values", column: col, valueKind: kind });
    expect(capture.count).toBe(0);
  });

  it.each(CONVERTED.map(([c, v, r], i) => [c, v, r, 1000 + i] as const))("%s: %s reads back as documented", async (col, value, read, k) => {
    await run(insert(table).values({ k, [col]: value }).node);
    const rows = await run(selectColumns(table.c[col]!).where(table.c.k!.eq(k)).toSelectNode());
    expect(rows).toEqual([[read]]);
  });
});
