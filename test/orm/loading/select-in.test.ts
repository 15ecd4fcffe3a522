/** selectinload: one batch query per relationship level, keyed on the parents (`= ANY($1)`). */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { insert, NotLoadedError, select, selectinload, type Engine } from "../../../src/index.js";
import { assertQueryCount } from "../../../src/testing/assert-sql.js";
import { Base, Order, TreeNode, User } from "../../fixtures/models.js";
import { backends } from "../../support/backends.js";
import { freshEngine, ids, inFreshSession, PRODUCTS_BY_ORDERS, plainGraph, SEED_GRAPH } from "./support.js";

/** A node whose levels recursionDepth loaded (the static types know only the first). */
interface Tree {
  readonly id: number;
  readonly children: readonly Tree[];
}

function readError(read: () => unknown): unknown {
  try {
    read();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe.each(backends)("selectinload ($name)", (backend) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await freshEngine(backend);
  });
  afterAll(() => engine?.dispose());

  describe("one-to-many (User.orders)", () => {
    it("loads every parent's collection with one keyed query and no join back to users", async () => {
      const { result, sql, params } = await inFreshSession(engine, async (s) =>
        (await s.scalars(select(User).orderBy(User.id).options(selectinload(User.orders)))).all(),
      );
      expect(sql).toHaveLength(2);
      expect(sql[0]).toBe("SELECT users.id, users.email, users.tenant_id FROM users ORDER BY users.id");
      expect(sql[1]).toMatch(/^SELECT orders\.user_id, orders\.id, .* FROM orders WHERE orders\.user_id = ANY\(\$1\)$/);
      expect(sql[1]).not.toMatch(/JOIN|users/);
      expect(params[1]).toEqual([[1, 2, 3, 4]]);
      expect(ids(result)).toEqual([1, 2, 3, 4]);
      expect(result.map((u) => ids(u.orders).sort())).toEqual([[10, 11], [12], [], [13, 14, 15]]);
      expect(result.find((u) => u.id === 4)!.orders.map((o) => o.total).sort((a, b) => a - b)).toEqual([80, 120, 500]);
    });

    it("gives [] to parents without children, and sends the same single statement for one parent", async () => {
      const { result, sql, params } = await inFreshSession(engine, async (s) =>
        (await s.scalars(select(User).where(User.id.eq(3)).options(selectinload(User.orders)))).all(),
      );
      expect(sql).toHaveLength(2);
      expect(sql[1]).toMatch(/FROM orders WHERE orders\.user_id = ANY\(\$1\)$/);
      expect(params[1]).toEqual([[3]]);
      expect(result).toHaveLength(1);
      expect(result[0]!.orders).toEqual([]);
    });

    it("is one loader statement whatever the number of parents", async () => {
      const one = await inFreshSession(engine, async (s) => (await s.scalars(select(User).where(User.id.eq(1)).options(selectinload(User.orders)))).all());
      const all = await inFreshSession(engine, async (s) => (await s.scalars(select(User).options(selectinload(User.orders)))).all());
      expect(one.sql).toHaveLength(2);
      expect(all.sql).toHaveLength(2);
      // Same SQL text: only the array parameter differs.
      expect(one.sql[1]).toBe(all.sql[1]);
      expect(one.params[1]).toEqual([[1]]);
      expect((all.params[1]![0] as number[]).slice().sort()).toEqual([1, 2, 3, 4]);
    });

    it("sends no loader query when the parent query returns no rows", async () => {
      const { result, sql } = await inFreshSession(engine, async (s) =>
        (await s.scalars(select(User).where(User.id.gt(1000)).options(selectinload(User.orders)))).all(),
      );
      expect(result).toEqual([]);
      expect(sql).toEqual(["SELECT users.id, users.email, users.tenant_id FROM users WHERE users.id > $1"]);
    });

    it("assertQueryCount agrees: 2 statements, and reading the collections sends nothing more", async () => {
      await inFreshSession(engine, async (s) => {
        const users = await assertQueryCount(engine, 2, async () => (await s.scalars(select(User).options(selectinload(User.orders)))).all());
        await assertQueryCount(engine, 0, async () => users.reduce((n, u) => n + u.orders.length, 0));
        expect(users.reduce((n, u) => n + u.orders.length, 0)).toBe(6);
      });
    });
  });

  describe("many parents", () => {
    it("1,500 parents are still one loader statement with one array parameter", async () => {
      const n = 1500;
      const keys = Array.from({ length: n }, (_, i) => 1000 + i);
      const { result, sql, params } = await inFreshSession(engine, async (s) => {
        // Written in the session's transaction, rolled back when it closes.
        await s.execute(insert(Base.metadata.table("users")).fromArrays(["id", "email"], [keys, keys.map((k) => `bulk${k}@example.com`)]));
        await s.execute(insert(Base.metadata.table("orders")).fromArrays(["id", "user_id", "total"], [keys, keys, keys.map(() => 1)]));
        const users = (await s.scalars(select(User).where(User.id.ge(1000)).options(selectinload(User.orders)))).all();
        return users.map((u) => ids(u.orders));
      });
      expect(sql).toHaveLength(4);
      expect(sql[3]).toMatch(/FROM orders WHERE orders\.user_id = ANY\(\$1\)$/);
      expect(params[3]).toHaveLength(1);
      expect((params[3]![0] as number[]).slice().sort((a, b) => a - b)).toEqual(keys);
      expect(result).toHaveLength(n);
      expect(result.every((orders) => orders.length === 1)).toBe(true);
      const after = await inFreshSession(engine, async (s) => (await s.scalars(select(User))).all().length);
      expect(after.result).toBe(4);
    });
  });

  describe("many-to-one (Order.user)", () => {
    it("queries users by the distinct foreign keys of the orders", async () => {
      const { result, sql, params } = await inFreshSession(engine, async (s) =>
        (await s.scalars(select(Order).orderBy(Order.id).options(selectinload(Order.user)))).all(),
      );
      expect(sql).toHaveLength(2);
      expect(sql[1]).toBe("SELECT users.id, users.email, users.tenant_id FROM users WHERE users.id = ANY($1)");
      // Six orders, three distinct users.
      expect((params[1]![0] as number[]).slice().sort()).toEqual([1, 2, 4]);
      expect(result.map((o) => [o.id, o.user!.id])).toEqual([[10, 1], [11, 1], [12, 2], [13, 4], [14, 4], [15, 4]]);
      // One object per user: orders of the same user share it.
      expect(result[0]!.user).toBe(result[1]!.user);
    });

    it("leaves NULL foreign keys out of the key list and sets null", async () => {
      const { result, sql, params } = await inFreshSession(engine, async (s) =>
        (await s.scalars(select(TreeNode).where(TreeNode.id.in([1, 4, 7])).orderBy(TreeNode.id).options(selectinload(TreeNode.parent)))).all(),
      );
      expect(sql).toHaveLength(2);
      expect(sql[1]).toBe("SELECT nodes.id, nodes.parent_id, nodes.name FROM nodes WHERE nodes.id = ANY($1)");
      expect(params[1]).toEqual([[2]]);
      expect(result.map((n) => [n.id, n.parent?.id ?? null])).toEqual([[1, null], [4, 2], [7, null]]);
    });

    it("sends no statement when every target is already in the identity map", async () => {
      const { result, sql } = await inFreshSession(engine, async (s) => {
        const users = (await s.scalars(select(User))).all();
        const orders = await assertQueryCount(engine, 1, async () =>
          (await s.scalars(select(Order).orderBy(Order.id).options(selectinload(Order.user)))).all(),
        );
        return { users, orders };
      });
      expect(sql).toHaveLength(2);
      expect(sql[1]).toMatch(/^SELECT orders\.id, .* FROM orders ORDER BY orders\.id$/);
      for (const o of result.orders) expect(result.users).toContain(o.user);
      expect(result.orders.map((o) => o.user!.id)).toEqual([1, 1, 2, 4, 4, 4]);
    });

    it("queries only the targets that are missing from the identity map", async () => {
      const { sql, params } = await inFreshSession(engine, async (s) => {
        await s.scalars(select(User).where(User.id.eq(1)));
        return (await s.scalars(select(Order).options(selectinload(Order.user)))).all();
      });
      expect(sql).toHaveLength(3);
      expect(sql[2]).toMatch(/FROM users WHERE users\.id = ANY\(\$1\)$/);
      expect((params[2]![0] as number[]).slice().sort()).toEqual([2, 4]);
    });
  });

  describe("one-to-one (User.invoice)", () => {
    it("loads the invoice or null, with one query keyed on invoices.user_id", async () => {
      const { result, sql, params } = await inFreshSession(engine, async (s) =>
        (await s.scalars(select(User).orderBy(User.id).options(selectinload(User.invoice)))).all(),
      );
      expect(sql).toHaveLength(2);
      expect(sql[1]).toMatch(/^SELECT invoices\.user_id, invoices\.id, .* FROM invoices WHERE invoices\.user_id = ANY\(\$1\)$/);
      expect(params[1]).toEqual([[1, 2, 3, 4]]);
      expect(result.map((u) => u.invoice?.id ?? null)).toEqual([100, null, null, 101]);
      expect(result[1]!.invoice).toBeNull();
      expect(result[0]!.invoice!.amount).toBe(9.5);
    });
  });

  describe("many-to-many (Order.products through order_products)", () => {
    it("joins the association table inside the loader query, keyed on its order_id", async () => {
      const { result, sql, params } = await inFreshSession(engine, async (s) =>
        (await s.scalars(select(Order).orderBy(Order.id).options(selectinload(Order.products)))).all(),
      );
      expect(sql).toHaveLength(2);
      expect(sql[1]).toBe(PRODUCTS_BY_ORDERS);
      expect(params[1]).toEqual([[10, 11, 12, 13, 14, 15]]);
      expect(result.map((o) => [o.id, ids(o.products).sort()])).toEqual([[10, [1, 2]], [11, []], [12, [2]], [13, []], [14, [3]], [15, [1, 3]]]);
      // Product 1 appears under orders 10 and 15 as one object.
      expect(result[0]!.products.find((p) => p.id === 1)).toBe(result[5]!.products.find((p) => p.id === 1));
    });
  });

  describe("chains", () => {
    it("selectinload(User.orders).selectinload(Order.products) is exactly 3 statements", async () => {
      const { result, sql, params } = await inFreshSession(engine, async (s) =>
        (await s.scalars(select(User).options(selectinload(User.orders).selectinload(Order.products)))).all(),
      );
      expect(sql).toHaveLength(3);
      expect(sql[0]).toMatch(/FROM users$/);
      expect(sql[1]).toMatch(/FROM orders WHERE orders\.user_id = ANY\(\$1\)$/);
      expect(sql[2]).toBe(PRODUCTS_BY_ORDERS);
      expect((params[2]![0] as number[]).slice().sort()).toEqual([10, 11, 12, 13, 14, 15]);
      expect(plainGraph(result)).toEqual(SEED_GRAPH);
    });

    it("stops when a level is empty: no products query when no order was loaded", async () => {
      const { result, sql } = await inFreshSession(engine, async (s) =>
        (await s.scalars(select(User).where(User.id.eq(3)).options(selectinload(User.orders).selectinload(Order.products)))).all(),
      );
      expect(sql).toHaveLength(2);
      expect(sql[1]).toMatch(/FROM orders WHERE/);
      expect(result[0]!.orders).toEqual([]);
    });

    it("a back-reference chain User.orders → Order.user reuses the parents without another query", async () => {
      const { result, sql } = await inFreshSession(engine, async (s) =>
        (await s.scalars(select(User).where(User.id.eq(4)).options(selectinload(User.orders).selectinload(Order.user)))).all(),
      );
      // The users are in the identity map: the many-to-one level needs no SQL.
      expect(sql).toHaveLength(2);
      for (const o of result[0]!.orders) expect(o.user).toBe(result[0]);
    });
  });

  describe("self-referential (TreeNode.children)", () => {
    const childrenQuery = /^SELECT nodes\.parent_id, nodes\.id, nodes\.parent_id, nodes\.name FROM nodes WHERE nodes\.parent_id = ANY\(\$1\)$/;

    it("without recursionDepth loads one level", async () => {
      const { result, sql } = await inFreshSession(engine, async (s) => {
        const [root] = (await s.scalars(select(TreeNode).where(TreeNode.id.eq(1)).options(selectinload(TreeNode.children)))).all();
        // Read while the session is open: an unloaded relationship needs a query, which Athanor never runs implicitly.
        return { root: root!, below: readError(() => root!.children.find((c) => c.id === 2)!.children) };
      });
      expect(sql).toHaveLength(2);
      expect(ids(result.root.children).sort()).toEqual([2, 3]);
      expect(result.below).toBeInstanceOf(NotLoadedError);
      expect((result.below as Error).message).toContain("'Node.children' is not loaded");
    });

    it.each([0, 1, 2])("recursionDepth %i loads N+1 levels with N+1 loader statements", async (depth) => {
      const { result, sql, params } = await inFreshSession(engine, async (s) => {
        const [root] = (await s.scalars(select(TreeNode).where(TreeNode.id.eq(1)).options(selectinload(TreeNode.children, { recursionDepth: depth })))).all();
        // Walk down the loaded levels; the level below the last one is not loaded.
        let level = [root as unknown as Tree];
        for (let i = 0; i <= depth; i++) level = level.flatMap((n) => n.children);
        return { level: ids(level).sort(), below: readError(() => level[0]!.children) };
      });
      expect(sql).toHaveLength(1 + depth + 1);
      for (const q of sql.slice(1)) expect(q).toMatch(childrenQuery);
      // Each level is keyed on the previous level's nodes.
      const levels = [[1], [2, 3], [4], [5]].slice(0, depth + 1);
      expect(params.slice(1).map((p) => (p[0] as number[]).slice().sort())).toEqual(levels);
      expect(result.level).toEqual([[2, 3], [4], [5]][depth]);
      expect(result.below).toBeInstanceOf(NotLoadedError);
    });

    it("recursionDepth -1 loads until a level comes back empty", async () => {
      const { result, sql, params } = await inFreshSession(engine, async (s) =>
        (await s.scalars(select(TreeNode).where(TreeNode.id.eq(1)).options(selectinload(TreeNode.children, { recursionDepth: -1 })))).all(),
      );
      // Levels keyed on [1], [2,3], [4], [5], [6]; the last returns nothing.
      expect(sql).toHaveLength(6);
      for (const q of sql.slice(1)) expect(q).toMatch(childrenQuery);
      expect(params.slice(1).map((p) => (p[0] as number[]).slice().sort())).toEqual([[1], [2, 3], [4], [5], [6]]);
      const path: number[] = [];
      // recursionDepth loads levels the static types cannot follow: read them as a plain tree.
      let node = result[0] as unknown as Tree;
      for (;;) {
        path.push(node.id);
        const next = node.children.find((c) => c.id !== 3);
        if (next === undefined) break;
        node = next;
      }
      expect(path).toEqual([1, 2, 4, 5, 6]);
      expect(node.children).toEqual([]);
      expect((result[0] as unknown as Tree).children.find((c) => c.id === 3)!.children).toEqual([]);
    });

    it("recursionDepth -1 over several roots stops after the deepest branch", async () => {
      const { result, sql } = await inFreshSession(engine, async (s) =>
        (await s.scalars(select(TreeNode).where(TreeNode.parentId.isNull()).orderBy(TreeNode.id).options(selectinload(TreeNode.children, { recursionDepth: -1 })))).all(),
      );
      expect(ids(result)).toEqual([1, 7]);
      expect(sql).toHaveLength(6);
      expect(result[1]!.children).toEqual([]);
    });
  });
});
