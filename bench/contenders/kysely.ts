/**
 * Kysely (a query builder, not an ORM) with the `jsonArrayFrom` helper its docs recommend for
 * relations on PostgreSQL: one statement, children nested as JSON arrays. Note that values
 * inside the JSON come back as JSON types: `created_at` is a string and `price` a number.
 */
import { Kysely, PostgresDialect, type Generated } from "kysely";
import { jsonArrayFrom, jsonObjectFrom } from "kysely/helpers/postgres";
import pg from "pg";
import { Tally } from "../lib/tally.ts";
import type { Contender, ContenderDefinition, NewOrder, UserRange } from "../lib/types.ts";

interface Database {
  users: { id: Generated<number>; email: string; tenant_id: number };
  orders: { id: Generated<number>; user_id: number; total: number; created_at: Date };
  products: { id: Generated<number>; name: string; price: string };
  order_products: { order_id: number; product_id: number };
  invoices: { id: Generated<number>; user_id: number; amount: number };
}

class KyselyContender implements Contender {
  #db!: Kysely<Database>;

  async setup(url: string): Promise<void> {
    const pool = new pg.Pool({ connectionString: url, max: 4 });
    pool.on("error", () => {});
    this.#db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  }

  async w1(range: UserRange) {
    const users = await this.#db
      .selectFrom("users")
      .select((eb) => [
        "users.id",
        "users.email",
        "users.tenant_id",
        jsonArrayFrom(
          eb
            .selectFrom("orders")
            .select((eb2) => [
              "orders.id",
              "orders.user_id",
              "orders.total",
              "orders.created_at",
              jsonArrayFrom(
                eb2
                  .selectFrom("order_products")
                  .innerJoin("products", "products.id", "order_products.product_id")
                  .select(["products.id", "products.name", "products.price"])
                  .whereRef("order_products.order_id", "=", "orders.id"),
              ).as("products"),
            ])
            .whereRef("orders.user_id", "=", "users.id"),
        ).as("orders"),
      ])
      .where("users.id", ">=", range.from)
      .where("users.id", "<=", range.to)
      .orderBy("users.id")
      .execute();
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

  async w2(page: number) {
    const users = await this.#db
      .selectFrom("users")
      .select((eb) => [
        "users.id",
        "users.email",
        "users.tenant_id",
        jsonArrayFrom(
          eb
            .selectFrom("orders")
            .select(["orders.id", "orders.user_id", "orders.total", "orders.created_at"])
            .whereRef("orders.user_id", "=", "users.id"),
        ).as("orders"),
      ])
      .orderBy("users.id")
      .limit(20)
      .offset(page * 20)
      .execute();
    const tally = new Tally();
    for (const user of users) {
      tally.user(user.id);
      for (const order of user.orders) tally.order(order.total, order.created_at);
    }
    return tally.result();
  }

  async w3(id: number) {
    const user = await this.#db
      .selectFrom("users")
      .select((eb) => [
        "users.id",
        "users.email",
        "users.tenant_id",
        jsonObjectFrom(
          eb.selectFrom("invoices").select(["invoices.id", "invoices.amount"]).whereRef("invoices.user_id", "=", "users.id"),
        ).as("invoice"),
      ])
      .where("users.id", "=", id)
      .executeTakeFirst();
    const tally = new Tally();
    if (user) {
      tally.user(user.id);
      if (user.invoice) tally.invoice(user.invoice.amount);
    }
    return tally.result();
  }

  async w4(rows: readonly NewOrder[]) {
    await this.#db.transaction().execute(async (trx) => {
      await trx
        .insertInto("orders")
        .values(rows.map((r) => ({ user_id: r.userId, total: r.total, created_at: r.createdAt })))
        .execute();
    });
  }

  async teardown() {
    await this.#db.destroy();
  }
}

export default [
  {
    name: "Kysely",
    note: "query builder with `jsonArrayFrom` (kysely/helpers/postgres) nesting orders and products as JSON in one statement; W4 `insertInto('orders').values(rows)` in `db.transaction()`",
    create: () => new KyselyContender(),
  },
] satisfies ContenderDefinition[];
