/** `aliased(Order)`: the same entity under another name, so a table can appear twice in a query. */
import { freeze, nextAliasId, type AliasNode } from "../../core/sql/nodes.js";
import { ENTITY, entityOf, type EntityStatics, type MappedClass } from "../mapping/declarative.js";
import { InstrumentedColumn, RelationshipAttribute, type EntityLike } from "../mapping/instrumented.js";
import type { Mapper } from "../mapping/mapper.js";
import type { AliasOf } from "../typing/brand.js";

export class AliasedEntity implements EntityLike {
  readonly fromNode: AliasNode;
  private readonly cols: InstrumentedColumn[];
  constructor(readonly mapper: Mapper, name: string | undefined) {
    this.fromNode = freeze({ kind: "alias", of: mapper.table.node, name, id: nextAliasId() });
    this.cols = mapper.columns.map((c) => new InstrumentedColumn(c.spec, this.fromNode, mapper, c.key));
  }
  columns(): readonly InstrumentedColumn[] {
    return this.cols;
  }
}

/**
 * The alias has the class's attributes (columns and relationships) bound to the alias, typed as
 * the class's: `alias.orders` starts a loader option at the same entity as `User.orders`, so
 * options through the alias type the result the same way. `AliasOf` carries the instance type,
 * which is what `select(alias)` returns.
 */
export type Aliased<C extends MappedClass> = { readonly [K in keyof C]: C[K] } & EntityStatics & AliasOf<InstanceOf<C>>;

type InstanceOf<C> = C extends abstract new (...args: never[]) => infer I ? I : never;

export function aliased<C extends MappedClass>(cls: C, name?: string): Aliased<C> {
  const entity = entityOf(cls, "aliased()");
  const alias = new AliasedEntity(entity.mapper, name);
  const out: Record<string | symbol, unknown> = { [ENTITY]: alias };
  alias.columns().forEach((col) => (out[col.key] = col));
  for (const rel of entity.mapper.relationshipDeclarations) out[rel.key] = new RelationshipAttribute(alias, rel.key);
  return Object.freeze(out) as unknown as Aliased<C>;
}
