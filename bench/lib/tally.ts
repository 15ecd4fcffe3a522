import type { Checksum } from "./types.ts";

type Numeric = number | string | { toString(): string };
type Timestamp = Date | string | number;

/**
 * Accumulates a checksum while a contender walks its own result. Accepts the value types the
 * drivers hand out (numbers, numeric strings, Decimal objects; Date objects or ISO strings), so
 * a contender is not forced to convert what its users would get.
 */
export class Tally {
  readonly #sum: Checksum = emptyChecksum();

  user(id: number): this {
    this.#sum.users += 1;
    this.#sum.userIdSum += Number(id);
    return this;
  }

  order(total: Numeric, createdAt: Timestamp): this {
    this.#sum.orders += 1;
    this.#sum.totalCents += cents(total);
    this.#sum.createdAtSec += seconds(createdAt);
    return this;
  }

  product(id: number, price: Numeric): this {
    this.#sum.products += 1;
    this.#sum.productIdSum += Number(id);
    this.#sum.priceCents += cents(price);
    return this;
  }

  invoice(amount: Numeric): this {
    this.#sum.invoices += 1;
    this.#sum.amountCents += cents(amount);
    return this;
  }

  result(): Checksum {
    return { ...this.#sum };
  }
}

export function emptyChecksum(): Checksum {
  return {
    users: 0,
    userIdSum: 0,
    orders: 0,
    totalCents: 0,
    createdAtSec: 0,
    products: 0,
    productIdSum: 0,
    priceCents: 0,
    invoices: 0,
    amountCents: 0,
  };
}

export function addChecksums(a: Checksum, b: Checksum): Checksum {
  const out = emptyChecksum();
  for (const key of Object.keys(out) as (keyof Checksum)[]) out[key] = a[key] + b[key];
  return out;
}

/** The fields where `actual` differs from `expected`, as "field: actual != expected". */
export function checksumDiff(expected: Checksum, actual: Checksum): string[] {
  const out: string[] = [];
  for (const key of Object.keys(expected) as (keyof Checksum)[]) {
    if (expected[key] !== actual[key]) out.push(`${key}: ${actual[key]} != ${expected[key]}`);
  }
  return out;
}

function cents(value: Numeric): number {
  return Math.round(Number(typeof value === "number" ? value : String(value)) * 100);
}

function seconds(value: Timestamp): number {
  const ms = value instanceof Date ? value.getTime() : typeof value === "number" ? value : Date.parse(value);
  return Math.round(ms / 1000);
}
