/**
 * Generates three equivalent type-check benchmark projects into bench/typecheck/generated/:
 *
 *  - athanor/   Athanor models + queries, importing the ORM from the repo's src/index.ts
 *  - drizzle/   drizzle-orm pgTable + relations(), db.query.*.findMany({ with })
 *  - mikro-orm/ MikroORM 6 EntitySchema entities, em.find(..., { populate })
 *
 * plus athanor-dts/, the same Athanor project against declaration files emitted from src/ (what an
 * npm user's compiler reads), so the ORM's own source is not checked with the queries.
 *
 * The schema: 50 entities E0..E49 with 5-6 columns each and 100 relationships. E1..E49 form a
 * ternary tree (Ei has a many-to-one `e{parent}` to E((i-1)/3) and the parent has the one-to-many
 * `e{i}List` back), and E0 has one more many-to-one `e49` to E49 (back side `E49.e0List`): 50
 * many-to-one relationships and their 50 one-to-many sides. Every choice is a function of the
 * entity / query index, so the output is byte-for-byte the same on every run.
 *
 *   tsx bench/typecheck/generate.ts
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = join(HERE, "..", "..");
const OUT = join(HERE, "generated");

export const ENTITIES = 50;
export const QUERIES = 50;

// ---------------------------------------------------------------------------------------------
// Schema model

interface Rel {
  readonly name: string;
  readonly target: number;
  readonly many: boolean;
  /** For a many-to-one: the foreign key property on this entity. */
  readonly fk?: string;
  /** The relationship on the other side. */
  readonly back: string;
}

type ColumnKind = "id" | "text" | "double" | "boolean" | "nullableText" | "timestamptz" | "integer" | "fk";
interface Col {
  readonly name: string;
  readonly kind: ColumnKind;
}

interface Entity {
  readonly index: number;
  readonly cls: string;
  readonly table: string;
  readonly columns: readonly Col[];
  readonly rels: readonly Rel[];
}

const parentOf = (i: number): number | undefined => (i === 0 ? undefined : Math.floor((i - 1) / 3));
const childrenOf = (i: number): number[] => [3 * i + 1, 3 * i + 2, 3 * i + 3].filter((c) => c < ENTITIES);
/** The extra many-to-one outside the tree, so there are exactly 50. */
const EXTRA = { from: 0, to: ENTITIES - 1 } as const;

function buildSchema(): Entity[] {
  const entities: Entity[] = [];
  for (let i = 0; i < ENTITIES; i++) {
    const columns: Col[] = [{ name: "id", kind: "id" }, { name: "name", kind: "text" }, { name: "amount", kind: "double" }];
    if (i % 3 === 0) columns.push({ name: "active", kind: "boolean" }, { name: "note", kind: "nullableText" });
    if (i % 3 === 1) columns.push({ name: "createdAt", kind: "timestamptz" });
    if (i % 3 === 2) columns.push({ name: "score", kind: "integer" }, { name: "active", kind: "boolean" });
    const rels: Rel[] = [];
    const p = parentOf(i);
    if (p !== undefined) {
      columns.push({ name: `e${p}Id`, kind: "fk" });
      rels.push({ name: `e${p}`, target: p, many: false, fk: `e${p}Id`, back: `e${i}List` });
    }
    if (i === EXTRA.from) {
      columns.push({ name: `e${EXTRA.to}Id`, kind: "fk" });
      rels.push({ name: `e${EXTRA.to}`, target: EXTRA.to, many: false, fk: `e${EXTRA.to}Id`, back: `e${EXTRA.from}List` });
    }
    for (const c of childrenOf(i)) rels.push({ name: `e${c}List`, target: c, many: true, back: `e${i}` });
    if (i === EXTRA.to) rels.push({ name: `e${EXTRA.from}List`, target: EXTRA.from, many: true, back: `e${EXTRA.to}` });
    entities.push({ index: i, cls: `E${i}`, table: `e${i}`, columns, rels });
  }
  return entities;
}

// ---------------------------------------------------------------------------------------------
// Query model

interface Step {
  readonly from: number;
  readonly rel: Rel;
}
type Where = { kind: "gt"; n: number } | { kind: "eq"; s: string } | { kind: "and"; n: number };
interface Query {
  readonly index: number;
  readonly root: number;
  /** Loader chains from the root (one or two). */
  readonly paths: readonly (readonly Step[])[];
  readonly where: Where;
  /** execute(select...), get(entity, key, options) or a function typed with Loaded<...>. */
  readonly form: "select" | "get" | "loadedParam";
  /** The column read on the last entity of the first path. */
  readonly leaf: "name" | "amount";
}

/**
 * A path of `depth` relationships from `root`, never stepping straight back; choices rotate with
 * `seed`. `down` keeps to one-to-many steps (collections, loaded with selectinload); otherwise any
 * step (from a leaf that is a chain of many-to-ones, loaded with joinedload).
 */
function walk(schema: readonly Entity[], root: number, depth: number, seed: number, down: boolean, avoidFirst?: string): Step[] | undefined {
  const go = (at: number, cameFrom: number | undefined, level: number): Step[] | undefined => {
    if (level === depth) return [];
    const options = schema[at]!.rels.filter((r) => r.target !== cameFrom && !(level === 0 && r.name === avoidFirst) && (!down || r.many));
    for (let k = 0; k < options.length; k++) {
      const rel = options[(seed + level * 5 + k) % options.length]!;
      const rest = go(rel.target, at, level + 1);
      if (rest !== undefined) return [{ from: at, rel }, ...rest];
    }
    return undefined;
  };
  return go(root, undefined, 0);
}

function buildQueries(schema: readonly Entity[]): Query[] {
  const queries: Query[] = [];
  for (let q = 0; q < QUERIES; q++) {
    const depth = 1 + (q % 3);
    const down = q % 2 === 0;
    let root = (q * 17) % ENTITIES;
    let path = walk(schema, root, depth, q, down);
    while (path === undefined) {
      root = (root + 1) % ENTITIES;
      path = walk(schema, root, depth, q, down);
    }
    const paths: Step[][] = [path];
    if (q % 7 === 0 || q % 7 === 3) {
      const second = walk(schema, root, 1 + (q % 2), q + 1, false, path[0]!.rel.name);
      if (second !== undefined) paths.push(second);
    }
    const where: Where = q % 3 === 0 ? { kind: "gt", n: q } : q % 3 === 1 ? { kind: "eq", s: `n${q}` } : { kind: "and", n: q };
    const form = q % 5 === 3 ? "get" : q % 5 === 4 ? "loadedParam" : "select";
    queries.push({ index: q, root, paths, where, form, leaf: q % 2 === 0 ? "name" : "amount" });
  }
  return queries;
}

const dotted = (path: readonly Step[]) => path.map((s) => s.rel.name).join(".");
const leafType = (leaf: Query["leaf"]) => (leaf === "name" ? "string" : "number");

/**
 * The end of a generated query function, the same in every project: the leaf read of the first
 * path (through a function whose parameter is `loadedType` when the query says so), a name read
 * at the end of each other path, and the return. `many` reads element 0 of a collection.
 */
function reads(q: Query, loadedType: string, many: (name: string) => string): string[] {
  const first = q.paths[0]!;
  const t = leafType(q.leaf);
  const lines = q.form === "loadedParam"
    ? [`  const read = (x: ${loadedType}): ${t} | undefined => ${access("x", first, q.leaf, many)};`, `  const v: ${t} | undefined = read(row);`]
    : [`  const v: ${t} | undefined = ${access("row", first, q.leaf, many)};`];
  q.paths.slice(1).forEach((p, i) => lines.push(`  const w${i}: string | undefined = ${access("row", p, "name", many)};`));
  lines.push(`  return [v${q.paths.slice(1).map((_, i) => `, w${i}`).join("")}, row.id];`, "}");
  return lines;
}

/** `{ a: { b: true } }`-style tree of the paths, for Drizzle's `with`. */
function withTree(paths: readonly (readonly Step[])[]): string {
  type Tree = Map<string, Tree>;
  const root: Tree = new Map();
  for (const path of paths) {
    let node = root;
    for (const step of path) {
      if (!node.has(step.rel.name)) node.set(step.rel.name, new Map());
      node = node.get(step.rel.name)!;
    }
  }
  const print = (t: Tree): string => `{ ${[...t].map(([k, sub]) => `${k}: ${sub.size === 0 ? "true" : `{ with: ${print(sub)} }`}`).join(", ")} }`;
  return print(root);
}

// ---------------------------------------------------------------------------------------------
// Shared

const HEADER = "// Generated by bench/typecheck/generate.ts. Do not edit.\n";

function tsconfig(extra: Record<string, unknown> = {}): string {
  return JSON.stringify(
    {
      compilerOptions: {
        target: "ES2022",
        lib: ["ES2022", "ESNext.Disposable"],
        module: "NodeNext",
        moduleResolution: "NodeNext",
        strict: true,
        noUncheckedIndexedAccess: true,
        skipLibCheck: true,
        isolatedModules: true,
        types: ["node"],
        noEmit: true,
        ...extra,
      },
      include: ["*.ts"],
    },
    null,
    2,
  ) + "\n";
}

/**
 * How each project reads the leaf of a path from a row: a collection takes its first element, a
 * single object goes on with `?.` (Athanor types many-to-one as `T | null`; the others accept `?.`).
 */
function access(row: string, path: readonly Step[], leaf: string, many: (name: string) => string): string {
  let expr = row;
  for (const step of path) expr += step.rel.many ? many(step.rel.name) : `.${step.rel.name}?`;
  return `${expr}.${leaf}`;
}

// ---------------------------------------------------------------------------------------------
// Athanor

function athanorModels(schema: readonly Entity[], importPath: string): string {
  const colType: Record<ColumnKind, string> = {
    id: "column.integer().primaryKey()",
    text: "column.text()",
    double: "column.double()",
    boolean: "column.boolean()",
    nullableText: "column.text().nullable()",
    timestamptz: "column.timestamptz()",
    integer: "column.integer()",
    fk: "",
  };
  const lines = [HEADER, `import { column, declarativeBase } from "${importPath}";`, ""];
  lines.push("export interface Models {", ...schema.map((e) => `  ${e.cls}: ${e.cls};`), "}", "");
  lines.push("export const Base = declarativeBase<Models>();", "");
  for (const e of schema) {
    lines.push(`export class ${e.cls} extends Base.entity("${e.table}", {`);
    for (const c of e.columns) {
      if (c.kind === "fk") {
        const target = e.rels.find((r) => r.fk === c.name)!.target;
        lines.push(`  ${c.name}: column.integer().references("e${target}.id").index(),`);
      } else lines.push(`  ${c.name}: ${colType[c.kind]},`);
    }
    for (const r of e.rels) lines.push(`  ${r.name}: Base.${r.many ? "many" : "one"}("E${r.target}", { backPopulates: "${r.back}" }),`);
    lines.push("}) {}", "");
  }
  lines.push(`Base.register({ ${schema.map((e) => e.cls).join(", ")} });`, "");
  return lines.join("\n");
}

function athanorChain(path: readonly Step[]): string {
  return path
    .map((s, i) => `${i === 0 ? "" : "."}${s.rel.many ? "selectinload" : "joinedload"}(E${s.from}.${s.rel.name})`)
    .join("");
}

function athanorWhere(e: string, w: Where): string {
  if (w.kind === "gt") return `${e}.amount.gt(${w.n})`;
  if (w.kind === "eq") return `${e}.name.eq("${w.s}")`;
  return `and(${e}.id.gt(${w.n}), ${e}.amount.lt(1000))`;
}

function athanorQueries(queries: readonly Query[], importPath: string): string {
  const classes = new Set<string>();
  for (const q of queries) {
    classes.add(`E${q.root}`);
    for (const p of q.paths) for (const s of p) classes.add(`E${s.from}`);
  }
  const sorted = [...classes].sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)));
  const lines = [
    HEADER,
    `import { and, joinedload, select, selectinload, type Loaded, type Session } from "${importPath}";`,
    `import { ${sorted.join(", ")} } from "./models.js";`,
    "",
  ];
  for (const q of queries) {
    const e = `E${q.root}`;
    const opts = q.paths.map(athanorChain).join(", ");
    const many = (name: string) => `.${name}[0]!`;
    lines.push(`export async function q${q.index}(session: Session): Promise<unknown> {`);
    if (q.form === "get") {
      lines.push(`  const row = await session.get(${e}, ${q.index + 1}, { options: [${opts}] });`);
      lines.push(`  if (row === null) return undefined;`);
    } else {
      lines.push(`  const rows = (await session.execute(select(${e}).where(${athanorWhere(e, q.where)}).options(${opts}))).scalars().all();`);
      lines.push(`  const row = rows[0]!;`);
    }
    lines.push(...reads(q, `Loaded<${e}, ${q.paths.map((p) => `"${dotted(p)}"`).join(" | ")}>`, many), "");
  }
  return lines.join("\n");
}

// ---------------------------------------------------------------------------------------------
// Drizzle

function drizzleSchema(schema: readonly Entity[]): string {
  const colType: Record<ColumnKind, (sql: string) => string> = {
    id: (n) => `integer("${n}").primaryKey()`,
    text: (n) => `text("${n}").notNull()`,
    double: (n) => `doublePrecision("${n}").notNull()`,
    boolean: (n) => `boolean("${n}").notNull()`,
    nullableText: (n) => `text("${n}")`,
    timestamptz: (n) => `timestamp("${n}", { withTimezone: true }).notNull()`,
    integer: (n) => `integer("${n}").notNull()`,
    fk: (n) => `integer("${n}").notNull()`,
  };
  const snake = (s: string) => s.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toLowerCase();
  const lines = [
    HEADER,
    `import { relations } from "drizzle-orm";`,
    `import { boolean, doublePrecision, index, integer, pgTable, text, timestamp, type AnyPgColumn } from "drizzle-orm/pg-core";`,
    "",
  ];
  for (const e of schema) {
    const fks = e.columns.filter((c) => c.kind === "fk");
    lines.push(`export const ${e.table} = pgTable("${e.table}", {`);
    for (const c of e.columns) {
      if (c.kind === "fk") {
        const target = e.rels.find((r) => r.fk === c.name)!.target;
        lines.push(`  ${c.name}: ${colType.fk(snake(c.name))}.references((): AnyPgColumn => e${target}.id),`);
      } else lines.push(`  ${c.name}: ${colType[c.kind](snake(c.name))},`);
    }
    lines.push(fks.length === 0 ? "});" : `}, (t) => [${fks.map((c) => `index("${e.table}_${snake(c.name)}_idx").on(t.${c.name})`).join(", ")}]);`, "");
  }
  for (const e of schema) {
    lines.push(`export const ${e.table}Relations = relations(${e.table}, ({ one, many }) => ({`);
    for (const r of e.rels) {
      lines.push(r.many ? `  ${r.name}: many(e${r.target}),` : `  ${r.name}: one(e${r.target}, { fields: [${e.table}.${r.fk}], references: [e${r.target}.id] }),`);
    }
    lines.push("}));", "");
  }
  return lines.join("\n");
}

function drizzleWhere(w: Where): string {
  if (w.kind === "gt") return `(t, { gt }) => gt(t.amount, ${w.n})`;
  if (w.kind === "eq") return `(t, { eq }) => eq(t.name, "${w.s}")`;
  return `(t, { and, gt, lt }) => and(gt(t.id, ${w.n}), lt(t.amount, 1000))`;
}

function drizzleQueries(queries: readonly Query[]): string {
  const lines = [
    HEADER,
    `import type { BuildQueryResult, DBQueryConfig, ExtractTablesWithRelations } from "drizzle-orm";`,
    `import type { NodePgDatabase } from "drizzle-orm/node-postgres";`,
    `import * as schema from "./schema.js";`,
    "",
    "type Db = NodePgDatabase<typeof schema>;",
    "type Tables = ExtractTablesWithRelations<typeof schema>;",
    "/** A row of `T` with relations `W` loaded: Drizzle's counterpart of Loaded<E, paths> (the usual helper built on BuildQueryResult; Drizzle exports no such type). */",
    `type With<T extends keyof Tables, W extends DBQueryConfig<"many", true, Tables, Tables[T]>["with"]> = BuildQueryResult<Tables, Tables[T], { with: W }>;`,
    "",
  ];
  for (const q of queries) {
    const e = `e${q.root}`;
    const many = (name: string) => `.${name}[0]!`;
    const w = withTree(q.paths);
    lines.push(`export async function q${q.index}(db: Db): Promise<unknown> {`);
    if (q.form === "get") {
      lines.push(`  const row = await db.query.${e}.findFirst({ where: (t, { eq }) => eq(t.id, ${q.index + 1}), with: ${w} });`);
      lines.push(`  if (row === undefined) return undefined;`);
    } else {
      lines.push(`  const rows = await db.query.${e}.findMany({ where: ${drizzleWhere(q.where)}, with: ${w} });`);
      lines.push(`  const row = rows[0]!;`);
    }
    lines.push(...reads(q, `With<"${e}", ${w}>`, many), "");
  }
  return lines.join("\n");
}

// ---------------------------------------------------------------------------------------------
// MikroORM

function mikroEntities(schema: readonly Entity[]): string {
  const tsType: Record<ColumnKind, string> = {
    id: "number", text: "string", double: "number", boolean: "boolean", nullableText: "string | null",
    timestamptz: "Date", integer: "number", fk: "",
  };
  const prop: Record<ColumnKind, string> = {
    id: `{ type: "integer", primary: true }`, text: `{ type: "text" }`, double: `{ type: "double" }`, boolean: `{ type: "boolean" }`,
    nullableText: `{ type: "text", nullable: true }`, timestamptz: `{ type: "datetime" }`, integer: `{ type: "integer" }`, fk: "",
  };
  const lines = [HEADER, `import { Collection, EntitySchema } from "@mikro-orm/postgresql";`, ""];
  for (const e of schema) {
    lines.push(`export class ${e.cls} {`);
    for (const c of e.columns) {
      if (c.kind === "fk") continue; // MikroORM maps the foreign key through the many-to-one property
      lines.push(c.kind === "nullableText" ? `  ${c.name}?: ${tsType[c.kind]};` : `  ${c.name}!: ${tsType[c.kind]};`);
    }
    for (const r of e.rels) lines.push(r.many ? `  ${r.name} = new Collection<E${r.target}>(this);` : `  ${r.name}!: E${r.target};`);
    lines.push("}", "");
  }
  for (const e of schema) {
    lines.push(`export const ${e.cls}Schema = new EntitySchema<${e.cls}>({`, `  class: ${e.cls},`, `  tableName: "${e.table}",`, "  properties: {");
    for (const c of e.columns) if (c.kind !== "fk") lines.push(`    ${c.name}: ${prop[c.kind]},`);
    for (const r of e.rels) {
      lines.push(r.many
        ? `    ${r.name}: { kind: "1:m", entity: () => E${r.target}, mappedBy: "${r.back}" },`
        : `    ${r.name}: { kind: "m:1", entity: () => E${r.target}, inversedBy: "${r.back}" },`);
    }
    lines.push("  },", "});", "");
  }
  lines.push(`export const schemas = [${schema.map((e) => `${e.cls}Schema`).join(", ")}];`, "");
  return lines.join("\n");
}

function mikroWhere(w: Where): string {
  if (w.kind === "gt") return `{ amount: { $gt: ${w.n} } }`;
  if (w.kind === "eq") return `{ name: "${w.s}" }`;
  return `{ id: { $gt: ${w.n} }, amount: { $lt: 1000 } }`;
}

function mikroQueries(queries: readonly Query[]): string {
  const classes = new Set(queries.map((q) => `E${q.root}`));
  const sorted = [...classes].sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)));
  const lines = [
    HEADER,
    `import type { EntityManager, Loaded } from "@mikro-orm/postgresql";`,
    `import { ${sorted.join(", ")} } from "./entities.js";`,
    "",
  ];
  for (const q of queries) {
    const e = `E${q.root}`;
    const many = (name: string) => `.${name}.$[0]!`; // `$` exists only on a LoadedCollection
    const populate = `[${q.paths.map((p) => `"${dotted(p)}"`).join(", ")}] as const`;
    const joined = q.paths.some((p) => p.some((s) => !s.rel.many));
    const strategy = joined ? `, strategy: "joined"` : "";
    lines.push(`export async function q${q.index}(em: EntityManager): Promise<unknown> {`);
    if (q.form === "get") {
      lines.push(`  const row = await em.findOne(${e}, ${q.index + 1}, { populate: ${populate}${strategy} });`);
      lines.push(`  if (row === null) return undefined;`);
    } else {
      lines.push(`  const rows = await em.find(${e}, ${mikroWhere(q.where)}, { populate: ${populate}${strategy} });`);
      lines.push(`  const row = rows[0]!;`);
    }
    lines.push(...reads(q, `Loaded<${e}, ${q.paths.map((p) => `"${dotted(p)}"`).join(" | ")}>`, many), "");
  }
  return lines.join("\n");
}

// ---------------------------------------------------------------------------------------------

function write(dir: string, files: Record<string, string>): void {
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
}

/** Declaration files of src/ (what a user of the published package type-checks against). */
function emitAthanorDeclarations(outDir: string): void {
  const tsc = join(REPO, "node_modules", "typescript", "bin", "tsc");
  execFileSync(process.execPath, [
    tsc, "-p", join(REPO, "tsconfig.build.json"), "--declaration", "--emitDeclarationOnly", "--sourceMap", "false",
    "--declarationMap", "false", "--outDir", outDir, "--rootDir", join(REPO, "src"),
  ], { stdio: "inherit" });
}

export function generate(withDeclarations = true): { schema: Entity[]; queries: Query[] } {
  const schema = buildSchema();
  const queries = buildQueries(schema);
  rmSync(OUT, { recursive: true, force: true });

  const athanorDir = join(OUT, "athanor");
  const src = relative(athanorDir, join(REPO, "src", "index.js")).split("\\").join("/");
  write(athanorDir, {
    "tsconfig.json": tsconfig(),
    "models.ts": athanorModels(schema, src),
    "queries.ts": athanorQueries(queries, src),
  });

  if (withDeclarations) {
    const dtsDir = join(OUT, "athanor-dts");
    emitAthanorDeclarations(join(dtsDir, "dist"));
    write(dtsDir, {
      "tsconfig.json": tsconfig(),
      "models.ts": athanorModels(schema, "./dist/index.js"),
      "queries.ts": athanorQueries(queries, "./dist/index.js"),
    });
  }

  write(join(OUT, "drizzle"), {
    "tsconfig.json": tsconfig(),
    "schema.ts": drizzleSchema(schema),
    "queries.ts": drizzleQueries(queries),
  });

  write(join(OUT, "mikro-orm"), {
    "tsconfig.json": tsconfig(),
    "entities.ts": mikroEntities(schema),
    "queries.ts": mikroQueries(queries),
  });

  const rels = schema.reduce((n, e) => n + e.rels.length, 0);
  const manyToOne = schema.reduce((n, e) => n + e.rels.filter((r) => !r.many).length, 0);
  const maxDepth = Math.max(...queries.flatMap((q) => q.paths.map((p) => p.length)));
  console.log(
    `generated ${schema.length} entities, ${rels} relationships (${manyToOne} many-to-one), ${queries.length} queries ` +
      `(longest path ${maxDepth}) into ${relative(REPO, OUT)}/{athanor,athanor-dts,drizzle,mikro-orm}`,
  );
  return { schema, queries };
}

// `--no-dts` skips athanor-dts (the declaration emit takes a few seconds), for quick iterations.
if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) generate(!process.argv.includes("--no-dts"));
