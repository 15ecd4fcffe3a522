/**
 * postgres.js with the same hand-written SQL as raw-pg.ts (3 queries with `= ANY($1)`), stitched
 * by hand. postgres.js prepares named statements by default.
 */
import postgres from "postgres";
import { Tally } from "../lib/tally.ts";
import type { Contender, ContenderDefinition, NewOrder, UserRange } from "../lib/types.ts";

interface UserRow {
  id: number;
  email: string;
  tenant_id: number;
  orders: OrderRow[];
}
interface OrderRow {
  id: number;
  user_id: number;
  total: number;
  created_at: Date;
  products: ProductRow[];
}
interface ProductRow {
  order_id: number;
  id: number;
  name: string;
  price: string;
}

class RawPostgresJs implements Contender {
  #sql!: postgres.Sql;

  async setup(url: string): Promise<void> {
    this.#sql = postgres(url, { max: 4, onnotice: () => {} });
  }

  async w1(range: UserRange) {
    const sql = this.#sql;
    const users = await sql<UserRow[]>`
      SELECT id, email, tenant_id FROM users WHERE id BETWEEN ${range.from} AND ${range.to} ORDER BY id`;
    const orders = await this.#ordersOf(users);
    const products = await sql<ProductRow[]>`
      SELECT op.order_id, p.id, p.name, p.price
        FROM order_products op JOIN products p ON p.id = op.product_id
       WHERE op.order_id = ANY(${orders.map((o) => o.id)}::int[])`;
    const byOrder = new Map<number, OrderRow>();
    for (const order of orders) {
      order.products = [];
      byOrder.set(order.id, order);
    }
    for (const product of products) byOrder.get(product.order_id)?.products.push(product);

    const tally = new Tally();
    for (const user of users) {
      tally.user(user.id);
      for (const order of user.orders) {
        tally.order(order.total, order.created_at);
        for (const product of order.products) tally.product(product.id, product.price);
      }
    }
    return tally.result();
  }

  async #ordersOf(users: UserRow[]): Promise<OrderRow[]> {
    const orders = await this.#sql<OrderRow[]>`
      SELECT id, user_id, total, created_at FROM orders WHERE user_id = ANY(${users.map((u) => u.id)}::int[])`;
    const byUser = new Map<number, UserRow>();
    for (const user of users) {
      user.orders = [];
      byUser.set(user.id, user);
    }
    for (const order of orders) byUser.get(order.user_id)?.orders.push(order);
    return orders;
  }

  async w2(page: number) {
    const users = await this.#sql<UserRow[]>`
      SELECT id, email, tenant_id FROM users ORDER BY id LIMIT 20 OFFSET ${page * 20}`;
    await this.#ordersOf(users);
    const tally = new Tally();
    for (const user of users) {
      tally.user(user.id);
      for (const order of user.orders) tally.order(order.total, order.created_at);
    }
    return tally.result();
  }

  async w3(id: number) {
    const rows = await this.#sql<{ id: number; invoice_id: number | null; amount: number | null }[]>`
      SELECT u.id, u.email, u.tenant_id, i.id AS invoice_id, i.amount
        FROM users u LEFT JOIN invoices i ON i.user_id = u.id
       WHERE u.id = ${id}`;
    const tally = new Tally();
    for (const row of rows) {
      tally.user(row.id);
      if (row.invoice_id !== null && row.amount !== null) tally.invoice(row.amount);
    }
    return tally.result();
  }

  async w4(rows: readonly NewOrder[]) {
    await this.#sql.begin(async (sql) => {
      await sql`
        INSERT INTO orders (user_id, total, created_at)
        SELECT * FROM unnest(${rows.map((r) => r.userId)}::int[], ${rows.map((r) => r.total)}::float8[],
                             ${rows.map((r) => r.createdAt.toISOString())}::timestamptz[])`;
    });
  }

  async teardown() {
    await this.#sql.end({ timeout: 1 });
  }
}

export default [
  {
    name: "raw postgres.js",
    note: "postgres.js, the same hand-written SQL as raw pg (prepared statements, its default); W4 one `INSERT ... SELECT FROM unnest`",
    create: () => new RawPostgresJs(),
  },
] satisfies ContenderDefinition[];
