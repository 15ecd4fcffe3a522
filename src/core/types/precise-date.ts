/**
 * PostgreSQL keeps timestamps to the microsecond; a JS Date keeps milliseconds. A timestamp read
 * with sub-millisecond digits comes back as a `PreciseDate`: a real Date (every Date API, `instanceof
 * Date`, comparisons by `getTime()`) that also carries the three digits a Date cannot hold. The
 * parameter encoder writes them back, so a value read can be compared with (`eq(readValue)`) or
 * written back exactly. Timestamps with whole milliseconds read as plain Dates, as before.
 *
 * What loses the extra digits, and why: `new Date(precise)` and arithmetic on `getTime()` build
 * from milliseconds; `setTime`, `setMilliseconds` and `setUTCMilliseconds` set the time to a whole
 * millisecond, so they clear them. Other setters (`setHours`, ...) keep them. `toISOString()` (and
 * so `JSON.stringify`) prints six fractional digits when there are microseconds. Pinned by test/core/types/precise-date.test.ts.
 */
export class PreciseDate extends Date {
  #microseconds: number;

  /**
   * `new PreciseDate(ms, us)`: `ms` milliseconds since the epoch as for `new Date(ms)`, plus `us`
   * microseconds (an integer 0..999). Without arguments, now.
   */
  constructor(milliseconds: number = Date.now(), microseconds = 0) {
    super(milliseconds);
    if (!Number.isInteger(microseconds) || microseconds < 0 || microseconds > 999) {
      throw new RangeError(`PreciseDate: microseconds must be an integer from 0 to 999, got ${String(microseconds)}`);
    }
    this.#microseconds = Number.isNaN(this.getTime()) ? 0 : microseconds;
  }

  /** From microseconds since the epoch (what PostgreSQL stores), e.g. `1706700896789123n`. */
  static fromEpochMicroseconds(micros: bigint): PreciseDate {
    // Floor division: the sub-millisecond part is always 0..999, also before 1970.
    let ms = micros / 1000n;
    let us = micros - ms * 1000n;
    if (us < 0n) {
      us += 1000n;
      ms -= 1n;
    }
    return new PreciseDate(Number(ms), Number(us));
  }

  /** The microseconds past `getMilliseconds()`, 0..999. */
  get microseconds(): number {
    return this.#microseconds;
  }

  /** Microseconds since the epoch, exact. */
  get epochMicroseconds(): bigint {
    return BigInt(this.getTime()) * 1000n + BigInt(this.#microseconds);
  }

  override setTime(time: number): number {
    this.#microseconds = 0;
    return super.setTime(time);
  }

  override setMilliseconds(ms: number): number {
    this.#microseconds = 0;
    return super.setMilliseconds(ms);
  }

  override setUTCMilliseconds(ms: number): number {
    this.#microseconds = 0;
    return super.setUTCMilliseconds(ms);
  }

  /** ISO 8601 with six fractional digits, "2024-01-31T10:34:56.789123Z" (three when they are 0). */
  override toISOString(): string {
    const iso = super.toISOString();
    if (this.#microseconds === 0) return iso;
    return `${iso.slice(0, -1)}${String(this.#microseconds).padStart(3, "0")}Z`;
  }
}

/** The microseconds a Date carries beyond its milliseconds: 0 for a plain Date. */
export function subMilliseconds(date: Date): number {
  return date instanceof PreciseDate ? date.microseconds : 0;
}
