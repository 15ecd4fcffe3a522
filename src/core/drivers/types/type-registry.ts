/**
 * Parsers for types that are not built in: enums, domains, and arrays of those (`mood[]`,
 * `posint[]`). Their OIDs are only known at run time, so the first result that contains one is
 * followed by a catalog lookup on the same connection (which also sees types created in its open
 * transaction), and the answer is cached for the life of the driver. Built-in OIDs never cost a
 * lookup.
 *
 * Every driver hands over the server's text for these OIDs (none of them is registered with a
 * driver), so the conversion below is the same everywhere.
 */
import { BUILTIN_PARSERS, arrayParser, identity, type TextParser } from "./parsers.js";
import { FIRST_NON_BUILTIN_OID } from "./oids.js";

/** Runs a catalog query on the connection whose result needs the types. */
export type CatalogQuery = (sql: string, params: readonly (string | null)[]) => Promise<unknown[][]>;

interface TypeRow {
  readonly oid: number;
  readonly typtype: string;
  readonly typbasetype: number;
  readonly typelem: number;
  readonly typcategory: string;
  readonly typdelim: string;
}

const CATALOG_SQL =
  "SELECT oid, typtype, typbasetype, typelem, typcategory, typdelim FROM pg_catalog.pg_type WHERE oid = ANY($1::oid[])";

/** Lookups chase domains and array elements; real type graphs are at most a few levels deep. */
const MAX_LOOKUP_ROUNDS = 8;

export class TypeRegistry {
  readonly #rows = new Map<number, TypeRow>();
  readonly #parsers = new Map<number, TextParser>();

  /**
   * The parser for each column, or undefined for columns whose text needs no conversion.
   * Resolves unknown OIDs first (one catalog round trip for all of them).
   */
  async columnParsers(oids: readonly number[], query: CatalogQuery): Promise<(TextParser | undefined)[] | undefined> {
    let unknown: number[] | undefined;
    for (const oid of oids) {
      if (oid >= FIRST_NON_BUILTIN_OID && !this.#parsers.has(oid)) (unknown ??= []).push(oid);
    }
    if (unknown !== undefined) await this.#resolve(unknown, query);
    let parsers: (TextParser | undefined)[] | undefined;
    for (let i = 0; i < oids.length; i++) {
      const oid = oids[i]!;
      if (oid < FIRST_NON_BUILTIN_OID) continue;
      const parser = this.#parsers.get(oid);
      if (parser !== undefined && parser !== identity) (parsers ??= new Array(oids.length))[i] = parser;
    }
    return parsers;
  }

  async #resolve(oids: number[], query: CatalogQuery): Promise<void> {
    let missing = oids;
    for (let round = 0; missing.length > 0 && round < MAX_LOOKUP_ROUNDS; round++) {
      const rows = await query(CATALOG_SQL, [`{${missing.join(",")}}`]);
      for (const row of rows) {
        const [oid, typtype, typbasetype, typelem, typcategory, typdelim] = row as [
          number, string, number, number, string, string,
        ];
        this.#rows.set(oid, { oid, typtype, typbasetype, typelem, typcategory, typdelim });
      }
      const next = new Set<number>();
      for (const oid of missing) {
        const row = this.#rows.get(oid);
        if (row === undefined) continue;
        for (const ref of [row.typbasetype, row.typelem]) {
          if (ref >= FIRST_NON_BUILTIN_OID && !this.#rows.has(ref)) next.add(ref);
        }
      }
      missing = [...next];
    }
    for (const oid of oids) this.#parsers.set(oid, this.#parserFor(oid, 0));
  }

  #parserFor(oid: number, depth: number): TextParser {
    const builtin = BUILTIN_PARSERS.get(oid);
    if (builtin !== undefined) return builtin;
    const row = this.#rows.get(oid);
    if (row === undefined || depth > MAX_LOOKUP_ROUNDS) return identity;
    if (row.typtype === "d") return this.#parserFor(row.typbasetype, depth + 1);
    if (row.typcategory === "A" && row.typelem !== 0) {
      return arrayParser(this.#parserFor(row.typelem, depth + 1), row.typdelim);
    }
    return identity;
  }
}

/**
 * Converts, in place, the columns whose types are not built in. Returns undefined (no await
 * needed) in the common case of a result with built-in types only.
 */
export function convertNonBuiltinColumns(
  registry: TypeRegistry,
  oids: readonly number[],
  rows: unknown[][],
  query: CatalogQuery,
): Promise<void> | undefined {
  if (!oids.some((oid) => oid >= FIRST_NON_BUILTIN_OID)) return undefined;
  return registry.columnParsers(oids, query).then((parsers) => {
    if (parsers === undefined) return;
    for (const row of rows) {
      for (let i = 0; i < parsers.length; i++) {
        const parser = parsers[i];
        const value = row[i];
        if (parser !== undefined && typeof value === "string") row[i] = parser(value);
      }
    }
  });
}
