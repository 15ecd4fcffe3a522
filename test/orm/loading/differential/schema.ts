/**
 * Random schemas for the differential loading test: 2–6 tables linked by one-to-many /
 * many-to-one pairs, one-to-one pairs, many-to-many through a secondary table and
 * self-referential adjacency lists, some keys composite, some foreign keys nullable, some
 * collections with an `orderBy`, some relationships with an eager model-level `lazy`.
 *
 * A schema is plain data (so fast-check can print and shrink it); `declareSchema` turns it into
 * entity classes at run time and `schemaDdl` into tables. The DDL has no FOREIGN KEY constraints
 * on purpose: the data may hold orphans (keys to rows that do not exist), which every loader must
 * treat as "no related row".
 */
import fc from "fast-check";
import { column, declarativeBase, type LazyMode, type MappedClass, type RelationshipOptions } from "../../../../src/index.js";

export interface TableSpec {
  /** Composite primary key (id, k) instead of id alone. */
  readonly composite: boolean;
}

export type OrderSpec = "val" | "val desc" | undefined;

/** child.l<N>_id references parent: parent.r<N>c (many, or one for one-to-one) and child.r<N>p (one). */
export interface FkLink {
  readonly kind: "fk";
  readonly child: number;
  readonly parent: number;
  readonly nullable: boolean;
  readonly oneToOne: boolean;
  readonly orderBy: OrderSpec;
}

/** table.l<N>_id references table itself: r<N>c are the children, r<N>p the parent. */
export interface SelfLink {
  readonly kind: "self";
  readonly table: number;
  readonly orderBy: OrderSpec;
}

/** A secondary table m<N> with keys to both: left.r<N>m (many), and right.r<N>b back when `back`. */
export interface ManyLink {
  readonly kind: "m2m";
  readonly left: number;
  readonly right: number;
  readonly back: boolean;
  readonly orderBy: OrderSpec;
}

export type Link = FkLink | SelfLink | ManyLink;

export interface Schema {
  readonly tables: readonly TableSpec[];
  readonly links: readonly Link[];
  /** At most one relationship (by name, on a table) loads by default: lazy "joined" or "selectin". */
  readonly eager: { readonly table: number; readonly rel: string; readonly lazy: "joined" | "selectin" } | undefined;
}

export type RelKind = "one-to-many" | "many-to-one" | "one-to-one" | "many-to-many";

/** A relationship as the test sees it, with the SQL it means (for the reference loader). */
export interface Rel {
  readonly name: string;
  readonly owner: number;
  readonly target: number;
  readonly kind: RelKind;
  readonly many: boolean;
  readonly link: number;
  readonly selfReferential: boolean;
  readonly orderBy: OrderSpec;
  /**
   * Pairs [owner column, target column] for a direct relationship; for many-to-many the owner's
   * key columns against the secondary's `ownerSide` columns and the target's against `targetSide`.
   */
  readonly pairs: readonly (readonly [string, string])[];
  readonly secondary?: { readonly table: string; readonly ownerSide: readonly (readonly [string, string])[]; readonly targetSide: readonly (readonly [string, string])[] };
}

export const pkColumns = (t: TableSpec): string[] => (t.composite ? ["id", "k"] : ["id"]);
const fkColumns = (link: number, parent: TableSpec): string[] => pkColumns(parent).map((c) => `l${link}_${c}`);

const orderArb: fc.Arbitrary<OrderSpec> = fc.constantFrom<OrderSpec>(undefined, undefined, "val", "val desc");

const rawLinkArb = fc.record({
  kind: fc.constantFrom("fk", "fk", "fk", "self", "m2m"),
  a: fc.nat(5),
  b: fc.nat(5),
  nullable: fc.boolean(),
  oneToOne: fc.boolean(),
  back: fc.boolean(),
  orderBy: orderArb,
});

/**
 * At most one link per pair of tables and one self-reference per table: more would need the
 * `foreignKey` hint, which cannot name a composite key.
 */
function normalise(tables: readonly TableSpec[], raw: readonly RawLink[]): Link[] {
  const n = tables.length;
  const used = new Set<string>();
  const links: Link[] = [];
  for (const r of raw) {
    const a = r.a % n;
    const b = r.b % n;
    if (r.kind === "self" || a === b) {
      if (used.has(`self${a}`)) continue;
      used.add(`self${a}`);
      links.push({ kind: "self", table: a, orderBy: r.orderBy });
      continue;
    }
    const pair = `${Math.min(a, b)}-${Math.max(a, b)}`;
    if (used.has(pair)) continue;
    used.add(pair);
    if (r.kind === "m2m") links.push({ kind: "m2m", left: a, right: b, back: r.back, orderBy: r.orderBy });
    // A one-to-one key is nullable: duplicates in the data become NULL (data.ts).
    else links.push({ kind: "fk", child: a, parent: b, nullable: r.nullable || r.oneToOne, oneToOne: r.oneToOne, orderBy: r.oneToOne ? undefined : r.orderBy });
  }
  return links;
}

interface RawLink { kind: string; a: number; b: number; nullable: boolean; oneToOne: boolean; back: boolean; orderBy: OrderSpec }

export const schemaArb: fc.Arbitrary<Schema> = fc
  .record({
    tables: fc.array(fc.record({ composite: fc.boolean() }), { minLength: 2, maxLength: 6 }),
    links: fc.array(rawLinkArb, { minLength: 1, maxLength: 7 }),
    eager: fc.option(fc.record({ pick: fc.nat(40), lazy: fc.constantFrom<"joined" | "selectin">("joined", "selectin") }), { freq: 3 }),
  })
  .map(({ tables, links, eager }) => {
    // A third of the tables get composite keys, not half: most real keys are single columns.
    const specs = tables.map((t, i) => ({ composite: t.composite && i % 3 === 1 }));
    const normal = normalise(specs, links);
    const schema: Schema = { tables: specs, links: normal, eager: undefined };
    const candidates = relationships(schema).filter((r) => !r.selfReferential);
    const chosen = eager === null || candidates.length === 0 ? undefined : candidates[eager.pick % candidates.length]!;
    return { ...schema, eager: chosen && { table: chosen.owner, rel: chosen.name, lazy: eager!.lazy } };
  });

/** Every relationship of the schema, each side of each link. */
export function relationships(schema: Schema): Rel[] {
  const rels: Rel[] = [];
  schema.links.forEach((link, n) => {
    if (link.kind === "fk") {
      const parent = schema.tables[link.parent]!;
      const fks = fkColumns(n, parent);
      const pk = pkColumns(parent);
      rels.push({
        name: `r${n}c`, owner: link.parent, target: link.child, kind: link.oneToOne ? "one-to-one" : "one-to-many", many: !link.oneToOne,
        link: n, selfReferential: false, orderBy: link.orderBy, pairs: pk.map((c, i) => [c, fks[i]!] as const),
      });
      rels.push({
        name: `r${n}p`, owner: link.child, target: link.parent, kind: "many-to-one", many: false,
        link: n, selfReferential: false, orderBy: undefined, pairs: fks.map((c, i) => [c, pk[i]!] as const),
      });
    } else if (link.kind === "self") {
      const table = schema.tables[link.table]!;
      const fks = fkColumns(n, table);
      const pk = pkColumns(table);
      rels.push({
        name: `r${n}c`, owner: link.table, target: link.table, kind: "one-to-many", many: true,
        link: n, selfReferential: true, orderBy: link.orderBy, pairs: pk.map((c, i) => [c, fks[i]!] as const),
      });
      rels.push({
        name: `r${n}p`, owner: link.table, target: link.table, kind: "many-to-one", many: false,
        link: n, selfReferential: true, orderBy: undefined, pairs: fks.map((c, i) => [c, pk[i]!] as const),
      });
    } else {
      const left = pkColumns(schema.tables[link.left]!);
      const right = pkColumns(schema.tables[link.right]!);
      const leftSide = left.map((c) => [c, `a_${c}`] as const);
      const rightSide = right.map((c) => [c, `b_${c}`] as const);
      rels.push({
        name: `r${n}m`, owner: link.left, target: link.right, kind: "many-to-many", many: true, link: n, selfReferential: false,
        orderBy: link.orderBy, pairs: [], secondary: { table: `m${n}`, ownerSide: leftSide, targetSide: rightSide },
      });
      if (link.back) {
        rels.push({
          name: `r${n}b`, owner: link.right, target: link.left, kind: "many-to-many", many: true, link: n, selfReferential: false,
          orderBy: undefined, pairs: [], secondary: { table: `m${n}`, ownerSide: rightSide, targetSide: leftSide },
        });
      }
    }
  });
  return rels;
}

export const relsOf = (schema: Schema, table: number): Rel[] => relationships(schema).filter((r) => r.owner === table);

/** The other side of a relationship (backPopulates), if declared. */
export function backOf(schema: Schema, rel: Rel): Rel | undefined {
  return relationships(schema).find((r) => r.link === rel.link && r.name !== rel.name);
}

/** Columns of each table: its key, `val` (unique per table, the order column), `ts`, then its foreign keys. */
export function columnsOf(schema: Schema, table: number): { name: string; type: "integer" | "timestamptz"; nullable: boolean; pk: boolean; ref?: string }[] {
  const spec = schema.tables[table]!;
  const cols: { name: string; type: "integer" | "timestamptz"; nullable: boolean; pk: boolean; ref?: string }[] = [
    ...pkColumns(spec).map((name) => ({ name, type: "integer" as const, nullable: false, pk: true })),
    { name: "val", type: "integer", nullable: false, pk: false },
    { name: "ts", type: "timestamptz", nullable: true, pk: false },
  ];
  schema.links.forEach((link, n) => {
    if (link.kind === "fk" && link.child === table) {
      const parent = schema.tables[link.parent]!;
      for (const c of pkColumns(parent)) cols.push({ name: `l${n}_${c}`, type: "integer", nullable: link.nullable, pk: false, ref: `${c}` });
    }
    if (link.kind === "self" && link.table === table) {
      for (const c of pkColumns(spec)) cols.push({ name: `l${n}_${c}`, type: "integer", nullable: true, pk: false, ref: `${c}` });
    }
  });
  return cols;
}

function referencedTable(schema: Schema, table: number, column: string): number {
  const n = Number(/^l(\d+)_/.exec(column)![1]);
  const link = schema.links[n]!;
  return link.kind === "fk" ? link.parent : table;
}

export const tableName = (prefix: string, table: number): string => `${prefix}_t${table}`;
export const secondaryName = (prefix: string, link: number): string => `${prefix}_m${link}`;

/** CREATE TABLE statements for the schema's tables and secondaries (no foreign-key constraints: orphans are allowed). */
export function schemaDdl(schema: Schema, prefix: string): string[] {
  const ddl: string[] = [];
  schema.tables.forEach((spec, t) => {
    const cols = columnsOf(schema, t).map((c) => `${c.name} ${c.type}${c.nullable ? "" : " NOT NULL"}`);
    ddl.push(`CREATE TABLE ${tableName(prefix, t)} (${cols.join(", ")}, PRIMARY KEY (${pkColumns(spec).join(", ")}))`);
  });
  schema.links.forEach((link, n) => {
    if (link.kind !== "m2m") return;
    const cols = [...pkColumns(schema.tables[link.left]!).map((c) => `a_${c}`), ...pkColumns(schema.tables[link.right]!).map((c) => `b_${c}`)];
    ddl.push(`CREATE TABLE ${secondaryName(prefix, n)} (${cols.map((c) => `${c} integer NOT NULL`).join(", ")}, PRIMARY KEY (${cols.join(", ")}))`);
  });
  return ddl;
}

interface LooseColumn {
  references(target: string): LooseColumn;
  primaryKey(): LooseColumn;
  nullable(): LooseColumn;
}

export type EntityClassOf = MappedClass & Record<string, unknown> & (new (init?: Record<string, unknown>) => object);

/** Entity classes for the schema, declared at run time; entity `T<i>` maps table `<prefix>_t<i>`. */
export function declareSchema(schema: Schema, prefix: string): EntityClassOf[] {
  const Base = declarativeBase<Record<string, object>>();
  const rels = relationships(schema);
  const classes = schema.tables.map((_, t) => {
    const fields: Record<string, unknown> = {};
    for (const c of columnsOf(schema, t)) {
      // Built at run time: the builder's static type is lost anyway, so one loose type for all.
      let b = (c.type === "integer" ? column.integer() : column.timestamptz()) as unknown as LooseColumn;
      if (c.ref !== undefined) b = b.references(`${tableName(prefix, referencedTable(schema, t, c.name))}.${c.ref}`);
      if (c.pk) b = b.primaryKey();
      if (c.nullable) b = b.nullable();
      fields[c.name] = b;
    }
    for (const rel of rels.filter((r) => r.owner === t)) {
      const back = backOf(schema, rel);
      const options: { -readonly [K in keyof RelationshipOptions]: RelationshipOptions[K] } = {};
      if (back !== undefined) options.backPopulates = back.name;
      if (rel.secondary !== undefined) options.secondary = secondaryName(prefix, rel.link);
      if (rel.orderBy !== undefined) options.orderBy = rel.orderBy;
      if (schema.eager?.table === t && schema.eager.rel === rel.name) options.lazy = schema.eager.lazy as LazyMode;
      fields[rel.name] = rel.many ? Base.many(`T${rel.target}`, options) : Base.one(`T${rel.target}`, options);
    }
    // Tests may cast internally: the fields are built at run time, so their static type is lost.
    const Entity = (Base.entity as (name: string, f: Record<string, unknown>) => EntityClassOf)(tableName(prefix, t), fields);
    return Entity;
  });
  schema.links.forEach((link, n) => {
    if (link.kind !== "m2m") return;
    const cols: Record<string, LooseColumn> = {};
    for (const c of pkColumns(schema.tables[link.left]!)) cols[`a_${c}`] = (column.integer() as unknown as LooseColumn).references(`${tableName(prefix, link.left)}.${c}`).primaryKey();
    for (const c of pkColumns(schema.tables[link.right]!)) cols[`b_${c}`] = (column.integer() as unknown as LooseColumn).references(`${tableName(prefix, link.right)}.${c}`).primaryKey();
    (Base.table as (name: string, columns: Record<string, LooseColumn>) => unknown)(secondaryName(prefix, n), cols);
  });
  const named: Record<string, EntityClassOf> = {};
  classes.forEach((cls, t) => { named[`T${t}`] = cls; });
  (Base.register as (c: Record<string, unknown>) => void)(named);
  return classes;
}

/** A one-line description of a schema, for failure messages and regression tests. */
export function describeSchema(schema: Schema): string {
  const tables = schema.tables.map((t, i) => `T${i}(${pkColumns(t).join(",")})`).join(" ");
  const rels = relationships(schema).map((r) => `T${r.owner}.${r.name}->T${r.target} ${r.kind}${r.orderBy ? ` orderBy ${r.orderBy}` : ""}`);
  const eager = schema.eager ? ` eager T${schema.eager.table}.${schema.eager.rel}=${schema.eager.lazy}` : "";
  return `${tables}; ${rels.join("; ")}${eager}`;
}
