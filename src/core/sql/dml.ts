/** INSERT, UPDATE and DELETE statements: immutable builders over Core tables. */
import { ArgumentError } from "../errors.js";
import type { Table } from "../schema/table.js";
import { coerceOperand, describeValue, Expression, type Predicate } from "./expression.js";
import { freeze, type BindNode, type DeleteNode, type ExprNode, type InsertNode, type UpdateNode } from "./nodes.js";
import { and } from "./operators.js";
import { castName, types, type SqlType } from "./types.js";
import { convertColumn, type BindTarget } from "../types/convert.js";

type Values = Readonly<Record<string, unknown>>;

function checkColumn(table: Table, name: string, verb: string): SqlType {
  const col = table.columns.find((c) => c.name === name);
  if (!col) throw new ArgumentError(`${verb} ${table.name}: no column "${name}" (it has ${table.columns.map((c) => c.name).join(", ")}).`);
  return col.type;
}

function returningNodes(table: Table, columns: readonly (string | Expression)[]): ExprNode[] {
  return columns.map((c) => (c instanceof Expression ? c.node : table.column(c).node));
}

const DEFAULT: ExprNode = freeze({ kind: "literal", sql: "DEFAULT" });

export class Insert {
  constructor(readonly node: InsertNode, private readonly table: Table) {}

  /**
   * Rows as objects keyed by SQL column name. Every row gets every column that any row names;
   * a row that leaves one out gets DEFAULT. An `undefined` value is an error, never a silent NULL.
   */
  values(rows: Values | readonly Values[]): Insert {
    const list = Array.isArray(rows) ? (rows as readonly Values[]) : [rows as Values];
    if (list.length === 0) throw new ArgumentError(`insert(${this.table.name}).values(): no rows given.`);
    const columns: string[] = [];
    for (const row of list) for (const key of Object.keys(row)) if (!columns.includes(key)) columns.push(key);
    const typesByColumn = columns.map((c) => checkColumn(this.table, c, "insert into"));
    const nodeRows = list.map((row, r) =>
      columns.map((c, i) => {
        if (!(c in row)) return DEFAULT;
        const v = row[c];
        if (v === undefined) throw new ArgumentError(`insert into ${this.table.name}: row ${r + 1} column "${c}" is undefined; use null for NULL or leave the key out for the default.`);
        return coerceOperand(v, typesByColumn[i], `insert into ${this.table.name}`, this.target(c, list.length > 1 ? r : -1));
      }),
    );
    return new Insert(freeze({ ...this.node, columns, rows: nodeRows, unnest: undefined }), this.table);
  }

  /**
   * Bulk rows as `INSERT ... SELECT * FROM unnest($1::type[], ...)`: `columns` lists the SQL
   * column names, `arrays` one array per column (all the same length).
   */
  fromArrays(columns: readonly string[], arrays: readonly (readonly unknown[])[]): Insert {
    if (columns.length !== arrays.length) throw new ArgumentError(`insert into ${this.table.name}: ${columns.length} columns but ${arrays.length} arrays.`);
    const length = arrays[0]?.length ?? 0;
    const unnest = columns.map((c, i): BindNode => {
      const type = checkColumn(this.table, c, "insert into");
      if (castName(type).endsWith("[]")) {
        // unnest() flattens a 2-D array into scalars, so array columns cannot go through it.
        throw new ArgumentError(`insert into ${this.table.name}: column "${c}" is an array (${type.sql}), which fromArrays() cannot insert; use values() for this table.`);
      }
      const values = arrays[i]!;
      if (values.length !== length) throw new ArgumentError(`insert into ${this.table.name}: column "${c}" has ${values.length} values, the first has ${length}.`);
      const missing = values.indexOf(undefined);
      if (missing >= 0) throw new ArgumentError(`insert into ${this.table.name}: column "${c}" value ${missing + 1} is undefined; use null for NULL.`);
      const encoded = convertColumn(type, values, this.target(c, -1));
      return freeze({ kind: "bind", value: encoded, type: types.array({ sql: castName(type) }), key: undefined });
    });
    return new Insert(freeze({ ...this.node, columns: [...columns], rows: [], unnest }), this.table);
  }

  /** How an InvalidValueError names column `column` (of row `row`, 0-based, when several are given). */
  private target(column: string, row: number): BindTarget {
    return { target: `${this.table.name}.${column}`, table: this.table.name, column, row: row >= 0 ? row + 1 : undefined };
  }

  returning(...columns: (string | Expression)[]): Insert {
    return new Insert(freeze({ ...this.node, returning: returningNodes(this.table, columns), returningArrays: false }), this.table);
  }

  /**
   * Like returning(), but the result is one row holding one array per column, each in insert
   * order (`array_agg` over the inserted rows). A bulk insert then sends back one row instead of
   * one per inserted row; the statement is still one statement. Array-typed columns cannot be
   * collected this way (array_agg would need every array to have the same length); use returning().
   */
  returningArrays(...columns: (string | Expression)[]): Insert {
    if (columns.length === 0) throw new ArgumentError(`insert into ${this.table.name}: returningArrays() needs at least one column.`);
    for (const c of columns) {
      const type = c instanceof Expression ? c.sqlType : checkColumn(this.table, c, "insert into");
      if (type !== undefined && castName(type).endsWith("[]")) {
        const name = c instanceof Expression ? c.description : `column "${c}"`;
        throw new ArgumentError(`insert into ${this.table.name}: ${name} is an array (${type.sql}), which returningArrays() cannot collect; use returning() for it.`);
      }
    }
    return new Insert(freeze({ ...this.node, returning: returningNodes(this.table, columns), returningArrays: true }), this.table);
  }
}

export class Update {
  constructor(readonly node: UpdateNode, private readonly table: Table) {}

  set(values: Values): Update {
    const set = Object.entries(values).map(([c, v]): readonly [string, ExprNode] => {
      const type = checkColumn(this.table, c, "update");
      if (v === undefined) throw new ArgumentError(`update ${this.table.name}: column "${c}" is undefined; use null for NULL or leave it out.`);
      return [c, coerceOperand(v, type, `update ${this.table.name}`, { target: `${this.table.name}.${c}`, table: this.table.name, column: c })];
    });
    if (set.length === 0) throw new ArgumentError(`update ${this.table.name}: set() needs at least one column.`);
    return new Update(freeze({ ...this.node, set: [...this.node.set, ...set] }), this.table);
  }

  where(...conditions: Predicate[]): Update {
    const all = this.node.where ? [new Expression<boolean>(this.node.where), ...conditions] : conditions;
    return new Update(freeze({ ...this.node, where: and(...all).node }), this.table);
  }

  returning(...columns: (string | Expression)[]): Update {
    return new Update(freeze({ ...this.node, returning: returningNodes(this.table, columns) }), this.table);
  }
}

export class Delete {
  constructor(readonly node: DeleteNode, private readonly table: Table) {}

  where(...conditions: Predicate[]): Delete {
    const all = this.node.where ? [new Expression<boolean>(this.node.where), ...conditions] : conditions;
    return new Delete(freeze({ ...this.node, where: and(...all).node }), this.table);
  }

  returning(...columns: (string | Expression)[]): Delete {
    return new Delete(freeze({ ...this.node, returning: returningNodes(this.table, columns) }), this.table);
  }
}

function checkTable(table: unknown, verb: string): Table {
  if (typeof table !== "object" || table === null || !("columns" in table) || !("node" in table)) {
    throw new ArgumentError(`${verb}() expects a Table, got ${describeValue(table)}.`);
  }
  return table as Table;
}

export function insert(table: Table): Insert {
  const t = checkTable(table, "insert");
  return new Insert(freeze({ kind: "insert", table: t.node, columns: [], rows: [], unnest: undefined, returning: [], returningArrays: false }), t);
}

export function update(table: Table): Update {
  const t = checkTable(table, "update");
  return new Update(freeze({ kind: "update", table: t.node, set: [], where: undefined, returning: [] }), t);
}

/** DELETE FROM table. Without where() it deletes every row, as SQL does; that is never implied by an undefined filter. */
export function delete_(table: Table): Delete {
  const t = checkTable(table, "delete");
  return new Delete(freeze({ kind: "delete", table: t.node, where: undefined, returning: [] }), t);
}
