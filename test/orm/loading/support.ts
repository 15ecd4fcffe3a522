/**
 * Shared by the loading-strategy tests: a fresh database with the seed's schema, one small
 * deterministic dataset, and a helper that runs code in a fresh Session while recording every
 * statement it sends (BEGIN/COMMIT/ROLLBACK are not recorded).
 *
 * users     1 a@x.com   orders 10 (50), 11 (150)            invoice 100
 *           2 b@y.com   orders 12 (300)
 *           3 c@z.com   (no orders, no invoice)
 *           4 d@w.com   orders 13 (80), 14 (120), 15 (500)  invoice 101
 * products  1 p1, 2 p2, 3 p3
 * order_products  10:{1,2}  11:{}  12:{2}  13:{}  14:{3}  15:{1,3}
 * nodes     1 root ─┬─ 2 ── 4 ── 5 ── 6        7 lone (no parent, no children)
 *                   └─ 3
 */
import { createEngine, Session, type Engine } from "../../../src/index.js";
import { captureStatements } from "../../../src/testing/assert-sql.js";
import { Base } from "../../fixtures/models.js";
import type { Backend } from "../../support/backends.js";

export const SEED_SQL = [
  "INSERT INTO users (id, email) VALUES (1, 'a@x.com'), (2, 'b@y.com'), (3, 'c@z.com'), (4, 'd@w.com')",
  "INSERT INTO orders (id, user_id, total) VALUES (10, 1, 50), (11, 1, 150), (12, 2, 300), (13, 4, 80), (14, 4, 120), (15, 4, 500)",
  "INSERT INTO invoices (id, user_id, amount) VALUES (100, 1, 9.5), (101, 4, 20)",
  "INSERT INTO products (id, name, price) VALUES (1, 'p1', 1.50), (2, 'p2', 2.00), (3, 'p3', 3.25)",
  "INSERT INTO order_products (order_id, product_id) VALUES (10, 1), (10, 2), (12, 2), (14, 3), (15, 1), (15, 3)",
  "INSERT INTO nodes (id, parent_id, name) VALUES (1, NULL, 'root'), (2, 1, 'a'), (3, 1, 'b'), (4, 2, 'c'), (5, 4, 'd'), (6, 5, 'e'), (7, NULL, 'lone')",
];

/**
 * The SQL of Order.products' batch load (keyed-query.ts): the association rows grouped per product,
 * so each product comes once, with the array of the order ids it belongs to.
 */
export const PRODUCTS_BY_ORDERS =
  "SELECT anon_1.order_id, products.id, products.name, products.price FROM products JOIN (SELECT order_products_1.product_id, " +
  "array_agg(order_products_1.order_id) AS order_id FROM order_products AS order_products_1 WHERE order_products_1.order_id = ANY($1) " +
  "GROUP BY order_products_1.product_id) AS anon_1 ON products.id = anon_1.product_id";

/** The seeded graph users → orders → product ids, as every strategy must load it. */
export const SEED_GRAPH = [
  { id: 1, orders: [{ id: 10, total: 50, products: [1, 2] }, { id: 11, total: 150, products: [] }] },
  { id: 2, orders: [{ id: 12, total: 300, products: [2] }] },
  { id: 3, orders: [] },
  { id: 4, orders: [{ id: 13, total: 80, products: [] }, { id: 14, total: 120, products: [3] }, { id: 15, total: 500, products: [1, 3] }] },
];

/** A new engine on a new database of `backend`, with the schema created (and seeded unless told not to). */
export async function freshEngine(backend: Backend, seed = true): Promise<Engine> {
  const engine = createEngine(await backend.freshUrl());
  await Base.metadata.createAll(engine);
  if (seed) for (const sql of SEED_SQL) await engine.execute({ sql, params: [] });
  return engine;
}

export interface Recorded<T> {
  readonly result: T;
  readonly sql: string[];
  readonly params: (readonly unknown[])[];
}

/**
 * Runs `fn` in a new Session (so nothing is loaded beforehand) and returns what it returned
 * with the statements it sent. The session is closed afterwards.
 */
export async function inFreshSession<T>(engine: Engine, fn: (session: Session) => Promise<T>): Promise<Recorded<T>> {
  const session = new Session(engine);
  const capture = captureStatements(engine);
  try {
    const result = await fn(session);
    return { result, sql: [...capture.sql], params: capture.statements.map((s) => s.params) };
  } finally {
    capture.stop();
    await session.close();
  }
}

interface UserLike { id: number; orders: readonly OrderLike[] }
interface OrderLike { id: number; total: number; products: readonly { id: number }[] }

/** users → orders → product ids as plain data, everything sorted by id. */
export function plainGraph(users: readonly UserLike[]): typeof SEED_GRAPH {
  return [...users]
    .sort((a, b) => a.id - b.id)
    .map((u) => ({
      id: u.id,
      orders: [...u.orders]
        .sort((a, b) => a.id - b.id)
        .map((o) => ({ id: o.id, total: o.total, products: o.products.map((p) => p.id).sort((a, b) => a - b) })),
    }));
}

export const ids = (objects: readonly { id: number }[]): number[] => objects.map((o) => o.id);
export const sortedIds = (objects: readonly { id: number }[]): number[] => ids(objects).sort((a, b) => a - b);
