/**
 * A joined step below a keyed loader (selectin, subquery, immediate) is joined into that level's
 * batch query, as SQLAlchemy does: `selectinload(User.orders).joinedload(Order.products)` is two
 * statements, the second `FROM orders LEFT OUTER JOIN (order_products ... JOIN products ...)`.
 * Issue 11, defect 1: the step used to be dropped, leaving the relationship unloaded.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ArgumentError, containsEager, immediateload, joinedload, select, selectinload, subqueryload, type Engine } from "../../../src/index.js";
import { Invoice, Order, User } from "../../fixtures/models.js";
import { backends } from "../../support/backends.js";
import { freshEngine, inFreshSession, plainGraph, SEED_GRAPH, sortedIds } from "./support.js";

const ORDER_COLUMNS = "orders.id, orders.user_id, orders.total, orders.created_at";
const PRODUCT_COLUMNS = "products_1.id, products_1.name, products_1.price";
const PRODUCTS_JOIN =
  "LEFT OUTER JOIN (order_products AS order_products_1 JOIN products AS products_1 ON order_products_1.product_id = products_1.id) " +
  "ON orders.id = order_products_1.order_id";

describe.each(backends)("joined steps below keyed loaders ($name)", (backend) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await freshEngine(backend);
  });
  afterAll(() => engine?.dispose());

  it("selectinload(User.orders).joinedload(Order.products): the products join is inside the orders batch query", async () => {
    const { result, sql, params } = await inFreshSession(engine, async (s) =>
      plainGraph((await s.scalars(select(User).options(selectinload(User.orders).joinedload(Order.products)))).all()),
    );
    expect(sql).toEqual([
      "SELECT users.id, users.email, users.tenant_id FROM users",
      `SELECT orders.user_id, ${ORDER_COLUMNS}, ${PRODUCT_COLUMNS} FROM orders ${PRODUCTS_JOIN} WHERE orders.user_id = ANY($1)`,
    ]);
    expect(params[1]).toEqual([[1, 2, 3, 4]]);
    expect(result).toEqual(SEED_GRAPH);
  });

  it("subqueryload(User.orders).joinedload(Order.products): joined into the subquery load", async () => {
    const { result, sql } = await inFreshSession(engine, async (s) =>
      plainGraph((await s.scalars(select(User).options(subqueryload(User.orders).joinedload(Order.products)))).all()),
    );
    expect(sql).toHaveLength(2);
    expect(sql[1]).toBe(
      `SELECT anon_1.key_0, ${ORDER_COLUMNS}, ${PRODUCT_COLUMNS} FROM (SELECT users.id AS key_0 FROM users) AS anon_1 ` +
        `JOIN orders ON anon_1.key_0 = orders.user_id ${PRODUCTS_JOIN}`,
    );
    expect(result).toEqual(SEED_GRAPH);
  });

  it("immediateload(User.orders).joinedload(Order.products): joined into each per-parent query", async () => {
    const { result, sql, params } = await inFreshSession(engine, async (s) =>
      plainGraph((await s.scalars(select(User).orderBy(User.id).options(immediateload(User.orders).joinedload(Order.products)))).all()),
    );
    expect(sql).toHaveLength(5);
    for (const q of sql.slice(1)) expect(q).toBe(`SELECT orders.user_id, ${ORDER_COLUMNS}, ${PRODUCT_COLUMNS} FROM orders ${PRODUCTS_JOIN} WHERE orders.user_id = ANY($1)`);
    expect(params.slice(1)).toEqual([[[1]], [[2]], [[3]], [[4]]]);
    expect(result).toEqual(SEED_GRAPH);
  });

  it("a many-to-one batch with a joined scalar and a nested joined collection below it", async () => {
    // Orders → (selectin) user → (joined) invoice, and user → (joined) orders → (joined) products.
    const { result, sql } = await inFreshSession(engine, async (s) => {
      const orders = (await s.scalars(select(Order).where(Order.id.in([10, 12])).orderBy(Order.id).options(
        selectinload(Order.user).joinedload(User.invoice),
        selectinload(Order.user).joinedload(User.orders).joinedload(Order.products),
      ))).all();
      return orders.map((o) => ({ id: o.id, user: o.user!.id, invoice: o.user!.invoice?.id ?? null, graph: plainGraph([o.user!]) }));
    });
    expect(sql).toHaveLength(2);
    expect(sql[1]).toBe(
      "SELECT users.id, users.email, users.tenant_id, invoices_1.id, invoices_1.user_id, invoices_1.amount, " +
        "orders_1.id, orders_1.user_id, orders_1.total, orders_1.created_at, products_1.id, products_1.name, products_1.price " +
        "FROM users LEFT OUTER JOIN invoices AS invoices_1 ON users.id = invoices_1.user_id " +
        "LEFT OUTER JOIN orders AS orders_1 ON users.id = orders_1.user_id " +
        "LEFT OUTER JOIN (order_products AS order_products_1 JOIN products AS products_1 ON order_products_1.product_id = products_1.id) " +
        "ON orders_1.id = order_products_1.order_id WHERE users.id = ANY($1)",
    );
    expect(result).toEqual([
      { id: 10, user: 1, invoice: 100, graph: [SEED_GRAPH[0]] },
      { id: 12, user: 2, invoice: null, graph: [SEED_GRAPH[1]] },
    ]);
  });

  it("containsEager(Order.user).selectinload(User.orders).joinedload(Order.products)", async () => {
    const { result, sql } = await inFreshSession(engine, async (s) => {
      const orders = (await s.scalars(select(Order).join(Order.user).where(User.id.eq(4)).orderBy(Order.id).options(
        containsEager(Order.user).selectinload(User.orders).joinedload(Order.products),
      ))).all();
      return plainGraph([orders[0]!.user!]);
    });
    expect(sql).toHaveLength(2);
    expect(sql[1]).toBe(`SELECT orders.user_id, ${ORDER_COLUMNS}, ${PRODUCT_COLUMNS} FROM orders ${PRODUCTS_JOIN} WHERE orders.user_id = ANY($1)`);
    expect(result).toEqual([SEED_GRAPH[3]]);
  });

  it("a selectin step below the joined step still runs, keyed on the joined rows", async () => {
    const { result, sql } = await inFreshSession(engine, async (s) =>
      (await s.scalars(select(User).where(User.id.eq(1)).options(selectinload(User.invoice).joinedload(Invoice.user).selectinload(User.orders)))).all(),
    );
    expect(sql).toHaveLength(3);
    expect(sql[1]).toMatch(/^SELECT invoices\.user_id, invoices\.id, invoices\.user_id, invoices\.amount, users_1\.id, .* FROM invoices LEFT OUTER JOIN users AS users_1 ON invoices\.user_id = users_1\.id WHERE invoices\.user_id = ANY\(\$1\)$/);
    expect(sortedIds(result[0]!.invoice!.user!.orders)).toEqual([10, 11]);
  });

  it("containsEager below a keyed level is refused before any SQL", async () => {
    const { result, sql } = await inFreshSession(engine, async (s) =>
      s.scalars(select(User).options(selectinload(User.orders).containsEager(Order.user))).catch((e: unknown) => e),
    );
    expect(sql).toEqual([]);
    expect(result).toBeInstanceOf(ArgumentError);
    expect((result as Error).message).toContain("containsEager(Order.user)");
  });
});
