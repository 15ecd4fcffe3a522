/**
 * A loader option applies only if its chain starts at an entity the statement selects. At run
 * time `select(User).options(selectinload(Order.products))` throws `ArgumentError` when compiled
 * (query/compile.ts, "does not apply"); these types make the same call a compile error, for
 * `select().options()` and `session.get(..., { options })`, with the same rule:
 *
 * - an option whose first step is a relationship must start at a selected entity (an alias of it
 *   counts: `aliased(User)` selects `users`; so does any of several selected entities);
 * - an option with no relationship step applies anywhere: a bare `raiseload("*")`,
 *   `load(Order).raiseload("*")` (a no-op where no Order is selected, as in SQLAlchemy),
 *   `withLoaderCriteria(...)`;
 * - an option whose type does not say where it starts (`AnyLoad`, built at run time) is left to
 *   the run-time check.
 */
import type { Load } from "../loading/options.js";
import type { TableOf } from "./brand.js";

/**
 * The tables of the entities a result row holds (values such as numbers and dates hold none); any
 * table when the row's type is not known (`EntitySelect<unknown[]>`), where the run-time check is left.
 */
export type SelectedTables<Row extends readonly unknown[]> = unknown extends Row[number] ? string : TableOf<Row[number]>;

/** The table `session.get(entity, ...)` selects; any table when the entity's type is not known (`MappedClass`). */
export type GetTable<E> = [TableOf<E>] extends [never] ? string : TableOf<E>;

/**
 * The table an option's chain starts at, as the run-time check sees it: the owner of its first
 * relationship step (a relationship step always moves the path, so a chain without one has the
 * path `[]`). `never` when nothing is checked.
 */
type OptionStart<X> = X extends Load<infer _Spec, infer Path, infer _Through, infer _At, infer Root>
  ? Path extends readonly [] ? never : string extends Root ? never : Root
  : never;

/** The message an option that starts elsewhere is replaced by, so the call does not compile and says why. */
export type OptionDoesNotApply<Start extends string> =
  `this loader option starts at ${Start}, which the statement does not select: start it from a selected entity`;

/** The options with each one that cannot apply replaced by the reason (the parameter type of `options()`). */
export type ApplicableOptions<L extends readonly unknown[], Tables extends string> = {
  [I in keyof L]: [OptionStart<L[I]>] extends [Tables] ? L[I] : OptionDoesNotApply<OptionStart<L[I]>>;
};
