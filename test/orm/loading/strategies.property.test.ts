/**
 * Property: on any small dataset, every loading strategy builds the same users → orders →
 * products graph (the one the dataset describes), each in a fresh session, and sends the number
 * of statements its design promises.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { immediateload, joinedload, select, selectinload, subqueryload, type Engine, type Session } from "../../../src/index.js";
import { Order, User } from "../../fixtures/models.js";
import { backends } from "../../support/backends.js";
import { freshEngine, inFreshSession, PRODUCTS_BY_ORDERS, plainGraph, type Recorded } from "./support.js";

const PRODUCT_IDS = [1, 2, 3, 4] as const;

interface OrderSpec { readonly total: number; readonly products: readonly number[] }
/** One entry per user (ids 1..n), each the list of that user's orders. */
type Dataset = readonly (readonly OrderSpec[])[];

const datasetArb: fc.Arbitrary<Dataset> = fc.array(
  fc.array(fc.record({ total: fc.integer({ min: 1, max: 999 }), products: fc.subarray([...PRODUCT_IDS]) }), { maxLength: 4 }),
  { maxLength: 6 },
);

type Graph = ReturnType<typeof plainGraph>;

function expectedGraph(data: Dataset): Graph {
  let orderId = 0;
  return data.map((orders, u) => ({
    id: u + 1,
    orders: orders.map((o) => ({ id: 100 + ++orderId, total: o.total, products: [...o.products].sort((a, b) => a - b) })),
  }));
}

async function reset(engine: Engine, data: Dataset): Promise<void> {
  const run = (sql: string) => engine.execute({ sql, params: [] });
  for (const table of ["order_products", "invoices", "orders", "users"]) await run(`DELETE FROM ${table}`);
  if (data.length === 0) return;
  await run(`INSERT INTO users (id, email) VALUES ${data.map((_, u) => `(${u + 1}, 'u${u + 1}@example.com')`).join(", ")}`);
  const graph = expectedGraph(data);
  const orders = graph.flatMap((u) => u.orders.map((o) => `(${o.id}, ${u.id}, ${o.total})`));
  if (orders.length > 0) await run(`INSERT INTO orders (id, user_id, total) VALUES ${orders.join(", ")}`);
  const links = graph.flatMap((u) => u.orders.flatMap((o) => o.products.map((p) => `(${o.id}, ${p})`)));
  if (links.length > 0) await run(`INSERT INTO order_products (order_id, product_id) VALUES ${links.join(", ")}`);
}

type Loader = (s: Session) => Promise<Graph>;
const asGraphInput = (users: unknown) => users as Parameters<typeof plainGraph>[0];

const loaders: Record<string, Loader> = {
  selectin: async (s) => plainGraph((await s.scalars(select(User).options(selectinload(User.orders).selectinload(Order.products)))).all()),
  joined: async (s) => plainGraph((await s.scalars(select(User).options(joinedload(User.orders).joinedload(Order.products)))).unique().all()),
  subquery: async (s) => plainGraph((await s.scalars(select(User).options(subqueryload(User.orders).subqueryload(Order.products)))).all()),
  immediate: async (s) => plainGraph((await s.scalars(select(User).options(immediateload(User.orders).immediateload(Order.products)))).all()),
  explicit: async (s) => {
    const users = (await s.scalars(select(User))).all();
    await s.load(users, "orders.products");
    return plainGraph(asGraphInput(users));
  },
};

describe.each(backends)("every strategy loads the same graph ($name)", (backend) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await freshEngine(backend, false);
    await engine.execute({ sql: `INSERT INTO products (id, name, price) VALUES ${PRODUCT_IDS.map((p) => `(${p}, 'p${p}', ${p}.50)`).join(", ")}`, params: [] });
  });
  afterAll(() => engine?.dispose());

  it("selectin, joined, subquery, immediate and session.load agree with the data, with the promised statement counts", async () => {
    await fc.assert(
      fc.asyncProperty(datasetArb, async (data) => {
        await reset(engine, data);
        const expected = expectedGraph(data);
        const users = data.length;
        const orders = data.reduce((n, o) => n + o.length, 0);
        const levels = 1 + (users > 0 ? 1 : 0) + (orders > 0 ? 1 : 0);

        // One after the other: statements are captured engine-wide.
        const runs: Record<string, Recorded<Graph>> = {};
        for (const [name, load] of Object.entries(loaders)) {
          const run = await inFreshSession(engine, load);
          expect(run.result, name).toEqual(expected);
          runs[name] = run;
        }

        // selectin: one statement per non-empty level (3 when some user has an order).
        const sel = runs.selectin!;
        expect(sel.sql).toHaveLength(levels);
        if (users > 0) expect(sel.sql[1]).toMatch(/FROM orders WHERE orders\.user_id = ANY\(\$1\)$/);
        if (orders > 0) expect(sel.sql[2]).toBe(PRODUCTS_BY_ORDERS);

        // joined: always one statement.
        expect(runs.joined!.sql).toHaveLength(1);
        expect(runs.joined!.sql[0]).toMatch(/LEFT OUTER JOIN orders AS orders_1 ON users\.id = orders_1\.user_id LEFT OUTER JOIN \(order_products AS order_products_1 JOIN products AS products_1/);

        // subquery: the same levels as selectin, the first loader embedding the parent query.
        expect(runs.subquery!.sql).toHaveLength(levels);
        if (users > 0) expect(runs.subquery!.sql[1]).toMatch(/FROM \(SELECT users\.id AS key_0 FROM users\) AS anon_1 JOIN orders/);

        // immediate: one query per user, then one per order.
        expect(runs.immediate!.sql).toHaveLength(1 + users + orders);

        // session.load: batched like selectin.
        expect(runs.explicit!.sql).toHaveLength(levels);
      }),
      { numRuns: 15 },
    );
  });

  it("keeps the exact graph when one user has every product on several orders (fixed case)", async () => {
    const data: Dataset = [[], [{ total: 5, products: [1, 2, 3, 4] }, { total: 7, products: [4, 1] }], []];
    await reset(engine, data);
    const run = await inFreshSession(engine, loaders.selectin!);
    expect(run.sql).toHaveLength(3);
    expect(run.result).toEqual([
      { id: 1, orders: [] },
      { id: 2, orders: [{ id: 101, total: 5, products: [1, 2, 3, 4] }, { id: 102, total: 7, products: [1, 4] }] },
      { id: 3, orders: [] },
    ]);
  });
});
