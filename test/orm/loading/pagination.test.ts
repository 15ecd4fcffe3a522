/**
 * LIMIT/OFFSET with eager loads: the page counts parents, and each parent on it gets ALL its
 * children. selectin keys the page's parents, subquery re-runs the page as a subquery, and a joined
 * collection wraps the parent select in a subquery so the join cannot eat into the limit.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { func, joinedload, select, selectinload, subqueryload, type Engine } from "../../../src/index.js";
import { Invoice, Order, User } from "../../fixtures/models.js";
import { backends } from "../../support/backends.js";
import { freshEngine, ids, inFreshSession, sortedIds } from "./support.js";

const USER_COLUMNS = "users.id, users.email, users.tenant_id";

describe.each(backends)("eager loading with LIMIT/OFFSET ($name)", (backend) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await freshEngine(backend);
  });
  afterAll(() => engine?.dispose());

  const page = (limit: number, offset?: number) => {
    const stmt = select(User).orderBy(User.id).limit(limit);
    return offset === undefined ? stmt : stmt.offset(offset);
  };

  describe("selectinload", () => {
    it("limit(2): the loader is keyed on the page's users only", async () => {
      const { result, sql, params } = await inFreshSession(engine, async (s) => (await s.scalars(page(2).options(selectinload(User.orders)))).all());
      expect(sql).toHaveLength(2);
      expect(sql[0]).toBe(`SELECT ${USER_COLUMNS} FROM users ORDER BY users.id LIMIT $1`);
      expect(params[0]).toEqual([2]);
      expect(sql[1]).toMatch(/FROM orders WHERE orders\.user_id = ANY\(\$1\)$/);
      expect(sql[1]).not.toMatch(/LIMIT/);
      expect(params[1]).toEqual([[1, 2]]);
      expect(result.map((u) => [u.id, sortedIds(u.orders)])).toEqual([[1, [10, 11]], [2, [12]]]);
    });

    it("limit(2).offset(2): users 3 and 4, with all of user 4's orders", async () => {
      const { result, sql, params } = await inFreshSession(engine, async (s) => (await s.scalars(page(2, 2).options(selectinload(User.orders)))).all());
      expect(sql).toHaveLength(2);
      expect(sql[0]).toBe(`SELECT ${USER_COLUMNS} FROM users ORDER BY users.id LIMIT $1 OFFSET $2`);
      expect(params[0]).toEqual([2, 2]);
      expect(params[1]).toEqual([[3, 4]]);
      expect(result.map((u) => [u.id, sortedIds(u.orders)])).toEqual([[3, []], [4, [13, 14, 15]]]);
    });

    it("an offset past the end sends no loader query", async () => {
      const { result, sql } = await inFreshSession(engine, async (s) => (await s.scalars(page(2, 10).options(selectinload(User.orders)))).all());
      expect(result).toEqual([]);
      expect(sql).toHaveLength(1);
    });
  });

  describe("subqueryload", () => {
    it("repeats ORDER BY, LIMIT and OFFSET inside the subquery", async () => {
      const { result, sql, params } = await inFreshSession(engine, async (s) => (await s.scalars(page(2, 1).options(subqueryload(User.orders)))).all());
      expect(sql).toHaveLength(2);
      expect(sql[1]).toMatch(
        /FROM \(SELECT users\.id AS key_0 FROM users ORDER BY users\.id LIMIT \$1 OFFSET \$2\) AS anon_1 JOIN orders ON anon_1\.key_0 = orders\.user_id$/,
      );
      expect(params[1]).toEqual([2, 1]);
      expect(result.map((u) => [u.id, sortedIds(u.orders)])).toEqual([[2, [12]], [3, []]]);
    });

    it("the last page gets all of user 4's orders", async () => {
      const { result } = await inFreshSession(engine, async (s) => (await s.scalars(page(1, 3).options(subqueryload(User.orders)))).all());
      expect(result.map((u) => [u.id, sortedIds(u.orders)])).toEqual([[4, [13, 14, 15]]]);
    });
  });

  describe("joinedload", () => {
    it("a collection wraps the limited parent select in a subquery: limit(2) gives 2 users with ALL their orders", async () => {
      const { result, sql, params } = await inFreshSession(engine, async (s) =>
        (await s.scalars(page(2).options(joinedload(User.orders)))).unique().all(),
      );
      expect(sql).toEqual([
        "SELECT anon_1.id, anon_1.email, anon_1.tenant_id, orders_1.id, orders_1.user_id, orders_1.total, orders_1.created_at " +
          `FROM (SELECT ${USER_COLUMNS} FROM users ORDER BY users.id LIMIT $1) AS anon_1 ` +
          "LEFT OUTER JOIN orders AS orders_1 ON anon_1.id = orders_1.user_id ORDER BY anon_1.id",
      ]);
      expect(params[0]).toEqual([2]);
      // Unwrapped, LIMIT 2 would have returned user 1's two joined rows and nothing else.
      expect(result.map((u) => [u.id, sortedIds(u.orders)])).toEqual([[1, [10, 11]], [2, [12]]]);
    });

    it("offset: the page of users 3 and 4 has user 4's three orders", async () => {
      const { result, sql, params } = await inFreshSession(engine, async (s) =>
        (await s.scalars(page(2, 2).options(joinedload(User.orders)))).unique().all(),
      );
      expect(sql).toHaveLength(1);
      expect(sql[0]).toMatch(/FROM \(SELECT .* FROM users ORDER BY users\.id LIMIT \$1 OFFSET \$2\) AS anon_1 LEFT OUTER JOIN orders AS orders_1 ON anon_1\.id = orders_1\.user_id ORDER BY anon_1\.id$/);
      expect(params[0]).toEqual([2, 2]);
      expect(result.map((u) => [u.id, sortedIds(u.orders)])).toEqual([[3, []], [4, [13, 14, 15]]]);
    });

    it("descending order is kept inside and outside the subquery", async () => {
      const { result, sql } = await inFreshSession(engine, async (s) =>
        (await s.scalars(select(User).orderBy(User.id.desc()).limit(1).options(joinedload(User.orders)))).unique().all(),
      );
      expect(sql[0]).toMatch(/ORDER BY users\.id DESC LIMIT \$1\) AS anon_1 .* ORDER BY anon_1\.id DESC$/);
      expect(result.map((u) => [u.id, sortedIds(u.orders)])).toEqual([[4, [13, 14, 15]]]);
    });

    it("an ORDER BY on another table leaves the subquery as a column and is repeated outside", async () => {
      const { result, sql, params } = await inFreshSession(engine, async (s) =>
        (await s.scalars(select(User).join(User.invoice).orderBy(Invoice.amount.desc(), User.id).limit(2).options(joinedload(User.orders)))).unique().all(),
      );
      expect(sql).toEqual([
        "SELECT anon_1.id, anon_1.email, anon_1.tenant_id, orders_1.id, orders_1.user_id, orders_1.total, orders_1.created_at " +
          `FROM (SELECT ${USER_COLUMNS}, invoices.amount AS order_by_0 FROM users JOIN invoices ON users.id = invoices.user_id ` +
          "ORDER BY invoices.amount DESC, users.id LIMIT $1) AS anon_1 " +
          "LEFT OUTER JOIN orders AS orders_1 ON anon_1.id = orders_1.user_id ORDER BY anon_1.order_by_0 DESC, anon_1.id",
      ]);
      expect(params[0]).toEqual([2]);
      // Invoice amounts: user 4 → 20, user 1 → 9.5.
      expect(result.map((u) => [u.id, sortedIds(u.orders)])).toEqual([[4, [13, 14, 15]], [1, [10, 11]]]);
    });

    it("GROUP BY with a selected aggregate is wrapped too; the aggregate is read from the subquery", async () => {
      const { result, sql, params } = await inFreshSession(engine, async (s) =>
        (await s.execute(
          select(User, func.count(Order.id)).join(User.orders).groupBy(User.id).orderBy(User.id).limit(2).options(joinedload(User.orders)),
        )).unique().all().map(([u, n]) => [u.id, n, sortedIds(u.orders)]),
      );
      expect(sql).toHaveLength(1);
      expect(sql[0]).toMatch(
        /^SELECT anon_1\.id, anon_1\.email, anon_1\.tenant_id, anon_1\.anon, orders_1\.id, .* FROM \(SELECT users\.id, users\.email, users\.tenant_id, .*count\(orders\.id\).* AS anon FROM users JOIN orders ON users\.id = orders\.user_id GROUP BY users\.id ORDER BY users\.id LIMIT \$1\) AS anon_1 LEFT OUTER JOIN orders AS orders_1 ON anon_1\.id = orders_1\.user_id ORDER BY anon_1\.id$/,
      );
      expect(params[0]).toEqual([2]);
      expect(result).toEqual([[1, 2, [10, 11]], [2, 1, [12]]]);
    });

    it("GROUP BY without LIMIT: the joined collection is not counted into the groups", async () => {
      const { result, sql } = await inFreshSession(engine, async (s) =>
        (await s.execute(select(User, func.count(Order.id)).join(User.orders).groupBy(User.id).orderBy(User.id).options(joinedload(User.orders))))
          .unique().all().map(([u, n]) => [u.id, n, sortedIds(u.orders)]),
      );
      expect(sql).toHaveLength(1);
      expect(sql[0]).toMatch(/GROUP BY users\.id ORDER BY users\.id\) AS anon_1 LEFT OUTER JOIN orders AS orders_1/);
      expect(result).toEqual([[1, 2, [10, 11]], [2, 1, [12]], [4, 3, [13, 14, 15]]]);
    });

    it("a scalar joinedload is not wrapped: the limit counts orders", async () => {
      const { result, sql } = await inFreshSession(engine, async (s) =>
        (await s.scalars(select(Order).orderBy(Order.id).limit(3).options(joinedload(Order.user)))).all(),
      );
      expect(sql).toHaveLength(1);
      expect(sql[0]).toMatch(/^SELECT orders\.id, .* FROM orders LEFT OUTER JOIN users AS users_1 ON orders\.user_id = users_1\.id ORDER BY orders\.id LIMIT \$1$/);
      expect(sql[0]).not.toMatch(/anon_1/);
      expect(result.map((o) => [o.id, o.user!.id])).toEqual([[10, 1], [11, 1], [12, 2]]);
    });

    it("with a nested selectinload, the second level is keyed on the page's orders", async () => {
      const { result, sql, params } = await inFreshSession(engine, async (s) =>
        (await s.scalars(page(1, 3).options(joinedload(User.orders).selectinload(Order.products)))).unique().all(),
      );
      expect(sql).toHaveLength(2);
      expect((params[1]![0] as number[]).slice().sort()).toEqual([13, 14, 15]);
      expect(ids(result)).toEqual([4]);
      expect(result[0]!.orders.map((o) => [o.id, sortedIds(o.products)]).sort((a, b) => (a[0] as number) - (b[0] as number))).toEqual([[13, []], [14, [3]], [15, [1, 3]]]);
    });
  });
});
