/**
 * The registry behind a declarative base: every entity's mapper by name, the association tables,
 * and the one-time configuration that resolves relationship targets by name.
 */
import { MetaData } from "../../core/schema/metadata.js";
import { MappingError } from "../errors.js";
import { analyseJoin } from "./relationship-analysis.js";
import type { Mapper, RelationshipProperty } from "./mapper.js";
import { keepShapes } from "./shapes.js";

export class Registry {
  readonly metadata = new MetaData();
  readonly mappers: Mapper[] = [];
  private readonly byName = new Map<string, Mapper>();
  private configured = false;

  addMapper(mapper: Mapper): void {
    this.mappers.push(mapper);
    this.configured = false;
  }

  name(mapper: Mapper, name: string): void {
    const existing = this.byName.get(name);
    if (existing !== undefined && existing !== mapper) throw new MappingError(`Two entities are registered as "${name}".`);
    mapper.name = name;
    this.byName.set(name, mapper);
  }

  mapper(name: string, from: string): Mapper {
    const mapper = this.byName.get(name);
    if (!mapper) {
      throw new MappingError(
        `${from} refers to entity "${name}", which is not registered. Register every entity class with ` +
          `Base.register({ ${[...this.byName.keys(), name].join(", ")} }) after declaring them.`,
      );
    }
    return mapper;
  }

  /** Resolves every relationship of every mapper (once; again after new entities are added). */
  configure(): void {
    if (this.configured) return;
    const unnamed = this.mappers.filter((m) => m.name === "");
    if (unnamed.length > 0) {
      throw new MappingError(
        `The entities for tables ${unnamed.map((m) => `"${m.table.name}"`).join(", ")} are not registered: ` +
          `call Base.register({ User, Order, ... }) with every entity class after declaring them.`,
      );
    }
    const resolved = new Map<Mapper, RelationshipProperty[]>();
    for (const mapper of this.mappers) {
      resolved.set(mapper, mapper.relationshipDeclarations.map((decl, index) => {
        const from = `${mapper.name}.${decl.key}`;
        const target = this.mapper(decl.targetName, from);
        const secondary = decl.options.secondary === undefined ? undefined : this.metadata.table(decl.options.secondary);
        const join = analyseJoin(mapper, target, decl, secondary);
        return {
          key: decl.key, index, parent: mapper, target,
          direction: join.direction,
          uselist: decl.many,
          lazy: decl.options.lazy ?? "select",
          options: decl.options,
          pairs: join.pairs,
          secondary,
          secondaryPairs: join.secondaryPairs,
          back: undefined,
          description: from,
        };
      }));
    }
    // Link each side to its backPopulates partner, checking that both sides agree.
    for (const [mapper, rels] of resolved) {
      for (const rel of rels) {
        const backKey = rel.options.backPopulates;
        if (backKey === undefined) continue;
        const back = resolved.get(rel.target)?.find((r) => r.key === backKey);
        if (!back) throw new MappingError(`${mapper.name}.${rel.key} has backPopulates: "${backKey}", but ${rel.target.name} has no relationship "${backKey}".`);
        if (back.target !== mapper) throw new MappingError(`${mapper.name}.${rel.key} and ${rel.target.name}.${backKey} do not point at each other.`);
        (rel as { back: RelationshipProperty | undefined }).back = back;
      }
    }
    for (const [mapper, rels] of resolved) mapper.setRelationships(rels);
    for (const mapper of this.mappers) keepShapes(mapper);
    this.configured = true;
  }
}
