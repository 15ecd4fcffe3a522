/**
 * The seed's "raiseload as a production safety net" models: every relationship is declared with
 * `lazy: "raise"`, so reading one the query did not load throws LazyLoadError at once, and each
 * query opts in with selectinload/joinedload. Same tables as ./models.ts, separate declarative base.
 */
import { column, declarativeBase } from "../src/index.js";

export interface StrictModels {
  User: StrictUser;
  Order: StrictOrder;
  Invoice: StrictInvoice;
}

export const StrictBase = declarativeBase<StrictModels>();

export class StrictUser extends StrictBase.entity("users", {
  id: column.integer().primaryKey(),
  email: column.text(),
  // Raises immediately on attribute access if not explicitly loaded.
  orders: StrictBase.many("Order", { backPopulates: "user", lazy: "raise" }),
  invoice: StrictBase.one("Invoice", { backPopulates: "user", lazy: "raise" }),
}) {}

export class StrictOrder extends StrictBase.entity("orders", {
  id: column.integer().primaryKey(),
  userId: column.integer().references("users.id"),
  total: column.double(),
  user: StrictBase.one("User", { backPopulates: "orders" }),
}) {}

export class StrictInvoice extends StrictBase.entity("invoices", {
  id: column.integer().primaryKey(),
  userId: column.integer().references("users.id").unique(),
  amount: column.double(),
  user: StrictBase.one("User", { backPopulates: "invoice" }),
}) {}

StrictBase.register({ User: StrictUser, Order: StrictOrder, Invoice: StrictInvoice });
