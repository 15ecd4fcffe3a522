/**
 * The Session's identity map, its one-task-at-a-time rule, what detached objects can still do,
 * and backPopulates kept consistent in memory. Every test asserts the statements that ran.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ArgumentError, column, createEngine, declarativeBase, DetachedInstanceError, InvalidRequestError, NotLoadedError, select,
  selectinload, Session, type Engine,
} from "../../../src/index.js";
import { assertQueryCount, captureStatements, withStatements } from "../../../src/testing/assert-sql.js";
import { Base, Order, User } from "../../fixtures/models.js";
import { backends } from "../../support/backends.js";

// A composite primary key (no autoincrement: both columns are given).
interface LocalModels {
  Membership: Membership;
}
const Local = declarativeBase<LocalModels>();
class Membership extends Local.entity("memberships", {
  tenantId: column.integer().primaryKey(),
  userId: column.integer().primaryKey(),
  role: column.text(),
}) {}
Local.register({ Membership });

// The typing layer may type relationships as not-loaded; these tests check loading themselves.
const ordersOf = (u: User): Order[] => u.orders as Order[];

const USER_BY_ID = "SELECT users.id, users.email, users.tenant_id FROM users WHERE users.id = $1";

async function seed(engine: Engine): Promise<void> {
  await Base.metadata.createAll(engine);
  await Local.metadata.createAll(engine);
  for (const sql of [
    "INSERT INTO users (id, email) VALUES (1001, 'ann@a.com'), (1002, 'bob@b.com')",
    "INSERT INTO orders (id, user_id, total) VALUES (2001, 1001, 10), (2002, 1001, 20), (2003, 1002, 30)",
    "INSERT INTO memberships (tenant_id, user_id, role) VALUES (1, 1001, 'owner'), (1, 1002, 'member'), (2, 1001, 'member')",
  ]) await engine.execute({ sql, params: [] });
}

describe.each(backends)("Session ($name)", (backend) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = createEngine(await backend.freshUrl());
    await seed(engine);
  });
  afterAll(() => engine.dispose());

  describe("identity map", () => {
    it("the same row is the same object, in every query of the session", async () => {
      await using session = new Session(engine);
      const first = (await session.scalars(select(User).where(User.id.eq(1001)))).one();
      const all = (await session.scalars(select(User).orderBy(User.id))).all();
      expect(all).toHaveLength(2);
      expect(all[0]).toBe(first);
      const viaJoin = (await session.scalars(select(User).join(Order, Order.userId.eq(User.id)).where(Order.id.eq(2002)))).one();
      expect(viaJoin).toBe(first);
      // Another session has its own object for the row (PGlite has one connection: end ours first).
      await session.rollback();
      await using other = new Session(engine);
      const elsewhere = await other.get(User, 1001);
      expect(elsewhere).not.toBe(first);
      expect(elsewhere!.email).toBe("ann@a.com");
    });

    it("get() of an object in the identity map sends 0 statements", async () => {
      await using session = new Session(engine);
      const user = (await session.scalars(select(User).where(User.id.eq(1002)))).one();
      const hit = await assertQueryCount(engine, 0, () => session.get(User, 1002));
      expect(hit).toBe(user);
      expect(await assertQueryCount(engine, 0, () => session.get(User, [1002]))).toBe(user);
    });

    it("get() of an object not in the identity map sends one SELECT by primary key", async () => {
      await using session = new Session(engine);
      const { result: user, statements } = await withStatements(engine, () => session.get(User, 1001));
      expect(statements.map((s) => s.sql)).toEqual([USER_BY_ID]);
      expect(statements[0]!.params).toEqual([1001]);
      expect(user!.email).toBe("ann@a.com");
      // Now it is there.
      expect(await assertQueryCount(engine, 0, () => session.get(User, 1001))).toBe(user);
    });

    it("get() of a missing row returns null after one SELECT", async () => {
      await using session = new Session(engine);
      const { result, statements } = await withStatements(engine, () => session.get(User, 999_999));
      expect(result).toBeNull();
      expect(statements.map((s) => s.sql)).toEqual([USER_BY_ID]);
      expect(statements[0]!.params).toEqual([999_999]);
    });

    it("composite-key get() takes an array or an object, and hits the map without SQL", async () => {
      await using session = new Session(engine);
      const { result: owner, statements } = await withStatements(engine, () => session.get(Membership, [1, 1001]));
      expect(statements.map((s) => s.sql)).toEqual([
        "SELECT memberships.tenant_id, memberships.user_id, memberships.role FROM memberships WHERE memberships.tenant_id = $1 AND memberships.user_id = $2",
      ]);
      expect(statements[0]!.params).toEqual([1, 1001]);
      expect(owner!.role).toBe("owner");
      expect(await assertQueryCount(engine, 0, () => session.get(Membership, [1, 1001]))).toBe(owner);
      expect(await assertQueryCount(engine, 0, () => session.get(Membership, { tenantId: 1, userId: 1001 }))).toBe(owner);
      // Same user, other tenant: a different identity.
      const other = await assertQueryCount(engine, 1, () => session.get(Membership, { tenantId: 2, userId: 1001 }));
      expect(other).not.toBe(owner);
      expect(other!.role).toBe("member");
      const fromQuery = (await session.scalars(select(Membership).where(Membership.role.eq("owner")))).one();
      expect(fromQuery).toBe(owner);
    });

    it("refresh() of a composite-key object expired by commit reloads it by its key", async () => {
      await using session = new Session(engine);
      const membership = (await session.get(Membership, [2, 1001]))!;
      await session.commit();
      expect(() => membership.role).toThrow(NotLoadedError);
      const { result, statements } = await withStatements(engine, () => session.refresh(membership));
      expect(result).toBe(membership);
      expect(statements.map((s) => s.sql)).toEqual([
        "SELECT memberships.tenant_id, memberships.user_id, memberships.role FROM memberships WHERE memberships.tenant_id = $1 AND memberships.user_id = $2",
      ]);
      expect(statements[0]!.params).toEqual([2, 1001]);
      expect([membership.tenantId, membership.userId, membership.role]).toEqual([2, 1001, "member"]);
    });

    it("composite-key get() with the wrong number of values is an error before any SQL", async () => {
      await using session = new Session(engine);
      await assertQueryCount(engine, 0, async () => {
        await expect(session.get(Membership, [1])).rejects.toThrow("the primary key has 2 columns (tenantId, userId), got 1 values");
        await expect(session.get(Membership, { tenantId: 1 })).rejects.toThrow('missing primary key attribute "userId"');
      });
    });
  });

  describe("autoflush and object states", () => {
    it("a query first flushes pending objects (autoflush), so it sees them", async () => {
      await using session = new Session(engine);
      const carol = new User({ email: "carol@c.com" });
      session.add(carol);
      const { result, statements } = await withStatements(engine, async () =>
        (await session.scalars(select(User).where(User.email.eq("carol@c.com")))).all());
      expect(statements.map((s) => s.sql)).toEqual([
        "INSERT INTO users (email) VALUES ($1) RETURNING users.id, users.tenant_id",
        "SELECT users.id, users.email, users.tenant_id FROM users WHERE users.email = $1",
      ]);
      expect(result).toEqual([carol]);
      expect(result[0]).toBe(carol);
      await session.rollback();
    });

    it("autoflush: false leaves pending objects out of queries until flush()", async () => {
      await using session = new Session(engine, { autoflush: false });
      session.add(new User({ email: "dave@d.com" }));
      const { result, statements } = await withStatements(engine, async () =>
        (await session.scalars(select(User).where(User.email.eq("dave@d.com")))).all());
      expect(statements.map((s) => s.sql)).toEqual(["SELECT users.id, users.email, users.tenant_id FROM users WHERE users.email = $1"]);
      expect(result).toEqual([]);
      await assertQueryCount(engine, 1, () => session.flush());
      await session.rollback();
    });

    it("delete() of a pending object just forgets it, without SQL", async () => {
      await using session = new Session(engine);
      const user = new User({ email: "gone@g.com" });
      session.add(user);
      session.delete(user);
      expect(session.contains(user)).toBe(false);
      await assertQueryCount(engine, 0, () => session.flush());
    });

    it("delete() of an object that is not in the session is an InvalidRequestError", () => {
      const session = new Session(engine);
      const user = new User({ email: "t@t.com" });
      expect(() => session.delete(user)).toThrow(InvalidRequestError);
      expect(() => session.delete(user)).toThrow("is not persisted in this session (it is transient)");
    });

    it("an object of one open session cannot be added to another; expunge() releases it", async () => {
      await using first = new Session(engine);
      const user = (await first.get(User, 1002))!;
      const second = new Session(engine);
      expect(() => second.add(user)).toThrow(InvalidRequestError);
      expect(() => second.add(user)).toThrow("is already attached to another session; expunge it there first");
      first.expunge(user);
      expect(first.contains(user)).toBe(false);
      // Gone from first's identity map: get() there queries again and builds a new object.
      const again = await assertQueryCount(engine, 1, () => first.get(User, 1002));
      expect(again).not.toBe(user);
      second.add(user);
      expect(second.contains(user)).toBe(true);
      await second.close();
    });
  });

  describe("one task at a time", () => {
    it("Promise.all of two execute() calls rejects the second with InvalidRequestError before it sends SQL", async () => {
      await using session = new Session(engine);
      const capture = captureStatements(engine);
      const outcomes = await Promise.allSettled([
        session.execute(select(User).where(User.id.eq(1001))),
        session.execute(select(Order).where(Order.id.eq(2001))),
      ]);
      capture.stop();
      expect(outcomes[0]!.status).toBe("fulfilled");
      expect(outcomes[1]!.status).toBe("rejected");
      const error = (outcomes[1] as PromiseRejectedResult).reason as Error;
      expect(error).toBeInstanceOf(InvalidRequestError);
      expect(error.message).toContain("concurrent operations on one Session are not permitted");
      expect(capture.sql).toEqual(["SELECT users.id, users.email, users.tenant_id FROM users WHERE users.id = $1"]);
      // The session is fine afterwards.
      const order = await assertQueryCount(engine, 1, async () => (await session.scalars(select(Order).where(Order.id.eq(2001)))).one());
      expect(order.total).toBe(10);
    });

    it("Promise.all rejects with the concurrency error", async () => {
      await using session = new Session(engine);
      const first = session.execute(select(User));
      await expect(Promise.all([first, session.get(User, 1002)])).rejects.toThrow(/concurrent/);
      await first;
    });
  });

  describe("after close()", () => {
    it("loaded columns stay readable; an unloaded relationship raises DetachedInstanceError", async () => {
      const session = new Session(engine);
      const user = (await session.get(User, 1001))!;
      await session.close();
      const email = await assertQueryCount(engine, 0, async () => user.email);
      expect(email).toBe("ann@a.com");
      expect(() => user.orders).toThrow(DetachedInstanceError);
      expect(() => user.orders).toThrow(/^Parent instance <User at 0x[0-9a-f]+> is not bound to a Session; lazy load operation of attribute 'orders' cannot proceed/);
      expect(() => user.orders).toThrow("selectinload(User.orders)");
    });

    it("a many-to-one whose target was in the map still raises once detached", async () => {
      const session = new Session(engine);
      const order = (await session.get(Order, 2003))!;
      await session.close();
      expect(() => order.user).toThrow(DetachedInstanceError);
      expect(() => order.user).toThrow("lazy load operation of attribute 'user' cannot proceed");
    });

    it("columns expired by commit raise DetachedInstanceError, even the primary key", async () => {
      const session = new Session(engine);
      const user = (await session.get(User, 1002))!;
      await session.commit();
      // Still attached: expired means not loaded.
      expect(() => user.email).toThrow(NotLoadedError);
      await session.close();
      expect(() => user.email).toThrow(DetachedInstanceError);
      expect(() => user.email).toThrow(/^Instance <User at 0x[0-9a-f]+> is not bound to a Session; attribute refresh operation cannot proceed/);
      expect(() => user.id).toThrow(DetachedInstanceError);
    });

    it("a closed session can be used again: it begins a new transaction", async () => {
      const session = new Session(engine);
      await session.get(User, 1001);
      await session.close();
      expect(engine.pool.checkedOut).toBe(0);
      const user = await assertQueryCount(engine, 1, () => session.get(User, 1001));
      expect(user!.email).toBe("ann@a.com");
      await session.close();
      expect(engine.pool.checkedOut).toBe(0);
    });
  });

  describe("backPopulates in memory", () => {
    it("order.user = u appends the order to u's loaded orders, without SQL", async () => {
      await using session = new Session(engine);
      const user = (await session.scalars(select(User).where(User.id.eq(1002)).options(selectinload(User.orders)))).one();
      expect(ordersOf(user).map((o) => o.id)).toEqual([2003]);
      const order = new Order({ total: 99 });
      await assertQueryCount(engine, 0, async () => {
        order.user = user;
      });
      expect(ordersOf(user)).toHaveLength(2);
      expect(ordersOf(user)[1]).toBe(order);
      // The flush takes the foreign key from the relationship (the order is cascaded in by the user).
      const { statements } = await withStatements(engine, () => session.flush());
      expect(statements.map((s) => s.sql)).toEqual([
        "INSERT INTO orders (user_id, total) VALUES ($1, $2) RETURNING orders.id, orders.created_at",
      ]);
      expect(statements[0]!.params).toEqual([1002, 99]);
      expect(order.userId).toBe(1002);
      await session.rollback();
    });

    it("u.orders = [o] sets o.user; moving o to another user removes it from the first", async () => {
      const ann = new User({ email: "a@mem.com" });
      const bob = new User({ email: "b@mem.com" });
      const order = new Order({ total: 1 });
      ann.orders = [order];
      expect(order.user).toBe(ann);
      order.user = bob;
      expect(ordersOf(ann)).toEqual([]);
      expect(ordersOf(bob)).toEqual([order]);
      bob.orders = [];
      expect(order.user).toBeNull();
    });

    it("u.orders.push(o) sets o.user; splice and pop clear it; a pushed order moves from its old user", async () => {
      const ann = new User({ email: "a@push.com", orders: [] });
      const bob = new User({ email: "b@push.com", orders: [] });
      const first = new Order({ total: 1 });
      const second = new Order({ total: 2 });
      ordersOf(ann).push(first, second);
      expect(first.user).toBe(ann);
      expect(second.user).toBe(ann);
      ordersOf(bob).unshift(first);
      expect(first.user).toBe(bob);
      expect(ordersOf(ann)).toEqual([second]);
      ordersOf(ann).splice(0, 1);
      expect(second.user).toBeNull();
      expect(ordersOf(bob).pop()).toBe(first);
      expect(first.user).toBeNull();
    });

    it("pushing something that is not an Order throws before the collection changes", () => {
      const ann = new User({ email: "a@bad.com", orders: [] });
      expect(() => ordersOf(ann).push({ total: 1 } as unknown as Order)).toThrow(ArgumentError);
      expect(() => ordersOf(ann).push({ total: 1 } as unknown as Order)).toThrow("User.orders expects an Order object in the array, got Object.");
      expect(ordersOf(ann)).toEqual([]);
    });

    it("a push onto a loaded collection sets the back side without SQL and is inserted with the key", async () => {
      await using session = new Session(engine);
      const user = (await session.scalars(select(User).where(User.id.eq(1002)).options(selectinload(User.orders)))).one();
      const order = new Order({ total: 42 });
      await assertQueryCount(engine, 0, async () => {
        ordersOf(user).push(order);
      });
      expect(order.user).toBe(user);
      const { statements } = await withStatements(engine, () => session.flush());
      expect(statements.map((s) => s.sql)).toEqual(["INSERT INTO orders (user_id, total) VALUES ($1, $2) RETURNING orders.id, orders.created_at"]);
      expect(statements[0]!.params).toEqual([1002, 42]);
      await session.rollback();
    });

    it("assigning to a persistent object's unloaded collection side leaves it unloaded", async () => {
      await using session = new Session(engine);
      const user = (await session.get(User, 1001))!;
      const order = new Order({ total: 5 });
      order.user = user;
      expect(() => user.orders).toThrow(NotLoadedError);
      expect(() => user.orders).toThrow("'User.orders' is not loaded");
      await session.rollback();
    });
  });
});
