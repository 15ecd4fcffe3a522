/**
 * The growing column and FROM lists of one statement while eager joins are added to it: the
 * ORM select being compiled (query/compile.ts), or a keyed loader's batch query that a joined step
 * below it joins into (eager-joins.ts). The joined and contains-eager strategies only see this.
 */
import { freeze, type AliasNode, type ExprNode, type FromNode, type OrderByNode, type TableNode } from "../../core/sql/nodes.js";
import { leafFroms } from "../../core/compiler/compiler.js";
import type { EntityLike } from "../mapping/instrumented.js";
import type { ChildLoad } from "./path-options.js";

/** One eager join: fills `child.rel` of the object in slot `parentSlot` from columns at `offset`. */
export interface JoinedSlot {
  readonly parentSlot: number;
  readonly child: ChildLoad;
  readonly offset: number;
}

export class QueryBuilder {
  columns: ExprNode[] = [];
  froms: FromNode[];
  readonly joined: JoinedSlot[] = [];
  /** Slot index -> the FROM node the slot's entity columns come from (undefined for an expression slot). */
  readonly slotFroms: (TableNode | AliasNode | undefined)[] = [];
  /** Slots read from the LIMIT wrapper whose columns it renamed: original name -> name in the wrapper. */
  readonly slotRenames = new Map<number, ReadonlyMap<string, string>>();
  /** Entities whose columns the LIMIT wrapper carries (containsEager targets inside it), by their FROM node. */
  readonly wrapped = new Map<TableNode | AliasNode, { readonly entity: EntityLike; readonly renames: ReadonlyMap<string, string> | undefined }>();
  /** The joined collections' relationship orderBy, appended after the statement's own ORDER BY (as SQLAlchemy does). */
  readonly orderBy: OrderByNode[] = [];
  requiresUnique = false;
  constructor(froms: readonly FromNode[]) {
    this.froms = [...froms];
  }

  addColumns(entity: { fromNode: TableNode | AliasNode; columns(): readonly { node: ExprNode }[] }): number {
    const offset = this.columns.length;
    for (const c of entity.columns()) this.columns.push(c.node);
    return offset;
  }

  /** Joins `right` ON `on` onto the FROM item that contains `parent`. */
  joinTo(parent: TableNode | AliasNode, right: FromNode, on: ExprNode, type: "inner" | "left"): void {
    const at = this.froms.findIndex((f) => leafFroms(f).includes(parent));
    if (at < 0) {
      this.froms.push(freeze({ kind: "join", left: parent, right, on, type }));
      return;
    }
    this.froms[at] = freeze({ kind: "join", left: this.froms[at]!, right, on, type });
  }

  hasFrom(node: TableNode | AliasNode): boolean {
    return this.froms.some((f) => leafFroms(f).includes(node));
  }
}
