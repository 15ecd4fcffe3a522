/**
 * Prisma 7 (`prisma-client` generator, query compiler) on @prisma/adapter-pg, with both values
 * of `relationLoadStrategy` (relationJoins preview feature): "query" sends one query per
 * relation level and merges in the client; "join" nests the relations as JSON in one query.
 * The client is generated from ../prisma/schema.prisma into ../generated/prisma by the runner.
 */
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "../generated/prisma/client.ts";
import { Tally } from "../lib/tally.ts";
import type { Contender, ContenderDefinition, NewOrder, UserRange } from "../lib/types.ts";

type Strategy = "query" | "join";

class PrismaContender implements Contender {
  readonly #strategy: Strategy;
  protected prisma!: PrismaClient;

  constructor(strategy: Strategy) {
    this.#strategy = strategy;
  }

  async setup(url: string): Promise<void> {
    this.prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: url, max: 4 }) });
    await this.prisma.$connect();
  }

  async w1(range: UserRange) {
    const users = await this.prisma.user.findMany({
      relationLoadStrategy: this.#strategy,
      where: { id: { gte: range.from, lte: range.to } },
      orderBy: { id: "asc" },
      include: { orders: { include: { orderProducts: { include: { product: true } } } } },
    });
    const tally = new Tally();
    for (const user of users) {
      tally.user(user.id);
      for (const order of user.orders) {
        tally.order(order.total, order.createdAt);
        for (const link of order.orderProducts) tally.product(link.product.id, link.product.price);
      }
    }
    return tally.result();
  }

  async w2(page: number) {
    const users = await this.prisma.user.findMany({
      relationLoadStrategy: this.#strategy,
      orderBy: { id: "asc" },
      skip: page * 20,
      take: 20,
      include: { orders: true },
    });
    const tally = new Tally();
    for (const user of users) {
      tally.user(user.id);
      for (const order of user.orders) tally.order(order.total, order.createdAt);
    }
    return tally.result();
  }

  async w3(id: number) {
    const user = await this.prisma.user.findUnique({
      relationLoadStrategy: this.#strategy,
      where: { id },
      include: { invoice: true },
    });
    const tally = new Tally();
    if (user) {
      tally.user(user.id);
      if (user.invoice) tally.invoice(user.invoice.amount);
    }
    return tally.result();
  }

  async w4(rows: readonly NewOrder[]) {
    await this.prisma.$transaction([
      this.prisma.order.createMany({ data: rows.map((r) => ({ userId: r.userId, total: r.total, createdAt: r.createdAt })) }),
    ]);
  }

  async teardown() {
    await this.prisma.$disconnect();
  }
}

/** W5 through the fluent API: `findUnique(...).orders()` per user, `.orderProducts()` per order. */
class PrismaFluent extends PrismaContender {
  async w5(range: UserRange) {
    const prisma = this.prisma;
    const tally = new Tally();
    const users = await prisma.user.findMany({ where: { id: { gte: range.from, lte: range.to } }, orderBy: { id: "asc" } });
    for (const user of users) {
      tally.user(user.id);
      const orders = await prisma.user.findUnique({ where: { id: user.id } }).orders();
      for (const order of orders ?? []) {
        tally.order(order.total, order.createdAt);
        const links = await prisma.order.findUnique({ where: { id: order.id } }).orderProducts({ include: { product: true } });
        for (const link of links ?? []) tally.product(link.product.id, link.product.price);
      }
    }
    return tally.result();
  }
}

export default [
  {
    name: "Prisma 7 (query)",
    note: "`findMany({ relationLoadStrategy: 'query', include: { orders: { include: { orderProducts: { include: { product: true } } } } } })` on @prisma/adapter-pg; W4 `createMany` in `$transaction([...])`; W5 fluent API `findUnique(...).orders()` / `.orderProducts()`",
    create: () => new PrismaFluent("query"),
  },
  {
    name: "Prisma 7 (join)",
    note: "the same with `relationLoadStrategy: 'join'` (LATERAL joins with JSON aggregation)",
    create: () => new PrismaContender("join"),
  },
] satisfies ContenderDefinition[];
