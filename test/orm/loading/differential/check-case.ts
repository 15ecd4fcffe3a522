/**
 * One differential case: the data is written, the reference loader computes the graph, the ORM
 * loads it in a fresh Session, and the two must agree (same identities, same membership, the same
 * order where the relationship defines one, every relationship the tree promises loaded), within
 * the statement bound of each strategy. Then, when the plan asks: refresh(obj, [attr]) or a
 * plain refresh(obj) must give the same graph again, and timestamps read must match themselves
 * in a WHERE clause (microseconds kept).
 */
import { expect } from "vitest";
import { AthanorError, select, Session, withLoaderCriteria, type Engine, type InstrumentedColumn, type Predicate } from "../../../../src/index.js";
import { captureStatements } from "../../../../src/testing/assert-sql.js";
import { dataSql, type Dataset } from "./data.js";
import { withDefaults, type Plan, type PlanNode } from "./plan.js";
import { expand, graphObject, ReferenceLoader, type GraphObject, type ReferenceRow } from "./reference.js";
import { critExpr, extract, readRelationship, runPlan } from "./run-orm.js";
import { checkMutation, findMutation } from "./mutation.js";
import { checkRecursion, type RecursionRunner } from "./recursion.js";
import { pkColumns, type EntityClassOf, type Schema } from "./schema.js";

export interface SchemaHandle {
  readonly schema: Schema;
  readonly prefix: string;
  readonly classes: readonly EntityClassOf[];
  /** Its CREATE TABLE statements (the recursion child on PGlite has a database of its own). */
  readonly ddl: readonly string[];
}

export interface CaseContext {
  /** The recursion child, and whether it needs the DDL and data sent (PGlite: its own database). */
  readonly recursion?: { readonly runner: RecursionRunner; readonly ownDatabase: boolean };
  /** The statements that wrote this case's data, and the data. */
  readonly dataSql: readonly string[];
  readonly data: Dataset;
}

export async function writeData(engine: Engine, handle: SchemaHandle, data: Dataset): Promise<string[]> {
  const sql = dataSql(handle.schema, handle.prefix, data);
  for (const statement of sql) await engine.execute({ sql: statement, params: [] });
  return sql;
}

/** Nodes a refresh() re-applies: the statement's own options (not containsEager, not session.load). */
function reapplied(nodes: readonly PlanNode[]): PlanNode[] {
  return nodes.filter((n) => n.strategy !== "containsEager" && n.strategy !== "load").map((n) => ({ ...n, children: reapplied(n.children) }));
}

function pkWhere(cls: EntityClassOf, schema: Schema, table: number, values: Readonly<Record<string, number | null>>): Predicate[] {
  return pkColumns(schema.tables[table]!).map((c) => (cls[c] as InstrumentedColumn<number>).eq(values[c]!));
}

export async function checkCase(engine: Engine, handle: SchemaHandle, plan: Plan, context: CaseContext): Promise<void> {
  const { schema, classes } = handle;
  const nodes = withDefaults(schema, plan.root, plan.nodes);
  const ref = new ReferenceLoader(engine, schema, handle.prefix, plan.wlc);
  const top = await ref.top(plan);
  const seen = new Map<string, ReferenceRow>();
  const level = new Map<string, { row: ReferenceRow; obj: GraphObject }>();
  const secondLevel = new Map<string, { row: ReferenceRow; obj: GraphObject }>();
  const at = (map: typeof level, row: ReferenceRow): GraphObject => {
    seen.set(row.key, row);
    let hit = map.get(row.key);
    if (hit === undefined) { hit = { row, obj: graphObject(row) }; map.set(row.key, hit); }
    return hit.obj;
  };
  const rows = top.map(({ row, second }) => (second === undefined ? at(level, row) : [at(level, row), at(secondLevel, second)] as [GraphObject, GraphObject]));
  // The second entity of select(A, B) gets its own model defaults.
  const secondNodes = plan.pair === undefined ? [] : withDefaults(schema, plan.pair.target, []);
  const bound = 1 + (await expand(ref, [...level.values()], nodes, seen)) + (await expand(ref, [...secondLevel.values()], secondNodes, seen));

  const session = new Session(engine);
  try {
    const run = await runPlan(engine, session, classes, schema, plan);
    const identities = new Map<string, object>();
    const problems: string[] = [];
    const actualRows = run.rows.map((r) => {
      if (plan.pair === undefined) return extract(classes, schema, r as object, plan.root, nodes, identities, problems);
      const [a, b] = r as [object, object];
      return [extract(classes, schema, a, plan.root, nodes, identities, problems), extract(classes, schema, b, plan.pair.target, secondNodes, identities, problems)];
    });
    const sent = run.statements.map((s, i) => `  ${i + 1}. ${s.sql}  -- ${JSON.stringify(s.params)}`).join("\n");
    expect(problems, `identity problems; statements:\n${sent}`).toEqual([]);
    expect(actualRows, `graph differs from the reference; statements:\n${sent}`).toEqual(rows);
    expect(run.statements.length, `more statements than the strategies allow (${bound}):\n${sent}`).toBeLessThanOrEqual(bound);

    const first = top[0]?.row;
    const firstObj = run.roots[0];
    if (plan.refresh?.kind === "reapply" && first !== undefined && firstObj !== undefined) {
      // A refresh loads again what the object's query loaded eagerly (ANCHORS 8), under the same
      // withLoaderCriteria (it is the statement's option, and the object came from it).
      await session.refresh(firstObj);
      const again = reapplied(nodes);
      const expectedAgain = (rows[0] as GraphObject | [GraphObject, GraphObject]);
      const expectedRoot = Array.isArray(expectedAgain) ? expectedAgain[0] : expectedAgain;
      const pick = (o: GraphObject, ns: readonly PlanNode[]): GraphObject => ({
        ...o,
        rels: Object.fromEntries(ns.map((n) => {
          const v = o.rels[n.rel.name]!;
          const sub = (x: GraphObject) => pick(x, n.children);
          return [n.rel.name, v === null || v === "NOT LOADED" ? v : Array.isArray(v) ? v.map(sub) : sub(v)];
        })),
      });
      const after = extract(classes, schema, firstObj, plan.root, again, new Map(), []);
      expect(after, "after refresh(obj): the graph its options load differs").toEqual(pick(expectedRoot, again));
    }
    if (plan.roundTrip) await checkRoundTrip(session, handle, identities, seen);
  } finally {
    await session.close();
  }

  if (plan.refresh?.kind === "attrs" && top[0] !== undefined) await checkRefreshAttributes(engine, handle, plan, ref, top[0].row);
  if (plan.recursion !== undefined && context.recursion !== undefined) {
    const rel = plan.recursion;
    const plain = new ReferenceLoader(engine, schema, handle.prefix, undefined);
    const roots = (await plain.top({ ...plan, root: rel.owner, pair: undefined, page: undefined, wlc: undefined })).map((r) => r.row);
    const own = context.recursion.ownDatabase;
    await checkRecursion(context.recursion.runner, plain, roots, rel, {
      ddl: own ? handle.ddl : [], sql: own ? context.dataSql : [], schema, prefix: handle.prefix, root: rel.owner, rel: rel.name,
    });
  }
  // Last: it writes to the tables.
  const mutation = plan.mutation === undefined ? undefined : findMutation(schema, context.data, plan.mutation);
  if (mutation !== undefined) await checkMutation(engine, schema, handle.prefix, classes, context.data, mutation);
}

/**
 * refresh(obj, ["rel"]): loads the named relationship (or rejects the argument with a typed
 * error). Under the statement's withLoaderCriteria, the reload is filtered too.
 */
async function checkRefreshAttributes(engine: Engine, handle: SchemaHandle, plan: Plan, ref: ReferenceLoader, row: ReferenceRow): Promise<void> {
  const { schema, classes } = handle;
  const rel = plan.refresh!.rel;
  const cls = classes[plan.root]!;
  const session = new Session(engine);
  try {
    let stmt = select(cls).where(...pkWhere(cls, schema, plan.root, row.values));
    if (plan.wlc !== undefined) {
      stmt = stmt.options(withLoaderCriteria(classes[plan.wlc.table]!, critExpr(classes[plan.wlc.table]!, plan.wlc.crit)));
    }
    const obj = (await session.scalars(stmt)).one() as object;
    const capture = captureStatements(engine);
    let rejected: unknown;
    try {
      await (session.refresh as (o: object, a: unknown) => Promise<unknown>)(obj, [rel.name]);
    } catch (error) {
      rejected = error;
    } finally {
      capture.stop();
    }
    if (rejected !== undefined) {
      // Rejecting is allowed, before any SQL and with a typed error.
      expect(rejected).toBeInstanceOf(AthanorError);
      expect(capture.sql, "refresh(obj, attrs) rejected after sending SQL").toEqual([]);
      return;
    }
    const related = await ref.related(row, rel, undefined);
    const r = readRelationship(obj, rel.name);
    expect(r.loaded, `refresh(T${plan.root} ${row.key}, ["${rel.name}"]) returned without loading ${rel.name}`).toBe(true);
    if (!r.loaded) return;
    const keys = (v: unknown): string[] => (v === null ? [] : (Array.isArray(v) ? v : [v])).map((o) => {
      const rec = o as Record<string, unknown>;
      return `T${rel.target}(${pkColumns(schema.tables[rel.target]!).map((c) => String(rec[c])).join(",")})`;
    }).sort();
    expect(keys(r.value), `refresh(obj, ["${rel.name}"]) loaded other rows`).toEqual(related.map((x) => x.key).sort());
  } finally {
    await session.close();
  }
}

/** A timestamp read must find its own row again: `where(T.ts.eq(value))` (microseconds kept). */
async function checkRoundTrip(session: Session, handle: SchemaHandle, identities: Map<string, object>, seen: Map<string, ReferenceRow>): Promise<void> {
  let checked = 0;
  for (const [key, obj] of identities) {
    const row = seen.get(key);
    if (row === undefined || row.ts === null || row.ts.slice(20, 26).endsWith("000")) continue;
    const cls = handle.classes[row.table]!;
    const value = (obj as Record<string, unknown>).ts;
    const found = (await session.scalars(select(cls).where(...pkWhere(cls, handle.schema, row.table, row.values), (cls.ts as InstrumentedColumn<unknown>).eq(value)))).all();
    expect(found.length, `${key}.ts is ${row.ts} in the database; the value read (${value instanceof Date ? value.toISOString() : String(value)}) does not match it`).toBe(1);
    if (++checked === 2) return;
  }
}
