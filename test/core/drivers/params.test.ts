import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { encodeParams, isoString } from "../../../src/core/drivers/types/params.js";
import { ArgumentError } from "../../../src/core/errors.js";

describe("encodeParams", () => {
  it("encodes each supported JS value as PostgreSQL text", () => {
    expect(
      encodeParams([null, "s", 1.5, 7n, true, false, new Date("2024-01-31T00:00:00Z"), Buffer.from([1, 255]), { a: 1 }]),
    ).toEqual([null, "s", "1.5", "7", "true", "false", "2024-01-31T00:00:00.000Z", "\\x01ff", '{"a":1}']);
  });

  it("writes dates outside years 1..9999 the way PostgreSQL reads them", () => {
    const bc = new Date(0);
    bc.setUTCFullYear(-43, 2, 15); // 44 BC
    expect(encodeParams([bc])).toEqual(["0044-03-15T00:00:00.000Z BC"]);
    expect(encodeParams([new Date(Date.UTC(12000, 0, 1))])).toEqual(["12000-01-01T00:00:00.000Z"]);
  });

  it("formats years 1..9999 exactly as toISOString does", () => {
    const first = new Date(0).setUTCFullYear(1, 0, 1);
    const last = Date.UTC(10000, 0, 1) - 1;
    for (const time of [first, last, 0, -1, Date.UTC(2000, 1, 29), Date.UTC(1900, 1, 28, 23, 59, 59, 999), Date.UTC(2024, 11, 31, 23, 59, 59, 999)]) {
      expect(isoString(time)).toBe(new Date(time).toISOString());
    }
    fc.assert(
      fc.property(fc.integer({ min: first, max: last }), (time) => {
        expect(isoString(time)).toBe(new Date(time).toISOString());
      }),
      { numRuns: 20_000 },
    );
  });

  it("encodes Dates on both sides of the year 1..9999 range (decided by the time value)", () => {
    const at = (year: number, month: number, day: number, ms = 0): Date => {
      const d = new Date(0);
      d.setUTCFullYear(year, month, day);
      return new Date(d.getTime() + ms);
    };
    expect(encodeParams([at(1, 0, 1)])).toEqual(["0001-01-01T00:00:00.000Z"]);
    expect(encodeParams([at(1, 0, 1, -1)])).toEqual(["0001-12-31T23:59:59.999Z BC"]);
    expect(encodeParams([at(9999, 11, 31, 86_399_999)])).toEqual(["9999-12-31T23:59:59.999Z"]);
    expect(encodeParams([at(10000, 0, 1)])).toEqual(["10000-01-01T00:00:00.000Z"]);
    expect(encodeParams([[at(10000, 0, 1), at(2024, 0, 31)]])).toEqual(["{10000-01-01T00:00:00.000Z,2024-01-31T00:00:00.000Z}"]);
    // In an array literal a BC date is quoted: its text holds a space.
    expect(encodeParams([[at(1, 0, 1, -1)]])).toEqual(['{"0001-12-31T23:59:59.999Z BC"}']);
  });

  it("encodes arrays as array literals, nested arrays as dimensions", () => {
    // Numbers, bigints and booleans bare; strings and bytea quoted.
    expect(encodeParams([[1, 2, null], [["a"], ["b"]], [7n, true, -1.5e-7, NaN], [Buffer.from([1])]])).toEqual([
      "{1,2,NULL}",
      '{{"a"},{"b"}}',
      "{7,true,-1.5e-7,NaN}",
      '{"\\\\x01"}',
    ]);
  });

  it("writes number arrays and timestamp arrays (one buffer) as the element-by-element form would", () => {
    expect(encodeParams([[3, -0, 1e21, 5e-324, Infinity, -Infinity, NaN]])).toEqual(["{3,-0,1e+21,5e-324,Infinity,-Infinity,NaN}"]); // -0 keeps its sign (a float8 holds it)
    const first = new Date(0).setUTCFullYear(1, 0, 1);
    const last = Date.UTC(10000, 0, 1) - 1;
    fc.assert(
      fc.property(fc.array(fc.integer({ min: first, max: last }), { minLength: 1, maxLength: 20 }), (times) => {
        const dates = times.map((t) => new Date(t));
        expect(encodeParams([dates])).toEqual([`{${dates.map((d) => d.toISOString()).join(",")}}`]);
      }),
      { numRuns: 2_000 },
    );
  });

  it("falls back to one element at a time when an array mixes kinds or holds a date outside years 1..9999", () => {
    const bc = new Date(0);
    bc.setUTCFullYear(-43, 2, 15);
    const ad = new Date(Date.UTC(2024, 0, 31));
    expect(encodeParams([[ad, bc, null]])).toEqual(['{2024-01-31T00:00:00.000Z,"0044-03-15T00:00:00.000Z BC",NULL}']);
    expect(encodeParams([[1, null, 2]])).toEqual(["{1,NULL,2}"]);
    expect(encodeParams([[1, "a"]])).toEqual(['{1,"a"}']);
    expect(() => encodeParams([[ad, new Date(Number.NaN)]])).toThrow("parameter $1 is an invalid Date");
  });

  it("refuses undefined with the parameter number, before anything is sent", () => {
    expect(() => encodeParams([1, undefined])).toThrow(ArgumentError);
    expect(() => encodeParams([1, undefined])).toThrow("parameter $2 is undefined; use null for SQL NULL");
    expect(() => encodeParams([[1, [2, undefined]]])).toThrow(
      "parameter $1 contains undefined at index [1][1]; use null for SQL NULL",
    );
  });

  it("refuses values that cannot be sent", () => {
    expect(() => encodeParams([() => 1])).toThrow(/parameter \$1 is a function, which cannot be sent/);
    expect(() => encodeParams([Symbol("s")])).toThrow(ArgumentError);
    expect(() => encodeParams([new Date(Number.NaN)])).toThrow("parameter $1 is an invalid Date");
    expect(() => encodeParams([{ big: 1n }])).toThrow(/parameter \$1 is not JSON: a bigint in a JSON document at \.big/);
  });
});

describe("encodeParams limits", () => {
  it("refuses more parameters than the protocol can carry, pointing at array parameters", () => {
    expect(() => encodeParams(new Array(65_536).fill(1))).toThrow(/at most 65535 parameters, got 65536.*unnest/);
  });
});
