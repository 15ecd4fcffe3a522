/**
 * The contract between the runner and a contender. One contender is one way of loading the
 * benchmark graph (an ORM with one loading strategy, or a raw driver with hand-written SQL).
 * See contenders/README.md for how to add one.
 */

/** What a workload saw, reduced to numbers that every correct contender agrees on. */
export interface Checksum {
  users: number;
  userIdSum: number;
  orders: number;
  /** Sum of `round(total * 100)` over the orders. */
  totalCents: number;
  /** Sum of `created_at` in whole seconds since the epoch. */
  createdAtSec: number;
  /** Number of (order, product) pairs reached. */
  products: number;
  productIdSum: number;
  /** Sum of `round(price * 100)` over the (order, product) pairs. */
  priceCents: number;
  invoices: number;
  /** Sum of `round(amount * 100)` over the invoices. */
  amountCents: number;
}

/** One row for W4; `id` is left to the `orders_id_seq` default. */
export interface NewOrder {
  userId: number;
  total: number;
  createdAt: Date;
}

/** An inclusive range of user ids. */
export interface UserRange {
  from: number;
  to: number;
}

export interface Contender {
  /** Connects and prepares (models, metadata, pools). Not timed. */
  setup(url: string): Promise<void>;
  /**
   * W1: users `from..to` (by id) with their orders and each order's products, as the
   * contender's normal nested result. Walk it with `Tally` and return the checksum.
   */
  w1(range: UserRange): Promise<Checksum>;
  /** W2: users ordered by id, `LIMIT 20 OFFSET page * 20`, with their orders. */
  w2(page: number): Promise<Checksum>;
  /** W3: one user by primary key with its invoice (or none). */
  w3(id: number): Promise<Checksum>;
  /** W4: insert all rows through the normal insert API, in one transaction. */
  w4(rows: readonly NewOrder[]): Promise<void>;
  /**
   * W5 (optional): W1 by explicit per-object loads: one query for the users, one per user for
   * its orders, one per order for its products. Only for contenders with such an API.
   */
  w5?(range: UserRange): Promise<Checksum>;
  /** Closes pools and connections. The process exits soon after. */
  teardown(): Promise<void>;
}

export interface ContenderDefinition {
  /** Row label in RESULTS.md, unique across all contenders, e.g. "Prisma 7 (join)". */
  name: string;
  /** One line on how it loads, shown under the table. */
  note?: string;
  create(): Contender;
}
