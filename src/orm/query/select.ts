/**
 * ORM `select()`: entities and columns, joins along relationships, loader options. It extends
 * Core's immutable Select; the entity columns and eager joins are added when the statement is
 * compiled for execution (query/compile.ts), so the statement itself stays cheap to build.
 */
import { ArgumentError } from "../../core/errors.js";
import { describeValue, Expression, type Predicate } from "../../core/sql/expression.js";
import { freeze, type FromNode, type SelectNode } from "../../core/sql/nodes.js";
import { emptySelectState, Select, Subquery, type Selectable } from "../../core/sql/select.js";
import { Table, TableAlias } from "../../core/schema/table.js";
import { ENTITY, type EntityStatics, type MappedClass } from "../mapping/declarative.js";
import { isRelationshipAttribute, type EntityLike, type RelationshipAttribute } from "../mapping/instrumented.js";
import { relationshipJoin } from "../mapping/join-condition.js";
import { Load, type AnyLoad, type SpecOf } from "../loading/options.js";
import type { AliasOf, LoadRow } from "../typing/loaded.js";
import type { ApplicableOptions, SelectedTables } from "../typing/applicable.js";
import { and } from "../../core/sql/operators.js";

export type SelectItem = { readonly kind: "entity"; readonly entity: EntityLike } | { readonly kind: "expression"; readonly expr: Expression };

export interface OrmState {
  readonly items: readonly SelectItem[];
  readonly options: readonly AnyLoad[];
  readonly populateExisting: boolean;
}

/**
 * Row type of a select: an entity class gives its instance type, an alias (`aliased(User)`) the
 * instance type of its class, an expression its value type.
 */
export type RowOf<Items extends readonly unknown[]> = {
  [K in keyof Items]: Items[K] extends abstract new (...args: never[]) => infer I ? I
    : Items[K] extends Expression<infer T> ? T
    : Items[K] extends AliasOf<infer I> ? I
    : never;
};

type JoinTarget = MappedClass | EntityStatics | Selectable;

export class EntitySelect<Row extends readonly unknown[] = unknown[]> extends Select<Row> {
  constructor(state: Select["state"], readonly orm: OrmState) {
    super(state);
  }

  private withOrm(patch: Partial<OrmState>): this {
    const copy = this.generate({});
    (copy as { orm: OrmState }).orm = freeze({ ...this.orm, ...patch });
    return copy;
  }

  /**
   * Loader options: selectinload(User.orders), joinedload(Order.user), raiseload("*"), ...
   * The result's type gains the relationships they load (typing/loaded.ts).
   */
  options<const L extends readonly AnyLoad[]>(...loads: ApplicableOptions<L, SelectedTables<Row>>): EntitySelect<LoadRow<Row, SpecOf<L>>> {
    // ApplicableOptions<L, ...> is L once the call compiled.
    const checked = loads as unknown as readonly AnyLoad[];
    checked.forEach((l, i) => {
      if (!(l instanceof Load)) throw new ArgumentError(`options() argument ${i + 1} is ${describeValue(l)}; expected a loader option such as selectinload(User.orders).`);
    });
    // A statement of columns only never reaches the loaders (session.execute runs it as Core), so
    // an option starting at a relationship would do nothing: refused, as SQLAlchemy does and as
    // the types do (typing/applicable.ts).
    if (!this.orm.items.some((item) => item.kind === "entity")) {
      const first = checked.map((l) => l.steps[0]).find((step) => step !== undefined && step.attribute !== "*");
      if (first !== undefined && first.attribute !== "*") {
        throw new ArgumentError(
          `Loader option for ${first.attribute.description} does not apply: the statement selects no entity, only columns. ` +
            `Select the entity (select(${first.attribute.parent.mapper.name})) to load its relationships.`,
        );
      }
    }
    return this.withOrm({ options: [...this.orm.options, ...checked] }) as unknown as EntitySelect<LoadRow<Row, SpecOf<L>>>;
  }

  /** Overwrite attributes of objects already in the identity map with the fetched rows. */
  populateExisting(): this {
    return this.withOrm({ populateExisting: true });
  }

  executionOptions(options: { populateExisting?: boolean }): this {
    return options.populateExisting === undefined ? this : this.withOrm({ populateExisting: options.populateExisting });
  }

  /**
   * INNER JOIN along a relationship (`join(User.orders)`, `join(User.orders.of(alias))`), or to an
   * entity, alias or table with an explicit ON clause (`join(Order, Order.userId.eq(User.id))`).
   */
  override join(target: JoinTarget | RelationshipAttribute, on?: Predicate): this {
    return this.ormJoin(target, on, "inner");
  }

  override outerjoin(target: JoinTarget | RelationshipAttribute, on?: Predicate): this {
    return this.ormJoin(target, on, "left");
  }

  private ormJoin(target: JoinTarget | RelationshipAttribute, on: Predicate | undefined, type: "inner" | "left"): this {
    if (isRelationshipAttribute(target)) {
      const rel = target.property;
      const targetEntity = target.targetEntity ?? rel.target.entity;
      const criteria = on === undefined ? target.criteria : target.criteria ? and(target.criteria, on) : on;
      const step = relationshipJoin(rel, target.parent.fromNode, targetEntity.fromNode, criteria);
      return this.joinNode(step.right, step.on, type);
    }
    if (on === undefined) {
      throw new ArgumentError(`join(${describeValue(target)}) needs an ON clause: pass a relationship (join(User.orders)) or a condition as the second argument.`);
    }
    return this.joinNode(joinTargetNode(target), on.node, type);
  }

  protected override implicitFrom(): FromNode {
    const first = this.orm.items.find((i) => i.kind === "entity");
    if (first !== undefined && first.kind === "entity") return first.entity.fromNode;
    return super.implicitFrom();
  }

  /** As a subquery or in exists(): the entities' columns are spelled out. */
  override toSelectNode(): SelectNode {
    const columns = this.orm.items.flatMap((item) => (item.kind === "entity" ? item.entity.columns().map((c) => c.node) : [item.expr.node]));
    return freeze({ kind: "select", ...this.state, columns });
  }
}

function joinTargetNode(target: JoinTarget): FromNode {
  const entity = (target as Partial<EntityStatics>)[ENTITY];
  if (entity !== undefined) return entity.fromNode;
  if (target instanceof Table || target instanceof TableAlias || target instanceof Subquery) return target.node;
  throw new ArgumentError(`join() target must be an entity, alias, table or subquery, got ${describeValue(target)}.`);
}

/**
 * `select(User)`, `select(User, Order)`, `select(User.id, User.email)`, `select(User, func.count(...))`.
 * Entities come back as objects (the same object per row per session), expressions as values.
 */
export function select<const Items extends readonly (MappedClass | EntityStatics | Expression)[]>(...items: Items): EntitySelect<RowOf<Items>> {
  if (items.length === 0) throw new ArgumentError("select() needs at least one entity or column.");
  const selectItems = items.map((item, i): SelectItem => {
    const entity = item === null || item === undefined ? undefined : (item as Partial<EntityStatics>)[ENTITY];
    if (entity !== undefined) return { kind: "entity", entity };
    if (item instanceof Expression) return { kind: "expression", expr: item };
    throw new ArgumentError(`select() argument ${i + 1} is ${describeValue(item)}; expected an entity class or a column expression.`);
  });
  return new EntitySelect<RowOf<Items>>(emptySelectState, freeze({ items: selectItems, options: [], populateExisting: false }));
}
