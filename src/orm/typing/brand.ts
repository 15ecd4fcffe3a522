/**
 * The type-only facts every other typing module builds on: what an unloaded relationship is
 * (`NotLoaded`), which table an entity type maps (`EntityBrand`, `TableOf`) and which entity an
 * alias stands for (`AliasOf`). Nothing here imports the rest of typing/, so loaded.ts and
 * paths.ts both import it without importing each other.
 */

/**
 * A relationship the query did not load. Empty on purpose: every loaded value is assignable to it
 * (a loaded `User` is still a `User`), and no member can be used on it. `T` is the type it has
 * once loaded.
 */
// eslint-disable-next-line @typescript-eslint/no-unused-vars
export interface NotLoaded<T, Hint extends string> {}

declare const ENTITY_TYPE: unique symbol;
/**
 * Type-only facts about an entity, on its instance type and as the owner of its relationship
 * attributes: the table it maps (what chained loader options and foreign keys are checked
 * against) and the relationships its model loads eagerly (what raiseload("*") unloads). No
 * object has this property; it is optional so that nothing needs to.
 */
export interface EntityBrand<Table extends string, Eager extends string> {
  readonly [ENTITY_TYPE]?: { readonly table: Table; readonly eager: Eager };
}

/** The table name of an entity type (`never` for anything that is not an entity). */
export type TableOf<E> = E extends EntityBrand<infer T, string> ? T : never;

/** The hint shown in compiler errors for relationship `K`. */
export type LoadHint<K extends string> = `${K}: add selectinload/joinedload/... to the query's options, or await session.load()`;

declare const ALIAS_OF: unique symbol;
/**
 * On the type of `aliased(User)`: the instance type its rows load as (`User`), which is what
 * `select(alias)` returns and what `load(alias)` roots its chain at. Type-only: no alias object
 * has this property.
 */
export interface AliasOf<E> {
  readonly [ALIAS_OF]: E;
}
