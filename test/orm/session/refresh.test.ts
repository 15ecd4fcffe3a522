/**
 * refresh() re-applies the eager options the object was loaded with (SQLAlchemy, ANCHORS 8): after
 * a commit expired everything, `await session.refresh(user)` loads the user's row and then, as
 * batch loads for that one object, what the original query loaded eagerly, criteria included.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LazyLoadError, raiseload, select, selectinload, joinedload, Session, type Engine } from "../../../src/index.js";
import { captureStatements } from "../../../src/testing/assert-sql.js";
import { Order, User } from "../../fixtures/models.js";
import { backends } from "../../support/backends.js";
import { freshEngine, PRODUCTS_BY_ORDERS, sortedIds } from "../loading/support.js";

describe.each(backends)("refresh() re-applies the original options ($name)", (backend) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await freshEngine(backend);
  });
  afterAll(() => engine?.dispose());

  async function refreshed<T>(session: Session, obj: T): Promise<string[]> {
    const capture = captureStatements(engine);
    try {
      await session.refresh(obj as object);
      return [...capture.sql];
    } finally {
      capture.stop();
    }
  }

  it("a chained selectinload is loaded again, one batch query per level", async () => {
    await using session = new Session(engine);
    const user = (await session.scalars(select(User).where(User.id.eq(4)).options(selectinload(User.orders).selectinload(Order.products)))).one();
    await session.commit();
    expect(() => user.orders).toThrow();
    const sql = await refreshed(session, user);
    expect(sql).toHaveLength(3);
    expect(sql[0]).toMatch(/^SELECT users\.id, .* FROM users WHERE users\.id = \$1$/);
    expect(sql[1]).toMatch(/FROM orders WHERE orders\.user_id = ANY\(\$1\)$/);
    expect(sql[2]).toBe(PRODUCTS_BY_ORDERS);
    expect(sortedIds(user.orders)).toEqual([13, 14, 15]);
    expect(user.orders.find((o) => o.id === 15)!.products.map((p) => p.id).sort()).toEqual([1, 3]);
  });

  it("loader criteria come back with the option", async () => {
    await using session = new Session(engine);
    const user = (await session.scalars(select(User).where(User.id.eq(4)).options(selectinload(User.orders.and(Order.total.gt(100)))))).one();
    await session.commit();
    const sql = await refreshed(session, user);
    expect(sql[1]).toMatch(/WHERE orders\.total > \$1 AND orders\.user_id = ANY\(\$2\)$/);
    expect(sortedIds(user.orders)).toEqual([14, 15]);
  });

  it("a joinedload is re-applied as a batch load for the one object", async () => {
    await using session = new Session(engine);
    const order = (await session.scalars(select(Order).where(Order.id.eq(12)).options(joinedload(Order.user)))).one();
    await session.commit();
    const sql = await refreshed(session, order);
    expect(sql).toHaveLength(2);
    expect(sql[1]).toMatch(/FROM users WHERE users\.id = ANY\(\$1\)$/);
    expect(order.user.email).toBe("b@y.com");
  });

  it("raiseload options stay in force after the refresh", async () => {
    await using session = new Session(engine);
    const user = (await session.scalars(select(User).where(User.id.eq(1)).options(selectinload(User.orders), raiseload("*")))).one();
    await session.commit();
    await session.refresh(user);
    expect(sortedIds(user.orders)).toEqual([10, 11]);
    expect(() => (user as unknown as User).invoice).toThrow(LazyLoadError);
  });

  it("a refresh with options of its own uses those instead", async () => {
    await using session = new Session(engine);
    const user = (await session.scalars(select(User).where(User.id.eq(1)).options(selectinload(User.orders)))).one();
    await session.commit();
    const capture = captureStatements(engine);
    await session.refresh(user, { options: [selectinload(User.invoice)] });
    capture.stop();
    expect(capture.sql).toHaveLength(2);
    expect(capture.sql[1]).toMatch(/FROM invoices WHERE invoices\.user_id = ANY\(\$1\)$/);
    expect(() => (user as unknown as User).orders).toThrow();
  });

  it("an object loaded without eager options is refreshed with one statement", async () => {
    await using session = new Session(engine);
    const user = (await session.scalars(select(User).where(User.id.eq(2)))).one();
    await session.commit();
    expect(await refreshed(session, user)).toHaveLength(1);
    expect(user.email).toBe("b@y.com");
  });
});
