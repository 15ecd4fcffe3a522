/**
 * What happens when code reads something that is not loaded. Athanor never runs hidden I/O: the
 * read throws an error that names the entity, the attribute and the fix, except where SQLAlchemy
 * would answer without SQL (a many-to-one whose target is in the identity map or whose foreign key
 * is NULL, a new object's empty relationship, noload).
 */
import { DetachedInstanceError, LazyLoadError, NotLoadedError } from "../errors.js";
import { EXPIRED, instanceRepr, NOT_SET, type InstanceState, type Instrumented } from "../mapping/instance-state.js";
import type { ColumnProperty, RelationshipProperty } from "../mapping/mapper.js";
import { setRaw } from "../mapping/backrefs.js";
import { identityKey } from "../mapping/identity-key.js";

const BACKGROUND = "(Background on this error at: docs/errors.md#bhk3)";

function fixFor(rel: RelationshipProperty): string {
  const owner = rel.parent.name;
  const path = `${owner}.${rel.key}`;
  const option = rel.uselist ? `selectinload(${path})` : `joinedload(${path})`;
  return `Add ${option} to the query's options(), or load it explicitly with await session.load(${owner.toLowerCase()}, "${rel.key}").`;
}

/** The value a relationship has without SQL, if it can be known: empty for new objects, the identity-map target, null for a NULL foreign key. */
function resolveWithoutSql(state: InstanceState, rel: RelationshipProperty): { value: unknown } | undefined {
  if (state.status === "transient" || state.status === "pending") return { value: rel.uselist ? [] : null };
  if (rel.direction !== "many-to-one") return undefined;
  // A detached object cannot lazy-load at all, even from a NULL key: SQLAlchemy checks for the
  // session before it looks at the key.
  if (state.session === undefined || state.session.closed) return undefined;
  const fk = rel.pairs.map(([local]) => state.values[rel.parent.columnFor(local).index]);
  if (fk.some((v) => v === null || v === NOT_SET)) return { value: null };
  if (fk.some((v) => v === EXPIRED)) return undefined;
  const key = identityKey(fk);
  const target = state.session?.lookupIdentity(rel.target, key);
  return target === undefined ? undefined : { value: target };
}

export function onUnloadedRelationship(obj: Instrumented, state: InstanceState, rel: RelationshipProperty): unknown {
  const path = `${rel.parent.name}.${rel.key}`;
  const mode = state.loadOptions?.lazyFor(rel.key) ?? rel.lazy;
  if (mode === "noload") {
    const empty = rel.uselist ? [] : null;
    setRaw(obj, rel, empty);
    return empty;
  }
  if (mode === "raise" && state.status !== "transient" && state.status !== "pending") {
    throw new LazyLoadError(`'${path}' is not available due to lazy='raise'. ${fixFor(rel)}`);
  }
  const known = resolveWithoutSql(state, rel);
  if (known !== undefined) {
    setRaw(obj, rel, known.value);
    return known.value;
  }
  if (state.session === undefined || state.session.closed) {
    throw new DetachedInstanceError(
      `Parent instance ${instanceRepr(obj)} is not bound to a Session; lazy load operation of attribute '${rel.key}' cannot proceed. ` +
        `Load it while the session is open: ${fixFor(rel)} ${BACKGROUND}`,
    );
  }
  if (mode === "raise_on_sql") {
    throw new LazyLoadError(`'${path}' is not available due to lazy='raise_on_sql'. ${fixFor(rel)}`);
  }
  throw new NotLoadedError(
    `'${path}' is not loaded, and loading it now would need a query: Athanor never runs hidden I/O ` +
      `(SQLAlchemy's async MissingGreenlet). ${fixFor(rel)}`,
  );
}

export function onExpiredColumn(obj: Instrumented, state: InstanceState, prop: ColumnProperty): never {
  if (state.session === undefined || state.session.closed) {
    throw new DetachedInstanceError(
      `Instance ${instanceRepr(obj)} is not bound to a Session; attribute refresh operation cannot proceed. ` +
        `Its attributes were expired (by commit with expireOnCommit, rollback or expire()); read what you need before ` +
        `closing the session, or create the session with { expireOnCommit: false }. ${BACKGROUND}`,
    );
  }
  throw new NotLoadedError(
    `'${state.mapper.name}.${prop.key}' was expired (by commit with expireOnCommit, rollback or expire()) and reading it ` +
      `would need a query: Athanor never runs hidden I/O. Call await session.refresh(obj) first, or create the session with { expireOnCommit: false }.`,
  );
}
