/**
 * Drizzle ORM relational queries (`db.query.*.findMany({ with })`) on node-postgres. Drizzle
 * builds one statement per call, nesting the relations as JSON aggregates.
 */
import { relations } from "drizzle-orm";
import { drizzle, type NodePgDatabase } from "drizzle-orm/node-postgres";
import { doublePrecision, integer, numeric, pgTable, primaryKey, serial, text, timestamp } from "drizzle-orm/pg-core";
import pg from "pg";
import { Tally } from "../lib/tally.ts";
import type { Contender, ContenderDefinition, NewOrder, UserRange } from "../lib/types.ts";

const users = pgTable("users", {
  id: serial("id").primaryKey(),
  email: text("email").notNull(),
  tenantId: integer("tenant_id").notNull(),
});
const orders = pgTable("orders", {
  id: serial("id").primaryKey(),
  userId: integer("user_id")
    .notNull()
    .references(() => users.id),
  total: doublePrecision("total").notNull(),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
});
const products = pgTable("products", {
  id: serial("id").primaryKey(),
  name: text("name").notNull(),
  price: numeric("price", { precision: 10, scale: 2 }).notNull(),
});
const orderProducts = pgTable(
  "order_products",
  {
    orderId: integer("order_id")
      .notNull()
      .references(() => orders.id),
    productId: integer("product_id")
      .notNull()
      .references(() => products.id),
  },
  (t) => [primaryKey({ columns: [t.orderId, t.productId] })],
);
const invoices = pgTable("invoices", {
  id: serial("id").primaryKey(),
  userId: integer("user_id")
    .notNull()
    .unique()
    .references(() => users.id),
  amount: doublePrecision("amount").notNull(),
});

const usersRelations = relations(users, ({ many, one }) => ({
  orders: many(orders),
  invoice: one(invoices),
}));
const ordersRelations = relations(orders, ({ one, many }) => ({
  user: one(users, { fields: [orders.userId], references: [users.id] }),
  orderProducts: many(orderProducts),
}));
const productsRelations = relations(products, ({ many }) => ({ orderProducts: many(orderProducts) }));
const orderProductsRelations = relations(orderProducts, ({ one }) => ({
  order: one(orders, { fields: [orderProducts.orderId], references: [orders.id] }),
  product: one(products, { fields: [orderProducts.productId], references: [products.id] }),
}));
const invoicesRelations = relations(invoices, ({ one }) => ({
  user: one(users, { fields: [invoices.userId], references: [users.id] }),
}));

const schema = {
  users,
  orders,
  products,
  orderProducts,
  invoices,
  usersRelations,
  ordersRelations,
  productsRelations,
  orderProductsRelations,
  invoicesRelations,
};

class DrizzleRelational implements Contender {
  #pool!: pg.Pool;
  #db!: NodePgDatabase<typeof schema>;

  async setup(url: string): Promise<void> {
    this.#pool = new pg.Pool({ connectionString: url, max: 4 });
    this.#pool.on("error", () => {});
    this.#db = drizzle({ client: this.#pool, schema });
  }

  async w1(range: UserRange) {
    const result = await this.#db.query.users.findMany({
      where: (u, { between }) => between(u.id, range.from, range.to),
      orderBy: (u, { asc }) => asc(u.id),
      with: { orders: { with: { orderProducts: { with: { product: true } } } } },
    });
    const tally = new Tally();
    for (const user of result) {
      tally.user(user.id);
      for (const order of user.orders) {
        tally.order(order.total, order.createdAt);
        for (const link of order.orderProducts) tally.product(link.product.id, link.product.price);
      }
    }
    return tally.result();
  }

  async w2(page: number) {
    const result = await this.#db.query.users.findMany({
      orderBy: (u, { asc }) => asc(u.id),
      limit: 20,
      offset: page * 20,
      with: { orders: true },
    });
    const tally = new Tally();
    for (const user of result) {
      tally.user(user.id);
      for (const order of user.orders) tally.order(order.total, order.createdAt);
    }
    return tally.result();
  }

  async w3(id: number) {
    const user = await this.#db.query.users.findFirst({
      where: (u, { eq }) => eq(u.id, id),
      with: { invoice: true },
    });
    const tally = new Tally();
    if (user) {
      tally.user(user.id);
      if (user.invoice) tally.invoice(user.invoice.amount);
    }
    return tally.result();
  }

  async w4(rows: readonly NewOrder[]) {
    await this.#db.transaction(async (tx) => {
      await tx.insert(orders).values(rows.map((r) => ({ userId: r.userId, total: r.total, createdAt: r.createdAt })));
    });
  }

  async teardown() {
    await this.#pool.end();
  }
}

export default [
  {
    name: "Drizzle",
    note: "drizzle-orm relational query `db.query.users.findMany({ with: { orders: { with: ... } } })` (one statement, JSON aggregates) on node-postgres; W4 `tx.insert(orders).values(rows)`",
    create: () => new DrizzleRelational(),
  },
] satisfies ContenderDefinition[];
