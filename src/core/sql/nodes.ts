/**
 * The SQL tree. Nodes are frozen plain objects made by the factories in this folder; passes
 * (the compiler, the FROM linter) dispatch on `kind` through a `Record<NodeKind, ...>`, so adding
 * a kind without teaching every pass about it is a type error.
 */
import type { SqlType } from "./types.js";

/** Something that can stand in a FROM clause and own columns. */
export type FromNode = TableNode | AliasNode | JoinNode;

export interface TableNode {
  readonly kind: "table";
  readonly name: string;
  readonly schema: string | undefined;
}

/** `<of> AS <name>`: a table alias or a derived table (subquery in FROM). */
export interface AliasNode {
  readonly kind: "alias";
  readonly of: TableNode | SelectNode;
  /** Undefined for anonymous aliases: the compiler names them anon_1, anon_2, ... per statement. */
  readonly name: string | undefined;
  /** Identity for anonymous-alias naming; two aliases of the same table are different FROM items. */
  readonly id: number;
}

export interface JoinNode {
  readonly kind: "join";
  readonly left: FromNode;
  readonly right: FromNode;
  readonly on: ExprNode;
  readonly type: "inner" | "left";
}

export interface ColumnNode {
  readonly kind: "column";
  readonly from: TableNode | AliasNode;
  readonly name: string;
  readonly type: SqlType;
}

export interface BindNode {
  readonly kind: "bind";
  readonly value: unknown;
  readonly type: SqlType | undefined;
  /** A named bind is filled at execution time from the values passed to `execute`. */
  readonly key: string | undefined;
}

export interface LiteralNode {
  readonly kind: "literal";
  /** Rendered verbatim: only ever produced by the library (NULL, TRUE, *, 1), never from user text. */
  readonly sql: string;
}

export type BinaryOperator =
  | "=" | "<>" | "<" | "<=" | ">" | ">=" | "LIKE" | "ILIKE" | "NOT LIKE" | "NOT ILIKE"
  | "+" | "-" | "*" | "/" | "%" | "||" | "IS" | "IS NOT" | "IS DISTINCT FROM" | "IS NOT DISTINCT FROM";

export interface BinaryNode {
  readonly kind: "binary";
  readonly op: BinaryOperator;
  readonly left: ExprNode;
  readonly right: ExprNode;
}

export interface BooleanListNode {
  readonly kind: "boolean-list";
  readonly op: "AND" | "OR";
  readonly items: readonly ExprNode[];
}

export interface UnaryNode {
  readonly kind: "unary";
  readonly op: "NOT" | "-" | "IS NULL" | "IS NOT NULL" | "EXISTS" | "NOT EXISTS";
  readonly operand: ExprNode;
}

export interface InListNode {
  readonly kind: "in-list";
  readonly expr: ExprNode;
  readonly items: readonly ExprNode[];
  readonly negate: boolean;
}

/** `expr = ANY($n)` / `expr <> ALL($n)` with one array parameter: one SQL shape for any list size. */
export interface AnyArrayNode {
  readonly kind: "any-array";
  readonly expr: ExprNode;
  readonly array: BindNode;
  readonly negate: boolean;
}

/** `(a, b) = ANY(...)` for composite keys: rendered as a row comparison against unnest. */
export interface TupleInNode {
  readonly kind: "tuple-in";
  readonly exprs: readonly ExprNode[];
  /** One array parameter per tuple position. */
  readonly arrays: readonly BindNode[];
}

export interface BetweenNode {
  readonly kind: "between";
  readonly expr: ExprNode;
  readonly low: ExprNode;
  readonly high: ExprNode;
  readonly negate: boolean;
}

export interface FunctionNode {
  readonly kind: "function";
  readonly name: string;
  readonly args: readonly ExprNode[];
  readonly distinct: boolean;
}

export interface CastNode {
  readonly kind: "cast";
  readonly expr: ExprNode;
  readonly type: SqlType;
}

export interface LabelNode {
  readonly kind: "label";
  readonly expr: ExprNode;
  readonly name: string;
}

export interface ScalarSubqueryNode {
  readonly kind: "scalar-subquery";
  readonly select: SelectNode;
}

export interface GroupingNode {
  readonly kind: "grouping";
  readonly expr: ExprNode;
}

export interface CaseNode {
  readonly kind: "case";
  readonly whens: readonly (readonly [ExprNode, ExprNode])[];
  readonly otherwise: ExprNode | undefined;
}

export type ExprNode =
  | ColumnNode | BindNode | LiteralNode | BinaryNode | BooleanListNode | UnaryNode | InListNode
  | AnyArrayNode | TupleInNode | BetweenNode | FunctionNode | CastNode | LabelNode
  | ScalarSubqueryNode | GroupingNode | CaseNode;

export interface OrderByNode {
  readonly kind: "order-by";
  readonly expr: ExprNode;
  readonly direction: "ASC" | "DESC" | undefined;
  readonly nulls: "FIRST" | "LAST" | undefined;
}

export interface SelectNode {
  readonly kind: "select";
  readonly columns: readonly ExprNode[];
  readonly from: readonly FromNode[];
  readonly where: ExprNode | undefined;
  readonly groupBy: readonly ExprNode[];
  readonly having: ExprNode | undefined;
  readonly orderBy: readonly OrderByNode[];
  readonly limit: ExprNode | undefined;
  readonly offset: ExprNode | undefined;
  readonly distinct: boolean;
  readonly forUpdate: boolean;
}

export interface InsertNode {
  readonly kind: "insert";
  readonly table: TableNode;
  readonly columns: readonly string[];
  /** VALUES rows; each row has one expression per column (DEFAULT as a literal). */
  readonly rows: readonly (readonly ExprNode[])[];
  /**
   * Instead of VALUES: `SELECT * FROM unnest($1::t1[], $2::t2[], ...)`, one array parameter per
   * column. One SQL text for any row count (a prepared statement is reused) and a few parameters
   * instead of rows x columns: the fastest bulk insert PostgreSQL offers short of COPY.
   */
  readonly unnest: readonly BindNode[] | undefined;
  readonly returning: readonly ExprNode[];
  /**
   * RETURNING collected into one row of arrays, one per returned column, in insert order:
   * `WITH inserted AS (INSERT ... RETURNING a, b) SELECT array_agg(a), array_agg(b) FROM inserted`.
   * One DataRow message instead of one per inserted row, which is most of what RETURNING costs a
   * client on a bulk insert.
   */
  readonly returningArrays: boolean;
}

export interface UpdateNode {
  readonly kind: "update";
  readonly table: TableNode;
  readonly set: readonly (readonly [string, ExprNode])[];
  readonly where: ExprNode | undefined;
  readonly returning: readonly ExprNode[];
}

export interface DeleteNode {
  readonly kind: "delete";
  readonly table: TableNode;
  readonly where: ExprNode | undefined;
  readonly returning: readonly ExprNode[];
}

export type StatementNode = SelectNode | InsertNode | UpdateNode | DeleteNode;
export type Node = ExprNode | FromNode | OrderByNode | StatementNode;
export type NodeKind = Node["kind"];

let aliasCounter = 0;
/** A process-wide counter only gives identity to anonymous aliases; names are assigned per statement. */
export function nextAliasId(): number {
  aliasCounter += 1;
  return aliasCounter;
}

export function freeze<T extends object>(node: T): T {
  return Object.freeze(node);
}
