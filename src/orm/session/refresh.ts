/**
 * `session.refresh(obj)` and `session.refresh(obj, ["email", "orders"])`.
 *
 * Without names, every column is loaded again and the eager loads the object was loaded with run
 * again for it (SQLAlchemy re-applies the original load options, ANCHORS 8). With names, only
 * those attributes load, as SQLAlchemy's `refresh(instance, attribute_names)`: the named columns
 * in one `SELECT <columns> FROM <table> WHERE <key>`, each named relationship replaced by a batch
 * load for the one object (one query per relationship; a many-to-one whose target is in the
 * identity map needs none). Other attributes are left as they are, expired ones included. A name
 * that is not an attribute of the entity is refused before any SQL is sent.
 */
import { ArgumentError, InvalidRequestError } from "../../core/errors.js";
import { bindparam } from "../../core/sql/expression.js";
import { selectColumns } from "../../core/sql/select.js";
import type { MappedClass } from "../mapping/declarative.js";
import { identityKey } from "../mapping/identity-key.js";
import { EXPIRED, instanceRepr, NOT_SET, STATE, type InstanceState, type Instrumented } from "../mapping/instance-state.js";
import type { ColumnProperty, RelationshipProperty } from "../mapping/mapper.js";
import { LoadContext, type LoadingSession } from "../loading/context.js";
import { expandDefaults, PathNode, TreeRoot } from "../loading/path-options.js";
import { runPostLoads } from "../loading/post-load.js";
import type { AnyLoad } from "../loading/options.js";
import { loaderCriteriaOf, loaderCriteriaOptions, reapplyEagerOptions } from "./explicit-load.js";

/** session.refresh(obj, options): the GetOptions it passes on to get() (kept here: no import of session.ts). */
interface GetOptions {
  readonly options?: readonly AnyLoad[];
  readonly populateExisting?: boolean;
}

/** What refresh needs from its session (the Session passes its private parts in). */
export interface RefreshHost {
  readonly session: LoadingSession & {
    get(entity: MappedClass<object>, key: unknown, options: GetOptions): Promise<object | null>;
  };
  /** Runs `fn` as one session operation (no concurrent use), after the pending-rollback check. */
  guard<T>(operation: string, fn: () => Promise<T>): Promise<T>;
  /** Flushes pending changes first when the session autoflushes (a refresh is a query). */
  autoflush(): Promise<void>;
  /** The composite key values kept when the object's key columns were expired. */
  expiredKey(state: InstanceState): unknown[] | undefined;
}

/** The parameter name of primary-key column `i` in the column refresh's WHERE. */
const keyParam = (i: number): string => `refresh_pk_${i}`;

function checkPersistent(obj: Instrumented): InstanceState {
  const state = obj[STATE];
  if (state.status !== "persistent") {
    throw new InvalidRequestError(
      `Could not refresh ${instanceRepr(obj)}: it is ${state.status}, not persistent, so there is no row to load it from.` +
        (state.status === "pending" ? " Flush it first (await session.flush())." : ""),
    );
  }
  return state;
}

/** The object's primary-key values, from its identity key (or the kept composite values) when expired. */
function keyValues(host: RefreshHost, obj: Instrumented, state: InstanceState): unknown[] {
  const pk = state.mapper.primaryKey;
  const current = pk.map((c) => state.values[c.index]);
  if (!current.some((v) => v === EXPIRED || v === NOT_SET)) return current;
  if (pk.length === 1) return [state.identityKey];
  const kept = host.expiredKey(state);
  if (kept === undefined) throw new InvalidRequestError(`Could not refresh ${instanceRepr(obj)}: its primary key is not known.`);
  return kept;
}

/** refresh(obj): every column again, then the object's original eager loads. */
export async function refreshAll<T extends object>(host: RefreshHost, obj: T, options: GetOptions): Promise<T> {
  const instrumented = obj as unknown as Instrumented;
  const state = checkPersistent(instrumented);
  const values = keyValues(host, instrumented, state);
  const lookup = state.mapper.primaryKey.length === 1 ? state.identityKey : values;
  const original = state.loadOptions;
  // The withLoaderCriteria of the statement that loaded it apply to its reload (issue 11, defect 5).
  const criteria = loaderCriteriaOptions(loaderCriteriaOf(instrumented));
  const fresh = await host.session.get(state.mapper.cls as unknown as MappedClass<object>, lookup, {
    ...options, options: [...(options.options ?? []), ...criteria], populateExisting: true,
  });
  if (fresh === null) throw new InvalidRequestError(`Could not refresh ${instanceRepr(obj)}: its row no longer exists.`);
  // Without options of its own, a refresh loads again what the object's query loaded eagerly.
  if (options.options === undefined && original instanceof PathNode) {
    await host.guard("refresh()", () => reapplyEagerOptions(host.session, instrumented, original));
  }
  return obj;
}

interface NamedAttributes {
  readonly columns: ColumnProperty[];
  readonly relationships: RelationshipProperty[];
}

/** Sorts the names into columns and relationships, refusing anything else (before any SQL). */
function resolveNames(obj: Instrumented, names: readonly unknown[]): NamedAttributes {
  const mapper = obj[STATE].mapper;
  if (names.length === 0) {
    throw new ArgumentError(`refresh(${instanceRepr(obj)}, []): name at least one attribute, or call refresh(obj) to reload every column.`);
  }
  const columns: ColumnProperty[] = [];
  const relationships: RelationshipProperty[] = [];
  for (const name of names) {
    const column = typeof name === "string" ? mapper.columnsByKey.get(name) : undefined;
    const rel = typeof name === "string" ? mapper.relationships.find((r) => r.key === name) : undefined;
    if (column !== undefined) {
      if (!columns.includes(column)) columns.push(column);
    } else if (rel !== undefined) {
      if (!relationships.includes(rel)) relationships.push(rel);
    } else {
      const known = `its columns: ${mapper.columns.map((c) => c.key).join(", ")}; its relationships: ${mapper.relationships.map((r) => r.key).join(", ") || "none"}`;
      const below = typeof name === "string" && name.includes(".")
        ? ` refresh() takes attribute names only; to load a path below a relationship use await session.load(obj, "${name}").`
        : "";
      throw new ArgumentError(`refresh(): ${JSON.stringify(name) ?? String(name)} is not an attribute of ${mapper.name} (${known}).${below} Nothing was sent to the database.`);
    }
  }
  return { columns, relationships };
}

/** refresh(obj, names): the named columns in one query, then each named relationship. */
export async function refreshAttributes<T extends object>(host: RefreshHost, obj: T, names: readonly unknown[]): Promise<T> {
  const instrumented = obj as unknown as Instrumented;
  const state = checkPersistent(instrumented);
  const { columns, relationships } = resolveNames(instrumented, names);
  const keys = keyValues(host, instrumented, state);
  await host.guard("refresh()", async () => {
    await host.autoflush();
    // The key columns of an expired object come back from its identity key, with no SQL.
    state.mapper.primaryKey.forEach((c, i) => {
      if (state.values[c.index] === EXPIRED) state.values[c.index] = keys[i];
    });
    // A relationship joins on columns of this object (a many-to-one's foreign key): load those
    // too when they are expired, or the batch load would have no key to look for.
    const load = [...columns];
    for (const rel of relationships) {
      for (const [local] of rel.pairs) {
        const column = state.mapper.columnFor(local);
        if (state.values[column.index] === EXPIRED && !load.includes(column)) load.push(column);
      }
    }
    if (load.length > 0) await loadColumns(host, instrumented, load, keys);
    if (relationships.length > 0) await loadRelationships(host.session, instrumented, relationships);
  });
  return obj;
}

async function loadColumns(host: RefreshHost, obj: Instrumented, columns: readonly ColumnProperty[], keys: readonly unknown[]): Promise<void> {
  const state = obj[STATE];
  const pk = state.mapper.primaryKey;
  const statement = selectColumns(...columns.map((c) => c.attribute))
    .where(...pk.map((c, i) => c.attribute.eq(bindparam(keyParam(i), c.spec.type) as never)));
  const params: Record<string, unknown> = {};
  keys.forEach((v, i) => (params[keyParam(i)] = v));
  const result = await host.session.run(statement.toSelectNode(), params);
  const row = result.rows[0] as readonly unknown[] | undefined;
  if (row === undefined) throw new InvalidRequestError(`Could not refresh ${instanceRepr(obj)}: its row no longer exists.`);
  columns.forEach((c, i) => {
    state.values[c.index] = row[i];
    // The database's value replaces an unflushed change (there is none after the autoflush).
    state.changes?.delete(c.index);
  });
  state.expired = state.values.includes(EXPIRED);
  if (pk.some((c) => columns.includes(c))) state.identityKey = identityKey(pk.map((c) => state.values[c.index]));
}

/**
 * Each relationship is unloaded (its unflushed changes are dropped, as SQLAlchemy's refresh
 * drops them) and loaded again as a batch load for this one object, with the target entity's
 * model-level eager defaults below it, as session.load() does.
 */
async function loadRelationships(session: LoadingSession, obj: Instrumented, relationships: readonly RelationshipProperty[]): Promise<void> {
  const state = obj[STATE];
  // The withLoaderCriteria of the statement that loaded it apply here too, as in session.load().
  const root = new TreeRoot();
  root.entityCriteria = loaderCriteriaOf(obj);
  const top = new PathNode(state.mapper, root, []);
  for (const rel of relationships) {
    if (state.rels !== undefined) state.rels[rel.index] = undefined;
    state.relSnapshots?.delete(rel.index);
    state.relChanges?.delete(rel.index);
    top.child(rel).strategy = "selectin";
  }
  for (const child of top.children.values()) expandDefaults(child.node);
  for (const node of top.walk()) {
    for (const child of node.children.values()) {
      if (child.strategy === "joined" || child.strategy === "subquery" || child.strategy === "immediate") child.strategy = "selectin";
    }
  }
  await runPostLoads(new LoadContext(session, false, undefined), [{ node: top, parents: [obj] }]);
}

/** The names refresh(obj, names) accepts at compile time (checked against the mapper at run time). */
export type RefreshableName<T> = Extract<keyof T, string>;
