/** CREATE TABLE / TYPE / INDEX text for PostgreSQL. */
import { quoteIdentifier as q } from "../compiler/identifiers.js";
import type { EnumType, SqlType } from "../sql/types.js";
import type { ColumnSpec, Table } from "./table.js";

function literal(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

export function createEnumSql(type: SqlType & EnumType): string {
  // CREATE TYPE has no IF NOT EXISTS; the DO block makes createAll idempotent like CREATE TABLE IF NOT EXISTS.
  return `DO $$ BEGIN CREATE TYPE ${q(type.enumName)} AS ENUM (${type.enumValues.map(literal).join(", ")}); ` +
    `EXCEPTION WHEN duplicate_object THEN NULL; END $$`;
}

function columnSql(table: Table, col: ColumnSpec): string {
  let sql = `${q(col.name)} ${col.type.sql}`;
  if (!col.nullable) sql += " NOT NULL";
  if (col.serverDefault !== undefined) sql += ` DEFAULT ${col.serverDefault}`;
  if (col.unique) sql += " UNIQUE";
  if (col.foreignKey) {
    const [t, c] = col.foreignKey.target.split(".");
    sql += ` REFERENCES ${q(t!)} (${q(c ?? table.primaryKey[0]?.name ?? "id")})`;
    if (col.foreignKey.onDelete) sql += ` ON DELETE ${col.foreignKey.onDelete}`;
  }
  return sql;
}

export function createTableSql(table: Table): string {
  const parts = table.columns.map((c) => columnSql(table, c));
  if (table.primaryKey.length > 0) parts.push(`PRIMARY KEY (${table.primaryKey.map((c) => q(c.name)).join(", ")})`);
  for (const u of table.options.unique ?? []) parts.push(`UNIQUE (${u.map(q).join(", ")})`);
  const name = table.options.schema ? `${q(table.options.schema)}.${q(table.name)}` : q(table.name);
  return `CREATE TABLE IF NOT EXISTS ${name} (${parts.join(", ")})`;
}

export function createIndexSql(table: Table): string[] {
  const single = table.columns.filter((c) => c.index).map((c) => [c.name]);
  return [...single, ...(table.options.indexes ?? [])].map(
    (cols) => `CREATE INDEX IF NOT EXISTS ${q(`ix_${table.name}_${cols.join("_")}`)} ON ${q(table.name)} (${cols.map(q).join(", ")})`,
  );
}
