/**
 * Random data for a schema: 0–60 rows per table, NULL foreign keys, orphans (keys to rows that do
 * not exist), cycles in self-references (a row may be its own parent), association rows, and
 * timestamptz values with microseconds.
 *
 * The arbitrary does not depend on the schema (so it shrinks independently): each row is a seed of
 * small integers that `materialise` interprets against the schema.
 */
import fc from "fast-check";
import { columnsOf, pkColumns, secondaryName, tableName, type Schema } from "./schema.js";

export interface RowSeed {
  readonly val: number;
  /** Microseconds after 2024-01-01T00:00:00Z, or null. */
  readonly ts: number | null;
  /** One number per link: which parent row the foreign key of that link points to (or NULL, or an orphan). */
  readonly fks: readonly number[];
}

export interface DataSeed {
  readonly rows: readonly (readonly RowSeed[])[];
  /** Per link: association rows as (left row, right row) picks. */
  readonly pairs: readonly (readonly (readonly [number, number])[])[];
}

const rowSeedArb: fc.Arbitrary<RowSeed> = fc.record({
  val: fc.nat(99),
  ts: fc.option(fc.integer({ min: 0, max: 400 * 86_400 * 1_000_000 }), { freq: 4 }),
  fks: fc.array(fc.nat(99), { minLength: 7, maxLength: 7 }),
});

export const dataArb: fc.Arbitrary<DataSeed> = fc.record({
  rows: fc.array(fc.array(rowSeedArb, { maxLength: 60 }), { minLength: 6, maxLength: 6 }),
  pairs: fc.array(fc.array(fc.tuple(fc.nat(99), fc.nat(99)), { maxLength: 40 }), { minLength: 7, maxLength: 7 }),
});

export type Value = number | null;

export interface Row {
  /** Column values by SQL name (key, val, foreign keys); ts as its exact text. */
  readonly values: Readonly<Record<string, Value>>;
  readonly ts: string | null;
}

export interface Dataset {
  readonly rows: readonly (readonly Row[])[];
  readonly pairs: readonly (readonly (readonly number[])[])[];
}

const BASE_MS = Date.UTC(2024, 0, 1);
/** ISO text with six fractional digits, exactly as PostgreSQL stores it. */
export function tsText(micros: number): string {
  const ms = Math.floor(micros / 1000);
  const iso = new Date(BASE_MS + ms).toISOString().slice(0, 19);
  const fraction = String(Math.floor(micros % 1_000_000)).padStart(6, "0");
  return `${iso}.${fraction}Z`;
}

/** Keys of row `i` of a table: `id = i + 1`, or for composite keys (id, k) = (i div 2 + 1, i mod 2). */
function keyOf(composite: boolean, i: number): number[] {
  return composite ? [Math.floor(i / 2) + 1, i % 2] : [i + 1];
}

/** An orphan key: no row has it. */
const orphanKey = (composite: boolean, pick: number): number[] => (composite ? [900 + pick, 0] : [900 + pick]);

export function materialise(schema: Schema, seed: DataSeed): Dataset {
  const counts = schema.tables.map((_, t) => seed.rows[t]?.length ?? 0);
  const rows = schema.tables.map((spec, t) => {
    const usedOneToOne = new Map<number, Set<number>>();
    return (seed.rows[t] ?? []).map((s, i): Row => {
      const values: Record<string, Value> = {};
      const key = keyOf(spec.composite, i);
      pkColumns(spec).forEach((c, j) => { values[c] = key[j]!; });
      // Unique per table, so an orderBy on it defines one order.
      values.val = s.val * 64 + i;
      schema.links.forEach((link, n) => {
        const pick = s.fks[n] ?? 0;
        if (link.kind === "fk" && link.child === t) {
          const parent = schema.tables[link.parent]!;
          const cols = pkColumns(parent).map((c) => `l${n}_${c}`);
          let target: number[] | null;
          const index = pick % (counts[link.parent]! + 2);
          if (link.nullable && pick % 5 === 0) target = null;
          else if (index < counts[link.parent]!) target = keyOf(parent.composite, index);
          else target = orphanKey(parent.composite, index);
          if (target !== null && link.oneToOne) {
            // One-to-one: at most one child per parent; later claimants get NULL.
            const used = usedOneToOne.get(n) ?? new Set<number>();
            usedOneToOne.set(n, used);
            if (used.has(index)) target = null;
            else used.add(index);
          }
          cols.forEach((c, j) => { values[c] = target === null ? null : target[j]!; });
        }
        if (link.kind === "self" && link.table === t) {
          const cols = pkColumns(spec).map((c) => `l${n}_${c}`);
          const index = pick % (counts[t]! + 2);
          // Self-references: NULL (roots), any row including itself (cycles), or an orphan.
          const target = index === counts[t]! ? null : index < counts[t]! ? keyOf(spec.composite, index) : orphanKey(spec.composite, index);
          cols.forEach((c, j) => { values[c] = target === null ? null : target[j]!; });
        }
      });
      return { values, ts: s.ts === null ? null : tsText(s.ts) };
    });
  });
  const pairs = schema.links.map((link, n) => {
    if (link.kind !== "m2m") return [];
    const left = schema.tables[link.left]!;
    const right = schema.tables[link.right]!;
    const seen = new Set<string>();
    const out: number[][] = [];
    for (const [a, b] of seed.pairs[n] ?? []) {
      const ia = a % (counts[link.left]! + 1);
      const ib = b % (counts[link.right]! + 1);
      const ka = ia < counts[link.left]! ? keyOf(left.composite, ia) : orphanKey(left.composite, ia);
      const kb = ib < counts[link.right]! ? keyOf(right.composite, ib) : orphanKey(right.composite, ib);
      const row = [...ka, ...kb];
      if (seen.has(row.join(","))) continue;
      seen.add(row.join(","));
      out.push(row);
    }
    return out;
  });
  return { rows, pairs };
}

const literal = (v: Value): string => (v === null ? "NULL" : String(v));

/** DELETE and INSERT statements that make the tables hold exactly `data`. */
export function dataSql(schema: Schema, prefix: string, data: Dataset): string[] {
  const sql: string[] = [];
  schema.tables.forEach((_, t) => sql.push(`DELETE FROM ${tableName(prefix, t)}`));
  schema.links.forEach((link, n) => { if (link.kind === "m2m") sql.push(`DELETE FROM ${secondaryName(prefix, n)}`); });
  schema.tables.forEach((_, t) => {
    const rows = data.rows[t]!;
    if (rows.length === 0) return;
    const cols = columnsOf(schema, t).map((c) => c.name);
    const values = rows.map((r) => `(${cols.map((c) => (c === "ts" ? (r.ts === null ? "NULL" : `'${r.ts}'`) : literal(r.values[c] ?? null))).join(", ")})`);
    sql.push(`INSERT INTO ${tableName(prefix, t)} (${cols.join(", ")}) VALUES ${values.join(", ")}`);
  });
  schema.links.forEach((link, n) => {
    const rows = data.pairs[n]!;
    if (link.kind !== "m2m" || rows.length === 0) return;
    const cols = [...pkColumns(schema.tables[link.left]!).map((c) => `a_${c}`), ...pkColumns(schema.tables[link.right]!).map((c) => `b_${c}`)];
    sql.push(`INSERT INTO ${secondaryName(prefix, n)} (${cols.join(", ")}) VALUES ${rows.map((r) => `(${r.join(", ")})`).join(", ")}`);
  });
  return sql;
}
