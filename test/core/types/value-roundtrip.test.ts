/**
 * The value rules through the real drivers (pg, postgres.js, PGlite), per column type: random
 * values (value-cases.ts) are bound against a column of that type. Accepted ones are inserted (one
 * multi-row VALUES statement, and the bulk `unnest` path for scalar types) and must read back
 * exactly as docs/values.md says; refused ones raise InvalidValueError and the statement capture
 * shows that nothing was sent. 150 values per type and driver in CI; ATHANOR_LONG=1 sends 10,000.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bindParams, compile } from "../../../src/core/compiler/compiler.js";
import { createEngine, type Engine } from "../../../src/core/engine/engine.js";
import { ArgumentError, InvalidValueError } from "../../../src/core/errors.js";
import { columnSpec, Table } from "../../../src/core/schema/table.js";
import { insert } from "../../../src/core/sql/dml.js";
import { selectColumns } from "../../../src/core/sql/select.js";
import { types } from "../../../src/core/sql/types.js";
import { subMilliseconds } from "../../../src/core/types/precise-date.js";
import { captureStatements } from "../../../src/testing/assert-sql.js";
import { engineCases, SETUP_TIMEOUT_MS } from "../engine/cases.js";
import { canonicalDecimal, TYPE_CASES, valuesFor, type TypeCase, type Verdict } from "./value-cases.js";

const SAMPLE = process.env.ATHANOR_LONG === "1" ? 10_000 : 150;
const LONG_TIMEOUT_MS = process.env.ATHANOR_LONG === "1" ? 600_000 : 60_000;

async function run(engine: Engine, stmt: { node: Parameters<typeof compile>[0] } | { toSelectNode(): Parameters<typeof compile>[0] }): Promise<unknown[][]> {
  const t = compile("node" in stmt ? stmt.node : stmt.toSelectNode());
  return (await engine.execute({ sql: t.sql, params: bindParams(t) })).rows;
}

/** Read values as docs/values.md promises: exact, with the documented normalisations. */
function expectRead(c: TypeCase, read: unknown, expected: unknown): void {
  if (expected === null) {
    expect(read).toBeNull();
  } else if (c.name === "real") {
    if (Number.isNaN(expected)) expect(read).toBeNaN();
    else expect(Math.fround(read as number)).toBe(expected);
  } else if (c.name === "numeric") {
    expect(canonicalDecimal(read as string)).toBe(expected);
  } else {
    expectSame(read, expected);
  }
}

/** toEqual, but Dates must also agree in the microseconds a PreciseDate carries. */
function expectSame(read: unknown, expected: unknown): void {
  if (expected instanceof Date) {
    expect(read).toBeInstanceOf(Date);
    expect([(read as Date).getTime(), subMilliseconds(read as Date)]).toEqual([expected.getTime(), subMilliseconds(expected)]);
  } else if (Array.isArray(expected) && expected.some((e) => e instanceof Date || Array.isArray(e))) {
    expect(Array.isArray(read) && read.length).toBe(expected.length);
    expected.forEach((e, i) => expectSame((read as unknown[])[i], e));
  } else {
    expect(read).toEqual(expected);
  }
}

describe.each(engineCases)("values round-trip ($name)", (ec) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = createEngine(await ec.backend.freshUrl(), ec.options);
    await engine.execute({ sql: "CREATE TYPE mood AS ENUM ('happy', 'sad')", params: [] });
  }, SETUP_TIMEOUT_MS);
  afterAll(() => engine?.dispose());

  it.each(TYPE_CASES.map((c, i) => [c.name, c, i] as const))("%s: accepted values read back exactly, refused ones are never sent", async (_name, c, i) => {
    const table = new Table(`rt_${i}`, [columnSpec("id", types.integer, { primaryKey: true }), columnSpec("v", c.type, { nullable: true })]);
    const bulk = new Table(`rt_bulk_${i}`, [columnSpec("id", types.integer, { primaryKey: true }), columnSpec("v", c.type, { nullable: true })]);
    for (const name of [table.name, bulk.name]) await engine.execute({ sql: `CREATE TABLE ${name} (id integer PRIMARY KEY, v ${c.ddl})`, params: [] });

    const values = fc.sample(valuesFor(c), { numRuns: SAMPLE, seed: 4242 + i });
    const accepted: { id: number; value: unknown; verdict: Extract<Verdict, { accept: true }> }[] = [];
    const capture = captureStatements(engine);
    let refused = 0;
    for (const [id, value] of values.entries()) {
      const verdict: Verdict = value === null ? { accept: true, sent: null, read: null } : c.oracle(value);
      if (verdict.accept) {
        accepted.push({ id, value, verdict });
        continue;
      }
      refused++;
      // Built and executed like any statement: the error comes before anything is sent.
      // undefined is refused by its own rule (ArgumentError: "use null for NULL"), before the type's.
      const expected = value === undefined ? ArgumentError : InvalidValueError;
      await expect((async () => run(engine, insert(table).values({ id, v: value })))()).rejects.toThrow(expected);
      expect(() => table.c.v!.eq(value as never)).toThrow(expected);
    }
    expect(capture.count).toBe(0);
    capture.stop();

    if (accepted.length > 0) {
      await run(engine, insert(table).values(accepted.map((a) => ({ id: a.id, v: a.value }))));
      if (!c.ddl.endsWith("[]")) await run(engine, insert(bulk).fromArrays(["id", "v"], [accepted.map((a) => a.id), accepted.map((a) => a.value)]));
    }
    for (const t of c.ddl.endsWith("[]") ? [table] : [table, bulk]) {
      const rows = await run(engine, selectColumns(t.c.id!, t.c.v!).orderBy(t.c.id!));
      expect(rows.map((r) => r[0])).toEqual(accepted.map((a) => a.id));
      rows.forEach((row, k) => expectRead(c, row[1], accepted[k]!.verdict.read));
    }
    // Both outcomes were exercised (a sample that only accepts, or only refuses, proves less).
    expect(accepted.length).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
  }, LONG_TIMEOUT_MS);
});
