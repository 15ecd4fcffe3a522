/**
 * What one case asks for: a queried entity, an option tree of depth ≤ 3 over the schema's
 * relationships (every strategy under every other: selectin, joined, subquery, immediate,
 * containsEager where a join is written, explicit session.load), loader criteria
 * (`User.orders.and(...)`), withLoaderCriteria, limit/offset, two entities in one select, and a
 * refresh afterwards.
 *
 * Seeds are schema-independent integers; `resolvePlan` interprets them against a schema and
 * drops what cannot apply (the rules are next to each feature). `ATHANOR_DIFF_EXCLUDE` turns
 * features off, to check the rest of the machinery or to find one defect at a time.
 */
import fc from "fast-check";
import { relationships, relsOf, type Rel, type Schema } from "./schema.js";

export const STRATEGIES = ["selectin", "joined", "subquery", "immediate", "containsEager", "load"] as const;
export type Strategy = (typeof STRATEGIES)[number];

/** A condition on the target's `val`: `val > value` or `val <= value`. */
export interface Crit { readonly op: "gt" | "le"; readonly value: number }

export interface NodeSeed {
  readonly rel: number;
  readonly strategy: Strategy;
  readonly crit: Crit | null;
  readonly children: readonly NodeSeed[];
}

export interface CaseSeed {
  readonly root: number;
  readonly tree: readonly NodeSeed[];
  readonly page: { readonly limit: number; readonly offset: number } | null;
  readonly wlc: { readonly table: number; readonly crit: Crit } | null;
  readonly pair: boolean;
  readonly refresh: { readonly kind: "attrs" | "reapply"; readonly rel: number } | null;
  readonly roundTrip: boolean;
  /** Also load a self-referential collection with recursionDepth: -1 (on data with cycles). */
  readonly recursion: boolean;
  /** Then move a child to another parent through its many-to-one (mutation.ts); picks which. */
  readonly mutation: number | null;
}

/**
 * Features the environment can switch off (comma-separated ATHANOR_DIFF_EXCLUDE): the strategy
 * names, and limit, withLoaderCriteria, criteria, loadCriteria, pair, refresh, refreshAttrs,
 * eager, orderBy, composite, m2m, self, oneToOne, ts, recursion, backPopulates, joinedBelowKeyed (a joined step, or a lazy "joined"
 * default, under a selectin/subquery/immediate step).
 */
export const FEATURES = [
  ...STRATEGIES, "limit", "withLoaderCriteria", "criteria", "loadCriteria", "pair", "refresh", "refreshAttrs",
  "eager", "orderBy", "composite", "m2m", "self", "oneToOne", "ts", "recursion", "backPopulates", "joinedBelowKeyed",
] as const;
export type Feature = (typeof FEATURES)[number];

export function excludedFeatures(env: string | undefined): ReadonlySet<Feature> {
  const names = (env ?? "").split(",").map((s) => s.trim()).filter((s) => s !== "");
  for (const name of names) {
    if (!(FEATURES as readonly string[]).includes(name)) throw new Error(`ATHANOR_DIFF_EXCLUDE: unknown feature "${name}"; known: ${FEATURES.join(", ")}`);
  }
  return new Set(names as Feature[]);
}

const critArb: fc.Arbitrary<Crit> = fc.record({ op: fc.constantFrom<"gt" | "le">("gt", "le"), value: fc.nat(6400) });

function nodeArb(depth: number): fc.Arbitrary<NodeSeed> {
  return fc.record({
    rel: fc.nat(11),
    // joined twice as often: its combinations (under keyed loaders, collections under many-to-one
    // with a LIMIT) are where the rows multiply; immediate half as often (a query per parent).
    strategy: fc.constantFrom<Strategy>("selectin", "selectin", "joined", "joined", "joined", "joined", "subquery", "subquery", "immediate", "containsEager", "containsEager", "load", "load"),
    crit: fc.option(critArb, { freq: 4 }),
    children: depth <= 1 ? fc.constant([]) : fc.array(nodeArb(depth - 1), { maxLength: 2 }),
  });
}

export const caseArb: fc.Arbitrary<CaseSeed> = fc.record({
  root: fc.nat(5),
  tree: fc.array(nodeArb(3), { minLength: 1, maxLength: 2 }),
  page: fc.option(fc.record({ limit: fc.integer({ min: 1, max: 6 }), offset: fc.nat(4) }), { freq: 2 }),
  wlc: fc.option(fc.record({ table: fc.nat(5), crit: critArb }), { freq: 4 }),
  pair: fc.boolean(),
  refresh: fc.option(fc.record({ kind: fc.constantFrom<"attrs" | "reapply">("attrs", "reapply"), rel: fc.nat(11) }), { freq: 3 }),
  roundTrip: fc.boolean(),
  recursion: fc.nat(5).map((n) => n === 0),
  mutation: fc.option(fc.nat(99), { freq: 5 }),
});

/** One node of a resolved option tree. */
export interface PlanNode {
  readonly rel: Rel;
  readonly strategy: Strategy | "default-joined" | "default-selectin";
  readonly crit: Crit | undefined;
  readonly children: readonly PlanNode[];
}

export interface Plan {
  readonly root: number;
  readonly nodes: readonly PlanNode[];
  readonly page: { readonly limit: number; readonly offset: number } | undefined;
  readonly wlc: { readonly table: number; readonly crit: Crit } | undefined;
  /** select(Root, Target).join(Root.rel): rows are pairs. */
  readonly pair: Rel | undefined;
  readonly refresh: { readonly kind: "attrs" | "reapply"; readonly rel: Rel } | undefined;
  readonly roundTrip: boolean;
  /** selectinload(rel, { recursionDepth: -1 }) on a self-referential collection, checked apart. */
  readonly recursion: Rel | undefined;
  readonly mutation: number | undefined;
}

/** The schema without the features that are switched off. */
export function restrictSchema(schema: Schema, off: ReadonlySet<Feature>): Schema {
  const links = schema.links
    .filter((l) => !(off.has("m2m") && l.kind === "m2m") && !(off.has("self") && l.kind === "self"))
    .map((l) => (off.has("oneToOne") && l.kind === "fk" ? { ...l, oneToOne: false } : l))
    .map((l) => (off.has("orderBy") ? { ...l, orderBy: undefined } : l));
  const tables = off.has("composite") ? schema.tables.map(() => ({ composite: false })) : schema.tables;
  const restricted: Schema = { tables, links, eager: undefined };
  let eager = off.has("eager") || schema.eager === undefined ? undefined
    : relsOf(restricted, schema.eager.table).some((r) => r.name === schema.eager!.rel) ? schema.eager : undefined;
  if (eager?.lazy === "joined" && off.has("joinedBelowKeyed")) eager = { ...eager, lazy: "selectin" };
  return { ...restricted, eager };
}

const QUERY_STRATEGIES: readonly Strategy[] = ["selectin", "joined", "subquery", "immediate"];

export function resolvePlan(schema: Schema, seed: CaseSeed, off: ReadonlySet<Feature>): Plan | undefined {
  const withRels = schema.tables.map((_, t) => t).filter((t) => relsOf(schema, t).length > 0);
  if (withRels.length === 0) return undefined;
  const root = withRels[seed.root % withRels.length]!;
  let containsEagerUsed = false;
  const allowed = (s: Strategy): boolean => !off.has(s);
  const fallback = (s: Strategy): Strategy => (allowed(s) ? s : QUERY_STRATEGIES.find(allowed) ?? "selectin");

  const resolve = (owner: number, seeds: readonly NodeSeed[], parent: Strategy | undefined, joinedTables: number[]): PlanNode[] => {
    const rels = relsOf(schema, owner);
    const out: PlanNode[] = [];
    if (rels.length === 0) return out;
    for (const s of seeds) {
      const rel = rels[s.rel % rels.length]!;
      if (out.some((n) => n.rel.name === rel.name)) continue;
      let strategy: Strategy = s.strategy;
      // After session.load nothing is a query option any more: the rest of the path loads too.
      if (parent === "load") strategy = "load";
      if (strategy === "containsEager") {
        // containsEager needs the statement's own join: only from the root (or under another
        // containsEager), once, to a table not joined yet (a self-join would need an alias).
        const fromJoin = parent === undefined ? !containsEagerUsed : parent === "containsEager";
        if (!fromJoin || rel.selfReferential || joinedTables.includes(rel.target)) strategy = "joined";
        else if (parent === undefined) containsEagerUsed = true;
      }
      strategy = strategy === "load" && parent !== "load" && !allowed("load") ? fallback("selectin") : fallback(strategy);
      if (strategy === "joined" && off.has("joinedBelowKeyed") && (parent === "selectin" || parent === "subquery" || parent === "immediate")) strategy = parent;
      if (strategy === "containsEager" && !allowed("containsEager")) strategy = fallback("joined");
      const crit = s.crit !== null && !off.has("criteria") && !(strategy === "load" && off.has("loadCriteria")) ? s.crit : undefined;
      const tables = strategy === "containsEager" ? [...joinedTables, rel.target] : joinedTables;
      out.push({ rel, strategy, crit, children: resolve(rel.target, s.children, strategy, tables) });
    }
    return out;
  };
  let nodes = resolve(root, seed.tree, undefined, [root]);

  // A relationship narrowed by criteria must be the only load of that relationship in the tree
  // (and not the model's eager default): otherwise the same objects would get it loaded twice,
  // filtered and not, and which one wins is the identity map's rule, not the loader's.
  const uses = new Map<string, number>();
  const count = (ns: readonly PlanNode[]): void => ns.forEach((n) => { const k = `${n.rel.owner}.${n.rel.name}`; uses.set(k, (uses.get(k) ?? 0) + 1); count(n.children); });
  count(nodes);
  const eagerKey = schema.eager && `${schema.eager.table}.${schema.eager.rel}`;
  const clean = (ns: readonly PlanNode[]): PlanNode[] => ns.map((n) => {
    const k = `${n.rel.owner}.${n.rel.name}`;
    const keep = n.crit !== undefined && uses.get(k) === 1 && k !== eagerKey;
    return { ...n, crit: keep ? n.crit : undefined, children: clean(n.children) };
  });
  nodes = clean(nodes);

  const hasContainsEager = containsEagerUsed && nodes.some((n) => n.strategy === "containsEager");
  // containsEager + limit is not wrapped (as in SQLAlchemy): truncation there is the caller's to see.
  const page = seed.page !== null && !off.has("limit") && !hasContainsEager ? seed.page : undefined;
  const wlc = seed.wlc !== null && !off.has("withLoaderCriteria") ? { table: seed.wlc.table % schema.tables.length, crit: seed.wlc.crit } : undefined;
  const pairRel = seed.pair && !off.has("pair") && !hasContainsEager
    ? relsOf(schema, root).find((r) => !r.selfReferential && r.kind !== "many-to-many")
    : undefined;
  let refresh: Plan["refresh"];
  if (seed.refresh !== null && !off.has("refresh") && !(seed.refresh.kind === "attrs" && off.has("refreshAttrs"))) {
    const rels = relsOf(schema, root);
    refresh = { kind: seed.refresh.kind, rel: rels[seed.refresh.rel % rels.length]! };
  }
  const recursion = seed.recursion && !off.has("recursion") ? relationships(schema).find((r) => r.selfReferential && r.many) : undefined;
  const mutation = seed.mutation !== null && !off.has("backPopulates") ? seed.mutation : undefined;
  return { root, nodes, page, wlc, pair: pairRel, refresh, roundTrip: seed.roundTrip && !off.has("ts"), recursion, mutation };
}

/**
 * The tree with the model's eager default added where it applies (SQLAlchemy's rule, which
 * path-options.ts follows: not when its target is already on the path, the queried entity
 * included). Under session.load the path starts at the objects loaded.
 */
export function withDefaults(schema: Schema, root: number, nodes: readonly PlanNode[]): PlanNode[] {
  const eager = schema.eager;
  if (eager === undefined) return [...nodes];
  const eagerRel = relationships(schema).find((r) => r.owner === eager.table && r.name === eager.rel)!;
  const strategy = eager.lazy === "joined" ? "default-joined" : "default-selectin";
  const expand = (owner: number, ns: readonly PlanNode[], path: readonly number[], parentLoad: boolean): PlanNode[] => {
    const out = ns.map((n) => {
      const startsLoad = n.strategy === "load" && !parentLoad;
      // session.load(objects, path): a fresh tree rooted at the objects.
      const nextPath = startsLoad ? [owner, n.rel.target] : [...path, n.rel.target];
      return { ...n, children: expand(n.rel.target, n.children, nextPath, n.strategy === "load") };
    });
    if (owner === eager.table && !out.some((n) => n.rel.name === eager.rel) && !path.includes(eagerRel.target)) {
      // Not for the objects session.load starts from: they were loaded by their query.
      out.push({ rel: eagerRel, strategy, crit: undefined, children: [] });
    }
    return out;
  };
  return expand(root, nodes, [root], false);
}

export function describePlan(plan: Plan): string {
  const node = (n: PlanNode): string => {
    const crit = n.crit ? `.and(val ${n.crit.op === "gt" ? ">" : "<="} ${n.crit.value})` : "";
    const kids = n.children.length ? ` { ${n.children.map(node).join(", ")} }` : "";
    return `${n.strategy}(T${n.rel.owner}.${n.rel.name}${crit})${kids}`;
  };
  const parts = [`select(T${plan.root}${plan.pair ? `, T${plan.pair.target}).join(T${plan.root}.${plan.pair.name}` : ""})`, plan.nodes.map(node).join(", ")];
  if (plan.page) parts.push(`limit ${plan.page.limit} offset ${plan.page.offset}`);
  if (plan.wlc) parts.push(`withLoaderCriteria(T${plan.wlc.table}, val ${plan.wlc.crit.op === "gt" ? ">" : "<="} ${plan.wlc.crit.value})`);
  if (plan.refresh) parts.push(`refresh ${plan.refresh.kind} ${plan.refresh.rel.name}`);
  if (plan.mutation !== undefined) parts.push(`then move a child (pick ${plan.mutation})`);
  if (plan.recursion) parts.push(`then selectinload(T${plan.recursion.owner}.${plan.recursion.name}, { recursionDepth: -1 })`);
  return parts.join("; ");
}
