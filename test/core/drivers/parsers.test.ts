import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fastTimestamp, parseTimestamp, parseTimestampGeneral } from "../../../src/core/drivers/types/parsers.js";

const pad = (n: number, width: number): string => String(n).padStart(width, "0");

/** Timestamps as the server prints them in ISO DateStyle (with and without an offset). */
const serverTimestamp = fc
  .record({
    year: fc.integer({ min: 1, max: 9999 }),
    month: fc.integer({ min: 1, max: 12 }),
    day: fc.integer({ min: 1, max: 28 }),
    hour: fc.integer({ min: 0, max: 23 }),
    minute: fc.integer({ min: 0, max: 59 }),
    second: fc.integer({ min: 0, max: 59 }),
    fraction: fc.option(fc.stringMatching(/^[0-9]{1,6}$/), { nil: undefined }),
    offset: fc.option(
      fc.record({
        sign: fc.constantFrom("+", "-"),
        hours: fc.integer({ min: 0, max: 15 }),
        minutes: fc.option(fc.integer({ min: 0, max: 59 }), { nil: undefined }),
        seconds: fc.option(fc.integer({ min: 0, max: 59 }), { nil: undefined }),
      }),
      { nil: undefined },
    ),
    bc: fc.boolean(),
  })
  .map(({ year, month, day, hour, minute, second, fraction, offset, bc }) => {
    let text = `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)} ${pad(hour, 2)}:${pad(minute, 2)}:${pad(second, 2)}`;
    if (fraction !== undefined) text += `.${fraction}`;
    if (offset !== undefined) {
      text += `${offset.sign}${pad(offset.hours, 2)}`;
      if (offset.minutes !== undefined) {
        text += `:${pad(offset.minutes, 2)}`;
        if (offset.seconds !== undefined) text += `:${pad(offset.seconds, 2)}`;
      }
    }
    return bc ? `${text} BC` : text;
  });

describe("parseTimestamp", () => {
  it("reads the common shape on the fast path and agrees with the general parser", () => {
    fc.assert(
      fc.property(serverTimestamp, (text) => {
        const fast = fastTimestamp(text);
        const general = parseTimestampGeneral(text);
        if (fast !== undefined) expect(new Date(fast)).toEqual(general);
        expect(parseTimestamp(text)).toEqual(general);
      }),
      { numRuns: 2_000 },
    );
  });

  it.each([
    ["2024-01-31 12:34:56+00", "2024-01-31T12:34:56.000Z"],
    ["2024-01-31 12:34:56.7+02", "2024-01-31T10:34:56.700Z"],
    ["2024-01-31 12:34:56.78-05:30", "2024-01-31T18:04:56.780Z"],
    ["2024-01-31 12:34:56.789123", "2024-01-31T12:34:56.789Z"],
    ["1900-01-01 00:00:00+00:09:21", "1899-12-31T23:50:39.000Z"],
  ])("fast path: %s", (text, iso) => {
    expect(fastTimestamp(text)).toBe(Date.parse(iso));
    expect(parseTimestamp(text)).toEqual(new Date(iso));
  });

  it.each([
    "0099-12-31 23:59:59", // Date.UTC would read years below 100 as 19xx
    "0044-03-15 12:00:00 BC",
    "10000-01-01 00:00:00",
    "infinity",
    "-infinity",
    "2024-01-31 12:34:56.1234567",
    "2024-01-31 12:34:56.",
    "2024-01-31 12:34:56+0",
    "2024-01-31T12:34:56Z",
  ])("leaves %s to the general parser", (text) => {
    expect(fastTimestamp(text)).toBeUndefined();
    expect(parseTimestamp(text)).toEqual(parseTimestampGeneral(text));
  });
});
