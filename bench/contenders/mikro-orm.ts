/**
 * MikroORM 6 (pinned to 6.6.16: 7.x needs Node 22) with the select-in and the joined loading
 * strategy. Entities are declared with EntitySchema (no decorators, so no reflect-metadata);
 * each operation runs in its own forked EntityManager, as the docs recommend per request.
 */
import { Collection, EntitySchema, LoadStrategy, MikroORM, type EntityManager } from "@mikro-orm/postgresql";
import { Tally } from "../lib/tally.ts";
import type { Contender, ContenderDefinition, NewOrder, UserRange } from "../lib/types.ts";

class User {
  id!: number;
  email!: string;
  tenantId!: number;
  orders = new Collection<Order>(this);
  invoice?: Invoice | null;
}
class Order {
  id!: number;
  user!: User;
  total!: number;
  createdAt!: Date;
  products = new Collection<Product>(this);
}
class Product {
  id!: number;
  name!: string;
  price!: string;
}
class Invoice {
  id!: number;
  user!: User;
  amount!: number;
}

const UserSchema = new EntitySchema<User>({
  class: User,
  tableName: "users",
  properties: {
    id: { type: "integer", primary: true },
    email: { type: "text" },
    tenantId: { type: "integer" },
    orders: { kind: "1:m", entity: () => Order, mappedBy: "user" },
    invoice: { kind: "1:1", entity: () => Invoice, mappedBy: "user", nullable: true },
  },
});
const OrderSchema = new EntitySchema<Order>({
  class: Order,
  tableName: "orders",
  properties: {
    id: { type: "integer", primary: true },
    user: { kind: "m:1", entity: () => User },
    total: { type: "double" },
    createdAt: { type: "datetime" },
    products: {
      kind: "m:n",
      entity: () => Product,
      owner: true,
      pivotTable: "order_products",
      joinColumn: "order_id",
      inverseJoinColumn: "product_id",
    },
  },
});
const ProductSchema = new EntitySchema<Product>({
  class: Product,
  tableName: "products",
  properties: {
    id: { type: "integer", primary: true },
    name: { type: "text" },
    price: { type: "decimal", precision: 10, scale: 2 },
  },
});
const InvoiceSchema = new EntitySchema<Invoice>({
  class: Invoice,
  tableName: "invoices",
  properties: {
    id: { type: "integer", primary: true },
    user: { kind: "1:1", entity: () => User, inversedBy: "invoice", owner: true },
    amount: { type: "double" },
  },
});

class MikroOrmContender implements Contender {
  readonly #strategy: LoadStrategy;
  protected orm!: MikroORM;

  constructor(strategy: LoadStrategy) {
    this.#strategy = strategy;
  }

  async setup(url: string): Promise<void> {
    this.orm = await MikroORM.init({
      clientUrl: url,
      entities: [UserSchema, OrderSchema, ProductSchema, InvoiceSchema],
      pool: { min: 0, max: 4 },
      debug: false,
    });
  }

  protected em(): EntityManager {
    return this.orm.em.fork();
  }

  async w1(range: UserRange) {
    const users = await this.em().find(
      User,
      { id: { $gte: range.from, $lte: range.to } },
      { populate: ["orders.products"], orderBy: { id: "asc" }, strategy: this.#strategy },
    );
    const tally = new Tally();
    for (const user of users) {
      tally.user(user.id);
      for (const order of user.orders) {
        tally.order(order.total, order.createdAt);
        for (const product of order.products) tally.product(product.id, product.price);
      }
    }
    return tally.result();
  }

  async w2(page: number) {
    const users = await this.em().find(
      User,
      {},
      { populate: ["orders"], orderBy: { id: "asc" }, limit: 20, offset: page * 20, strategy: this.#strategy },
    );
    const tally = new Tally();
    for (const user of users) {
      tally.user(user.id);
      for (const order of user.orders) tally.order(order.total, order.createdAt);
    }
    return tally.result();
  }

  async w3(id: number) {
    const user = await this.em().findOne(User, id, { populate: ["invoice"], strategy: this.#strategy });
    const tally = new Tally();
    if (user) {
      tally.user(user.id);
      if (user.invoice) tally.invoice(user.invoice.amount);
    }
    return tally.result();
  }

  async w4(rows: readonly NewOrder[]) {
    await this.em().transactional(async (em) => {
      for (const row of rows) {
        em.create(Order, { user: em.getReference(User, row.userId), total: row.total, createdAt: row.createdAt });
      }
    });
  }

  async teardown() {
    await this.orm.close(true);
  }
}

/** W5 with `Collection.init()`: one query per user for its orders, one per order for its products. */
class MikroOrmLazy extends MikroOrmContender {
  async w5(range: UserRange) {
    const em = this.em();
    const tally = new Tally();
    const users = await em.find(User, { id: { $gte: range.from, $lte: range.to } }, { orderBy: { id: "asc" } });
    for (const user of users) {
      tally.user(user.id);
      await user.orders.init();
      for (const order of user.orders) {
        tally.order(order.total, order.createdAt);
        await order.products.init();
        for (const product of order.products) tally.product(product.id, product.price);
      }
    }
    return tally.result();
  }
}

export default [
  {
    name: "MikroORM 6 (select-in)",
    note: "`em.fork().find(User, where, { populate: ['orders.products'], strategy: 'select-in' })`; W4 `em.create()` ×N in `em.transactional()` (flush); W5 `collection.init()`",
    create: () => new MikroOrmLazy(LoadStrategy.SELECT_IN),
  },
  {
    name: "MikroORM 6 (joined)",
    note: "the same with `strategy: 'joined'` (one query with LEFT JOINs; MikroORM 6's default)",
    create: () => new MikroOrmContender(LoadStrategy.JOINED),
  },
] satisfies ContenderDefinition[];
