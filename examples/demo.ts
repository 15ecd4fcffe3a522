/**
 * `npm start`: Athanor's loading strategies side by side on embedded PostgreSQL (PGlite).
 *
 * Creates the seed's schema, seeds deterministic data (50 users, 5 orders each, 20 products,
 * 3 products per order, an invoice for every other user), then runs each strategy in a fresh
 * session and prints the SQL it sent (captured from the engine's execute events), how many
 * statements that was and how long it took. Ends with a summary table.
 */
import {
  containsEager, createEngine, insert, joinedload, LazyLoadError, raiseload, select, selectinload,
  Session, sessionmaker, setWarningSink, subqueryload, type Engine, type Loaded,
} from "../src/index.js";
import { captureStatements, type CapturedStatement } from "../src/testing/index.js";
import { Base, Invoice, Order, orderProducts, Product, User } from "./models.js";

const USERS = 50;
const ORDERS_PER_USER = 5;
const PRODUCTS = 20;
const PRODUCTS_PER_ORDER = 3;
/** "Now" for the demo: fixed, so every run prints the same rows. */
const NOW = new Date("2026-06-30T12:00:00Z");
const DAY = 86_400_000;

// ---- output helpers ---------------------------------------------------------------------------

/** Arrays longer than five items and long strings are shortened: the shape matters, not the values. */
function abbreviate(value: unknown): string {
  if (Array.isArray(value)) {
    const head = value.slice(0, 5).map(abbreviate).join(", ");
    return value.length > 5 ? `[${head}, … ${value.length} items]` : `[${head}]`;
  }
  if (value instanceof Date) return value.toISOString();
  if (typeof value === "string") return JSON.stringify(value.length > 24 ? `${value.slice(0, 21)}...` : value);
  if (typeof value === "bigint") return `${value}n`;
  return String(value);
}

const CLAUSE = /\b(FROM|WHERE|LEFT OUTER JOIN|JOIN|ORDER BY|GROUP BY|LIMIT|OFFSET|RETURNING)\b/g;

/** One clause per line, indented by subquery depth, so joins and subqueries are easy to read. */
function formatSql(sql: string): string {
  let out = "";
  let last = 0;
  for (const match of sql.matchAll(CLAUSE)) {
    const at = match.index;
    const before = sql.slice(0, at);
    // "DELETE FROM", "SELECT * FROM unnest(...)" and "... FROM" right after "(" read better on one line.
    if (/(DELETE|\*|\() $/.test(before)) continue;
    const depth = [...before].reduce((d, c) => d + (c === "(" ? 1 : c === ")" ? -1 : 0), 0);
    out += `${sql.slice(last, at).trimEnd()}\n${" ".repeat(6 + 2 * depth)}`;
    last = at;
  }
  return out + sql.slice(last);
}

function printStatements(statements: readonly CapturedStatement[], show = statements.length): void {
  statements.slice(0, show).forEach((s, i) => {
    const params = s.params.length > 0 ? `\n      -- params: [${s.params.map(abbreviate).join(", ")}]` : "";
    console.log(`  ${String(i + 1).padStart(2)}. ${formatSql(s.sql)}${params}`);
  });
  if (statements.length > show) {
    console.log(`      … ${statements.length - show} more statements of the same shape`);
  }
}

interface StepResult {
  readonly label: string;
  readonly statements: number;
  readonly ms: number;
}

const summary: StepResult[] = [];

/**
 * Runs one step in a new session: prints the heading, runs `body`, then the SQL it sent, the count
 * and the time. `body` returns lines describing what it loaded.
 */
interface StepOptions {
  readonly heading: string;
  /** The row in the summary table. */
  readonly label: string;
  /** Print only the first statements (the N+1 step repeats one shape 50 times). */
  readonly showStatements?: number;
}

async function step(engine: Engine, options: StepOptions, body: (session: Session) => Promise<string[]>): Promise<void> {
  const { heading, label, showStatements } = options;
  console.log(`\n${"=".repeat(100)}\n${heading}\n${"=".repeat(100)}`);
  await using session = new Session(engine, { expireOnCommit: false });
  const capture = captureStatements(engine);
  const started = performance.now();
  let lines: string[];
  try {
    lines = await body(session);
  } finally {
    capture.stop();
  }
  const ms = performance.now() - started;
  printStatements(capture.statements, showStatements);
  console.log(`  -> ${capture.count} statement${capture.count === 1 ? "" : "s"} in ${ms.toFixed(1)} ms`);
  for (const line of lines) console.log(`     ${line}`);
  summary.push({ label, statements: capture.count, ms });
}

function describeUser(user: Loaded<User, "orders">): string {
  const orders = user.orders.map((o) => `#${o.id}:${o.total.toFixed(2)}`).join(" ");
  return `${user.email} orders=[${orders}]`;
}

// ---- schema and data --------------------------------------------------------------------------

async function seed(engine: Engine): Promise<void> {
  await Base.metadata.createAll(engine);
  const users = Base.metadata.table("users");
  const orders = Base.metadata.table("orders");
  const invoices = Base.metadata.table("invoices");
  const products = Base.metadata.table("products");
  const ids = (n: number) => Array.from({ length: n }, (_, i) => i + 1);
  const factory = sessionmaker(engine);
  await factory.begin(async (session) => {
    const userIds = ids(USERS);
    await session.execute(insert(users).fromArrays(
      ["email", "tenant_id"],
      [userIds.map((i) => `user${String(i).padStart(2, "0")}@example.com`), userIds.map((i) => (i % 3) + 1)],
    ));
    const productIds = ids(PRODUCTS);
    await session.execute(insert(products).fromArrays(
      ["name", "price"],
      [productIds.map((i) => `Product ${i}`), productIds.map((i) => (i * 2.5).toFixed(2))],
    ));
    const orderIds = ids(USERS * ORDERS_PER_USER);
    await session.execute(insert(orders).fromArrays(
      ["user_id", "total", "created_at"],
      [
        orderIds.map((i) => Math.ceil(i / ORDERS_PER_USER)),
        orderIds.map((i) => 10 + ((i * 37) % 190)),
        // Spread over the last 75 days: some orders are "recent" (< 30 days), some are not.
        orderIds.map((i) => new Date(NOW.getTime() - ((i * 17) % 75) * DAY)),
      ],
    ));
    const links = orderIds.flatMap((o) => ids(PRODUCTS_PER_ORDER).map((k) => [o, ((o * 7 + k * 3) % PRODUCTS) + 1] as const));
    await session.execute(insert(orderProducts).fromArrays(
      ["order_id", "product_id"],
      [links.map(([o]) => o), links.map(([, p]) => p)],
    ));
    const invoiced = userIds.filter((i) => i % 2 === 1);
    await session.execute(insert(invoices).fromArrays(
      ["user_id", "amount"],
      [invoiced, invoiced.map((i) => 100 + i)],
    ));
  });
}

// ---- the steps --------------------------------------------------------------------------------

async function main(): Promise<void> {
  console.log("Athanor demo: relationship loading strategies on embedded PostgreSQL (PGlite)");
  const starting = performance.now();
  const engine = createEngine("pglite://memory");
  try {
    await engine.execute({ sql: "SELECT 1", params: [] });
    console.log(`Started PGlite in ${(performance.now() - starting).toFixed(0)} ms.`);
    const seeding = performance.now();
    await seed(engine);
    console.log(
      `Seeded ${USERS} users, ${USERS * ORDERS_PER_USER} orders, ${PRODUCTS} products, ` +
        `${USERS * ORDERS_PER_USER * PRODUCTS_PER_ORDER} order/product links and ${USERS / 2} invoices ` +
        `in ${(performance.now() - seeding).toFixed(0)} ms.`,
    );

    await step(engine, { heading: "(a) N+1 for contrast: select(User), then session.load(user, \"orders\") per user", label: "N+1 (load per object)", showStatements: 3 }, async (session) => {
      const users = (await session.scalars(select(User).orderBy(User.id))).all();
      // The anti-pattern: one round trip per user. session.load batches when given the whole list.
      // Athanor notices at the tenth call and says how to fix it (a warning; "raise" in tests).
      const noticed: string[] = [];
      const previous = setWarningSink((message, code) => (code === "n-plus-one" ? noticed.push(message) : previous(message, code)));
      const loaded = [];
      try {
        for (const user of users) loaded.push(await session.load(user, "orders"));
      } finally {
        setWarningSink(previous);
      }
      return [
        `${loaded.length} users, ${loaded.reduce((n, u) => n + u.orders.length, 0)} orders`,
        describeUser(loaded[0]!),
        ...noticed.map((m) => `Athanor warned: ${m}`),
      ];
    });

    await step(engine, { heading: "(b) selectinload(User.orders).selectinload(Order.products): one batch query per level", label: "selectinload chain" }, async (session) => {
      const users = (await session.scalars(
        select(User).orderBy(User.id).options(selectinload(User.orders).selectinload(Order.products)),
      )).all();
      const first = users[0]!;
      const order = first.orders[0]!;
      return [
        `${users.length} users, ${users.reduce((n, u) => n + u.orders.length, 0)} orders`,
        `${first.email} order #${order.id} products: ${order.products.map((p) => p.name).join(", ")}`,
      ];
    });

    await step(engine, { heading: "(c) joinedload(User.invoice) + selectinload(User.orders): a JOIN for the one-to-one, a batch for the collection", label: "joinedload + selectinload" }, async (session) => {
      const users = (await session.scalars(
        select(User).orderBy(User.id).options(joinedload(User.invoice), selectinload(User.orders)),
      )).all();
      const invoiced = users.filter((u) => u.invoice !== null).length;
      return [
        `${users.length} users, ${invoiced} with an invoice`,
        ...users.slice(0, 2).map((u) => `${u.email} invoice=${u.invoice ? u.invoice.amount.toFixed(2) : "none"} orders=${u.orders.length}`),
      ];
    });

    await step(engine, { heading: "(d) joinedload(User.orders) with limit(5): the parent query is wrapped in a subquery; unique() dedupes", label: "joinedload collection + limit" }, async (session) => {
      const users = (await session.scalars(
        select(User).orderBy(User.id).limit(5).options(joinedload(User.orders)),
      )).unique().all();
      return [`${users.length} users: LIMIT counts users, not joined rows; each has its ${ORDERS_PER_USER} orders`, describeUser(users[0]!)];
    });

    await step(engine, { heading: "(e) subqueryload(User.orders): the parent query re-run as a subquery joined to the children", label: "subqueryload" }, async (session) => {
      const users = (await session.scalars(
        select(User).where(User.tenantId.eq(1)).orderBy(User.id).options(subqueryload(User.orders)),
      )).all();
      return [`${users.length} users of tenant 1, ${users.reduce((n, u) => n + u.orders.length, 0)} orders`, describeUser(users[0]!)];
    });

    await step(engine, { heading: "(f) containsEager(User.orders): our own JOIN, filtered to orders of the last 30 days", label: "containsEager + filtered join" }, async (session) => {
      const cutoff = new Date(NOW.getTime() - 30 * DAY);
      const users = (await session.scalars(
        select(User)
          .join(User.orders)
          .where(Order.createdAt.ge(cutoff))
          .options(containsEager(User.orders))
          .orderBy(User.id, Order.createdAt.desc()),
      )).unique().all();
      const recent = users.reduce((n, u) => n + u.orders.length, 0);
      return [
        `${users.length} users with recent orders; their collections hold only those ${recent} orders (of ${USERS * ORDERS_PER_USER})`,
        ...users.slice(0, 2).map((u) => `${u.email} recent=[${u.orders.map((o) => o.createdAt.toISOString().slice(0, 10)).join(", ")}]`),
      ];
    });

    await step(engine, { heading: "(g) selectinload(User.orders) + raiseload(\"*\"): everything else raises when touched", label: "raiseload(\"*\")" }, async (session) => {
      const users = (await session.scalars(
        select(User).orderBy(User.id).limit(3).options(selectinload(User.orders), raiseload("*")),
      )).all();
      const lines = [`${users.length} users; orders loaded: ${users[0]!.orders.length} for ${users[0]!.email}`];
      try {
        lines.push(`invoice: ${String(users[0]!.invoice)}`);
      } catch (error) {
        if (!(error instanceof LazyLoadError)) throw error;
        lines.push(`users[0].invoice -> ${error.name} [${error.code}]: ${error.message}`);
      }
      return lines;
    });

    await step(engine, { heading: "(h) Unit of work: add a user with 3 orders (one with 2 products) and an invoice, flush, commit", label: "unit of work (flush)" }, async (session) => {
      const products = (await session.scalars(select(Product).where(Product.id.in([1, 2])))).all();
      const orders = [new Order({ total: 19.99, products }), new Order({ total: 5 }), new Order({ total: 42.5 })];
      const invoice = new Invoice({ amount: 67.49 });
      const user = new User({ email: "new.customer@example.com", tenantId: 1, orders, invoice });
      session.add(user);
      // One INSERT per table, in foreign-key order; the three orders go in one statement.
      await session.flush();
      await session.commit();
      return [
        `user #${user.id} with orders ${orders.map((o) => `#${o.id}`).join(", ")} and invoice #${invoice.id}`,
        `order #${orders[0]!.id} holds ${products.map((p) => p.name).join(", ")}`,
      ];
    });

    printSummary();
  } finally {
    await engine.dispose();
  }
}

function printSummary(): void {
  const width = Math.max(...summary.map((s) => s.label.length), "strategy".length);
  console.log(`\n${"=".repeat(100)}\nSummary\n${"=".repeat(100)}`);
  console.log(`  ${"strategy".padEnd(width)}  statements        ms`);
  console.log(`  ${"-".repeat(width)}  ----------  --------`);
  for (const s of summary) {
    console.log(`  ${s.label.padEnd(width)}  ${String(s.statements).padStart(10)}  ${s.ms.toFixed(1).padStart(8)}`);
  }
}

await main();
