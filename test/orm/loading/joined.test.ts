/** joinedload: the related rows arrive in the parent query through a join to an anonymous alias. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InvalidRequestError, joinedload, select, selectinload, UniqueRequiredError, type Engine } from "../../../src/index.js";
import { assertQueryCount } from "../../../src/testing/assert-sql.js";
import { Order, User } from "../../fixtures/models.js";
import { backends } from "../../support/backends.js";
import { freshEngine, ids, inFreshSession, PRODUCTS_BY_ORDERS, plainGraph, SEED_GRAPH, sortedIds } from "./support.js";

const UNIQUE_TEXT = "The unique() method must be invoked on this Result";

describe.each(backends)("joinedload ($name)", (backend) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await freshEngine(backend);
  });
  afterAll(() => engine?.dispose());

  describe("one-to-many collection (User.orders)", () => {
    it("uses LEFT OUTER JOIN to an anonymous alias, in one statement", async () => {
      const { result, sql } = await inFreshSession(engine, async (s) =>
        (await s.scalars(select(User).orderBy(User.id).options(joinedload(User.orders)))).unique().all(),
      );
      expect(sql).toEqual([
        "SELECT users.id, users.email, users.tenant_id, orders_1.id, orders_1.user_id, orders_1.total, orders_1.created_at " +
          "FROM users LEFT OUTER JOIN orders AS orders_1 ON users.id = orders_1.user_id ORDER BY users.id",
      ]);
      // unique(): one object per user although the rows repeat users 1 and 4; user 3 kept with [].
      expect(ids(result)).toEqual([1, 2, 3, 4]);
      expect(result.map((u) => sortedIds(u.orders))).toEqual([[10, 11], [12], [], [13, 14, 15]]);
    });

    it("innerjoin: true gives JOIN and drops users without orders", async () => {
      const { result, sql } = await inFreshSession(engine, async (s) =>
        (await s.scalars(select(User).orderBy(User.id).options(joinedload(User.orders, { innerjoin: true })))).unique().all(),
      );
      expect(sql).toHaveLength(1);
      expect(sql[0]).toMatch(/FROM users JOIN orders AS orders_1 ON users\.id = orders_1\.user_id ORDER BY users\.id$/);
      expect(sql[0]).not.toMatch(/OUTER/);
      expect(ids(result)).toEqual([1, 2, 4]);
      expect(result.map((u) => sortedIds(u.orders))).toEqual([[10, 11], [12], [13, 14, 15]]);
    });

    it(".scalars().all() without unique() throws UniqueRequiredError after the statement ran", async () => {
      const { result, sql } = await inFreshSession(engine, async (s) => {
        const scalars = await s.scalars(select(User).options(joinedload(User.orders)));
        try {
          scalars.all();
        } catch (error) {
          return error;
        }
        return undefined;
      });
      expect(sql).toHaveLength(1);
      expect(result).toBeInstanceOf(UniqueRequiredError);
      expect(result).toBeInstanceOf(InvalidRequestError);
      expect((result as Error).message).toContain(UNIQUE_TEXT);
      expect((result as Error).message).toContain("joined eager loads against collections");
    });

    it("the rule also covers Result.all(), one() and iteration", async () => {
      await inFreshSession(engine, async (s) => {
        const result = await s.execute(select(User).where(User.id.eq(2)).options(joinedload(User.orders)));
        expect(() => result.all()).toThrow(UniqueRequiredError);
        expect(() => result.scalars().one()).toThrow(UNIQUE_TEXT);
        expect(() => [...result.scalars()]).toThrow(UniqueRequiredError);
        expect(result.unique().scalars().one().id).toBe(2);
      });
    });

    it(".first() does not throw, and the first user's collection is complete", async () => {
      const { result, sql } = await inFreshSession(engine, async (s) => {
        const user = (await s.scalars(select(User).orderBy(User.id.desc()).options(joinedload(User.orders)))).first();
        return { id: user!.id, orders: sortedIds(user!.orders) };
      });
      expect(sql).toHaveLength(1);
      expect(result).toEqual({ id: 4, orders: [13, 14, 15] });
    });

    it("session.scalar() and session.get() are exempt from the unique() rule", async () => {
      const { result, sql } = await inFreshSession(engine, async (s) => {
        const viaScalar = await s.scalar(select(User).where(User.id.eq(4)).options(joinedload(User.orders)));
        const viaGet = await s.get(User, 1, { options: [joinedload(User.orders)] });
        return { scalar: [viaScalar!.id, sortedIds(viaScalar!.orders)], get: [viaGet!.id, sortedIds(viaGet!.orders)] };
      });
      expect(sql).toHaveLength(2);
      for (const q of sql) expect(q).toMatch(/FROM users LEFT OUTER JOIN orders AS orders_1 ON users\.id = orders_1\.user_id WHERE users\.id = \$1$/);
      expect(result).toEqual({ scalar: [4, [13, 14, 15]], get: [1, [10, 11]] });
    });

    it(".unique().all() gives distinct parents from the repeated rows", async () => {
      const { result } = await inFreshSession(engine, async (s) => {
        const raw = await s.execute(select(User).where(User.id.eq(4)).options(joinedload(User.orders)));
        return { rows: raw.length, users: raw.scalars().unique().all() };
      });
      // Three joined rows, one user.
      expect(result.rows).toBe(3);
      expect(result.users).toHaveLength(1);
      expect(sortedIds(result.users[0]!.orders)).toEqual([13, 14, 15]);
    });
  });

  describe("scalar relationships", () => {
    it("many-to-one (Order.user) needs no unique(): one row per order", async () => {
      const { result, sql } = await inFreshSession(engine, async (s) =>
        (await s.scalars(select(Order).orderBy(Order.id).options(joinedload(Order.user)))).all(),
      );
      expect(sql).toEqual([
        "SELECT orders.id, orders.user_id, orders.total, orders.created_at, users_1.id, users_1.email, users_1.tenant_id " +
          "FROM orders LEFT OUTER JOIN users AS users_1 ON orders.user_id = users_1.id ORDER BY orders.id",
      ]);
      expect(result.map((o) => [o.id, o.user!.id])).toEqual([[10, 1], [11, 1], [12, 2], [13, 4], [14, 4], [15, 4]]);
      expect(result[0]!.user).toBe(result[1]!.user);
    });

    it("one-to-one (User.invoice) gives null where the outer join found nothing", async () => {
      const { result, sql } = await inFreshSession(engine, async (s) =>
        (await s.scalars(select(User).orderBy(User.id).options(joinedload(User.invoice)))).all(),
      );
      expect(sql).toHaveLength(1);
      expect(sql[0]).toMatch(/FROM users LEFT OUTER JOIN invoices AS invoices_1 ON users\.id = invoices_1\.user_id ORDER BY users\.id$/);
      expect(result.map((u) => u.invoice?.id ?? null)).toEqual([100, null, null, 101]);
    });
  });

  describe("many-to-many (Order.products)", () => {
    it("nests the association join inside the outer join", async () => {
      const { result, sql } = await inFreshSession(engine, async (s) =>
        (await s.scalars(select(Order).orderBy(Order.id).options(joinedload(Order.products)))).unique().all(),
      );
      expect(sql).toHaveLength(1);
      expect(sql[0]).toMatch(
        /FROM orders LEFT OUTER JOIN \(order_products AS order_products_1 JOIN products AS products_1 ON order_products_1\.product_id = products_1\.id\) ON orders\.id = order_products_1\.order_id ORDER BY orders\.id$/,
      );
      expect(result.map((o) => [o.id, sortedIds(o.products)])).toEqual([[10, [1, 2]], [11, []], [12, [2]], [13, []], [14, [3]], [15, [1, 3]]]);
    });

    it("chained joinedload(User.orders).joinedload(Order.products) loads the whole graph in one statement", async () => {
      const { result, sql } = await inFreshSession(engine, async (s) =>
        (await s.scalars(select(User).options(joinedload(User.orders).joinedload(Order.products)))).unique().all(),
      );
      expect(sql).toHaveLength(1);
      expect(sql[0]).toMatch(/LEFT OUTER JOIN orders AS orders_1 ON users\.id = orders_1\.user_id LEFT OUTER JOIN \(order_products AS order_products_1 JOIN products AS products_1 ON .*\) ON orders_1\.id = order_products_1\.order_id$/);
      expect(plainGraph(result)).toEqual(SEED_GRAPH);
    });
  });

  describe("innerjoin below an outer join", () => {
    it("nests the inner join inside the outer join, so users without orders are kept", async () => {
      const { result, sql } = await inFreshSession(engine, async (s) =>
        (await s.scalars(select(User).orderBy(User.id).options(joinedload(User.orders).joinedload(Order.products, { innerjoin: true })))).unique().all(),
      );
      expect(sql).toHaveLength(1);
      expect(sql[0]).toMatch(
        /FROM users LEFT OUTER JOIN \(orders AS orders_1 JOIN \(order_products AS order_products_1 JOIN products AS products_1 ON order_products_1\.product_id = products_1\.id\) ON orders_1\.id = order_products_1\.order_id\) ON users\.id = orders_1\.user_id ORDER BY users\.id$/,
      );
      // Every user; orders only where the inner join to products matched (as SQLAlchemy).
      expect(result.map((u) => [u.id, u.orders.map((o) => [o.id, sortedIds(o.products)]).sort((a, b) => (a[0] as number) - (b[0] as number))])).toEqual([
        [1, [[10, [1, 2]]]], [2, [[12, [2]]]], [3, []], [4, [[14, [3]], [15, [1, 3]]]],
      ]);
    });

    it("an inner join below an inner join stays flat", async () => {
      const { result, sql } = await inFreshSession(engine, async (s) =>
        (await s.scalars(select(User).orderBy(User.id).options(joinedload(User.orders, { innerjoin: true }).joinedload(Order.products, { innerjoin: true })))).unique().all(),
      );
      expect(sql[0]).toMatch(/FROM users JOIN orders AS orders_1 ON users\.id = orders_1\.user_id JOIN \(order_products AS order_products_1 JOIN products AS products_1 ON .*\) ON orders_1\.id = order_products_1\.order_id ORDER BY users\.id$/);
      expect(ids(result)).toEqual([1, 2, 4]);
    });
  });

  describe("mixing strategies", () => {
    it("joinedload(Order.user) with selectinload(Order.products) is 2 statements", async () => {
      const { result, sql, params } = await inFreshSession(engine, async (s) =>
        (await s.scalars(select(Order).orderBy(Order.id).options(joinedload(Order.user), selectinload(Order.products)))).all(),
      );
      expect(sql).toHaveLength(2);
      expect(sql[0]).toMatch(/FROM orders LEFT OUTER JOIN users AS users_1 ON orders\.user_id = users_1\.id ORDER BY orders\.id$/);
      expect(sql[0]).not.toMatch(/products/);
      expect(sql[1]).toBe(PRODUCTS_BY_ORDERS);
      expect(params[1]).toEqual([[10, 11, 12, 13, 14, 15]]);
      expect(result.map((o) => [o.id, o.user!.id, sortedIds(o.products)])).toEqual([
        [10, 1, [1, 2]], [11, 1, []], [12, 2, [2]], [13, 4, []], [14, 4, [3]], [15, 4, [1, 3]],
      ]);
    });

    it("a selectinload below a joined collection is keyed on the joined children", async () => {
      await inFreshSession(engine, async (s) => {
        const users = await assertQueryCount(engine, 2, async () =>
          (await s.scalars(select(User).options(joinedload(User.orders).selectinload(Order.products)))).unique().all(),
        );
        expect(plainGraph(users)).toEqual(SEED_GRAPH);
      });
    });
  });
});
