/**
 * Athanor, used as its documentation says: entities declared once, one short-lived session per
 * operation, the loading strategy chosen per query. One contender per strategy and driver.
 */
import {
  column, createEngine, declarativeBase, joinedload, select, selectinload, sessionmaker, subqueryload,
  type Engine, type Load, type SessionFactory,
} from "../../src/index.js";
import { Tally } from "../lib/tally.ts";
import type { Contender, ContenderDefinition, NewOrder, UserRange } from "../lib/types.ts";

interface Models {
  User: User;
  Order: Order;
  Invoice: Invoice;
  Product: Product;
}
const Base = declarativeBase<Models>();

class User extends Base.entity("users", {
  id: column.integer().primaryKey(),
  email: column.text(),
  tenantId: column.integer(),
  orders: Base.many("Order", { backPopulates: "user" }),
  invoice: Base.one("Invoice", { backPopulates: "user" }),
}) {}

class Order extends Base.entity("orders", {
  id: column.integer().primaryKey(),
  userId: column.integer().references("users.id"),
  total: column.double(),
  createdAt: column.timestamptz(),
  user: Base.one("User", { backPopulates: "orders" }),
  products: Base.many("Product", { secondary: "order_products" }),
}) {}

class Invoice extends Base.entity("invoices", {
  id: column.integer().primaryKey(),
  userId: column.integer().references("users.id"),
  amount: column.double(),
  user: Base.one("User", { backPopulates: "invoice" }),
}) {}

class Product extends Base.entity("products", {
  id: column.integer().primaryKey(),
  name: column.text(),
  price: column.numeric(10, 2),
}) {}

Base.table("order_products", {
  order_id: column.integer().references("orders.id").primaryKey(),
  product_id: column.integer().references("products.id").primaryKey(),
});

Base.register({ User, Order, Invoice, Product });

type Strategy = "selectin" | "joined" | "subquery";

function tallyUsers(users: readonly User[], withProducts: boolean): Tally {
  const tally = new Tally();
  for (const user of users) {
    tally.user(user.id);
    for (const order of user.orders) {
      tally.order(order.total, order.createdAt);
      if (withProducts) for (const product of order.products) tally.product(product.id, product.price);
    }
  }
  return tally;
}

class Athanor implements Contender {
  #engine!: Engine;
  #Session!: SessionFactory;
  constructor(private readonly strategy: Strategy, private readonly driver: "pg" | "postgres-js") {}

  async setup(url: string): Promise<void> {
    this.#engine = createEngine(url, { poolSize: 4, driver: this.driver });
    this.#Session = sessionmaker(this.#engine, { expireOnCommit: false });
  }

  #graphOptions(): Load[] {
    switch (this.strategy) {
      case "selectin": return [selectinload(User.orders).selectinload(Order.products)];
      case "joined": return [joinedload(User.orders).joinedload(Order.products)];
      case "subquery": return [subqueryload(User.orders).subqueryload(Order.products)];
    }
  }

  #ordersOption(): Load {
    switch (this.strategy) {
      case "selectin": return selectinload(User.orders);
      case "joined": return joinedload(User.orders);
      case "subquery": return subqueryload(User.orders);
    }
  }

  async w1(range: UserRange) {
    await using session = this.#Session();
    const stmt = select(User).where(User.id.between(range.from, range.to)).orderBy(User.id).options(...this.#graphOptions());
    const users = (await session.execute(stmt)).scalars().unique().all();
    return tallyUsers(users, true).result();
  }

  async w2(page: number) {
    await using session = this.#Session();
    const stmt = select(User).orderBy(User.id).limit(20).offset(page * 20).options(this.#ordersOption());
    const users = (await session.execute(stmt)).scalars().unique().all();
    return tallyUsers(users, false).result();
  }

  async w3(id: number) {
    await using session = this.#Session();
    const user = await session.get(User, id, { options: [joinedload(User.invoice)] });
    const tally = new Tally();
    if (user !== null) {
      tally.user(user.id);
      if (user.invoice !== null) tally.invoice(user.invoice.amount);
    }
    return tally.result();
  }

  async w4(rows: readonly NewOrder[]) {
    await this.#Session.begin(async (session) => {
      for (const row of rows) session.add(new Order({ userId: row.userId, total: row.total, createdAt: row.createdAt }));
    });
  }

  async w5(range: UserRange) {
    await using session = this.#Session();
    const users = (await session.execute(select(User).where(User.id.between(range.from, range.to)).orderBy(User.id))).scalars().all();
    for (const user of users) {
      await session.load(user, "orders");
      for (const order of user.orders) await session.load(order, "products");
    }
    return tallyUsers(users, true).result();
  }

  async teardown() {
    await this.#engine.dispose();
  }
}

const notes: Record<Strategy, string> = {
  selectin: "selectinload chain: 3 queries with `= ANY($1)`, each product sent once with its order ids (`array_agg`), identity map, objects with accessors",
  joined: "joinedload chain: one LEFT OUTER JOIN query, deduplicated with unique()",
  subquery: "subqueryload chain: the parent query re-run as a subquery for the first level, keyed batches (as selectin) below it",
};

// Every strategy on each driver Athanor supports against a server (PGlite is its own embedded
// database, not the benchmark's PostgreSQL, so it has no place in this table).
export default (["pg", "postgres-js"] as const).flatMap((driver) =>
  (["selectin", "joined", "subquery"] as const).map((strategy) => ({
    name: `Athanor ${strategy} (${driver === "pg" ? "pg" : "postgres.js"})`,
    note: driver === "pg" ? notes[strategy] : `${notes[strategy]}, postgres.js driver`,
    create: () => new Athanor(strategy, driver),
  })),
) satisfies ContenderDefinition[];
