/**
 * The mapper of an entity: its table, its column properties in a fixed order (the order of the
 * values array every instance carries), and its relationships, analysed lazily once every
 * entity of the registry is known (targets are named by string).
 */
import type { ColumnSpec, Table } from "../../core/schema/table.js";
import { MappingError } from "../errors.js";
import type { EntityLike, InstrumentedColumn } from "./instrumented.js";
import type { LazyMode, RelationshipOptions } from "./relationship-spec.js";
import type { Registry } from "./registry.js";

export interface ColumnProperty {
  /** Property name on the entity (camelCase). */
  readonly key: string;
  readonly spec: ColumnSpec;
  /** Position in the instance's values array and in the mapper's select list. */
  readonly index: number;
  readonly attribute: InstrumentedColumn;
}

export type Direction = "many-to-one" | "one-to-many" | "many-to-many";

/** A resolved relationship: which columns join the two sides, and how. */
export interface RelationshipProperty {
  readonly key: string;
  readonly index: number;
  readonly parent: Mapper;
  readonly target: Mapper;
  readonly direction: Direction;
  /** true for collections (arrays), false for single objects (T | null). */
  readonly uselist: boolean;
  readonly lazy: LazyMode;
  readonly options: RelationshipOptions;
  /**
   * Column pairs. many-to-one: [parent FK column, target key column]; one-to-many: [parent key
   * column, target FK column]; many-to-many: [parent key column, secondary column] and
   * `secondaryPairs` [secondary column, target key column].
   */
  readonly pairs: readonly (readonly [ColumnSpec, ColumnSpec])[];
  readonly secondary: Table | undefined;
  readonly secondaryPairs: readonly (readonly [ColumnSpec, ColumnSpec])[];
  /** The other side, when `backPopulates` names one. */
  readonly back: RelationshipProperty | undefined;
  readonly description: string;
}

export interface RelationshipDeclaration {
  readonly key: string;
  readonly targetName: string;
  readonly many: boolean;
  readonly options: RelationshipOptions;
}

export class Mapper {
  /** The registered entity name ("User"); set by `Base.register`. */
  name = "";
  /** The class instances are made of: the user's subclass once registered. */
  cls: (abstract new (...args: never[]) => object) | undefined;
  /** The entity itself as a FROM item (its table), set when the entity is declared. */
  entity!: EntityLike;
  readonly columns: ColumnProperty[] = [];
  readonly columnsByKey = new Map<string, ColumnProperty>();
  readonly columnsByName = new Map<string, ColumnProperty>();
  readonly primaryKey: ColumnProperty[] = [];
  private resolved: RelationshipProperty[] | undefined;

  constructor(
    readonly table: Table,
    readonly registry: Registry,
    readonly relationshipDeclarations: readonly RelationshipDeclaration[],
  ) {}

  addColumn(key: string, spec: ColumnSpec, attribute: InstrumentedColumn): ColumnProperty {
    const prop: ColumnProperty = { key, spec, index: this.columns.length, attribute };
    this.columns.push(prop);
    this.columnsByKey.set(key, prop);
    this.columnsByName.set(spec.name, prop);
    if (spec.primaryKey) this.primaryKey.push(prop);
    return prop;
  }

  get relationships(): readonly RelationshipProperty[] {
    if (this.resolved === undefined) this.registry.configure();
    return this.resolved!;
  }

  relationship(key: string): RelationshipProperty {
    const rel = this.relationships.find((r) => r.key === key);
    if (!rel) {
      const known = this.relationships.map((r) => r.key).join(", ") || "none";
      throw new MappingError(`${this.name}.${key} is not a relationship of ${this.name} (its relationships: ${known}).`);
    }
    return rel;
  }

  columnFor(spec: ColumnSpec): ColumnProperty {
    const prop = this.columnsByName.get(spec.name);
    if (!prop) throw new MappingError(`Column "${spec.name}" is not mapped on ${this.name}.`);
    return prop;
  }

  /** Called by the registry once all entities are known. */
  setRelationships(rels: RelationshipProperty[]): void {
    this.resolved = rels;
  }

  get isConfigured(): boolean {
    return this.resolved !== undefined;
  }

  toString(): string {
    return this.name;
  }
}
