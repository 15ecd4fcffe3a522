/**
 * subqueryload re-runs the parent statement as a subquery joined to the children; immediateload
 * sends one query per parent right after the parents load. Both load the same graphs as selectin.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { immediateload, select, selectinload, subqueryload, type Engine } from "../../../src/index.js";
import { Order, TreeNode, User } from "../../fixtures/models.js";
import { backends } from "../../support/backends.js";
import { freshEngine, ids, inFreshSession, PRODUCTS_BY_ORDERS, plainGraph, SEED_GRAPH, sortedIds } from "./support.js";

const ORDERS_BY_USER = /^SELECT orders\.user_id, orders\.id, .* FROM orders WHERE orders\.user_id = ANY\(\$1\)$/;

describe.each(backends)("subqueryload and immediateload ($name)", (backend) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await freshEngine(backend);
  });
  afterAll(() => engine?.dispose());

  describe("subqueryload", () => {
    it("embeds the parent query, WHERE and parameters included (ORDER BY dropped without LIMIT), as a subquery", async () => {
      const { result, sql, params } = await inFreshSession(engine, async (s) =>
        (await s.scalars(select(User).where(User.id.lt(3)).orderBy(User.id).options(subqueryload(User.orders)))).all(),
      );
      expect(sql).toHaveLength(2);
      expect(sql[0]).toBe("SELECT users.id, users.email, users.tenant_id FROM users WHERE users.id < $1 ORDER BY users.id");
      expect(sql[1]).toMatch(
        /^SELECT anon_1\.key_0, orders\.id, orders\.user_id, orders\.total, orders\.created_at FROM \(SELECT users\.id AS key_0 FROM users WHERE users\.id < \$1\) AS anon_1 JOIN orders ON anon_1\.key_0 = orders\.user_id$/,
      );
      expect(sql[1]).not.toMatch(/ANY/);
      // The parent's parameters are sent again; no key list.
      expect(params[1]).toEqual([3]);
      expect(result.map((u) => [u.id, sortedIds(u.orders)])).toEqual([[1, [10, 11]], [2, [12]]]);
    });

    it("gives [] to parents without children", async () => {
      const { result, sql } = await inFreshSession(engine, async (s) =>
        (await s.scalars(select(User).where(User.id.eq(3)).options(subqueryload(User.orders)))).all(),
      );
      expect(sql).toHaveLength(2);
      expect(result[0]!.orders).toEqual([]);
    });

    it("many-to-many goes through the association table from the subquery", async () => {
      const { result, sql } = await inFreshSession(engine, async (s) =>
        (await s.scalars(select(Order).where(Order.userId.eq(4)).orderBy(Order.id).options(subqueryload(Order.products)))).all(),
      );
      expect(sql).toHaveLength(2);
      expect(sql[1]).toMatch(
        /FROM \(SELECT orders\.id AS key_0 FROM orders WHERE orders\.user_id = \$1\) AS anon_1 JOIN order_products AS order_products_1 ON anon_1\.key_0 = order_products_1\.order_id JOIN products ON order_products_1\.product_id = products\.id$/,
      );
      expect(result.map((o) => [o.id, sortedIds(o.products)])).toEqual([[13, []], [14, [3]], [15, [1, 3]]]);
    });

    it("many-to-one (Order.user) and one-to-one (User.invoice)", async () => {
      const { result, sql } = await inFreshSession(engine, async (s) => {
        const orders = (await s.scalars(select(Order).orderBy(Order.id).options(subqueryload(Order.user)))).all();
        const users = (await s.scalars(select(User).orderBy(User.id).options(subqueryload(User.invoice)))).all();
        return { orders: orders.map((o) => [o.id, o.user!.id]), invoices: users.map((u) => u.invoice?.id ?? null) };
      });
      expect(sql).toHaveLength(4);
      expect(sql[1]).toMatch(/FROM \(SELECT orders\.user_id AS key_0 FROM orders\) AS anon_1 JOIN users ON anon_1\.key_0 = users\.id$/);
      expect(sql[3]).toMatch(/FROM \(SELECT users\.id AS key_0 FROM users\) AS anon_1 JOIN invoices ON anon_1\.key_0 = invoices\.user_id$/);
      expect(result.orders).toEqual([[10, 1], [11, 1], [12, 2], [13, 4], [14, 4], [15, 4]]);
      expect(result.invoices).toEqual([100, null, null, 101]);
    });

    it("chained subqueryload(User.orders).subqueryload(Order.products): 3 statements, same graph as selectin", async () => {
      const sub = await inFreshSession(engine, async (s) =>
        plainGraph((await s.scalars(select(User).options(subqueryload(User.orders).subqueryload(Order.products)))).all()),
      );
      const sel = await inFreshSession(engine, async (s) =>
        plainGraph((await s.scalars(select(User).options(selectinload(User.orders).selectinload(Order.products)))).all()),
      );
      expect(sub.sql).toHaveLength(3);
      expect(sub.sql[1]).toMatch(/FROM \(SELECT users\.id AS key_0 FROM users\) AS anon_1 JOIN orders/);
      expect(sub.sql[2]).toBe(PRODUCTS_BY_ORDERS);
      expect(sub.result).toEqual(SEED_GRAPH);
      expect(sub.result).toEqual(sel.result);
    });

    it("with several entities selected, keys on the entity the option starts from", async () => {
      const { result, sql } = await inFreshSession(engine, async (s) =>
        (await s.execute(select(User, Order).join(User.orders).where(Order.total.gt(100)).orderBy(Order.id).options(subqueryload(Order.products)))).all()
          .map(([u, o]) => [u.id, o.id, sortedIds(o.products)]),
      );
      expect(sql).toHaveLength(2);
      expect(sql[1]).toMatch(
        /FROM \(SELECT orders\.id AS key_0 FROM users JOIN orders ON users\.id = orders\.user_id WHERE orders\.total > \$1\) AS anon_1 JOIN order_products AS order_products_1 ON anon_1\.key_0 = order_products_1\.order_id/,
      );
      expect(result).toEqual([[1, 11, []], [2, 12, [2]], [4, 14, [3]], [4, 15, [1, 3]]]);
    });

    it("with the parent entity second in the select list", async () => {
      const { result, sql } = await inFreshSession(engine, async (s) =>
        (await s.execute(select(Order, User).join(Order.user).orderBy(Order.id).options(subqueryload(User.invoice)))).all()
          .map(([o, u]) => [o.id, u.id, u.invoice?.id ?? null]),
      );
      expect(sql).toHaveLength(2);
      expect(sql[1]).toMatch(/FROM \(SELECT users\.id AS key_0 FROM orders JOIN users ON orders\.user_id = users\.id\) AS anon_1 JOIN invoices ON anon_1\.key_0 = invoices\.user_id$/);
      expect(result).toEqual([[10, 1, 100], [11, 1, 100], [12, 2, null], [13, 4, 101], [14, 4, 101], [15, 4, 101]]);
    });

    it("self-referential: the derived table reads nodes on its own, not correlated to the joined nodes", async () => {
      const { result, sql, params } = await inFreshSession(engine, async (s) => {
        const nodes = (await s.scalars(select(TreeNode).orderBy(TreeNode.id).limit(2).options(subqueryload(TreeNode.children)))).all();
        return nodes.map((n) => [n.id, sortedIds(n.children)]);
      });
      expect(sql).toHaveLength(2);
      expect(sql[1]).toBe(
        "SELECT anon_1.key_0, nodes.id, nodes.parent_id, nodes.name FROM (SELECT nodes.id AS key_0 FROM nodes ORDER BY nodes.id LIMIT $1) AS anon_1 JOIN nodes ON anon_1.key_0 = nodes.parent_id",
      );
      expect(params[1]).toEqual([2]);
      expect(result).toEqual([[1, [2, 3]], [2, [4]]]);
    });

    it("self-referential many-to-one (TreeNode.parent)", async () => {
      const { result, sql } = await inFreshSession(engine, async (s) =>
        (await s.scalars(select(TreeNode).where(TreeNode.id.in([4, 6, 7])).orderBy(TreeNode.id).options(subqueryload(TreeNode.parent)))).all()
          .map((n) => [n.id, n.parent?.id ?? null]),
      );
      expect(sql).toHaveLength(2);
      expect(sql[1]).toMatch(/FROM \(SELECT nodes\.parent_id AS key_0 FROM nodes WHERE nodes\.id IN \(\$1, \$2, \$3\)\) AS anon_1 JOIN nodes ON anon_1\.key_0 = nodes\.id$/);
      expect(result).toEqual([[4, 2], [6, 5], [7, null]]);
    });

    it("sends no subquery when the parent query returned no rows", async () => {
      const { result, sql } = await inFreshSession(engine, async (s) =>
        (await s.scalars(select(User).where(User.id.gt(1000)).options(subqueryload(User.orders)))).all(),
      );
      expect(result).toEqual([]);
      expect(sql).toHaveLength(1);
    });
  });

  describe("immediateload", () => {
    it("sends one query per parent, each keyed on that parent only", async () => {
      const { result, sql, params } = await inFreshSession(engine, async (s) =>
        (await s.scalars(select(User).orderBy(User.id).options(immediateload(User.orders)))).all(),
      );
      expect(sql).toHaveLength(1 + 4);
      for (const q of sql.slice(1)) expect(q).toMatch(ORDERS_BY_USER);
      expect(params.slice(1)).toEqual([[[1]], [[2]], [[3]], [[4]]]);
      expect(result.map((u) => sortedIds(u.orders))).toEqual([[10, 11], [12], [], [13, 14, 15]]);
    });

    it("many-to-one skips targets already in the identity map", async () => {
      const { result, sql, params } = await inFreshSession(engine, async (s) =>
        (await s.scalars(select(Order).orderBy(Order.id).options(immediateload(Order.user)))).all(),
      );
      // Orders 10 and 11 share user 1; 13, 14 and 15 share user 4: 3 queries, not 6.
      expect(sql).toHaveLength(1 + 3);
      for (const q of sql.slice(1)) expect(q).toBe("SELECT users.id, users.email, users.tenant_id FROM users WHERE users.id = ANY($1)");
      expect(params.slice(1)).toEqual([[[1]], [[2]], [[4]]]);
      expect(result.map((o) => o.user!.id)).toEqual([1, 1, 2, 4, 4, 4]);
    });

    it("one-to-one gives null where there is no row", async () => {
      const { result, sql } = await inFreshSession(engine, async (s) =>
        (await s.scalars(select(User).orderBy(User.id).options(immediateload(User.invoice)))).all(),
      );
      expect(sql).toHaveLength(1 + 4);
      expect(result.map((u) => u.invoice?.id ?? null)).toEqual([100, null, null, 101]);
    });

    it("chained immediateload: one query per user, then one per order; same graph as selectin", async () => {
      const { result, sql } = await inFreshSession(engine, async (s) =>
        plainGraph((await s.scalars(select(User).options(immediateload(User.orders).immediateload(Order.products)))).all()),
      );
      expect(sql).toHaveLength(1 + 4 + 6);
      expect(sql.slice(5)).toEqual(Array(6).fill(PRODUCTS_BY_ORDERS));
      expect(result).toEqual(SEED_GRAPH);
    });

    it("sends nothing more when the parent query returned no rows", async () => {
      const { result, sql } = await inFreshSession(engine, async (s) =>
        (await s.scalars(select(User).where(User.id.gt(1000)).options(immediateload(User.orders)))).all(),
      );
      expect(ids(result)).toEqual([]);
      expect(sql).toHaveLength(1);
    });
  });
});
