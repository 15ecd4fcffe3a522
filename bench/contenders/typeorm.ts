/**
 * TypeORM with its default relation load strategy ("join": one query with LEFT JOINs, rows
 * de-duplicated into entities). Entities are declared with EntitySchema, so no decorators or
 * reflect-metadata are needed.
 */
import { Between, DataSource, EntitySchema } from "typeorm";
import { Tally } from "../lib/tally.ts";
import type { Contender, ContenderDefinition, NewOrder, UserRange } from "../lib/types.ts";

interface User {
  id: number;
  email: string;
  tenantId: number;
  orders: Order[];
  invoice: Invoice | null;
}
interface Order {
  id: number;
  userId: number;
  total: number;
  createdAt: Date;
  user: User;
  products: Product[];
}
interface Product {
  id: number;
  name: string;
  price: string;
}
interface Invoice {
  id: number;
  userId: number;
  amount: number;
  user: User;
}

const UserEntity = new EntitySchema<User>({
  name: "User",
  tableName: "users",
  columns: {
    id: { type: Number, primary: true, generated: true },
    email: { type: "text" },
    tenantId: { type: Number, name: "tenant_id" },
  },
  relations: {
    orders: { type: "one-to-many", target: "Order", inverseSide: "user" },
    invoice: { type: "one-to-one", target: "Invoice", inverseSide: "user" },
  },
});
const OrderEntity = new EntitySchema<Order>({
  name: "Order",
  tableName: "orders",
  columns: {
    id: { type: Number, primary: true, generated: true },
    userId: { type: Number, name: "user_id" },
    total: { type: "double precision" },
    createdAt: { type: "timestamptz", name: "created_at" },
  },
  relations: {
    user: { type: "many-to-one", target: "User", inverseSide: "orders", joinColumn: { name: "user_id" } },
    products: {
      type: "many-to-many",
      target: "Product",
      joinTable: {
        name: "order_products",
        joinColumn: { name: "order_id", referencedColumnName: "id" },
        inverseJoinColumn: { name: "product_id", referencedColumnName: "id" },
      },
    },
  },
});
const ProductEntity = new EntitySchema<Product>({
  name: "Product",
  tableName: "products",
  columns: {
    id: { type: Number, primary: true, generated: true },
    name: { type: "text" },
    price: { type: "numeric", precision: 10, scale: 2 },
  },
});
const InvoiceEntity = new EntitySchema<Invoice>({
  name: "Invoice",
  tableName: "invoices",
  columns: {
    id: { type: Number, primary: true, generated: true },
    userId: { type: Number, name: "user_id" },
    amount: { type: "double precision" },
  },
  relations: {
    user: { type: "one-to-one", target: "User", inverseSide: "invoice", joinColumn: { name: "user_id" } },
  },
});

class TypeOrmContender implements Contender {
  #ds!: DataSource;

  async setup(url: string): Promise<void> {
    this.#ds = new DataSource({
      type: "postgres",
      url,
      entities: [UserEntity, OrderEntity, ProductEntity, InvoiceEntity],
      synchronize: false,
      logging: false,
      extra: { max: 4 },
    });
    await this.#ds.initialize();
  }

  async w1(range: UserRange) {
    const users = await this.#ds.getRepository(UserEntity).find({
      where: { id: Between(range.from, range.to) },
      relations: { orders: { products: true } },
      order: { id: "ASC" },
    });
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
    const users = await this.#ds.getRepository(UserEntity).find({
      relations: { orders: true },
      order: { id: "ASC" },
      skip: page * 20,
      take: 20,
    });
    const tally = new Tally();
    for (const user of users) {
      tally.user(user.id);
      for (const order of user.orders) tally.order(order.total, order.createdAt);
    }
    return tally.result();
  }

  async w3(id: number) {
    const user = await this.#ds.getRepository(UserEntity).findOne({ where: { id }, relations: { invoice: true } });
    const tally = new Tally();
    if (user) {
      tally.user(user.id);
      if (user.invoice) tally.invoice(user.invoice.amount);
    }
    return tally.result();
  }

  async w4(rows: readonly NewOrder[]) {
    await this.#ds.transaction(async (manager) => {
      await manager.save(
        OrderEntity,
        rows.map((r) => ({ userId: r.userId, total: r.total, createdAt: r.createdAt })),
      );
    });
  }

  /** Explicit loads with the RelationQueryBuilder: `relation(User, "orders").of(user).loadMany()`. */
  async w5(range: UserRange) {
    const tally = new Tally();
    const users = await this.#ds.getRepository(UserEntity).find({
      where: { id: Between(range.from, range.to) },
      order: { id: "ASC" },
    });
    for (const user of users) {
      tally.user(user.id);
      user.orders = await this.#ds.createQueryBuilder().relation(UserEntity, "orders").of(user).loadMany<Order>();
      for (const order of user.orders) {
        tally.order(order.total, order.createdAt);
        order.products = await this.#ds.createQueryBuilder().relation(OrderEntity, "products").of(order).loadMany<Product>();
        for (const product of order.products) tally.product(product.id, product.price);
      }
    }
    return tally.result();
  }

  async teardown() {
    await this.#ds.destroy();
  }
}

export default [
  {
    name: "TypeORM",
    note: "`repository.find({ relations: { orders: { products: true } } })` with the default relationLoadStrategy 'join'; W4 `manager.save(Order, rows)` in `dataSource.transaction()`; W5 `createQueryBuilder().relation(...).of(entity).loadMany()`",
    create: () => new TypeOrmContender(),
  },
] satisfies ContenderDefinition[];
