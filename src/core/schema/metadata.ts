/** A collection of tables that can be created and dropped together, in foreign-key order. */
import { quoteIdentifier as q } from "../compiler/identifiers.js";
import { ArgumentError } from "../errors.js";
import { isEnumType } from "../sql/types.js";
import { topologicalSort } from "../util/topological-sort.js";
import { createEnumSql, createIndexSql, createTableSql } from "./ddl.js";
import type { Table } from "./table.js";

/** The one thing DDL needs from an engine or connection. */
export interface Executor {
  execute(statement: { sql: string; params: readonly unknown[] }): Promise<unknown>;
}

export class MetaData {
  private readonly byName = new Map<string, Table>();

  add(table: Table): Table {
    const existing = this.byName.get(table.name);
    if (existing !== undefined && existing !== table) {
      throw new ArgumentError(`Table "${table.name}" is already defined in this MetaData.`);
    }
    this.byName.set(table.name, table);
    return table;
  }

  get tables(): readonly Table[] {
    return [...this.byName.values()];
  }

  table(name: string): Table {
    const t = this.byName.get(name);
    if (!t) throw new ArgumentError(`No table "${name}" in this MetaData (it has ${[...this.byName.keys()].join(", ") || "none"}).`);
    return t;
  }

  hasTable(name: string): boolean {
    return this.byName.has(name);
  }

  /** Tables ordered so every table comes after the tables its foreign keys reference. */
  sortedTables(): Table[] {
    return topologicalSort(this.tables, (t) =>
      t.columns.flatMap((c) => {
        const target = c.foreignKey?.target.split(".")[0];
        const dep = target === undefined ? undefined : this.byName.get(target);
        return dep ? [dep] : [];
      }),
    );
  }

  /** The DDL `createAll` runs, in order: enum types, tables, indexes. */
  createStatements(): string[] {
    const tables = this.sortedTables();
    const enums = new Map<string, string>();
    for (const t of tables) for (const c of t.columns) if (isEnumType(c.type)) enums.set(c.type.enumName, createEnumSql(c.type));
    const lookup = (name: string): Table | undefined => this.byName.get(name);
    return [...enums.values(), ...tables.map((t) => createTableSql(t, lookup)), ...tables.flatMap(createIndexSql)];
  }

  /** CREATE every table that does not exist yet (and its enum types and indexes). */
  async createAll(executor: Executor): Promise<void> {
    for (const sql of this.createStatements()) await executor.execute({ sql, params: [] });
  }

  /** DROP every table of this MetaData that exists, dependents first, then the enum types. */
  async dropAll(executor: Executor): Promise<void> {
    const tables = this.sortedTables().reverse();
    for (const t of tables) await executor.execute({ sql: `DROP TABLE IF EXISTS ${qualified(t)}`, params: [] });
    const enums = new Set<string>();
    for (const t of tables) for (const c of t.columns) if (isEnumType(c.type)) enums.add(c.type.enumName);
    for (const name of enums) await executor.execute({ sql: `DROP TYPE IF EXISTS ${q(name)}`, params: [] });
  }
}

function qualified(t: Table): string {
  return t.options.schema ? `${q(t.options.schema)}.${q(t.name)}` : q(t.name);
}
