/**
 * SQLAlchemy's FROM linter: a SELECT whose FROM items are not all connected by join conditions
 * (in JOIN ... ON or in WHERE) returns the cartesian product of them, which is almost never
 * intended. It warns once per statement shape, at compile time (compilation is cached).
 */
import type { AliasNode, ExprNode, FromNode, SelectNode, TableNode } from "../sql/nodes.js";
import { forEachColumnSource, leafFroms } from "./compiler.js";

export type WarningSink = (message: string, code: string) => void;

let sink: WarningSink = (message, code) => process.emitWarning(message, { type: "AthanorWarning", code });

/** Redirect library warnings (tests capture them; applications may log or throw). Returns the previous sink. */
export function setWarningSink(next: WarningSink): WarningSink {
  const previous = sink;
  sink = next;
  return previous;
}

export function warn(message: string, code: string): void {
  sink(message, code);
}

function displayName(from: FromNode): string {
  if (from.kind === "join") return displayName(from.left);
  if (from.kind === "table") return from.name;
  return from.name ?? (from.of.kind === "table" ? `${from.of.name} (alias)` : "anonymous subquery");
}

export function lintFroms(select: SelectNode, froms: readonly FromNode[]): void {
  if (froms.length < 2) return;
  const owner = new Map<TableNode | AliasNode, number>();
  froms.forEach((f, i) => leafFroms(f).forEach((leaf) => owner.set(leaf, i)));
  const parent = froms.map((_, i) => i);
  const find = (i: number): number => (parent[i] === i ? i : (parent[i] = find(parent[i]!)));
  const connect = (expr: ExprNode): void => {
    const touched = new Set<number>();
    forEachColumnSource(expr, (source) => {
      const i = owner.get(source);
      if (i !== undefined) touched.add(find(i));
    });
    const [first, ...rest] = [...touched];
    for (const other of rest) parent[find(other)] = find(first!);
  };
  // Each condition on its own: `a.x = 1 AND b.y = 2` filters both tables but joins neither.
  const connectEach = (expr: ExprNode): void => {
    if (expr.kind === "boolean-list") expr.items.forEach(connectEach);
    else if (expr.kind === "unary" && expr.op === "NOT") connectEach(expr.operand);
    else connect(expr);
  };
  if (select.where) connectEach(select.where);
  const roots = new Set(froms.map((_, i) => find(i)));
  if (roots.size < 2) return;
  const groups = [...roots].map((root) => froms.filter((_, i) => find(i) === root).map(displayName));
  const [head, ...others] = groups;
  warn(
    `SELECT statement has a cartesian product between FROM element(s) ${others.flat().map((n) => `"${n}"`).join(", ")} ` +
      `and FROM element "${head![0]}". Apply join condition(s) between each element to resolve: ` +
      `use join()/outerjoin() with an ON clause (or a relationship), or add the condition to where().`,
    "cartesian-product",
  );
}
