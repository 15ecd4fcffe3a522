import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseArrayLiteral, serializeArrayLiteral } from "../../../src/core/drivers/types/array-literal.js";

const text = (s: string): string => s;

describe("parseArrayLiteral", () => {
  it.each([
    ["{}", []],
    ["{1,2,3}", ["1", "2", "3"]],
    ["{NULL,null,\"NULL\"}", [null, null, "NULL"]],
    ['{"a b","c\\"d","e\\\\f",""}', ["a b", 'c"d', "e\\f", ""]],
    ["{{1,2},{3,4}}", [["1", "2"], ["3", "4"]]],
    ["{{},{}}", [[], []]],
    ["[0:1]={7,8}", ["7", "8"]],
    ['{"{x}","a,b"}', ["{x}", "a,b"]],
  ])("parses %s", (literal, expected) => {
    expect(parseArrayLiteral(literal, text)).toEqual(expected);
  });

  it("applies the element parser to non-NULL elements only", () => {
    expect(parseArrayLiteral("{1,NULL,3}", Number)).toEqual([1, null, 3]);
  });

  it("uses the given delimiter (box[] uses ';')", () => {
    expect(parseArrayLiteral("{(1,1),(0,0);(2,2),(1,1)}", text, ";")).toEqual(["(1,1),(0,0)", "(2,2),(1,1)"]);
  });

  it.each(["", "1,2", "{1,2", '{"a}', "{1,2}x"])("rejects the malformed literal %j", (literal) => {
    expect(() => parseArrayLiteral(literal, text)).toThrow(/malformed array literal/);
  });
});

describe("serializeArrayLiteral", () => {
  it("quotes every string and escapes quotes and backslashes", () => {
    expect(serializeArrayLiteral(["a", 'b"c', "d\\e", null, "NULL", "1"], String)).toBe(
      '{"a","b\\"c","d\\\\e",NULL,"NULL","1"}',
    );
  });

  it("writes numbers, bigints, booleans and Dates bare, and a Date whose text has a space quoted", () => {
    const iso = (d: unknown): string => (d instanceof Date ? (d.getTime() < 0 ? "0001-01-01T00:00:00.000Z BC" : d.toISOString()) : String(d));
    expect(serializeArrayLiteral([1, -2.5, 3n, false, new Date(0), new Date(-1), null], iso)).toBe(
      '{1,-2.5,3,false,1970-01-01T00:00:00.000Z,"0001-01-01T00:00:00.000Z BC",NULL}',
    );
  });

  it("writes nested arrays as dimensions", () => {
    expect(serializeArrayLiteral([[1, 2], [3, null]], String)).toBe("{{1,2},{3,NULL}}");
    expect(serializeArrayLiteral([], String)).toBe("{}");
  });

  it("round-trips any list of strings and NULLs through the parser", () => {
    fc.assert(
      fc.property(fc.array(fc.option(fc.string(), { nil: null })), (values) => {
        expect(parseArrayLiteral(serializeArrayLiteral(values, String), text)).toEqual(values);
      }),
    );
  });
});
