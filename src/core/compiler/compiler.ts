/**
 * Compiles statement trees to PostgreSQL text with `$n` parameters. Values are always bound, never
 * inlined; identifiers are quoted where needed. Compilation is cached per statement tree (trees are
 * frozen, so the cache is keyed by identity): a statement built once and executed many times,
 * like every loader query, is compiled once, and its values come from `bindParams` each time.
 */
import { ArgumentError, CompileError } from "../errors.js";
import type {
  AliasNode, BindNode, ExprNode, FromNode, Node, NodeKind, OrderByNode, SelectNode, StatementNode, TableNode,
} from "../sql/nodes.js";
import { outputNames } from "../sql/select.js";
import { castName } from "../sql/types.js";
import { convertValue } from "../types/convert.js";
import { quoteIdentifier as q } from "./identifiers.js";
import { lintFroms } from "./from-linter.js";

export interface CompiledTemplate {
  readonly sql: string;
  /** One entry per `$n`, in order. */
  readonly binds: readonly BindNode[];
}

const cache = new WeakMap<StatementNode, CompiledTemplate>();

export function compile(statement: StatementNode): CompiledTemplate {
  let compiled = cache.get(statement);
  if (compiled === undefined) {
    const state = new CompileState();
    const sql = render(statement, state);
    compiled = Object.freeze({ sql, binds: state.binds });
    cache.set(statement, compiled);
  }
  return compiled;
}

/** The parameter values for one execution; named binds (`bindparam`) come from `values`. */
export function bindParams(template: CompiledTemplate, values?: Readonly<Record<string, unknown>>): unknown[] {
  const params = new Array<unknown>(template.binds.length);
  for (let i = 0; i < template.binds.length; i++) {
    const bind = template.binds[i]!;
    let value = bind.value;
    if (bind.key !== undefined) {
      if (values === undefined || !(bind.key in values)) {
        throw new ArgumentError(`No value for bind parameter "${bind.key}": pass it in the values of execute().`);
      }
      value = values[bind.key];
      if (value === undefined) throw new ArgumentError(`Bind parameter "${bind.key}" is undefined; use null for NULL.`);
      // Values written into the statement were converted when it was built (coerceOperand).
      value = convertValue(bind.type, value, `bindparam("${bind.key}")`);
    }
    params[i] = value;
  }
  return params;
}

class CompileState {
  readonly binds: BindNode[] = [];
  private readonly aliasNames = new Map<number, string>();
  private readonly aliasCounters = new Map<string, number>();
  /** FROM items of the enclosing queries: a subquery that references them correlates instead of adding them. */
  readonly outerFroms: Set<TableNode | AliasNode>[] = [];

  bind(node: BindNode): string {
    this.binds.push(node);
    return `$${this.binds.length}`;
  }

  aliasName(alias: AliasNode): string {
    if (alias.name !== undefined) return q(alias.name);
    let name = this.aliasNames.get(alias.id);
    if (name === undefined) {
      const base = alias.of.kind === "table" ? alias.of.name : "anon";
      const n = (this.aliasCounters.get(base) ?? 0) + 1;
      this.aliasCounters.set(base, n);
      name = q(`${base}_${n}`);
      this.aliasNames.set(alias.id, name);
    }
    return name;
  }
}

type Renderers = { [K in NodeKind]: (node: Extract<Node, { kind: K }>, state: CompileState) => string };

function render(node: Node, state: CompileState): string {
  return (renderers[node.kind] as (n: Node, s: CompileState) => string)(node, state);
}

function tableName(table: TableNode): string {
  return table.schema === undefined ? q(table.name) : `${q(table.schema)}.${q(table.name)}`;
}

function list(nodes: readonly Node[], state: CompileState): string {
  return nodes.map((n) => render(n, state)).join(", ");
}

/** Wraps an operand in parentheses when its own precedence could change the meaning. */
function operand(node: ExprNode, state: CompileState): string {
  const sql = render(node, state);
  const inner = node.kind === "label" ? node.expr : node;
  return inner.kind === "boolean-list" || inner.kind === "binary" ? `(${sql})` : sql;
}

const renderers: Renderers = {
  table: (node) => tableName(node),
  alias: (node, state) => {
    if (node.of.kind === "table") return `${tableName(node.of)} AS ${state.aliasName(node)}`;
    // A derived table is not LATERAL: it cannot see the enclosing query's FROM items, so it never
    // correlates to them (subqueryload's `(SELECT nodes.id FROM nodes) AS anon_1 JOIN nodes`).
    // The enclosing scopes are emptied, not removed: the derived table is still a subquery.
    const outer = state.outerFroms.splice(0);
    state.outerFroms.push(...outer.map(() => new Set<TableNode | AliasNode>()));
    try {
      return `(${render(node.of, state)}) AS ${state.aliasName(node)}`;
    } finally {
      state.outerFroms.splice(0, state.outerFroms.length, ...outer);
    }
  },
  join: (node, state) => {
    const right = node.right.kind === "join" ? `(${render(node.right, state)})` : render(node.right, state);
    const keyword = node.type === "left" ? "LEFT OUTER JOIN" : "JOIN";
    return `${render(node.left, state)} ${keyword} ${right} ON ${render(node.on, state)}`;
  },
  column: (node, state) => {
    const owner = node.from.kind === "table" ? tableName(node.from) : state.aliasName(node.from);
    return `${owner}.${q(node.name)}`;
  },
  bind: (node, state) => state.bind(node),
  literal: (node) => node.sql,
  binary: (node, state) => `${operand(node.left, state)} ${node.op} ${operand(node.right, state)}`,
  "boolean-list": (node, state) =>
    node.items.map((item) => (item.kind === "boolean-list" ? `(${render(item, state)})` : render(item, state))).join(` ${node.op} `),
  unary: (node, state) => {
    switch (node.op) {
      case "IS NULL":
      case "IS NOT NULL":
        return `${operand(node.operand, state)} ${node.op}`;
      case "NOT":
        return `NOT (${render(node.operand, state)})`;
      case "-":
        return `-${operand(node.operand, state)}`;
      default:
        return `${node.op} ${render(node.operand, state)}`;
    }
  },
  "in-list": (node, state) => {
    // An empty IN is legal and false (NOT IN: true), as SQLAlchemy renders it; never "no condition".
    if (node.items.length === 0) return node.negate ? "(1 = 1)" : "(1 != 1)";
    return `${operand(node.expr, state)} ${node.negate ? "NOT IN" : "IN"} (${list(node.items, state)})`;
  },
  "any-array": (node, state) =>
    node.negate ? `${operand(node.expr, state)} <> ALL(${render(node.array, state)})` : `${operand(node.expr, state)} = ANY(${render(node.array, state)})`,
  "tuple-in": (node, state) => {
    const arrays = node.arrays.map((a) => `${render(a, state)}::${castName(elementType(a))}`).join(", ");
    return `(${list(node.exprs, state)}) IN (SELECT * FROM unnest(${arrays}))`;
  },
  between: (node, state) =>
    `${operand(node.expr, state)} ${node.negate ? "NOT BETWEEN" : "BETWEEN"} ${operand(node.low, state)} AND ${operand(node.high, state)}`,
  function: (node, state) => `${node.name}(${node.distinct ? "DISTINCT " : ""}${list(node.args, state)})`,
  cast: (node, state) => `CAST(${render(node.expr, state)} AS ${castName(node.type)})`,
  // `expr AS name` only in a SELECT or RETURNING list (see selectItem); anywhere else (WHERE,
  // GROUP BY, ORDER BY, HAVING, an operand) a label stands for its expression.
  label: (node, state) => render(node.expr, state),
  "scalar-subquery": (node, state) => `(${render(node.select, state)})`,
  grouping: (node, state) => `(${render(node.expr, state)})`,
  case: (node, state) => {
    const whens = node.whens.map(([w, t]) => `WHEN ${render(w, state)} THEN ${render(t, state)}`).join(" ");
    const otherwise = node.otherwise === undefined ? "" : ` ELSE ${render(node.otherwise, state)}`;
    return `CASE ${whens}${otherwise} END`;
  },
  "order-by": (node: OrderByNode, state) =>
    `${render(node.expr, state)}${node.direction ? ` ${node.direction}` : ""}${node.nulls ? ` NULLS ${node.nulls}` : ""}`,
  select: (node, state) => renderSelect(node, state),
  insert: (node, state) => {
    const columns = node.columns.map(q).join(", ");
    let source: string;
    if (node.unnest !== undefined) {
      const arrays = node.unnest.map((b) => `${render(b, state)}::${castName(b.type ?? { sql: "text[]" })}`).join(", ");
      source = `SELECT * FROM unnest(${arrays})`;
    } else if (node.rows.length === 0) {
      source = "DEFAULT VALUES";
    } else {
      source = `VALUES ${node.rows.map((row) => `(${list(row, state)})`).join(", ")}`;
    }
    const into = node.columns.length === 0 ? "" : ` (${columns})`;
    const statement = `INSERT INTO ${tableName(node.table)}${into} ${source}`;
    if (!node.returningArrays || node.returning.length === 0) return `${statement}${returning(node.returning, state)}`;
    // Positional names inside, the column's own name (or label) outside.
    const inner = node.returning.map((c, i) => selectItem(c, `r${i}`, state)).join(", ");
    const outer = node.returning.map((c, i) => `array_agg(${q(`r${i}`)}) AS ${q(returnedName(c))}`).join(", ");
    return `WITH inserted AS (${statement} RETURNING ${inner}) SELECT ${outer} FROM inserted`;
  },
  update: (node, state) => {
    const set = node.set.map(([c, v]) => `${q(c)}=${render(v, state)}`).join(", ");
    const others = otherTables(node.table, [...node.set.map(([, v]) => v), node.where, ...node.returning]);
    const from = others.length === 0 ? "" : ` FROM ${others.map((f) => render(f, state)).join(", ")}`;
    const where = node.where ? ` WHERE ${render(node.where, state)}` : "";
    return `UPDATE ${tableName(node.table)} SET ${set}${from}${where}${returning(node.returning, state)}`;
  },
  delete: (node, state) => {
    const others = otherTables(node.table, [node.where, ...node.returning]);
    const using = others.length === 0 ? "" : ` USING ${others.map((f) => render(f, state)).join(", ")}`;
    const where = node.where ? ` WHERE ${render(node.where, state)}` : "";
    return `DELETE FROM ${tableName(node.table)}${using}${where}${returning(node.returning, state)}`;
  },
};

/**
 * The tables and aliases an UPDATE or DELETE reads besides its own, in order of first mention:
 * PostgreSQL's `UPDATE ... FROM` / `DELETE ... USING`, which SQLAlchemy also adds by itself when
 * the WHERE clause names another table (`update(orders).where(orders.user_id.eq(users.id))`).
 */
function otherTables(own: TableNode, exprs: readonly (ExprNode | undefined)[]): (TableNode | AliasNode)[] {
  const others: (TableNode | AliasNode)[] = [];
  for (const expr of exprs) {
    if (expr === undefined) continue;
    forEachColumnSource(expr, (source) => {
      if (source !== own && !others.includes(source)) others.push(source);
    });
  }
  return others;
}

function elementType(bind: BindNode): { sql: string } {
  return bind.type ?? { sql: "text[]" };
}

/** The name a RETURNING item is known by in the result: its label or column name. */
function returnedName(col: ExprNode): string {
  return col.kind === "label" || col.kind === "column" ? col.name : "?column?";
}

function returning(columns: readonly ExprNode[], state: CompileState): string {
  return columns.length === 0 ? "" : ` RETURNING ${columns.map((c) => selectItem(c, undefined, state)).join(", ")}`;
}

/** One item of a SELECT or RETURNING list, `AS name` for labels or when `name` is given. */
function selectItem(col: ExprNode, name: string | undefined, state: CompileState): string {
  const sql = render(col, state);
  const as = name ?? (col.kind === "label" ? col.name : undefined);
  return as === undefined ? sql : `${sql} AS ${q(as)}`;
}

function renderSelect(node: SelectNode, state: CompileState): string {
  const froms = fromsOf(node, state);
  lintFroms(node, froms);
  state.outerFroms.push(new Set(froms.flatMap(leafFroms)));
  try {
    const isSubquery = state.outerFroms.length > 1;
    const names = isSubquery ? outputNames(node) : undefined;
    const columns = node.columns.map((col, i) => {
      const own = col.kind === "column" ? col.name : col.kind === "label" ? col.name : undefined;
      // Inside a derived table every column needs a distinct name the outer query can address.
      return selectItem(col, names !== undefined && names[i] !== own ? names[i]! : undefined, state);
    });
    if (columns.length === 0) throw new CompileError("SELECT has no columns: select(...) needs at least one entity or column.");
    let sql = `SELECT ${node.distinct ? "DISTINCT " : ""}${columns.join(", ")}`;
    if (froms.length > 0) sql += ` FROM ${froms.map((f) => render(f, state)).join(", ")}`;
    if (node.where) sql += ` WHERE ${render(node.where, state)}`;
    if (node.groupBy.length > 0) sql += ` GROUP BY ${list(node.groupBy, state)}`;
    if (node.having) sql += ` HAVING ${render(node.having, state)}`;
    if (node.orderBy.length > 0) sql += ` ORDER BY ${list(node.orderBy, state)}`;
    if (node.limit) sql += ` LIMIT ${render(node.limit, state)}`;
    if (node.offset) sql += ` OFFSET ${render(node.offset, state)}`;
    if (node.forUpdate) sql += " FOR UPDATE";
    return sql;
  } finally {
    state.outerFroms.pop();
  }
}

/** The tables and aliases a FROM item brings into scope. */
export function leafFroms(from: FromNode): (TableNode | AliasNode)[] {
  return from.kind === "join" ? [...leafFroms(from.left), ...leafFroms(from.right)] : [from];
}

/**
 * The FROM list: explicit items first, then every table or alias the columns, WHERE, ORDER BY,
 * GROUP BY and HAVING reference that is not already in scope (SQLAlchemy's implicit FROM), except
 * those of an enclosing query, which a subquery correlates to.
 */
function fromsOf(node: SelectNode, state: CompileState): FromNode[] {
  const froms: FromNode[] = [...node.from];
  const inScope = new Set(froms.flatMap(leafFroms));
  const outer = state.outerFroms;
  let correlated = false;
  const visit = (expr: ExprNode): void => {
    forEachColumnSource(expr, (source) => {
      if (inScope.has(source)) return;
      if (outer.some((scope) => scope.has(source))) {
        correlated = true;
        return;
      }
      inScope.add(source);
      froms.push(source);
    });
  };
  node.columns.forEach(visit);
  if (node.where) visit(node.where);
  node.groupBy.forEach(visit);
  if (node.having) visit(node.having);
  node.orderBy.forEach((o) => visit(o.expr));
  // As SQLAlchemy: a subquery whose every table belongs to the enclosing query would silently
  // read the outer row (`SELECT max(t.x) WHERE ...` with no FROM) instead of the table.
  if (froms.length === 0 && correlated) {
    throw new CompileError(
      "A subquery has no FROM clause left after correlation: every table it uses is also in the enclosing query. " +
        "To query the same table inside, use an alias (table.alias()) in the subquery, or selectFrom() it explicitly.",
    );
  }
  return froms;
}

/** Calls `fn` with the owner of every column in `expr`, not descending into subqueries. */
export function forEachColumnSource(expr: ExprNode, fn: (source: TableNode | AliasNode) => void): void {
  switch (expr.kind) {
    case "column": fn(expr.from); return;
    case "binary": forEachColumnSource(expr.left, fn); forEachColumnSource(expr.right, fn); return;
    case "boolean-list": expr.items.forEach((i) => forEachColumnSource(i, fn)); return;
    case "unary": forEachColumnSource(expr.operand, fn); return;
    case "in-list": forEachColumnSource(expr.expr, fn); expr.items.forEach((i) => forEachColumnSource(i, fn)); return;
    case "any-array": forEachColumnSource(expr.expr, fn); return;
    case "tuple-in": expr.exprs.forEach((i) => forEachColumnSource(i, fn)); return;
    case "between": [expr.expr, expr.low, expr.high].forEach((i) => forEachColumnSource(i, fn)); return;
    case "function": expr.args.forEach((i) => forEachColumnSource(i, fn)); return;
    case "cast": case "label": case "grouping": forEachColumnSource(expr.expr, fn); return;
    case "case":
      expr.whens.forEach(([w, t]) => { forEachColumnSource(w, fn); forEachColumnSource(t, fn); });
      if (expr.otherwise) forEachColumnSource(expr.otherwise, fn);
      return;
    case "bind": case "literal": case "scalar-subquery": return;
  }
}
