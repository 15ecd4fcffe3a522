/**
 * Objection.js on knex (pg), with withGraphFetched (one query per relation level, `IN` lists)
 * and withGraphJoined (one query with LEFT JOINs). Models keep the snake_case column names.
 */
import knexFactory, { type Knex } from "knex";
import { Model, type RelationMappings } from "objection";
import { Tally } from "../lib/tally.ts";
import type { Contender, ContenderDefinition, NewOrder, UserRange } from "../lib/types.ts";

class Product extends Model {
  static override tableName = "products";
  id!: number;
  name!: string;
  price!: string;
}

class Order extends Model {
  static override tableName = "orders";
  id!: number;
  user_id!: number;
  total!: number;
  created_at!: Date;
  products?: Product[];
  static override relationMappings = (): RelationMappings => ({
    products: {
      relation: Model.ManyToManyRelation,
      modelClass: Product,
      join: {
        from: "orders.id",
        through: { from: "order_products.order_id", to: "order_products.product_id" },
        to: "products.id",
      },
    },
  });
}

class Invoice extends Model {
  static override tableName = "invoices";
  id!: number;
  user_id!: number;
  amount!: number;
}

class User extends Model {
  static override tableName = "users";
  id!: number;
  email!: string;
  tenant_id!: number;
  orders?: Order[];
  invoice?: Invoice | null;
  static override relationMappings = (): RelationMappings => ({
    orders: { relation: Model.HasManyRelation, modelClass: Order, join: { from: "users.id", to: "orders.user_id" } },
    invoice: { relation: Model.HasOneRelation, modelClass: Invoice, join: { from: "users.id", to: "invoices.user_id" } },
  });
}

type Strategy = "fetched" | "joined";

/**
 * Models bound to this contender's knex with `bindKnex`, rather than the global `Model.knex()`:
 * the worker may hold two instances at once (the counting pass uses its own connection).
 */
interface Bound {
  User: typeof User;
  Order: typeof Order;
}

class ObjectionContender implements Contender {
  readonly #strategy: Strategy;
  #knex!: Knex;
  protected bound!: Bound;

  constructor(strategy: Strategy) {
    this.#strategy = strategy;
  }

  async setup(url: string): Promise<void> {
    this.#knex = knexFactory({ client: "pg", connection: url, pool: { min: 0, max: 4 } });
    this.bound = { User: User.bindKnex(this.#knex), Order: Order.bindKnex(this.#knex) };
  }

  #graph<Q extends { withGraphFetched(e: string): Q; withGraphJoined(e: string): Q }>(query: Q, expression: string): Q {
    return this.#strategy === "fetched" ? query.withGraphFetched(expression) : query.withGraphJoined(expression);
  }

  async w1(range: UserRange) {
    const { User } = this.bound;
    const users = await this.#graph(User.query(), "orders.products")
      .whereBetween("users.id", [range.from, range.to])
      .orderBy("users.id");
    const tally = new Tally();
    for (const user of users) {
      tally.user(user.id);
      for (const order of user.orders ?? []) {
        tally.order(order.total, order.created_at);
        for (const product of order.products ?? []) tally.product(product.id, product.price);
      }
    }
    return tally.result();
  }

  async w2(page: number) {
    const { User } = this.bound;
    // Objection's paging recipe says LIMIT does not work with withGraphJoined (it pages the
    // flattened rows), so the joined variant selects the page's user ids in a subquery.
    const users =
      this.#strategy === "fetched"
        ? await User.query().withGraphFetched("orders").orderBy("id").limit(20).offset(page * 20)
        : await User.query()
            .withGraphJoined("orders")
            .whereIn("users.id", User.query().select("id").orderBy("id").limit(20).offset(page * 20))
            .orderBy("users.id");
    const tally = new Tally();
    for (const user of users) {
      tally.user(user.id);
      for (const order of user.orders ?? []) tally.order(order.total, order.created_at);
    }
    return tally.result();
  }

  async w3(id: number) {
    const { User } = this.bound;
    const user = await this.#graph(User.query(), "invoice").findById(id);
    const tally = new Tally();
    if (user) {
      tally.user(user.id);
      if (user.invoice) tally.invoice(user.invoice.amount);
    }
    return tally.result();
  }

  async w4(rows: readonly NewOrder[]) {
    await this.#knex.transaction(async (trx) => {
      await this.bound.Order.query(trx).insert(rows.map((r) => ({ user_id: r.userId, total: r.total, created_at: r.createdAt })));
    });
  }

  async teardown() {
    await this.#knex.destroy();
  }
}

/** W5 with `$relatedQuery`: one query per user for its orders, one per order for its products. */
class ObjectionRelated extends ObjectionContender {
  async w5(range: UserRange) {
    const { User } = this.bound;
    const tally = new Tally();
    const users = await User.query().whereBetween("id", [range.from, range.to]).orderBy("id");
    for (const user of users) {
      tally.user(user.id);
      user.orders = await user.$relatedQuery("orders");
      for (const order of user.orders) {
        tally.order(order.total, order.created_at);
        order.products = await order.$relatedQuery("products");
        for (const product of order.products) tally.product(product.id, product.price);
      }
    }
    return tally.result();
  }
}

export default [
  {
    name: "Objection (withGraphFetched)",
    note: "`User.query().withGraphFetched('orders.products')` on knex + pg; W4 `Order.query(trx).insert(rows)` (one multi-row INSERT) in `knex.transaction()`; W5 `$relatedQuery()`",
    create: () => new ObjectionRelated("fetched"),
  },
  {
    name: "Objection (withGraphJoined)",
    note: "`withGraphJoined('orders.products')`; W2 selects the page's user ids in a `whereIn` subquery, since Objection's paging recipe says LIMIT does not work with withGraphJoined",
    create: () => new ObjectionContender("joined"),
  },
] satisfies ContenderDefinition[];
