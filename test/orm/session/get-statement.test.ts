/**
 * session.get() reuses one statement per (entity, loader options, populateExisting), with the key
 * as bind parameters; options that carry values (criteria, aliases) build their statement per call.
 * Every test asserts the statements that ran.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  aliased, column, createEngine, declarativeBase, joinedload, load, raiseload, selectinload, Session, update, type Engine,
} from "../../../src/index.js";
import { withStatements } from "../../../src/testing/assert-sql.js";
import { cachedGetStatement } from "../../../src/orm/session/get-statement.js";
import { entityOf, type EntityStatics } from "../../../src/orm/mapping/declarative.js";
import { Base, Invoice, Order, User } from "../../fixtures/models.js";
import { backends } from "../../support/backends.js";

interface LocalModels { Seat: Seat }
const Local = declarativeBase<LocalModels>();
class Seat extends Local.entity("get_seats", {
  row: column.text().primaryKey(),
  number: column.integer().primaryKey(),
  holder: column.text(),
}) {}
Local.register({ Seat });

const statics = (cls: unknown): EntityStatics => cls as EntityStatics;
const userMapper = entityOf(User, "test").mapper;

describe("cachedGetStatement", () => {
  it("gives the same statement for options of the same shape, built anew per call", () => {
    const a = cachedGetStatement(userMapper, statics(User), [joinedload(User.invoice)], false);
    const b = cachedGetStatement(userMapper, statics(User), [joinedload(User.invoice)], false);
    expect(a).toBeDefined();
    expect(b).toBe(a);
  });

  it("tells apart strategies, arguments, chains, roots and populateExisting", () => {
    const shapes = [
      [],
      [joinedload(User.invoice)],
      [joinedload(User.invoice, { innerjoin: true })],
      [selectinload(User.invoice)],
      [selectinload(User.orders).selectinload(Order.products)],
      [selectinload(User.orders).joinedload(Order.products)],
      [load(User).raiseload("*")],
      [raiseload("*")],
      [raiseload("*", { sqlOnly: true })],
    ];
    const found = shapes.map((options) => cachedGetStatement(userMapper, statics(User), options, false));
    expect(new Set(found).size).toBe(shapes.length);
    expect(cachedGetStatement(userMapper, statics(User), [], true)).not.toBe(found[0]);
  });

  it("does not key options that carry values: criteria, aliases", () => {
    expect(cachedGetStatement(userMapper, statics(User), [selectinload(User.orders.and(Order.total.gt(5)))], false)).toBeUndefined();
    expect(cachedGetStatement(userMapper, statics(User), [joinedload(User.orders.of(aliased(Order)))], false)).toBeUndefined();
  });
});

describe.each(backends)("session.get() statements ($name)", (backend) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = createEngine(await backend.freshUrl());
    await Base.metadata.createAll(engine);
    await Local.metadata.createAll(engine);
    for (const sql of [
      "INSERT INTO users (id, email) VALUES (1, 'ann@a.com'), (2, 'bob@b.com')",
      "INSERT INTO invoices (id, user_id, amount) VALUES (10, 1, 5.5)",
      "INSERT INTO orders (id, user_id, total) VALUES (20, 1, 3), (21, 1, 30), (22, 2, 7)",
      "INSERT INTO get_seats (row, number, holder) VALUES ('A', 1, 'ann'), ('A', 2, 'bob'), ('B', 1, 'cy')",
    ]) await engine.execute({ sql, params: [] });
  }, 120_000);
  afterAll(() => engine.dispose());

  it("runs one SQL text for every key, the key as its parameter", async () => {
    const sqls: string[] = [];
    for (const id of [1, 2]) {
      await using session = new Session(engine);
      const { result: user, statements } = await withStatements(engine, () => session.get(User, id, { options: [joinedload(User.invoice)] }));
      expect(statements).toHaveLength(1);
      expect(statements[0]!.params).toEqual([id]);
      sqls.push(statements[0]!.sql);
      expect(user!.id).toBe(id);
      expect(user!.invoice === null ? null : (user!.invoice as Invoice).amount).toBe(id === 1 ? 5.5 : null);
    }
    expect(sqls[0]).toBe(
      "SELECT users.id, users.email, users.tenant_id, invoices_1.id, invoices_1.user_id, invoices_1.amount " +
        "FROM users LEFT OUTER JOIN invoices AS invoices_1 ON users.id = invoices_1.user_id WHERE users.id = $1",
    );
    expect(sqls[1]).toBe(sqls[0]);
  });

  it("binds each column of a composite key in key order", async () => {
    await using session = new Session(engine);
    const { result: seat, statements } = await withStatements(engine, () => session.get(Seat, { row: "A", number: 2 }));
    expect(statements.map((s) => [s.sql, s.params])).toEqual([
      ["SELECT get_seats.row, get_seats.number, get_seats.holder FROM get_seats WHERE get_seats.row = $1 AND get_seats.number = $2", ["A", 2]],
    ]);
    expect(seat!.holder).toBe("bob");
    expect(await session.get(Seat, ["B", 1])).toMatchObject({ holder: "cy" });
  });

  it("applies criteria options, which build their statement per call", async () => {
    await using session = new Session(engine);
    const { result: user, statements } = await withStatements(engine, () =>
      session.get(User, 1, { options: [selectinload(User.orders.and(Order.total.gt(5)))] }),
    );
    expect(statements).toHaveLength(2);
    expect(statements[1]!.params).toEqual([5, [1]]);
    expect((user!.orders as Order[]).map((o) => o.id)).toEqual([21]);
  });

  it("still refreshes with populateExisting from the cached statement", async () => {
    await using session = new Session(engine);
    const user = await session.get(User, 2);
    await session.execute(update(Base.metadata.table("users")).set({ email: "server@b.com" }).where(User.id.eq(2)));
    expect(await session.get(User, 2)).toBe(user);
    expect(user!.email).toBe("bob@b.com");
    const { statements } = await withStatements(engine, () => session.get(User, 2, { populateExisting: true }));
    expect(statements.map((s) => s.params)).toEqual([[2]]);
    expect(user!.email).toBe("server@b.com");
    await session.rollback();
  });
});
