/**
 * The seed's models (users, orders, invoices, products) as Athanor entities, for the examples.
 *
 * SQLAlchemy's `relationship(back_populates="user")` becomes `Base.many("Order", { backPopulates: "user" })`;
 * `uselist=False` becomes `Base.one(...)`. Targets are named by string and resolved through the
 * `Models` interface (docs/design.md explains why), and `Base.register` checks that every entity
 * named there is registered.
 */
import { column, declarativeBase } from "../src/index.js";

export interface Models {
  User: User;
  Order: Order;
  Invoice: Invoice;
  Product: Product;
  Node: TreeNode;
}

export const Base = declarativeBase<Models>();

export class User extends Base.entity("users", {
  id: column.integer().primaryKey(),
  email: column.text(),
  tenantId: column.integer().nullable(),
  orders: Base.many("Order", { backPopulates: "user" }),
  invoice: Base.one("Invoice", { backPopulates: "user" }),
}) {
  /** Methods work on loaded rows too: the session instantiates this class. */
  get domain(): string {
    return this.email.split("@")[1] ?? "";
  }
}

export class Order extends Base.entity("orders", {
  id: column.integer().primaryKey(),
  userId: column.integer().references("users.id").index(),
  total: column.double(),
  createdAt: column.timestamptz().serverDefault("now()"),
  user: Base.one("User", { backPopulates: "orders" }),
  products: Base.many("Product", { secondary: "order_products" }),
}) {}

export class Invoice extends Base.entity("invoices", {
  id: column.integer().primaryKey(),
  userId: column.integer().references("users.id").unique(),
  amount: column.double(),
  user: Base.one("User", { backPopulates: "invoice" }),
}) {}

export class Product extends Base.entity("products", {
  id: column.integer().primaryKey(),
  name: column.text(),
  price: column.numeric(10, 2),
}) {}

/** The many-to-many association table behind `Order.products`. */
export const orderProducts = Base.table("order_products", {
  order_id: column.integer().references("orders.id").primaryKey(),
  product_id: column.integer().references("products.id").primaryKey(),
});

/** A self-referential tree (adjacency list): `children` is one-to-many, `parent` many-to-one. */
export class TreeNode extends Base.entity("nodes", {
  id: column.integer().primaryKey(),
  parentId: column.integer().references("nodes.id").nullable(),
  name: column.text(),
  children: Base.many("Node", { backPopulates: "parent" }),
  parent: Base.one("Node", { backPopulates: "children" }),
}) {}

Base.register({ User, Order, Invoice, Product, Node: TreeNode });
