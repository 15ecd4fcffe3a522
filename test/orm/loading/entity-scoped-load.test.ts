/**
 * `load(User).raiseload("*")` (SQLAlchemy's `Load(User).raiseload("*")`): the wildcard covers only
 * the User objects of the query, not the objects its other loaders reach, where a bare
 * `raiseload("*")` covers every object the query loaded.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ArgumentError, createEngine, LazyLoadError, load, NotLoadedError, raiseload, select, selectinload, Session, type Engine,
} from "../../../src/index.js";
import { withStatements } from "../../../src/testing/assert-sql.js";
import { Base, Order, User } from "../../fixtures/models.js";
import { backends } from "../../support/backends.js";

describe.each(backends)("load(Entity) options ($name)", (backend) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = createEngine(await backend.freshUrl());
    await Base.metadata.createAll(engine);
    const s = new Session(engine);
    const user = new User({ email: "scoped@x.com" });
    user.orders = [new Order({ total: 10 }), new Order({ total: 20 })];
    s.add(user);
    await s.commit();
    await s.close();
  }, 180_000);
  afterAll(() => engine.dispose());

  it("load(User).raiseload('*') raises for User's unloaded relationships only", async () => {
    await using s = new Session(engine);
    const { result: users, statements } = await withStatements(engine, async () =>
      (await s.execute(select(User).options(selectinload(User.orders), load(User).raiseload("*")))).scalars().all(),
    );
    expect(statements).toHaveLength(2);
    expect(statements[1]!.sql).toMatch(/WHERE orders\.user_id = ANY\(\$1\)/);
    expect(users[0]!.orders.map((o) => o.total).sort()).toEqual([10, 20]);
    expect(() => users[0]!.invoice).toThrow(LazyLoadError);
    expect(() => users[0]!.invoice).toThrow("'User.invoice' is not available due to lazy='raise'");
    // Orders were reached by another loader: the User-scoped wildcard does not cover them.
    const order = users[0]!.orders[0]!;
    expect(() => (order as unknown as Order).products).toThrow(NotLoadedError);
  });

  it("a bare raiseload('*') covers the orders too", async () => {
    await using s = new Session(engine);
    const users = (await s.execute(select(User).options(selectinload(User.orders), raiseload("*")))).scalars().all();
    const order = users[0]!.orders[0]!;
    expect(() => (order as unknown as Order).products).toThrow(LazyLoadError);
  });

  it("load(User) does not apply to another queried entity and rejects a foreign first step", async () => {
    await using s = new Session(engine);
    const orders = (await s.execute(select(Order).options(load(User).raiseload("*")))).scalars().all();
    expect(() => (orders[0] as unknown as Order).products).toThrow(NotLoadedError);
    // @ts-expect-error Order.products is not a relationship of User (caught by the types too)
    expect(() => load(User).selectinload(Order.products)).toThrow(ArgumentError);
  });
});
