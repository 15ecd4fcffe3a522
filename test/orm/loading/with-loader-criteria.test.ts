/**
 * withLoaderCriteria applies everywhere its entity is loaded (issue 11, defect 5): the
 * statement's own join to it, joined eager loads, keyed loads (also below a joined step), and
 * later session.load() / refresh() of objects that statement loaded. It used to be skipped on
 * join(User.orders), refused with joinedload, and forgotten after the statement.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { aliased, joinedload, select, selectinload, withLoaderCriteria, type Engine } from "../../../src/index.js";
import { Order, Product, User } from "../../fixtures/models.js";
import { backends } from "../../support/backends.js";
import { freshEngine, ids, inFreshSession, sortedIds } from "./support.js";

const USER_COLUMNS = "users.id, users.email, users.tenant_id";
const ORDER_COLUMNS = "orders.id, orders.user_id, orders.total, orders.created_at";
const bigOrders = () => withLoaderCriteria(Order, Order.total.gt(100));
/** Orders over 100 per user (users 1..4). */
const BIG = [[1, [11]], [2, [12]], [3, []], [4, [14, 15]]];

describe.each(backends)("withLoaderCriteria everywhere ($name)", (backend) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await freshEngine(backend);
  });
  afterAll(() => engine?.dispose());

  it("the statement's own join(User.orders) gets the criteria in its ON clause", async () => {
    const { result, sql, params } = await inFreshSession(engine, async (s) =>
      (await s.execute(select(User, Order).join(User.orders).orderBy(Order.id).options(bigOrders()))).all().map(([u, o]) => [u.id, o.id]),
    );
    expect(sql).toEqual([
      `SELECT ${USER_COLUMNS}, ${ORDER_COLUMNS} FROM users JOIN orders ON users.id = orders.user_id AND orders.total > $1 ORDER BY orders.id`,
    ]);
    expect(params[0]).toEqual([100]);
    expect(result).toEqual([[1, 11], [2, 12], [4, 14], [4, 15]]);
  });

  it("a join to an alias of the entity gets the criteria against the alias", async () => {
    const o = aliased(Order, "o");
    const { result, sql } = await inFreshSession(engine, async (s) =>
      ids((await s.scalars(select(User).join(User.orders.of(o)).orderBy(o.id).options(bigOrders()))).all()),
    );
    expect(sql).toEqual([`SELECT ${USER_COLUMNS} FROM users JOIN orders AS o ON users.id = o.user_id AND o.total > $1 ORDER BY o.id`]);
    expect(result).toEqual([1, 2, 4, 4]);
  });

  it("joinedload(User.orders): the criteria join the eager join's ON, against its alias", async () => {
    const { result, sql, params } = await inFreshSession(engine, async (s) =>
      (await s.scalars(select(User).orderBy(User.id).options(joinedload(User.orders), bigOrders()))).unique().all().map((u) => [u.id, sortedIds(u.orders)]),
    );
    expect(sql).toEqual([
      "SELECT users.id, users.email, users.tenant_id, orders_1.id, orders_1.user_id, orders_1.total, orders_1.created_at " +
        "FROM users LEFT OUTER JOIN orders AS orders_1 ON users.id = orders_1.user_id AND orders_1.total > $1 ORDER BY users.id",
    ]);
    expect(params[0]).toEqual([100]);
    expect(result).toEqual(BIG);
  });

  it("a joined many-to-many below a selectin level gets the criteria inside the batch query's nested join", async () => {
    const { result, sql, params } = await inFreshSession(engine, async (s) =>
      (await s.scalars(select(User).where(User.id.eq(4)).options(selectinload(User.orders).joinedload(Order.products), withLoaderCriteria(Product, Product.id.ne(1))))).all(),
    );
    expect(sql).toHaveLength(2);
    expect(sql[1]).toBe(
      `SELECT orders.user_id, ${ORDER_COLUMNS}, products_1.id, products_1.name, products_1.price FROM orders ` +
        "LEFT OUTER JOIN (order_products AS order_products_1 JOIN products AS products_1 ON order_products_1.product_id = products_1.id AND products_1.id <> $1) " +
        "ON orders.id = order_products_1.order_id WHERE orders.user_id = ANY($2)",
    );
    expect(params[1]).toEqual([1, [4]]);
    expect(result[0]!.orders.map((o) => [o.id, sortedIds(o.products)]).sort((a, b) => (a[0] as number) - (b[0] as number))).toEqual([[13, []], [14, [3]], [15, [3]]]);
  });

  it("a later session.load() of objects the statement loaded applies its criteria", async () => {
    const { result, sql, params } = await inFreshSession(engine, async (s) => {
      const users = (await s.scalars(select(User).orderBy(User.id).options(bigOrders()))).all();
      await s.load(users, "orders");
      return users.map((u) => [u.id, sortedIds((u as unknown as { orders: Order[] }).orders)]);
    });
    expect(sql).toEqual([
      `SELECT ${USER_COLUMNS} FROM users ORDER BY users.id`,
      `SELECT orders.user_id, ${ORDER_COLUMNS} FROM orders WHERE orders.total > $1 AND orders.user_id = ANY($2)`,
    ]);
    expect(params[1]).toEqual([100, [1, 2, 3, 4]]);
    expect(result).toEqual(BIG);
  });

  it("session.load() of a many-to-one queries with the criteria even when the targets are in the identity map", async () => {
    const { result, sql } = await inFreshSession(engine, async (s) => {
      await s.scalars(select(User));
      const orders = (await s.scalars(select(Order).orderBy(Order.id).options(withLoaderCriteria(User, User.id.ne(1))))).all();
      await s.load(orders, "user");
      return orders.map((o) => [o.id, (o as unknown as { user: User | null }).user?.id ?? null]);
    });
    expect(sql).toHaveLength(3);
    expect(sql[2]).toBe(`SELECT ${USER_COLUMNS} FROM users WHERE users.id <> $1 AND users.id = ANY($2)`);
    expect(result).toEqual([[10, null], [11, null], [12, 2], [13, 4], [14, 4], [15, 4]]);
  });

  it("refresh() reloads the object with its statement's criteria, and re-applies its eager loads with them", async () => {
    const { result, sql, params } = await inFreshSession(engine, async (s) => {
      const [u] = (await s.scalars(select(User).where(User.id.eq(4)).options(selectinload(User.orders), bigOrders(), withLoaderCriteria(User, User.email.like("%@w.com"))))).all();
      const before = sortedIds(u!.orders);
      await s.refresh(u!);
      return { before, after: sortedIds(u!.orders) };
    });
    expect(sql).toEqual([
      `SELECT ${USER_COLUMNS} FROM users WHERE users.id = $1 AND users.email LIKE $2`,
      `SELECT orders.user_id, ${ORDER_COLUMNS} FROM orders WHERE orders.total > $1 AND orders.user_id = ANY($2)`,
      `SELECT ${USER_COLUMNS} FROM users WHERE users.id = $1 AND users.email LIKE $2`,
      `SELECT orders.user_id, ${ORDER_COLUMNS} FROM orders WHERE orders.total > $1 AND orders.user_id = ANY($2)`,
    ]);
    expect(params[2]).toEqual([4, "%@w.com"]);
    expect(result).toEqual({ before: [14, 15], after: [14, 15] });
  });

  it("objects loaded by a statement without criteria are not filtered by another statement's", async () => {
    const { result } = await inFreshSession(engine, async (s) => {
      const plain = (await s.scalars(select(User).where(User.id.eq(1)))).all();
      const filtered = (await s.scalars(select(User).where(User.id.eq(4)).options(bigOrders()))).all();
      await s.load([...plain, ...filtered], "orders");
      return [...plain, ...filtered].map((u) => [u.id, sortedIds((u as unknown as { orders: Order[] }).orders)]);
    });
    expect(result).toEqual([[1, [10, 11]], [4, [14, 15]]]);
  });
});
