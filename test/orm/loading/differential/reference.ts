/**
 * The reference loader: the graph a plan must produce, computed with plain SQL through the
 * engine, one query per object and relationship (memoised within a case), written without any of
 * the ORM's loaders. It also counts, for each level of the option tree, how many distinct parent
 * objects it has, which bounds the statements each strategy may send.
 */
import type { Engine } from "../../../../src/index.js";
import type { Crit, Plan, PlanNode } from "./plan.js";
import { columnsOf, pkColumns, secondaryName, tableName, type Rel, type Schema } from "./schema.js";

/** One object of a graph as plain data: its identity, its columns, the relationships the tree loads. */
export interface GraphObject {
  readonly key: string;
  readonly val: number;
  /** Milliseconds part of `ts` (ISO, 3 digits); exactness is checked by a round trip. */
  readonly ts: string | null;
  rels: Record<string, GraphObject[] | GraphObject | null | "NOT LOADED">;
}

export interface ReferenceRow {
  readonly table: number;
  readonly key: string;
  readonly values: Readonly<Record<string, number | null>>;
  /** The exact text, six fractional digits. */
  readonly ts: string | null;
}

export const objectKey = (table: number, pk: readonly unknown[]): string => `T${table}(${pk.map(String).join(",")})`;

export const critSql = (alias: string, crit: Crit): string => `${alias}.val ${crit.op === "gt" ? ">" : "<="} ${crit.value}`;

/** Whether a collection's order is defined (and so compared): an orderBy, not from a containsEager join. */
export const ordered = (node: PlanNode): boolean => node.rel.orderBy !== undefined && node.strategy !== "containsEager";

export class ReferenceLoader {
  /** Queries sent, for the curious: the loader is naive on purpose. */
  queries = 0;
  private readonly memo = new Map<string, ReferenceRow[]>();
  constructor(
    private readonly engine: Engine,
    private readonly schema: Schema,
    private readonly prefix: string,
    private readonly wlc: Plan["wlc"],
  ) {}

  private columnList(table: number, alias: string): string {
    const ints = columnsOf(this.schema, table).filter((c) => c.type === "integer").map((c) => `${alias}.${c.name}`);
    return [...ints, `to_char(${alias}.ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS ts_text`].join(", ");
  }

  private toRow(table: number, row: readonly unknown[], offset = 0): ReferenceRow {
    const ints = columnsOf(this.schema, table).filter((c) => c.type === "integer");
    const values: Record<string, number | null> = {};
    ints.forEach((c, i) => { values[c.name] = row[offset + i] === null ? null : Number(row[offset + i]); });
    const ts = row[offset + ints.length] as string | null;
    return { table, key: objectKey(table, pkColumns(this.schema.tables[table]!).map((c) => values[c])), values, ts };
  }

  private width(table: number): number {
    return columnsOf(this.schema, table).filter((c) => c.type === "integer").length + 1;
  }

  private filters(table: number, alias: string): string[] {
    return this.wlc !== undefined && this.wlc.table === table ? [critSql(alias, this.wlc.crit)] : [];
  }

  private async query(sql: string, params: readonly unknown[]): Promise<(readonly unknown[])[]> {
    this.queries += 1;
    const result = await this.engine.execute({ sql, params: [...params] });
    return result.rows as (readonly unknown[])[];
  }

  /** The statement's own rows: the queried entity (and with `pair`, the joined one), paged. */
  async top(plan: Plan): Promise<{ row: ReferenceRow; second: ReferenceRow | undefined }[]> {
    const t = plan.root;
    const pk = pkColumns(this.schema.tables[t]!);
    const where = [...this.filters(t, "a")];
    let from = `${tableName(this.prefix, t)} AS a`;
    const order = pk.map((c) => `a.${c}`);
    let columns = this.columnList(t, "a");
    const pair = plan.pair;
    if (pair !== undefined) {
      from += ` JOIN ${tableName(this.prefix, pair.target)} AS b ON ${pair.pairs.map(([o, x]) => `a.${o} = b.${x}`).join(" AND ")}`;
      where.push(...this.filters(pair.target, "b"));
      order.push(...pkColumns(this.schema.tables[pair.target]!).map((c) => `b.${c}`));
      columns += `, ${this.columnList(pair.target, "b")}`;
    }
    let sql = `SELECT ${columns} FROM ${from}${where.length ? ` WHERE ${where.join(" AND ")}` : ""} ORDER BY ${order.join(", ")}`;
    if (plan.page !== undefined) sql += ` LIMIT ${plan.page.limit} OFFSET ${plan.page.offset}`;
    const rows = await this.query(sql, []);
    return rows.map((r) => ({ row: this.toRow(t, r), second: pair === undefined ? undefined : this.toRow(pair.target, r, this.width(t)) }));
  }

  /** The rows `rel` relates to `owner`, in the relationship's order (or by key), narrowed by `crit`. */
  async related(owner: ReferenceRow, rel: Rel, crit: Crit | undefined): Promise<ReferenceRow[]> {
    const memoKey = `${rel.owner}.${rel.name}|${owner.key}|${crit ? `${crit.op}${crit.value}` : ""}`;
    const hit = this.memo.get(memoKey);
    if (hit !== undefined) return hit;
    const target = tableName(this.prefix, rel.target);
    const where: string[] = [];
    const params: unknown[] = [];
    const bind = (v: unknown): string => { params.push(v); return `$${params.length}`; };
    let from = `${target} AS t`;
    if (rel.secondary !== undefined) {
      from += ` JOIN ${secondaryName(this.prefix, rel.link)} AS s ON ${rel.secondary.targetSide.map(([c, s]) => `s.${s} = t.${c}`).join(" AND ")}`;
      for (const [c, s] of rel.secondary.ownerSide) where.push(`s.${s} = ${bind(owner.values[c])}`);
    } else {
      for (const [o, x] of rel.pairs) {
        const v = owner.values[o];
        if (v === null || v === undefined) { this.memo.set(memoKey, []); return []; }
        where.push(`t.${x} = ${bind(v)}`);
      }
    }
    if (crit !== undefined) where.push(critSql("t", crit));
    where.push(...this.filters(rel.target, "t"));
    const order = rel.orderBy === undefined ? pkColumns(this.schema.tables[rel.target]!).map((c) => `t.${c}`) : [`t.${rel.orderBy}`];
    const rows = await this.query(`SELECT ${this.columnList(rel.target, "t")} FROM ${from} WHERE ${where.join(" AND ")} ORDER BY ${order.join(", ")}`, params);
    const out = rows.map((r) => this.toRow(rel.target, r));
    this.memo.set(memoKey, out);
    return out;
  }
}

export function graphObject(row: ReferenceRow): GraphObject {
  return { key: row.key, val: row.values.val!, ts: row.ts === null ? null : `${row.ts.slice(0, 23)}Z`, rels: {} };
}

export interface Expected {
  readonly roots: GraphObject[];
  /** Rows of the select: one object, or [first, second] with `pair`. */
  readonly rows: (GraphObject | [GraphObject, GraphObject])[];
  /** Upper bound of the statements the query and its loaders (session.load included) may send. */
  readonly statementBound: number;
  /** Every row met, by key (for the timestamp round trip). */
  readonly seen: Map<string, ReferenceRow>;
}

/** The number of statements a node's strategy may add for `parents` distinct parents (500 per batch). */
export function nodeBound(node: PlanNode, parents: number): number {
  if (parents === 0) return 0;
  switch (node.strategy) {
    case "selectin": case "subquery": case "default-selectin": case "load": return Math.ceil(parents / 500);
    case "immediate": return parents;
    default: return 0;
  }
}

/** Builds the expected graph of `nodes` below `parents` (one object per key per node). */
export async function expand(ref: ReferenceLoader, parents: readonly { row: ReferenceRow; obj: GraphObject }[], nodes: readonly PlanNode[], seen: Map<string, ReferenceRow>): Promise<number> {
  let bound = 0;
  const distinct = new Map(parents.map((p) => [p.row.key, p] as const));
  for (const node of nodes) {
    bound += nodeBound(node, distinct.size);
    const level = new Map<string, { row: ReferenceRow; obj: GraphObject }>();
    for (const { row, obj } of parents) {
      const rows = await ref.related(row, node.rel, node.crit);
      const objects = rows.map((r) => {
        seen.set(r.key, r);
        let at = level.get(r.key);
        if (at === undefined) { at = { row: r, obj: graphObject(r) }; level.set(r.key, at); }
        return at.obj;
      });
      obj.rels[node.rel.name] = node.rel.many ? (ordered(node) ? objects : sortByKey(objects)) : objects[0] ?? null;
    }
    bound += await expand(ref, [...level.values()], node.children, seen);
  }
  return bound;
}

export const sortByKey = <T extends { key: string }>(list: readonly T[]): T[] => [...list].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
