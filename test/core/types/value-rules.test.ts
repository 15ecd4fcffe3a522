/**
 * The conversion layer alone, per column type: 10,000 random values each (ATHANOR_LONG=1: 100,000),
 * checked against the oracle in value-cases.ts, written from docs/values.md. Every value is either
 * accepted and sent in the documented form, or refused with an InvalidValueError naming the
 * column; no rule throws anything else (a TypeError from JSON.stringify, a RangeError...).
 * The same values through the real drivers: value-roundtrip.test.ts.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { InvalidValueError } from "../../../src/core/errors.js";
import { convertValue } from "../../../src/core/types/convert.js";
import { TYPE_CASES, valuesFor } from "./value-cases.js";

const RUNS = process.env.ATHANOR_LONG === "1" ? 100_000 : 10_000;

describe.each(TYPE_CASES)("value rule: $name", (c) => {
  it(`agrees with the documented rule on ${RUNS} random values`, () => {
    fc.assert(
      fc.property(valuesFor(c), (value) => {
        // null is SQL NULL for every type (a json column too: JSON's null would be the text 'null').
        const verdict = value === null ? { accept: true as const, sent: null, read: null } : c.oracle(value);
        let sent: unknown;
        let error: unknown;
        try {
          sent = convertValue(c.type, value, { target: "t.v", table: "t", column: "v" });
        } catch (caught) {
          error = caught;
        }
        if (verdict.accept) {
          expect(error).toBeUndefined();
          if (typeof verdict.sent === "number" && Number.isNaN(verdict.sent)) expect(sent).toBeNaN();
          else expect(sent).toEqual(verdict.sent);
        } else {
          expect(error).toBeInstanceOf(InvalidValueError);
          const details = (error as InvalidValueError).details;
          expect(details).toMatchObject({ target: "t.v", table: "t", column: "v", sqlType: c.type.sql });
          expect((error as Error).message).toMatch(/^t\.v \(.+\) cannot take .+\. The value was not sent\.$/s);
        }
      }),
      { numRuns: RUNS },
    );
  });
});
