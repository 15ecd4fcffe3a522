/**
 * Turns an ORM select into the Core SELECT that runs and the plan that turns its rows into
 * objects: where each entity's columns start in the row, which eager joins were added (by the
 * joined and contains-eager strategies) and whose relationship each one fills. Cached per
 * statement object, like Core compilation.
 */
import { ArgumentError } from "../../core/errors.js";
import { freeze, type AliasNode, type ExprNode, type FromNode, type SelectNode, type TableNode } from "../../core/sql/nodes.js";
import type { EntityLike } from "../mapping/instrumented.js";
import type { Mapper } from "../mapping/mapper.js";
import { buildPathTree, TreeRoot, type ChildLoad, type PathNode } from "../loading/path-options.js";
import { wrapForLimit, type WrappedSelect } from "../loading/limit-wrap.js";
import { applyToJoins, whereForEntities } from "../loading/entity-criteria.js";
import { addEagerJoins } from "../loading/eager-joins.js";
import { QueryBuilder, type JoinedSlot } from "../loading/query-builder.js";
import type { EntitySelect } from "./select.js";
import { warn } from "../../core/compiler/from-linter.js";
import { and } from "../../core/sql/operators.js";
import { Expression } from "../../core/sql/expression.js";

export interface EntitySlot {
  readonly kind: "entity";
  readonly mapper: Mapper;
  readonly offset: number;
  readonly node: PathNode;
}
export interface ExpressionSlot {
  readonly kind: "expression";
  readonly offset: number;
}

export interface CompiledQuery {
  readonly node: SelectNode;
  readonly items: readonly (EntitySlot | ExpressionSlot)[];
  readonly joined: readonly JoinedSlot[];
  /** The statement joined-eager-loads a collection: rows repeat, `.unique()` is required. */
  readonly requiresUnique: boolean;
  /** The statement without eager joins (what subqueryload re-runs). */
  readonly baseSelect: SelectNode;
}

const cache = new WeakMap<EntitySelect<readonly unknown[]>, CompiledQuery>();

export function compileOrmSelect(stmt: EntitySelect<readonly unknown[]>): CompiledQuery {
  let compiled = cache.get(stmt);
  if (compiled === undefined) {
    compiled = build(stmt);
    cache.set(stmt, compiled);
  }
  return compiled;
}

function build(stmt: EntitySelect<readonly unknown[]>): CompiledQuery {
  const root = new TreeRoot();
  const state = stmt.state;
  let froms: readonly FromNode[] = state.from;
  const entityItems = stmt.orm.items.filter((i) => i.kind === "entity");
  const trees = new Map<EntityLike, PathNode>();
  for (const item of entityItems) trees.set(item.entity, buildPathTree(item.entity, stmt.orm.options, root));
  checkOptionsApply(stmt, trees);
  for (const tree of trees.values()) checkContainsEagerPlacement(tree, undefined);
  // withLoaderCriteria: on the statement's own joins (ON), its selected entities (WHERE), and
  // through the tree's root on every load the tree makes (loading/entity-criteria.ts).
  const entityCriteria = stmt.orm.options.flatMap((l) => (l.entityCriteria === undefined ? [] : [l.entityCriteria]));
  root.entityCriteria = entityCriteria;
  const covered = new Set<TableNode | AliasNode>();
  if (entityCriteria.length > 0) froms = applyToJoins(froms, entityCriteria, covered);
  const criteriaWhere = entityCriteria.length === 0 ? undefined : whereForEntities(entityItems.map((i) => i.entity), entityCriteria, covered);

  const items: (EntitySlot | ExpressionSlot)[] = [];
  let where: ExprNode | undefined = state.where;
  if (criteriaWhere !== undefined) where = where === undefined ? criteriaWhere : and(new Expression<boolean>(where), new Expression<boolean>(criteriaWhere)).node;
  const written = baseSelect(stmt);
  const base: SelectNode = entityCriteria.length === 0 ? written : freeze({ ...written, from: froms, where });
  let orderBy = state.orderBy;
  let limit = state.limit, offset = state.offset, distinct = state.distinct, groupBy = state.groupBy, having = state.having;
  let wrapped: WrappedSelect | undefined;
  // A LIMIT/OFFSET/DISTINCT/GROUP BY must see parents, not joined rows: with a joined collection
  // anywhere in the statement's joins, the statement becomes a subquery first (as SQLAlchemy nests it).
  const limited = state.limit !== undefined || state.offset !== undefined;
  if (limited) warnContainsEagerLimit(trees);
  if ((limited || state.distinct || state.groupBy.length > 0) && [...trees.values()].some(joinsCollection)) {
    let start = 0;
    const selected: { entity: EntityLike; start: number }[] = [];
    for (const item of stmt.orm.items) {
      if (item.kind === "entity") {
        selected.push({ entity: item.entity, start });
        start += item.entity.columns().length;
      } else start += 1;
    }
    const carried = [...trees.values()].flatMap(containsEagerTargets);
    wrapped = wrapForLimit(base, selected, carried);
    froms = [wrapped.from];
    orderBy = wrapped.orderBy;
    where = undefined; limit = undefined; offset = undefined; distinct = false; groupBy = []; having = undefined;
  }
  const qb = new QueryBuilder(froms);
  if (wrapped !== undefined) {
    const carried = wrapped.entities.slice(entityItems.length);
    [...trees.values()].flatMap(containsEagerTargets).forEach((e, k) => qb.wrapped.set(e.fromNode, carried[k]!));
  }
  // Position in the base select's columns: a wrapped statement's expressions are read from the wrapper.
  let baseIndex = 0;
  let entityIndex = 0;
  for (const item of stmt.orm.items) {
    if (item.kind === "entity") {
      baseIndex += item.entity.columns().length;
      const replaced = wrapped?.entities[entityIndex++];
      const entity = replaced?.entity ?? item.entity;
      const node = trees.get(item.entity)!;
      const offsetInRow = qb.addColumns(entity);
      if (replaced?.renames !== undefined) qb.slotRenames.set(qb.slotFroms.length, replaced.renames);
      qb.slotFroms.push(entity.fromNode);
      items.push({ kind: "entity", mapper: entity.mapper, offset: offsetInRow, node });
    } else {
      qb.slotFroms.push(undefined);
      items.push({ kind: "expression", offset: qb.columns.length });
      qb.columns.push(wrapped === undefined ? item.expr.node : wrapped.column(baseIndex));
      baseIndex += 1;
    }
  }
  items.forEach((slot, i) => {
    if (slot.kind === "entity") addEagerJoins(qb, slot.node, i);
  });
  warnSiblingCollections(trees);
  const node: SelectNode = freeze({
    kind: "select", columns: qb.columns, from: qb.froms, where, groupBy, having, orderBy: [...orderBy, ...qb.orderBy], limit, offset, distinct,
    forUpdate: state.forUpdate,
  });
  return { node, items, joined: qb.joined, requiresUnique: qb.requiresUnique, baseSelect: base };
}

/** The statement as written (entity columns, no eager joins). */
function baseSelect(stmt: EntitySelect<readonly unknown[]>): SelectNode {
  return stmt.toSelectNode();
}

function checkOptionsApply(stmt: EntitySelect<readonly unknown[]>, trees: Map<EntityLike, PathNode>): void {
  const mappers = new Set([...trees.keys()].map((e) => e.mapper));
  for (const load of stmt.orm.options) {
    const first = load.steps[0];
    if (first === undefined || first.attribute === "*") continue;
    if (!mappers.has(first.attribute.parent.mapper)) {
      const queried = [...mappers].map((m) => m.name).join(", ") || "no entity";
      throw new ArgumentError(
        `Loader option for ${first.attribute.description} does not apply: the statement selects ${queried}. ` +
          `Start the option from a queried entity (e.g. selectinload(${[...mappers][0]?.name ?? "User"}.<relationship>)), and chain from there.`,
      );
    }
  }
}

const KEYED = new Set(["selectin", "subquery", "immediate"]);
const IN_STATEMENT = new Set(["joined", "contains_eager"]);

/** Whether the statement's own joins (joined / contains-eager chains from `node`) include a joinedload of a collection. */
function joinsCollection(node: PathNode): boolean {
  for (const child of node.children.values()) {
    if (!IN_STATEMENT.has(child.strategy)) continue;
    if ((child.strategy === "joined" && child.rel.uselist) || joinsCollection(child.node)) return true;
  }
  return false;
}

/** The containsEager targets of the statement's own joins, in the order addEagerJoins meets them. */
function containsEagerTargets(node: PathNode): EntityLike[] {
  const out: EntityLike[] = [];
  for (const child of node.children.values()) {
    if (!IN_STATEMENT.has(child.strategy)) continue;
    if (child.strategy === "contains_eager") out.push(child.targetEntity ?? child.rel.target.entity);
    out.push(...containsEagerTargets(child.node));
  }
  return out;
}

/**
 * containsEager of a collection with LIMIT/OFFSET: the limit counts joined rows, so the page can
 * hold fewer parents and each collection only the rows that fell on it. SQLAlchemy does not wrap
 * this either (the join is the statement's own); Athanor says so.
 */
function warnContainsEagerLimit(trees: Map<EntityLike, PathNode>): void {
  for (const tree of trees.values()) {
    for (const node of tree.walk()) {
      for (const child of node.children.values()) {
        if (child.strategy !== "contains_eager" || !child.rel.uselist) continue;
        const rel = child.rel.description;
        warn(
          `containsEager(${rel}) with limit()/offset(): the LIMIT counts the joined rows, not ${child.rel.parent.name} objects, so a page can ` +
            `hold fewer ${child.rel.parent.name} objects and ${rel} only the rows that fell on it. To page parents with whole collections, ` +
            `use selectinload(${rel}) or joinedload(${rel}) (the limit then counts parents); to keep the filtered join, drop the limit or ` +
            `page with a subquery of parent keys.`,
          "contains-eager-limit",
        );
      }
    }
  }
}

/**
 * containsEager fills a relationship from the statement's own join; below a keyed level the rows
 * come from that level's batch query, which has no such join: refused before any SQL.
 */
function checkContainsEagerPlacement(node: PathNode, keyed: ChildLoad | undefined): void {
  for (const child of node.children.values()) {
    if (child.strategy === "contains_eager" && keyed !== undefined) {
      throw new ArgumentError(
        `containsEager(${child.rel.description}) cannot follow ${strategyLabel(keyed)}(${keyed.rel.description}): that level is loaded by its own ` +
          `batch query, which has no join to ${child.rel.target.name}. Use joinedload(${child.rel.description}) there instead.`,
      );
    }
    checkContainsEagerPlacement(child.node, KEYED.has(child.strategy) ? child : keyed);
  }
}

function strategyLabel(child: ChildLoad): string {
  return child.strategy === "selectin" ? "selectinload" : child.strategy === "subquery" ? "subqueryload" : "immediateload";
}

/** Two joined collections side by side multiply each other's rows (SQLAlchemy's row explosion). */
function warnSiblingCollections(trees: Map<EntityLike, PathNode>): void {
  for (const tree of trees.values()) {
    for (const node of tree.walk()) {
      const joinedCollections = node.eagerChildren().filter((c) => c.strategy === "joined" && c.rel.uselist);
      if (joinedCollections.length > 1) {
        const names = joinedCollections.map((c) => c.rel.description);
        warn(
          `joinedload of sibling collections ${names.join(" and ")} multiplies rows (each ${node.mapper.name} returns the product of ` +
            `their sizes). Use selectinload(${names[1]}) for all but one of them.`,
          "sibling-collections",
        );
      }
    }
  }
}
