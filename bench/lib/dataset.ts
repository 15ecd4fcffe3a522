/**
 * The benchmark graph, created with plain SQL and filled from a seeded PRNG, so every run and
 * every machine gets the same rows:
 *
 *   2,000 users · 20 orders each (40,000) · 1,000 products · 5 distinct products per order
 *   (200,000 order_products) · an invoice for every odd user id (1,000).
 *
 * Rows are generated in JS and sent as arrays through `INSERT ... SELECT * FROM unnest(...)`,
 * which loads everything in a few seconds.
 */
import type pg from "pg";
import { randomInt, seededRandom, shuffled } from "./prng.ts";
import type { Checksum, NewOrder } from "./types.ts";
import { emptyChecksum } from "./tally.ts";

export const USERS = 2_000;
export const ORDERS_PER_USER = 20;
export const ORDERS = USERS * ORDERS_PER_USER;
export const PRODUCTS = 1_000;
export const PRODUCTS_PER_ORDER = 5;
export const PAGE_SIZE = 20;
export const PAGES = USERS / PAGE_SIZE;

const SEED = 20_240_601;
/** 2024-01-01T00:00:00Z; order timestamps fall in the year after it, in whole seconds. */
const EPOCH_2024 = Date.UTC(2024, 0, 1) / 1000;
const YEAR_SECONDS = 366 * 24 * 3600;
const BATCH = 50_000;

const SCHEMA = `
DROP TABLE IF EXISTS order_products, invoices, orders, products, users CASCADE;
CREATE TABLE users (
  id serial PRIMARY KEY,
  email text NOT NULL,
  tenant_id int NOT NULL
);
CREATE TABLE orders (
  id serial PRIMARY KEY,
  user_id int NOT NULL,
  total double precision NOT NULL,
  created_at timestamptz NOT NULL
);
CREATE TABLE products (
  id serial PRIMARY KEY,
  name text NOT NULL,
  price numeric(10, 2) NOT NULL
);
CREATE TABLE order_products (
  order_id int NOT NULL,
  product_id int NOT NULL,
  PRIMARY KEY (order_id, product_id)
);
CREATE TABLE invoices (
  id serial PRIMARY KEY,
  user_id int NOT NULL UNIQUE,
  amount double precision NOT NULL
);
`;

/**
 * Foreign keys are added after loading: one validating scan each instead of a trigger per row.
 * order_products.order_id is the leading column of the primary key and invoices.user_id has its
 * UNIQUE index, so those two need no index of their own.
 */
const CONSTRAINTS = `
ALTER TABLE orders ADD FOREIGN KEY (user_id) REFERENCES users (id);
ALTER TABLE order_products ADD FOREIGN KEY (order_id) REFERENCES orders (id);
ALTER TABLE order_products ADD FOREIGN KEY (product_id) REFERENCES products (id);
ALTER TABLE invoices ADD FOREIGN KEY (user_id) REFERENCES users (id);
CREATE INDEX orders_user_id_idx ON orders (user_id);
CREATE INDEX order_products_product_id_idx ON order_products (product_id);
`;

export async function createDataset(client: pg.Client): Promise<void> {
  const random = seededRandom(SEED);
  await client.query(SCHEMA);

  const userIds = range(1, USERS);
  await client.query(
    `INSERT INTO users (id, email, tenant_id) SELECT * FROM unnest($1::int[], $2::text[], $3::int[])`,
    [userIds, userIds.map((id) => `user${id}@example.com`), userIds.map(() => randomInt(random, 1, 10))],
  );

  const productIds = range(1, PRODUCTS);
  await client.query(
    `INSERT INTO products (id, name, price) SELECT * FROM unnest($1::int[], $2::text[], $3::numeric[])`,
    [productIds, productIds.map((id) => `product ${id}`), productIds.map(() => randomInt(random, 100, 99_999) / 100)],
  );

  const orderIds = range(1, ORDERS);
  const orderUser = orderIds.map((id) => Math.ceil(id / ORDERS_PER_USER));
  const totals = orderIds.map(() => randomInt(random, 1, 100_000) / 100);
  const createdAt = orderIds.map(() => new Date((EPOCH_2024 + randomInt(random, 0, YEAR_SECONDS - 1)) * 1000));
  for (let start = 0; start < ORDERS; start += BATCH) {
    const end = start + BATCH;
    await client.query(
      `INSERT INTO orders (id, user_id, total, created_at)
       SELECT * FROM unnest($1::int[], $2::int[], $3::float8[], $4::timestamptz[])`,
      [orderIds.slice(start, end), orderUser.slice(start, end), totals.slice(start, end), createdAt.slice(start, end)],
    );
  }

  const linkOrder: number[] = [];
  const linkProduct: number[] = [];
  for (const orderId of orderIds) {
    const picked = new Set<number>();
    while (picked.size < PRODUCTS_PER_ORDER) picked.add(randomInt(random, 1, PRODUCTS));
    for (const productId of picked) {
      linkOrder.push(orderId);
      linkProduct.push(productId);
    }
  }
  for (let start = 0; start < linkOrder.length; start += BATCH) {
    await client.query(
      `INSERT INTO order_products (order_id, product_id) SELECT * FROM unnest($1::int[], $2::int[])`,
      [linkOrder.slice(start, start + BATCH), linkProduct.slice(start, start + BATCH)],
    );
  }

  const invoiceUsers = userIds.filter((id) => id % 2 === 1);
  await client.query(
    `INSERT INTO invoices (user_id, amount) SELECT * FROM unnest($1::int[], $2::float8[])`,
    [invoiceUsers, invoiceUsers.map(() => randomInt(random, 100, 500_000) / 100)],
  );

  await client.query(CONSTRAINTS);
  for (const table of ["users", "orders", "products", "invoices"]) {
    await client.query(`SELECT setval('${table}_id_seq', (SELECT max(id) FROM ${table}))`);
  }
  await client.query("ANALYZE");
}

/** The 10,000 (or `count`) rows that W4 inserts, the same for every contender and run. */
export function newOrders(count: number): NewOrder[] {
  const random = seededRandom(SEED + 4);
  return range(1, count).map((i) => ({
    userId: 1 + (i % USERS),
    total: randomInt(random, 1, 100_000) / 100,
    createdAt: new Date((EPOCH_2024 + randomInt(random, 0, YEAR_SECONDS - 1)) * 1000),
  }));
}

/** The W3 lookup order: every user id once, shuffled (deterministically). */
export function lookupIds(count: number): number[] {
  return shuffled(range(1, USERS), seededRandom(SEED + 3)).slice(0, count);
}

/** W4 leaves the table as it found it: drop the new rows and rewind the sequence. */
export async function restoreOrders(client: pg.Client): Promise<void> {
  await client.query(`DELETE FROM order_products WHERE order_id > ${ORDERS}`);
  await client.query(`DELETE FROM orders WHERE id > ${ORDERS}`);
  await client.query(`SELECT setval('orders_id_seq', ${ORDERS})`);
  await client.query("VACUUM orders");
  // Every run starts with no dirty buffers: otherwise a checkpoint writing out the previous
  // run's inserts can land inside the next one's timing.
  await client.query("CHECKPOINT");
}

/** What W4 must have written: count and sums of the rows with ids above the original ones. */
export async function insertedChecksum(client: pg.Client): Promise<Checksum> {
  const { rows } = await client.query<{ n: string; cents: string | null; secs: string | null }>(
    `SELECT count(*) AS n, sum(round(total * 100)) AS cents, sum(extract(epoch FROM created_at)) AS secs
       FROM orders WHERE id > ${ORDERS}`,
  );
  const row = rows[0];
  return { ...emptyChecksum(), orders: Number(row?.n ?? 0), totalCents: Number(row?.cents ?? 0), createdAtSec: Number(row?.secs ?? 0) };
}

export function expectedInserted(rows: readonly NewOrder[]): Checksum {
  const sum = emptyChecksum();
  for (const row of rows) {
    sum.orders += 1;
    sum.totalCents += Math.round(row.total * 100);
    sum.createdAtSec += Math.round(row.createdAt.getTime() / 1000);
  }
  return sum;
}

/** What a workload loads below its users; W1 and W5 go down to products, W2 to orders, W3 to the invoice. */
export interface GraphShape {
  orders: boolean;
  products: boolean;
  invoices: boolean;
}

/**
 * The checksum of the graph below the given users, computed by PostgreSQL alone, so it does not
 * depend on any contender.
 */
export async function expectedGraph(client: pg.Client, userIds: readonly number[], shape: GraphShape): Promise<Checksum> {
  const params = [userIds];
  const sum = emptyChecksum();
  [sum.users, sum.userIdSum] = await one(client, `SELECT count(*), sum(id) FROM users WHERE id = ANY($1)`, params);
  if (shape.orders) {
    [sum.orders, sum.totalCents, sum.createdAtSec] = await one(
      client,
      `SELECT count(*), sum(round(total * 100)), sum(extract(epoch FROM created_at))
         FROM orders WHERE user_id = ANY($1)`,
      params,
    );
  }
  if (shape.products) {
    [sum.products, sum.productIdSum, sum.priceCents] = await one(
      client,
      `SELECT count(*), sum(p.id), sum(round(p.price * 100))
         FROM orders o JOIN order_products op ON op.order_id = o.id JOIN products p ON p.id = op.product_id
        WHERE o.user_id = ANY($1)`,
      params,
    );
  }
  if (shape.invoices) {
    [sum.invoices, sum.amountCents] = await one(
      client,
      `SELECT count(*), sum(round(amount * 100)) FROM invoices WHERE user_id = ANY($1)`,
      params,
    );
  }
  return sum;
}

async function one(client: pg.Client, sql: string, params: unknown[]): Promise<[number, number, number]> {
  const { rows } = await client.query({ text: sql, values: params, rowMode: "array" });
  const [a, b, c] = (rows[0] as unknown[]).map((value) => Number(value ?? 0));
  return [a ?? 0, b ?? 0, c ?? 0];
}

export function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}
