/**
 * The floor: node-postgres with hand-written SQL, one query per level with `= ANY($1)`, and the
 * rows stitched into plain objects by hand.
 */
import pg from "pg";
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

class RawPg implements Contender {
  #pool!: pg.Pool;

  async setup(url: string): Promise<void> {
    this.#pool = new pg.Pool({ connectionString: url, max: 4 });
    this.#pool.on("error", () => {});
  }

  async w1(range: UserRange) {
    const users = await this.#graph(range);
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

  async #graph(range: UserRange): Promise<UserRow[]> {
    const { rows: users } = await this.#pool.query<UserRow>(
      "SELECT id, email, tenant_id FROM users WHERE id BETWEEN $1 AND $2 ORDER BY id",
      [range.from, range.to],
    );
    const orders = await this.#ordersOf(users);
    const { rows: products } = await this.#pool.query<ProductRow>(
      `SELECT op.order_id, p.id, p.name, p.price
         FROM order_products op JOIN products p ON p.id = op.product_id
        WHERE op.order_id = ANY($1)`,
      [orders.map((o) => o.id)],
    );
    const byOrder = new Map<number, OrderRow>();
    for (const order of orders) {
      order.products = [];
      byOrder.set(order.id, order);
    }
    for (const product of products) byOrder.get(product.order_id)?.products.push(product);
    return users;
  }

  /** Fills `user.orders` for every user and returns all the orders. */
  async #ordersOf(users: UserRow[]): Promise<OrderRow[]> {
    const { rows: orders } = await this.#pool.query<OrderRow>(
      "SELECT id, user_id, total, created_at FROM orders WHERE user_id = ANY($1)",
      [users.map((u) => u.id)],
    );
    const byUser = new Map<number, UserRow>();
    for (const user of users) {
      user.orders = [];
      byUser.set(user.id, user);
    }
    for (const order of orders) byUser.get(order.user_id)?.orders.push(order);
    return orders;
  }

  async w2(page: number) {
    const { rows: users } = await this.#pool.query<UserRow>(
      "SELECT id, email, tenant_id FROM users ORDER BY id LIMIT 20 OFFSET $1",
      [page * 20],
    );
    await this.#ordersOf(users);
    const tally = new Tally();
    for (const user of users) {
      tally.user(user.id);
      for (const order of user.orders) tally.order(order.total, order.created_at);
    }
    return tally.result();
  }

  async w3(id: number) {
    const { rows } = await this.#pool.query<{ id: number; email: string; invoice_id: number | null; amount: number | null }>(
      `SELECT u.id, u.email, u.tenant_id, i.id AS invoice_id, i.amount
         FROM users u LEFT JOIN invoices i ON i.user_id = u.id
        WHERE u.id = $1`,
      [id],
    );
    const tally = new Tally();
    for (const row of rows) {
      tally.user(row.id);
      if (row.invoice_id !== null && row.amount !== null) tally.invoice(row.amount);
    }
    return tally.result();
  }

  async w4(rows: readonly NewOrder[]) {
    const client = await this.#pool.connect();
    try {
      await client.query("BEGIN");
      await client.query(
        `INSERT INTO orders (user_id, total, created_at)
         SELECT * FROM unnest($1::int[], $2::float8[], $3::timestamptz[])`,
        [rows.map((r) => r.userId), rows.map((r) => r.total), rows.map((r) => r.createdAt)],
      );
      await client.query("COMMIT");
    } catch (error) {
      await client.query("ROLLBACK");
      throw error;
    } finally {
      client.release();
    }
  }

  async w5(range: UserRange) {
    const tally = new Tally();
    const { rows: users } = await this.#pool.query<UserRow>(
      "SELECT id, email, tenant_id FROM users WHERE id BETWEEN $1 AND $2 ORDER BY id",
      [range.from, range.to],
    );
    for (const user of users) {
      tally.user(user.id);
      const { rows: orders } = await this.#pool.query<OrderRow>(
        "SELECT id, user_id, total, created_at FROM orders WHERE user_id = $1",
        [user.id],
      );
      user.orders = orders;
      for (const order of orders) {
        tally.order(order.total, order.created_at);
        const { rows: products } = await this.#pool.query<ProductRow>(
          `SELECT p.id, p.name, p.price
             FROM order_products op JOIN products p ON p.id = op.product_id
            WHERE op.order_id = $1`,
          [order.id],
        );
        order.products = products;
        for (const product of products) tally.product(product.id, product.price);
      }
    }
    return tally.result();
  }

  async teardown() {
    await this.#pool.end();
  }
}

export default [
  {
    name: "raw pg",
    note: "node-postgres, hand-written SQL: 3 queries with `= ANY($1)` stitched by hand; W4 one `INSERT ... SELECT FROM unnest($1::int[], ...)`",
    create: () => new RawPg(),
  },
] satisfies ContenderDefinition[];
