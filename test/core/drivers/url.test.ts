import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { maskPassword, parseDatabaseUrl } from "../../../src/core/drivers/url.js";
import { ArgumentError } from "../../../src/core/errors.js";

describe("parseDatabaseUrl", () => {
  it("recognises PostgreSQL URLs", () => {
    expect(parseDatabaseUrl("postgresql://u:p@h/db")).toMatchObject({ scheme: "postgresql", masked: "postgresql://u:***@h/db" });
    expect(parseDatabaseUrl("postgres://h/db")).toMatchObject({ scheme: "postgresql", dataDir: undefined });
  });

  it("maps pglite://memory to an in-memory database and other pglite URLs to directories", () => {
    expect(parseDatabaseUrl("pglite://memory")).toMatchObject({ scheme: "pglite", dataDir: undefined });
    expect(parseDatabaseUrl("pglite://./data").dataDir).toBe(resolve("./data"));
    expect(parseDatabaseUrl("pglite:///abs/dir").dataDir).toBe("/abs/dir");
  });

  it("rejects other schemes without printing the password", () => {
    expect(() => parseDatabaseUrl("mysql://u:secret@h/db")).toThrow(ArgumentError);
    expect(() => parseDatabaseUrl("mysql://u:secret@h/db")).toThrow(/mysql:\/\/u:\*\*\*@h\/db/);
  });
});

describe("maskPassword", () => {
  it.each([
    ["postgresql://user:secret@host:5432/db", "postgresql://user:***@host:5432/db"],
    ["postgresql://user@host/db", "postgresql://user@host/db"],
    ["postgresql://host/db?password=secret&x=1", "postgresql://host/db?password=***&x=1"],
    ["postgresql://:secret@host/db", "postgresql://:***@host/db"],
  ])("%s", (url, masked) => {
    expect(maskPassword(url)).toBe(masked);
  });
});
