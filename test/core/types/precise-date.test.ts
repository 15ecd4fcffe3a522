/**
 * Microseconds (issue 11, defect 8): a timestamp read with sub-millisecond digits comes back as a
 * PreciseDate, and the parameter encoder writes those digits back, so a value read can be compared
 * with and written back exactly, on every driver. Before, `.123456` read as `.123` and
 * `eq(readValue)` matched nothing (the "equality filter" test below fails without the fix).
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bindParams, compile } from "../../../src/core/compiler/compiler.js";
import { encodeParams } from "../../../src/core/drivers/types/params.js";
import { parseTimestamp } from "../../../src/core/drivers/types/parsers.js";
import { createEngine, type Engine } from "../../../src/core/engine/engine.js";
import { columnSpec, Table } from "../../../src/core/schema/table.js";
import { insert } from "../../../src/core/sql/dml.js";
import { selectColumns } from "../../../src/core/sql/select.js";
import { types } from "../../../src/core/sql/types.js";
import { PreciseDate, subMilliseconds } from "../../../src/core/types/precise-date.js";
import { engineCases, SETUP_TIMEOUT_MS } from "../engine/cases.js";

const LONG = process.env.ATHANOR_LONG === "1";
const MIN = new Date("-004713-11-24T00:00:00.000Z").getTime();
const MAX = 8.64e15;

/** Random instants to the microsecond over PostgreSQL's and JS's common range (BC to year 275760). */
const micros = fc
  .tuple(fc.integer({ min: MIN, max: MAX }), fc.integer({ min: 0, max: 999 }))
  .map(([ms, us]) => new PreciseDate(ms, us));

/** The text PostgreSQL prints for an instant (ISO DateStyle, UTC), with six fractional digits. */
function serverText(d: PreciseDate, offset = "+00"): string {
  const year = d.getUTCFullYear();
  const pad = (n: number, w = 2): string => String(n).padStart(w, "0");
  const y = year > 0 ? pad(year, 4) : pad(1 - year, 4);
  const body = `${y}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}${pad(d.microseconds, 3)}`;
  return `${body}${offset}${year > 0 ? "" : " BC"}`;
}

const exact = (d: unknown): [number, number] => [(d as Date).getTime(), subMilliseconds(d as Date)];

describe("PreciseDate", () => {
  it("is a Date with the microseconds past its milliseconds", () => {
    const d = new PreciseDate(Date.UTC(2024, 0, 31, 10, 34, 56, 789), 123);
    expect(d).toBeInstanceOf(Date);
    expect(d.microseconds).toBe(123);
    expect(d.epochMicroseconds).toBe(1706697296789123n);
    expect(d.toISOString()).toBe("2024-01-31T10:34:56.789123Z");
    expect(JSON.stringify({ d })).toBe('{"d":"2024-01-31T10:34:56.789123Z"}');
    expect(PreciseDate.fromEpochMicroseconds(1706697296789123n).toISOString()).toBe("2024-01-31T10:34:56.789123Z");
    // Before 1970 the sub-millisecond part still counts forward from the millisecond.
    expect(exact(PreciseDate.fromEpochMicroseconds(-1n))).toEqual([-1, 999]);
    expect(() => new PreciseDate(0, 1000)).toThrow(RangeError);
    expect(() => new PreciseDate(0, 1.5)).toThrow(RangeError);
  });

  it("setTime and the millisecond setters clear the microseconds; other setters keep them", () => {
    const d = new PreciseDate(Date.UTC(2024, 0, 31), 500);
    d.setUTCHours(3);
    expect(d.microseconds).toBe(500);
    d.setUTCMilliseconds(1);
    expect(d.microseconds).toBe(0);
    const e = new PreciseDate(0, 7);
    e.setTime(5);
    expect(exact(e)).toEqual([5, 0]);
  });
});

describe("microseconds through the parser and the encoder", () => {
  it("reads sub-millisecond digits into a PreciseDate and whole milliseconds into a plain Date", () => {
    const read = parseTimestamp("2024-01-31 12:34:56.789123+02") as PreciseDate;
    expect(read).toBeInstanceOf(PreciseDate);
    expect(exact(read)).toEqual([Date.UTC(2024, 0, 31, 10, 34, 56, 789), 123]);
    expect(exact(parseTimestamp("2024-01-31 12:34:56.7891"))).toEqual([Date.UTC(2024, 0, 31, 12, 34, 56, 789), 100]);
    expect(parseTimestamp("2024-01-31 12:34:56.789")).not.toBeInstanceOf(PreciseDate);
    expect(parseTimestamp("2024-01-31 12:34:56.789000")).not.toBeInstanceOf(PreciseDate);
    expect(exact(parseTimestamp("0044-03-15 12:00:00.000001 BC"))).toEqual([new Date(0).setUTCFullYear(-43, 2, 15) + 12 * 3_600_000, 1]);
    expect(exact(parseTimestamp("12000-06-01 00:00:00.999999+00"))).toEqual([Date.UTC(12000, 5, 1, 0, 0, 0, 999), 999]);
  });

  it("writes the microseconds back, alone and in arrays (the bulk insert path)", () => {
    const d = new PreciseDate(Date.UTC(2024, 0, 31, 10, 34, 56, 789), 123);
    const bc = new PreciseDate(new Date(0).setUTCFullYear(-43, 2, 15), 5);
    expect(encodeParams([d, bc])).toEqual(["2024-01-31T10:34:56.789123Z", "0044-03-15T00:00:00.000005Z BC"]);
    expect(encodeParams([[d, new Date(0), null]])).toEqual(["{2024-01-31T10:34:56.789123Z,1970-01-01T00:00:00.000Z,NULL}"]);
    expect(encodeParams([[bc, d]])).toEqual(['{"0044-03-15T00:00:00.000005Z BC",2024-01-31T10:34:56.789123Z}']);
  });

  it("parse(server text) then encode gives the instant back to the microsecond, for random instants", () => {
    fc.assert(
      fc.property(micros, fc.constantFrom("+00", "+05:30", "-08"), (d, offset) => {
        // The same instant printed in another zone: shift the wall clock by the offset.
        const sign = offset.startsWith("-") ? -1 : 1;
        const [h, m] = offset.slice(1).split(":").map(Number) as [number, number | undefined];
        const shiftMs = sign * ((h * 60 + (m ?? 0)) * 60_000);
        if (d.getTime() + shiftMs < MIN || d.getTime() + shiftMs > MAX) return;
        const wall = new PreciseDate(d.getTime() + shiftMs, d.microseconds);
        const read = parseTimestamp(serverText(wall, offset));
        expect(exact(read)).toEqual(exact(d));
        const [sent] = encodeParams([read]);
        expect(sent).toBe(encodeParams([d])[0]);
      }),
      { numRuns: LONG ? 100_000 : 10_000 },
    );
  });
});

describe.each(engineCases)("microseconds round-trip ($name)", (ec) => {
  let engine: Engine;
  const events = new Table("us_events", [
    columnSpec("id", types.integer, { primaryKey: true }),
    columnSpec("at", types.timestamptz),
    columnSpec("local", types.timestamp),
  ]);
  const run = async (node: Parameters<typeof compile>[0]): Promise<unknown[][]> => {
    const t = compile(node);
    return (await engine.execute({ sql: t.sql, params: bindParams(t) })).rows;
  };

  beforeAll(async () => {
    engine = createEngine(await ec.backend.freshUrl(), ec.options);
    await engine.execute({ sql: "CREATE TABLE us_events (id integer PRIMARY KEY, at timestamptz NOT NULL, local timestamp NOT NULL)", params: [] });
    await engine.execute({ sql: "INSERT INTO us_events VALUES (1, '2024-01-31 10:34:56.123456+00', '2024-01-31 10:34:56.123456'), (2, '2024-01-31 10:34:56.123+00', '2024-01-31 10:34:56.123')", params: [] });
  }, SETUP_TIMEOUT_MS);
  afterAll(() => engine?.dispose());

  it("reads .123456 with its microseconds (timestamptz and timestamp)", async () => {
    const rows = await run(selectColumns(events.c.at!, events.c.local!).where(events.c.id!.eq(1)).toSelectNode());
    expect(rows[0]!.map(exact)).toEqual([[Date.UTC(2024, 0, 31, 10, 34, 56, 123), 456], [Date.UTC(2024, 0, 31, 10, 34, 56, 123), 456]]);
  });

  it("an equality filter with the value read finds the row (and only it)", async () => {
    const [[at, local]] = (await run(selectColumns(events.c.at!, events.c.local!).where(events.c.id!.eq(1)).toSelectNode())) as [[Date, Date]];
    expect(await run(selectColumns(events.c.id!).where(events.c.at!.eq(at)).toSelectNode())).toEqual([[1]]);
    expect(await run(selectColumns(events.c.id!).where(events.c.local!.eq(local)).toSelectNode())).toEqual([[1]]);
    // The same instant as a plain Date (milliseconds) is the other row.
    expect(await run(selectColumns(events.c.id!).where(events.c.at!.eq(new Date(at.getTime()))).toSelectNode())).toEqual([[2]]);
  });

  it("random instants to the microsecond, BC to year 275760, survive a bulk insert and a read", async () => {
    const sample = fc.sample(micros, { numRuns: LONG ? 10_000 : 300, seed: 11 });
    const ids = sample.map((_, i) => 100 + i);
    await run(insert(events).fromArrays(["id", "at", "local"], [ids, sample, sample]).node);
    const rows = await run(selectColumns(events.c.at!, events.c.local!).where(events.c.id!.ge(100)).orderBy(events.c.id!).toSelectNode());
    expect(rows.map((r) => [exact(r[0]), exact(r[1])])).toEqual(sample.map((d) => [exact(d), exact(d)]));
    // And as one array parameter read back as an array (timestamptz[]).
    const { rows: arrays } = await engine.execute({ sql: "SELECT $1::timestamptz[]", params: [sample] });
    expect((arrays[0]![0] as Date[]).map(exact)).toEqual(sample.map(exact));
  }, LONG ? 600_000 : 60_000);
});
