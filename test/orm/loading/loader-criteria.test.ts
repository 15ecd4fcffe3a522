/**
 * Loader criteria: `User.orders.and(Order.total.gt(100))` narrows the loaded collection. Keyed
 * loaders put the condition in WHERE (its parameter numbered before the key array), joined loads
 * put it in the ON clause against the join's alias, so parents without matches are kept.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { immediateload, joinedload, select, selectinload, subqueryload, type Engine } from "../../../src/index.js";
import { Order, Product, User } from "../../fixtures/models.js";
import { backends } from "../../support/backends.js";
import { freshEngine, ids, inFreshSession, PRODUCTS_BY_ORDERS, sortedIds } from "./support.js";

const EXPECTED = [[1, [11]], [2, [12]], [3, []], [4, [14, 15]]];

describe.each(backends)("loader criteria ($name)", (backend) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await freshEngine(backend);
  });
  afterAll(() => engine?.dispose());

  it("selectinload(User.orders.and(Order.total.gt(100))) filters in the loader's WHERE", async () => {
    const { result, sql, params } = await inFreshSession(engine, async (s) =>
      (await s.scalars(select(User).orderBy(User.id).options(selectinload(User.orders.and(Order.total.gt(100)))))).all(),
    );
    expect(sql).toHaveLength(2);
    expect(sql[1]).toMatch(/^SELECT orders\.user_id, .* FROM orders WHERE orders\.total > \$1 AND orders\.user_id = ANY\(\$2\)$/);
    expect(params[1]).toEqual([100, [1, 2, 3, 4]]);
    expect(result.map((u) => [u.id, sortedIds(u.orders)])).toEqual(EXPECTED);
  });

  it("several conditions are ANDed", async () => {
    const { result, sql, params } = await inFreshSession(engine, async (s) =>
      (await s.scalars(select(User).orderBy(User.id).options(selectinload(User.orders.and(Order.total.gt(100)).and(Order.total.lt(400)))))).all(),
    );
    expect(sql[1]).toMatch(/WHERE \(?orders\.total > \$1 AND orders\.total < \$2\)? AND orders\.user_id = ANY\(\$3\)$/);
    expect(params[1]).toEqual([100, 400, [1, 2, 3, 4]]);
    expect(result.map((u) => [u.id, sortedIds(u.orders)])).toEqual([[1, [11]], [2, [12]], [3, []], [4, [14]]]);
  });

  it("joinedload(User.orders.and(...)) puts the condition in the ON clause, against the alias", async () => {
    const { result, sql, params } = await inFreshSession(engine, async (s) =>
      (await s.scalars(select(User).orderBy(User.id).options(joinedload(User.orders.and(Order.total.gt(100)))))).unique().all(),
    );
    expect(sql).toEqual([
      "SELECT users.id, users.email, users.tenant_id, orders_1.id, orders_1.user_id, orders_1.total, orders_1.created_at " +
        "FROM users LEFT OUTER JOIN orders AS orders_1 ON users.id = orders_1.user_id AND orders_1.total > $1 ORDER BY users.id",
    ]);
    expect(params[0]).toEqual([100]);
    // In ON, not WHERE: user 3 (no orders) is kept with [].
    expect(result.map((u) => [u.id, sortedIds(u.orders)])).toEqual(EXPECTED);
  });

  it("joinedload criteria on a many-to-many apply to the target's alias inside the nested join", async () => {
    const { result, sql, params } = await inFreshSession(engine, async (s) =>
      (await s.scalars(select(Order).orderBy(Order.id).options(joinedload(Order.products.and(Product.id.ne(1)))))).unique().all(),
    );
    expect(sql).toHaveLength(1);
    expect(sql[0]).toMatch(/LEFT OUTER JOIN \(order_products AS order_products_1 JOIN products AS products_1 ON order_products_1\.product_id = products_1\.id AND products_1\.id <> \$1\) ON orders\.id = order_products_1\.order_id/);
    expect(params[0]).toEqual([1]);
    expect(result.map((o) => [o.id, sortedIds(o.products)])).toEqual([[10, [2]], [11, []], [12, [2]], [13, []], [14, [3]], [15, [3]]]);
  });

  it("joinedload criteria on a many-to-many that name the parent go in the outer ON clause", async () => {
    // Products whose id differs from the order's user id: 10 (user 1) → [2], 14 (user 4) → [3], 15 (user 4) → [1, 3].
    const { result, sql, params } = await inFreshSession(engine, async (s) =>
      (await s.scalars(select(Order).orderBy(Order.id).options(joinedload(Order.products.and(Product.id.ne(Order.userId)))))).unique().all(),
    );
    expect(sql).toHaveLength(1);
    expect(sql[0]).toMatch(/LEFT OUTER JOIN \(order_products AS order_products_1 JOIN products AS products_1 ON order_products_1\.product_id = products_1\.id\) ON orders\.id = order_products_1\.order_id AND products_1\.id <> orders\.user_id ORDER BY orders\.id$/);
    expect(params[0]).toEqual([]);
    expect(result.map((o) => [o.id, sortedIds(o.products)])).toEqual([[10, [2]], [11, []], [12, []], [13, []], [14, [3]], [15, [1, 3]]]);
  });

  it("a chained many-to-many criterion naming the previous level reads that level's alias", async () => {
    const { result, sql } = await inFreshSession(engine, async (s) =>
      (await s.scalars(select(User).orderBy(User.id).options(joinedload(User.orders).joinedload(Order.products.and(Product.id.ne(Order.userId)))))).unique().all(),
    );
    expect(sql).toHaveLength(1);
    expect(sql[0]).toMatch(/\) ON orders_1\.id = order_products_1\.order_id AND products_1\.id <> orders_1\.user_id ORDER BY users\.id$/);
    const products = result.flatMap((u) => u.orders.map((o) => [o.id, sortedIds(o.products)]));
    expect(products.sort((a, b) => (a[0] as number) - (b[0] as number))).toEqual([[10, [2]], [11, []], [12, []], [13, []], [14, [3]], [15, [1, 3]]]);
  });

  it("joinedload criteria with LIMIT stay in the ON clause outside the wrapped subquery", async () => {
    const { result, sql, params } = await inFreshSession(engine, async (s) =>
      (await s.scalars(select(User).orderBy(User.id).limit(2).options(joinedload(User.orders.and(Order.total.gt(100)))))).unique().all(),
    );
    expect(sql[0]).toMatch(/\) AS anon_1 LEFT OUTER JOIN orders AS orders_1 ON anon_1\.id = orders_1\.user_id AND orders_1\.total > \$2 ORDER BY anon_1\.id$/);
    expect(params[0]).toEqual([2, 100]);
    expect(result.map((u) => [u.id, sortedIds(u.orders)])).toEqual([[1, [11]], [2, [12]]]);
  });

  it("joinedload criteria that name the parent follow it into the LIMIT wrapper", async () => {
    // Orders whose total exceeds 100 × the user's id: user 1 → 11 (150); user 2 → 12 (300).
    const { result, sql, params } = await inFreshSession(engine, async (s) =>
      (await s.scalars(select(User).orderBy(User.id).limit(2).options(joinedload(User.orders.and(Order.total.gt(User.id.mul(100))))))).unique().all(),
    );
    expect(sql).toHaveLength(1);
    expect(sql[0]).toMatch(/\) AS anon_1 LEFT OUTER JOIN orders AS orders_1 ON anon_1\.id = orders_1\.user_id AND orders_1\.total > \(anon_1\.id \* \$2\) ORDER BY anon_1\.id$/);
    expect(params[0]).toEqual([2, 100]);
    expect(result.map((u) => [u.id, sortedIds(u.orders)])).toEqual([[1, [11]], [2, [12]]]);
  });

  it("subqueryload criteria go into the join to the children", async () => {
    const { result, sql, params } = await inFreshSession(engine, async (s) =>
      (await s.scalars(select(User).orderBy(User.id).options(subqueryload(User.orders.and(Order.total.gt(100)))))).all(),
    );
    expect(sql).toHaveLength(2);
    expect(sql[1]).toMatch(/JOIN orders ON anon_1\.key_0 = orders\.user_id AND orders\.total > \$1$/);
    expect(params[1]).toEqual([100]);
    expect(result.map((u) => [u.id, sortedIds(u.orders)])).toEqual(EXPECTED);
  });

  it("immediateload criteria apply to each per-parent query", async () => {
    const { result, sql, params } = await inFreshSession(engine, async (s) =>
      (await s.scalars(select(User).orderBy(User.id).options(immediateload(User.orders.and(Order.total.gt(100)))))).all(),
    );
    expect(sql).toHaveLength(5);
    for (const q of sql.slice(1)) expect(q).toMatch(/WHERE orders\.total > \$1 AND orders\.user_id = ANY\(\$2\)$/);
    expect(params.slice(1)).toEqual([[100, [1]], [100, [2]], [100, [3]], [100, [4]]]);
    expect(result.map((u) => [u.id, sortedIds(u.orders)])).toEqual(EXPECTED);
  });

  it("criteria on the second level of a chain filter only that level", async () => {
    const { result, sql, params } = await inFreshSession(engine, async (s) =>
      (await s.scalars(select(User).where(User.id.eq(4)).options(selectinload(User.orders).selectinload(Order.products.and(Product.id.eq(3)))))).all(),
    );
    expect(sql).toHaveLength(3);
    expect(sql[2]).toBe(`${PRODUCTS_BY_ORDERS} WHERE products.id = $2`);
    expect(params[2]![1]).toBe(3);
    expect(ids(result)).toEqual([4]);
    expect(result[0]!.orders.map((o) => [o.id, sortedIds(o.products)]).sort((a, b) => (a[0] as number) - (b[0] as number))).toEqual([[13, []], [14, [3]], [15, [3]]]);
  });
});
