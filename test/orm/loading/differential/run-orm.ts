/**
 * The ORM side of a case: the statement and options a plan describes, run in a fresh Session,
 * then session.load for the explicit steps, and the loaded graph read back as plain data along
 * the same tree as the reference (a relationship that is not loaded reads as "NOT LOADED").
 */
import {
  containsEager, immediateload, joinedload, NotLoadedError, selectinload, subqueryload, withLoaderCriteria, select,
  type Engine, type Session, type EntitySelect, type RelationshipAttribute, type Predicate, type InstrumentedColumn,
} from "../../../../src/index.js";
import { captureStatements, type CapturedStatement } from "../../../../src/testing/assert-sql.js";
import type { Load } from "../../../../src/orm/loading/options.js";
import type { Crit, Plan, PlanNode } from "./plan.js";
import { ordered, objectKey, sortByKey, type GraphObject } from "./reference.js";
import { pkColumns, type EntityClassOf, type Schema } from "./schema.js";

type AnyChain = Load<unknown, readonly string[], string, string, string>;
type Chainable = AnyChain & Record<"selectinload" | "joinedload" | "subqueryload" | "immediateload" | "containsEager", (a: RelationshipAttribute) => AnyChain>;

const column = (cls: EntityClassOf, name: string): InstrumentedColumn<number> => cls[name] as InstrumentedColumn<number>;

export function critExpr(cls: EntityClassOf, crit: Crit): Predicate {
  return crit.op === "gt" ? column(cls, "val").gt(crit.value) : column(cls, "val").le(crit.value);
}

export function attribute(classes: readonly EntityClassOf[], node: Pick<PlanNode, "rel" | "crit">, withCrit = true): RelationshipAttribute {
  const attr = classes[node.rel.owner]![node.rel.name] as RelationshipAttribute;
  return withCrit && node.crit !== undefined ? attr.and(critExpr(classes[node.rel.target]!, node.crit)) : attr;
}

const FIRST = { selectin: selectinload, joined: joinedload, subquery: subqueryload, immediate: immediateload, containsEager } as const;
const METHOD = { selectin: "selectinload", joined: "joinedload", subquery: "subqueryload", immediate: "immediateload", containsEager: "containsEager" } as const;
type QueryStrategy = keyof typeof FIRST;
const isQuery = (n: PlanNode): n is PlanNode & { strategy: QueryStrategy } => n.strategy in FIRST;

/** One chain per path of query-option nodes (session.load and model defaults are not options). */
export function optionChains(classes: readonly EntityClassOf[], nodes: readonly PlanNode[]): AnyChain[] {
  const chains: AnyChain[] = [];
  const walk = (ns: readonly PlanNode[], chain: AnyChain | undefined): void => {
    for (const n of ns) {
      if (!isQuery(n)) continue;
      // containsEager reads the join's rows; its criteria are on the join (statementFor).
      const attr = attribute(classes, n, n.strategy !== "containsEager");
      const next = chain === undefined
        ? (FIRST[n.strategy] as (a: RelationshipAttribute) => AnyChain)(attr)
        : (chain as Chainable)[METHOD[n.strategy]](attr);
      if (n.children.some(isQuery)) walk(n.children, next);
      else chains.push(next);
    }
  };
  walk(nodes, undefined);
  return chains;
}

// The row type is checked by the test, not the compiler: one entity or two.
export function statementFor(classes: readonly EntityClassOf[], schema: Schema, plan: Plan): EntitySelect<readonly [object]> {
  const root = classes[plan.root]!;
  let stmt = (plan.pair === undefined ? select(root) : select(root, classes[plan.pair.target]!)) as EntitySelect<readonly [object]>;
  if (plan.pair !== undefined) stmt = stmt.join(attribute(classes, { rel: plan.pair, crit: undefined }));
  // containsEager: the statement's own LEFT OUTER JOINs along the containsEager path.
  const joinAlong = (ns: readonly PlanNode[]): void => {
    for (const n of ns) {
      if (n.strategy !== "containsEager") continue;
      stmt = stmt.outerjoin(attribute(classes, n));
      joinAlong(n.children);
    }
  };
  joinAlong(plan.nodes);
  const order = pkColumns(schema.tables[plan.root]!).map((c) => column(root, c));
  if (plan.pair !== undefined) order.push(...pkColumns(schema.tables[plan.pair.target]!).map((c) => column(classes[plan.pair!.target]!, c)));
  stmt = stmt.orderBy(...order);
  if (plan.page !== undefined) stmt = stmt.limit(plan.page.limit).offset(plan.page.offset);
  const options: AnyChain[] = optionChains(classes, plan.nodes);
  if (plan.wlc !== undefined) options.push(withLoaderCriteria(classes[plan.wlc.table]!, critExpr(classes[plan.wlc.table]!, plan.wlc.crit)) as AnyChain);
  return (options.length === 0 ? stmt : stmt.options(...options)) as EntitySelect<readonly [object]>;
}

/** Reads `obj[name]`; undefined when it is not loaded. */
export function readRelationship(obj: object, name: string): { loaded: true; value: unknown } | { loaded: false } {
  try {
    return { loaded: true, value: (obj as Record<string, unknown>)[name] };
  } catch (error) {
    if (error instanceof NotLoadedError) return { loaded: false };
    throw error;
  }
}

export interface OrmRun {
  readonly roots: object[];
  readonly rows: unknown[];
  readonly statements: CapturedStatement[];
  /** session.load calls made: (objects, paths) */
  readonly loads: { objects: number; paths: string[] }[];
}

/** The objects reached at the end of `path` (a list of relationship names) from `roots`, distinct. */
function objectsAt(roots: readonly object[], path: readonly string[]): object[] {
  let level = [...new Set(roots)];
  for (const name of path) {
    const next = new Set<object>();
    for (const o of level) {
      const r = readRelationship(o, name);
      if (!r.loaded || r.value === null || r.value === undefined) continue;
      for (const t of Array.isArray(r.value) ? r.value : [r.value]) next.add(t as object);
    }
    level = [...next];
  }
  return level;
}

/** Runs the plan's statement, then its session.load steps, recording every statement sent. */
export async function runPlan(engine: Engine, session: Session, classes: readonly EntityClassOf[], schema: Schema, plan: Plan): Promise<OrmRun> {
  const capture = captureStatements(engine);
  const loads: { objects: number; paths: string[] }[] = [];
  try {
    const stmt = statementFor(classes, schema, plan);
    let roots: object[];
    let rows: unknown[];
    if (plan.pair === undefined) {
      rows = (await session.scalars(stmt)).unique().all();
      roots = rows as object[];
    } else {
      rows = (await session.execute(stmt)).unique().all() as unknown[];
      roots = (rows as unknown[][]).map((r) => r[0] as object);
    }
    // session.load: for each node whose children start explicit loads, one call for all of them.
    const visit = async (ns: readonly PlanNode[], path: string[]): Promise<void> => {
      const starts = ns.filter((n) => n.strategy === "load");
      if (starts.length > 0) {
        const paths: (string | RelationshipAttribute[])[] = [];
        const names: string[] = [];
        const leaves = (n: PlanNode, prefix: PlanNode[]): void => {
          const chain = [...prefix, n];
          if (n.children.length === 0) {
            names.push(chain.map((c) => `${c.rel.name}${c.crit ? `[${c.crit.op}${c.crit.value}]` : ""}`).join("."));
            // A path with criteria is passed as attributes (`[User.orders.and(...)]`), else as text.
            paths.push(chain.some((c) => c.crit) ? chain.map((c) => attribute(classes, c)) : chain.map((c) => c.rel.name).join("."));
          } else for (const c of n.children) leaves(c, chain);
        };
        for (const s of starts) leaves(s, []);
        const objects = objectsAt(roots, path);
        loads.push({ objects: objects.length, paths: names });
        if (objects.length > 0) await (session.load as (o: object[], ...p: unknown[]) => Promise<unknown>)(objects, ...paths);
      }
      for (const n of ns) if (n.strategy !== "load") await visit(n.children, [...path, n.rel.name]);
    };
    await visit(plan.nodes, []);
    return { roots, rows, statements: [...capture.statements], loads };
  } finally {
    capture.stop();
  }
}

/** The ORM's graph along `nodes`, as plain data, checking on the way that one key is one object. */
export function extract(classes: readonly EntityClassOf[], schema: Schema, obj: object, table: number, nodes: readonly PlanNode[], identities: Map<string, object>, problems: string[]): GraphObject {
  const cls = classes[table]!;
  const record = obj as Record<string, unknown>;
  const key = objectKey(table, pkColumns(schema.tables[table]!).map((c) => record[c]));
  if (!(obj instanceof cls)) problems.push(`${key} is not an instance of T${table}`);
  const known = identities.get(key);
  if (known === undefined) identities.set(key, obj);
  else if (known !== obj) problems.push(`two objects for ${key} in one session`);
  const ts = record.ts;
  const out: GraphObject = { key, val: record.val as number, ts: ts === null || ts === undefined ? null : tsMillis(ts), rels: {} };
  for (const node of nodes) {
    const r = readRelationship(obj, node.rel.name);
    if (!r.loaded) { out.rels[node.rel.name] = "NOT LOADED"; continue; }
    const one = (o: unknown): GraphObject => extract(classes, schema, o as object, node.rel.target, node.children, identities, problems);
    if (node.rel.many) {
      if (!Array.isArray(r.value)) { problems.push(`${key}.${node.rel.name} is not an array`); continue; }
      const list = (r.value as unknown[]).map(one);
      out.rels[node.rel.name] = ordered(node) ? list : sortByKey(list);
    } else {
      out.rels[node.rel.name] = r.value === null ? null : one(r.value);
    }
  }
  return out;
}

/** A timestamp value as ISO text to the millisecond (the digits below are checked by a round trip). */
function tsMillis(value: unknown): string {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === "string") return `${new Date(value).toISOString().slice(0, 23)}Z`;
  return `unexpected ${typeof value} ${String(value)}`;
}
