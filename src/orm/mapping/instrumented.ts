/**
 * Class-level attributes: `User.email` is a column expression that also knows its entity;
 * `User.orders` is a relationship attribute usable in joins and loader options.
 */
import { ColumnExpression, type ColumnSpec } from "../../core/schema/table.js";
import { describeValue, Expression, type Predicate } from "../../core/sql/expression.js";
import { ArgumentError } from "../../core/errors.js";
import type { BindTarget } from "../../core/types/convert.js";
import { ENTITY } from "./entity-key.js";
import type { AliasNode, TableNode } from "../../core/sql/nodes.js";
import { and } from "../../core/sql/operators.js";
import type { Mapper, RelationshipProperty } from "./mapper.js";
import type { AliasOf } from "../typing/brand.js";

export class InstrumentedColumn<T = unknown> extends ColumnExpression<T> {
  constructor(
    spec: ColumnSpec<T>,
    from: TableNode | AliasNode,
    readonly mapper: Mapper,
    readonly key: string,
  ) {
    super(spec, from, `${mapper.table.name}.${key}`);
  }
  // Derived on demand: the mapper's name is known only after register().
  override get description(): string {
    return `${this.mapper.name || this.mapper.table.name}.${this.key}`;
  }
  // A value the column's type refuses is reported as `Entity.attribute` (InvalidValueError).
  protected override bindTarget(): BindTarget {
    return { ...super.bindTarget(), entity: this.mapper.name, attribute: this.key };
  }
}

/** Where a relationship attribute starts (the entity or an alias of it) and ends (optionally an alias). */
export interface EntityLike {
  readonly mapper: Mapper;
  /** The FROM node the entity's columns come from: its table, or an alias. */
  readonly fromNode: TableNode | AliasNode;
  /** The entity's columns bound to that FROM node, in mapper order. */
  columns(): readonly InstrumentedColumn[];
}

export class RelationshipAttribute<Owner = unknown, Target = unknown, Many extends boolean = boolean, Key extends string = string> {
  declare readonly __owner?: Owner;
  declare readonly __target?: Target;
  declare readonly __many?: Many;
  declare readonly __key?: Key;
  readonly kind = "relationship-attribute" as const;
  constructor(
    readonly parent: EntityLike,
    readonly key: string,
    /** Extra criteria for the loaded or joined rows (`User.orders.and(Order.total.gt(100))`). */
    readonly criteria: Predicate | undefined = undefined,
    /** Join or load into this alias of the target instead of its table (`User.orders.of(o)`). */
    readonly targetEntity: EntityLike | undefined = undefined,
  ) {}

  get property(): RelationshipProperty {
    return this.parent.mapper.relationship(this.key);
  }

  get description(): string {
    return `${this.parent.mapper.name}.${this.key}`;
  }

  /** Narrow the related rows: joins get the condition in ON, loaders in WHERE. */
  and(...conditions: Predicate[]): RelationshipAttribute<Owner, Target, Many, Key> {
    const all = this.criteria ? [this.criteria, ...conditions] : conditions;
    return new RelationshipAttribute(this.parent, this.key, and(...all), this.targetEntity);
  }

  /**
   * Join to, or load into, an alias of the target (`User.orders.of(aliased(Order))`: SQLAlchemy's
   * of_type). An alias of another entity does not compile (`AliasOf`), and is refused at run time.
   */
  of(alias: { readonly [ENTITY]: EntityLike } & AliasOf<Target>): RelationshipAttribute<Owner, Target, Many, Key> {
    const entity = (alias as Partial<{ readonly [ENTITY]: EntityLike }> | null)?.[ENTITY];
    if (entity === undefined) throw new ArgumentError(`${this.description}.of() expects an alias made with aliased(...), got ${describeValue(alias)}.`);
    if (entity.mapper !== this.property.target) {
      throw new ArgumentError(`${this.description}.of(): the alias is of ${entity.mapper.name}, but ${this.description} leads to ${this.property.target.name}.`);
    }
    return new RelationshipAttribute(this.parent, this.key, this.criteria, entity);
  }
}

export function isRelationshipAttribute(value: unknown): value is RelationshipAttribute {
  return value instanceof RelationshipAttribute;
}

export function isExpression(value: unknown): value is Expression {
  return value instanceof Expression;
}
