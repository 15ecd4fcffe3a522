/**
 * The buffered result of `session.execute()`: rows as tuples, `scalars()` for the first column.
 * A result that joined-eager-loaded a collection has repeated rows; reading it without
 * `.unique()` raises, as SQLAlchemy 2.0 does (first() is exempt: it reads one row).
 */
import { MultipleResultsFound, NoResultFound } from "../../core/errors.js";
import { UniqueRequiredError } from "../errors.js";

const UNIQUE_MESSAGE =
  "The unique() method must be invoked on this Result, as it contains results that include joined eager loads against collections. " +
  "Call result.unique() (or result.scalars().unique()) before all()/one()/iteration, or load the collection with selectinload() instead.";

abstract class Rows<T> implements Iterable<T> {
  constructor(
    protected readonly source: readonly T[],
    protected readonly requiresUnique: boolean,
    protected readonly uniqued: boolean,
  ) {}

  protected rows(): readonly T[] {
    if (this.requiresUnique && !this.uniqued) throw new UniqueRequiredError(UNIQUE_MESSAGE);
    return this.source;
  }

  all(): T[] {
    return [...this.rows()];
  }

  /** The first row or null; never raises for repeated rows (it reads one). */
  first(): T | null {
    return this.source[0] ?? null;
  }

  one(): T {
    const rows = this.rows();
    if (rows.length === 0) throw new NoResultFound("No row was found when one was required; use oneOrNone() if none is acceptable.");
    if (rows.length > 1) throw new MultipleResultsFound(`Multiple rows were found (${rows.length}) when exactly one was required; add a filter, or use first().`);
    return rows[0]!;
  }

  oneOrNone(): T | null {
    const rows = this.rows();
    if (rows.length > 1) throw new MultipleResultsFound(`Multiple rows were found (${rows.length}) when one or none was required; add a filter, or use first().`);
    return rows[0] ?? null;
  }

  [Symbol.iterator](): Iterator<T, undefined> {
    return this.rows()[Symbol.iterator]();
  }

  get length(): number {
    return this.source.length;
  }
}

function uniqueBy<T>(rows: readonly T[], key: (row: T) => unknown): T[] {
  const seen = new Set<unknown>();
  const out: T[] = [];
  for (const row of rows) {
    const k = key(row);
    if (!seen.has(k)) {
      seen.add(k);
      out.push(row);
    }
  }
  return out;
}

export class ScalarResult<T> extends Rows<T> {
  /** Removes repeated objects (by identity: the identity map makes equal rows the same object). */
  unique(): ScalarResult<T> {
    return new ScalarResult(uniqueBy(this.source, (r) => r), this.requiresUnique, true);
  }
}

export class Result<Row extends readonly unknown[]> extends Rows<Row> {
  readonly rowCount: number;
  constructor(rows: readonly Row[], requiresUnique: boolean, uniqued = false, rowCount?: number) {
    super(rows, requiresUnique, uniqued);
    this.rowCount = rowCount ?? rows.length;
  }

  unique(): Result<Row> {
    const keyed = uniqueBy(this.source, (row) => (row.length === 1 ? row[0] : tupleKey(row)));
    return new Result(keyed, this.requiresUnique, true, this.rowCount);
  }

  /** The first column of each row: `select(User)` gives users. */
  scalars(): ScalarResult<Row[0]> {
    return new ScalarResult(this.source.map((r) => r[0]), this.requiresUnique, this.uniqued);
  }

  /** The first column of the first row, or null. */
  scalar(): Row[0] | null {
    return this.source[0]?.[0] ?? null;
  }
}

const objectIds = new WeakMap<object, number>();
let nextId = 1;
function tupleKey(row: readonly unknown[]): string {
  return row.map((v) => {
    if (typeof v === "object" && v !== null) {
      let id = objectIds.get(v);
      if (id === undefined) objectIds.set(v, (id = nextId++));
      return `#${id}`;
    }
    return typeof v === "bigint" ? `${v}n` : JSON.stringify(v);
  }).join("\u0000");
}
