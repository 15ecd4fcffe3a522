/**
 * Sequelize 6 with nested `include` (one query with LEFT OUTER JOINs, de-duplicated into model
 * instances), on pg.
 */
import { DataTypes, Model, Op, Sequelize, type ModelStatic } from "sequelize";
import { Tally } from "../lib/tally.ts";
import type { Contender, ContenderDefinition, NewOrder, UserRange } from "../lib/types.ts";

interface UserAttrs {
  id: number;
  email: string;
  tenantId: number;
}
interface OrderAttrs {
  id: number;
  userId: number;
  total: number;
  createdAt: Date;
}
interface ProductAttrs {
  id: number;
  name: string;
  price: string;
}
interface InvoiceAttrs {
  id: number;
  userId: number;
  amount: number;
}
type UserModel = Model<UserAttrs, Partial<UserAttrs>> &
  UserAttrs & {
    orders?: OrderModel[];
    invoice?: InvoiceModel | null;
    getOrders(): Promise<OrderModel[]>;
  };
type OrderModel = Model<OrderAttrs, Partial<OrderAttrs>> &
  OrderAttrs & { products?: ProductModel[]; getProducts(): Promise<ProductModel[]> };
type ProductModel = Model<ProductAttrs> & ProductAttrs;
type InvoiceModel = Model<InvoiceAttrs> & InvoiceAttrs;

class SequelizeContender implements Contender {
  #sequelize!: Sequelize;
  #User!: ModelStatic<UserModel>;
  #Order!: ModelStatic<OrderModel>;
  #Product!: ModelStatic<ProductModel>;
  #Invoice!: ModelStatic<InvoiceModel>;

  async setup(url: string): Promise<void> {
    const sequelize = new Sequelize(url, { dialect: "postgres", logging: false, pool: { min: 0, max: 4 } });
    const options = { timestamps: false, underscored: true };
    const User = sequelize.define<UserModel>(
      "User",
      {
        id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
        email: { type: DataTypes.TEXT, allowNull: false },
        tenantId: { type: DataTypes.INTEGER, allowNull: false },
      },
      { ...options, tableName: "users" },
    );
    const Order = sequelize.define<OrderModel>(
      "Order",
      {
        id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
        userId: { type: DataTypes.INTEGER, allowNull: false },
        total: { type: DataTypes.DOUBLE, allowNull: false },
        createdAt: { type: DataTypes.DATE, allowNull: false },
      },
      { ...options, tableName: "orders" },
    );
    const Product = sequelize.define<ProductModel>(
      "Product",
      {
        id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
        name: { type: DataTypes.TEXT, allowNull: false },
        price: { type: DataTypes.DECIMAL(10, 2), allowNull: false },
      },
      { ...options, tableName: "products" },
    );
    const OrderProduct = sequelize.define(
      "OrderProduct",
      {
        orderId: { type: DataTypes.INTEGER, primaryKey: true },
        productId: { type: DataTypes.INTEGER, primaryKey: true },
      },
      { ...options, tableName: "order_products" },
    );
    const Invoice = sequelize.define<InvoiceModel>(
      "Invoice",
      {
        id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
        userId: { type: DataTypes.INTEGER, allowNull: false },
        amount: { type: DataTypes.DOUBLE, allowNull: false },
      },
      { ...options, tableName: "invoices" },
    );
    User.hasMany(Order, { as: "orders", foreignKey: "userId" });
    Order.belongsTo(User, { as: "user", foreignKey: "userId" });
    User.hasOne(Invoice, { as: "invoice", foreignKey: "userId" });
    Order.belongsToMany(Product, { as: "products", through: OrderProduct, foreignKey: "orderId", otherKey: "productId" });
    Product.belongsToMany(Order, { as: "orders", through: OrderProduct, foreignKey: "productId", otherKey: "orderId" });
    await sequelize.authenticate();
    this.#sequelize = sequelize;
    this.#User = User;
    this.#Order = Order;
    this.#Product = Product;
    this.#Invoice = Invoice;
  }

  async w1(range: UserRange) {
    const users = await this.#User.findAll({
      where: { id: { [Op.between]: [range.from, range.to] } },
      order: [["id", "ASC"]],
      include: [{ model: this.#Order, as: "orders", include: [{ model: this.#Product, as: "products" }] }],
    });
    const tally = new Tally();
    for (const user of users) {
      tally.user(user.id);
      for (const order of user.orders ?? []) {
        tally.order(order.total, order.createdAt);
        for (const product of order.products ?? []) tally.product(product.id, product.price);
      }
    }
    return tally.result();
  }

  async w2(page: number) {
    const users = await this.#User.findAll({
      order: [["id", "ASC"]],
      limit: 20,
      offset: page * 20,
      include: [{ model: this.#Order, as: "orders" }],
    });
    const tally = new Tally();
    for (const user of users) {
      tally.user(user.id);
      for (const order of user.orders ?? []) tally.order(order.total, order.createdAt);
    }
    return tally.result();
  }

  async w3(id: number) {
    const user = await this.#User.findByPk(id, { include: [{ model: this.#Invoice, as: "invoice" }] });
    const tally = new Tally();
    if (user) {
      tally.user(user.id);
      if (user.invoice) tally.invoice(user.invoice.amount);
    }
    return tally.result();
  }

  async w4(rows: readonly NewOrder[]) {
    await this.#sequelize.transaction(async (transaction) => {
      await this.#Order.bulkCreate(
        rows.map((r) => ({ userId: r.userId, total: r.total, createdAt: r.createdAt })),
        { transaction },
      );
    });
  }

  /** Explicit loads with the association getters: `user.getOrders()`, `order.getProducts()`. */
  async w5(range: UserRange) {
    const tally = new Tally();
    const users = await this.#User.findAll({ where: { id: { [Op.between]: [range.from, range.to] } }, order: [["id", "ASC"]] });
    for (const user of users) {
      tally.user(user.id);
      for (const order of await user.getOrders()) {
        tally.order(order.total, order.createdAt);
        for (const product of await order.getProducts()) tally.product(product.id, product.price);
      }
    }
    return tally.result();
  }

  async teardown() {
    await this.#sequelize.close();
  }
}

export default [
  {
    name: "Sequelize",
    note: "`User.findAll({ include: [{ model: Order, include: [Product] }] })` (one query with joins); W4 `Order.bulkCreate(rows, { transaction })`; W5 `user.getOrders()`, `order.getProducts()`",
    create: () => new SequelizeContender(),
  },
] satisfies ContenderDefinition[];
