/** `Base.many("Order", {...})` / `Base.one("User", {...})`: what a relationship declares. */

/**
 * How a relationship loads when the query did not say (SQLAlchemy's `lazy=`):
 * - "select" (default): not loaded; reading it throws NotLoadedError naming the option to add
 *   (Athanor never runs hidden I/O; many-to-one targets already in the identity map are returned).
 * - "raise" / "raise_on_sql": reading it throws LazyLoadError (raise_on_sql only when SQL would be needed).
 * - "noload": reads as empty ([] or null) and never loads.
 * - "selectin" / "joined" / "subquery" / "immediate": eager-loaded by every query with that strategy.
 */
export type LazyMode = "select" | "raise" | "raise_on_sql" | "noload" | "selectin" | "joined" | "subquery" | "immediate";

export interface RelationshipOptions {
  /** The attribute on the target that is the other side of this relationship. */
  readonly backPopulates?: string;
  readonly lazy?: LazyMode;
  /** Many-to-many: the association table's name (declared with `Base.table`). */
  readonly secondary?: string;
  /**
   * The SQL name of the foreign-key column that links the two tables, when more than one could
   * (e.g. two foreign keys to the same table). It may be on either side.
   */
  readonly foreignKey?: string;
  /** Order of the collection's items, as a property name with an optional direction: "createdAt desc". */
  readonly orderBy?: string;
  /** Eager joins of this relationship use INNER JOIN (the target always exists). */
  readonly innerjoin?: boolean;
  /** Deleting the parent deletes the children ("delete") and children removed from the collection ("delete-orphan"). */
  readonly cascade?: "save-update" | "all" | "all, delete-orphan";
  /**
   * For self-referential relationships: how many levels a default eager strategy goes (join_depth).
   * Without it a self-referential eager default does not load at all, as in SQLAlchemy.
   */
  readonly joinDepth?: number;
}

export interface RelationshipSpec<Target extends string = string, Many extends boolean = boolean, Lazy extends LazyMode = LazyMode, Depth extends boolean = boolean> {
  readonly kind: "relationship";
  readonly target: Target;
  readonly many: Many;
  readonly options: RelationshipOptions;
  /** Phantom: the declared `lazy`, so eager defaults are typed as loaded. */
  readonly __lazy?: Lazy;
  /** Phantom: whether `joinDepth` is set (a self-referential eager default loads only with it). */
  readonly __joinDepth?: Depth;
}

export function relationshipSpec<Target extends string, Many extends boolean, Lazy extends LazyMode, Depth extends boolean>(
  target: Target, many: Many, options: RelationshipOptions = {},
): RelationshipSpec<Target, Many, Lazy, Depth> {
  return Object.freeze({ kind: "relationship", target, many, options: Object.freeze({ ...options }) });
}
