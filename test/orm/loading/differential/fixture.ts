/**
 * For the fixed regression tests: one generated schema (written out as a literal), its tables on a
 * fresh database of the backend, literal rows, and the entity classes (T0, T1, ... as `T[i]`).
 */
import { createEngine, type Engine } from "../../../../src/index.js";
import type { Backend } from "../../../support/backends.js";
import { declareSchema, schemaDdl, secondaryName, tableName, type EntityClassOf, type Schema } from "./schema.js";

export interface Fixture {
  readonly engine: Engine;
  readonly url: string;
  readonly T: readonly EntityClassOf[];
  readonly ddl: readonly string[];
  readonly sql: readonly string[];
}

type Rows = readonly Readonly<Record<string, number | string | null>>[];

const literal = (v: number | string | null): string => (v === null ? "NULL" : typeof v === "number" ? String(v) : `'${v}'`);

function insert(table: string, rows: Rows): string[] {
  if (rows.length === 0) return [];
  const cols = Object.keys(rows[0]!);
  return [`INSERT INTO ${table} (${cols.join(", ")}) VALUES ${rows.map((r) => `(${cols.map((c) => literal(r[c] ?? null)).join(", ")})`).join(", ")}`];
}

/** `rows[i]` fills table T<i>; `pairs[n]` the secondary of link n. Tables are named `r_t<i>`, `r_m<n>`. */
export async function fixture(backend: Backend, schema: Schema, rows: Readonly<Record<number, Rows>>, pairs: Readonly<Record<number, Rows>> = {}): Promise<Fixture> {
  const url = await backend.freshUrl();
  const engine = createEngine(url);
  const ddl = schemaDdl(schema, "r");
  const sql = [
    ...Object.entries(rows).flatMap(([t, r]) => insert(tableName("r", Number(t)), r)),
    ...Object.entries(pairs).flatMap(([n, r]) => insert(secondaryName("r", Number(n)), r)),
  ];
  for (const statement of [...ddl, ...sql]) await engine.execute({ sql: statement, params: [] });
  return { engine, url, T: declareSchema(schema, "r"), ddl, sql };
}

/** `obj.rel` as the keys of what it holds (`[1, 2]`, `[[1, 0]]` for composite keys, null), or "NOT LOADED". */
export function keysOf(value: () => unknown, pk: readonly string[] = ["id"]): unknown {
  let v: unknown;
  try {
    v = value();
  } catch (error) {
    if ((error as Error).name === "NotLoadedError") return "NOT LOADED";
    throw error;
  }
  const key = (o: unknown) => (pk.length === 1 ? (o as Record<string, unknown>)[pk[0]!] : pk.map((c) => (o as Record<string, unknown>)[c]));
  if (v === null) return null;
  return Array.isArray(v) ? v.map(key) : key(v);
}
