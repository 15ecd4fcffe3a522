/**
 * Values at the ORM boundary: a value an attribute's column cannot hold raises InvalidValueError
 * naming `Entity.attribute` before any statement of the flush (or of the query) is sent; a
 * timestamp read to the microsecond filters and flushes back exactly (issue 11, defect 8).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { column, createEngine, declarativeBase, InvalidValueError, PreciseDate, select, Session, type Engine } from "../../../src/index.js";
import { assertQueryCount, withStatements } from "../../../src/testing/assert-sql.js";
import { subMilliseconds } from "../../../src/core/types/precise-date.js";
import { backends } from "../../support/backends.js";

interface Models { Shipment: Shipment }
const Base = declarativeBase<Models>();
class Shipment extends Base.entity("value_shipments", {
  id: column.integer().primaryKey(),
  qty: column.integer(),
  weight: column.double().nullable(),
  createdAt: column.timestamptz(),
  localAt: column.timestamp().nullable(),
  meta: column.jsonb().nullable(),
}) {}
Base.register({ Shipment });

const exact = (d: unknown): [number, number] => [(d as Date).getTime(), subMilliseconds(d as Date)];

describe.each(backends)("values in the ORM ($name)", (backend) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = createEngine(await backend.freshUrl());
    await Base.metadata.createAll(engine);
    await engine.execute({
      sql: "INSERT INTO value_shipments (id, qty, created_at, local_at) VALUES (1, 5, '2024-01-31 10:34:56.123456+00', '2024-01-31 10:34:56.654321'), (2, 6, '2024-01-31 10:34:56.123+00', NULL)",
      params: [],
    });
  }, 180_000);
  afterAll(() => engine.dispose());

  it("a timestamp read to the microsecond filters exactly: where(Shipment.createdAt.eq(readValue))", async () => {
    await using s = new Session(engine);
    const one = await s.get(Shipment, 1);
    expect(one!.createdAt).toBeInstanceOf(PreciseDate);
    expect(exact(one!.createdAt)).toEqual([Date.UTC(2024, 0, 31, 10, 34, 56, 123), 456]);
    const found = (await s.execute(select(Shipment).where(Shipment.createdAt.eq(one!.createdAt)))).scalars().all();
    expect(found).toEqual([one]);
    const byLocal = (await s.execute(select(Shipment).where(Shipment.localAt.eq(one!.localAt!)))).scalars().all();
    expect(byLocal).toEqual([one]);
  });

  it("a flush of unchanged read values writes nothing, and assigning the read value back changes nothing", async () => {
    await using s = new Session(engine);
    const one = await s.get(Shipment, 1);
    await assertQueryCount(engine, 0, () => s.flush());
    one!.createdAt = one!.createdAt;
    await assertQueryCount(engine, 0, () => s.flush());
    await s.commit();
    await using check = new Session(engine);
    expect(exact((await check.get(Shipment, 1))!.createdAt)).toEqual([Date.UTC(2024, 0, 31, 10, 34, 56, 123), 456]);
  });

  it("new objects with PreciseDates keep their microseconds through the bulk insert (unnest) path", async () => {
    const s = new Session(engine);
    const at = (us: number): PreciseDate => new PreciseDate(Date.UTC(2025, 5, 1, 12), us);
    s.addAll([10, 11, 12].map((id) => new Shipment({ id, qty: 1, createdAt: at(id * 7) })));
    const { statements } = await withStatements(engine, () => s.commit());
    expect(statements.map((st) => st.sql)).toEqual([expect.stringMatching(/INSERT INTO value_shipments .* FROM unnest\(/)]);
    await s.close();
    await using check = new Session(engine);
    const rows = (await check.execute(select(Shipment).where(Shipment.id.ge(10)).orderBy(Shipment.id))).scalars().all();
    expect(rows.map((r) => exact(r.createdAt))).toEqual([10, 11, 12].map((id) => exact(at(id * 7))));
  });

  it("a value its column cannot hold fails the flush before anything is sent, naming Entity.attribute", async () => {
    await using s = new Session(engine);
    s.add(new Shipment({ id: 20, qty: 1, createdAt: new Date() }));
    s.add(new Shipment({ id: 21, qty: 1.5, createdAt: new Date() }));
    const { statements } = await withStatements(engine, () => s.flush().catch((e: unknown) => e)).then(({ result, statements: st }) => {
      expect(result).toBeInstanceOf(InvalidValueError);
      expect((result as InvalidValueError).details).toMatchObject({ entity: "Shipment", attribute: "qty", table: "value_shipments", column: "qty", sqlType: "integer" });
      expect((result as Error).message).toMatch(/^Shipment\.qty \(integer\) cannot take a number that is not an integer/);
      return { statements: st };
    });
    expect(statements).toEqual([]);
  });

  it("a changed attribute is checked too: NaN in a jsonb document, an invalid Date", async () => {
    await using s = new Session(engine);
    const one = await s.get(Shipment, 2);
    one!.meta = { ratio: NaN };
    await expect(assertQueryCount(engine, 0, () => s.flush())).rejects.toThrow(/^Shipment\.meta \(jsonb\) cannot take NaN in a JSON document at \.ratio/);
    await s.rollback();
    const two = await s.get(Shipment, 2);
    two!.createdAt = new Date("not a date");
    await expect(assertQueryCount(engine, 0, () => s.flush())).rejects.toThrow(/^Shipment\.createdAt \(timestamptz\) cannot take an invalid Date/);
  });

  it("a where-clause value is checked when the query is built, named as the attribute", () => {
    let error: unknown;
    try {
      select(Shipment).where(Shipment.qty.eq(2 ** 31));
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InvalidValueError);
    expect((error as InvalidValueError).details).toMatchObject({ target: "Shipment.qty", entity: "Shipment", attribute: "qty", valueKind: "a number out of range" });
    expect(() => Shipment.id.in([1, 2.5])).toThrow(/^Shipment\.id \(integer\) cannot take a number that is not an integer/);
    expect(() => Shipment.id.eqAny([1, 2, "3" as never])).toThrow(/^Shipment\.id \(integer\[\]\) cannot take a string at \[2\]/);
  });
});
