/**
 * `recursionDepth: -1` on cyclic data (9 -> 10 -> 9) ends: each level leaves out the objects the
 * walk already reached (issue 11, defect 4: it used to loop forever without sending SQL, so this
 * file hung without the fix).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { select, selectinload, type Engine } from "../../../src/index.js";
import { TreeNode } from "../../fixtures/models.js";
import { backends } from "../../support/backends.js";
import { freshEngine, inFreshSession } from "./support.js";

interface Linked {
  readonly id: number;
  readonly children: readonly Linked[];
  readonly parent: Linked | null;
}

const CHILDREN = "SELECT nodes.parent_id, nodes.id, nodes.parent_id, nodes.name FROM nodes WHERE nodes.parent_id = ANY($1)";

describe.each(backends)("recursionDepth -1 on cycles ($name)", (backend) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await freshEngine(backend);
    // 9 -> 10 -> 9, and 11 -> 9 hangs off the cycle.
    for (const sql of [
      "INSERT INTO nodes (id, parent_id, name) VALUES (9, NULL, 'x'), (10, 9, 'y'), (11, 9, 'z')",
      "UPDATE nodes SET parent_id = 10 WHERE id = 9",
    ]) await engine.execute({ sql, params: [] });
  });
  afterAll(() => engine?.dispose());

  it("children: stops when the next level holds only objects already reached", async () => {
    const { result, sql, params } = await inFreshSession(engine, async (s) =>
      (await s.scalars(select(TreeNode).where(TreeNode.id.eq(9)).options(selectinload(TreeNode.children, { recursionDepth: -1 })))).all(),
    );
    // Keyed on [9] (gives 10, 11), then [10, 11] (gives 9 again): 9 was reached, so no third level.
    expect(sql).toEqual(["SELECT nodes.id, nodes.parent_id, nodes.name FROM nodes WHERE nodes.id = $1", CHILDREN, CHILDREN]);
    expect(params.slice(1).map((p) => (p[0] as number[]).slice().sort())).toEqual([[9], [10, 11]]);
    const nine = result[0] as unknown as Linked;
    const ten = nine.children.find((c) => c.id === 10)!;
    expect(nine.children.map((c) => c.id).sort()).toEqual([10, 11]);
    expect(ten.children).toEqual([nine]);
    expect(nine.children.find((c) => c.id === 11)!.children).toEqual([]);
  });

  it("children with populateExisting (every parent reloads): still ends", async () => {
    const { sql } = await inFreshSession(engine, async (s) =>
      (await s.scalars(select(TreeNode).where(TreeNode.id.eq(9)).populateExisting().options(selectinload(TreeNode.children, { recursionDepth: -1 })))).all(),
    );
    expect(sql).toHaveLength(3);
  });

  it("parent (many-to-one): the cycle's targets are in the identity map, so no SQL after the first level", async () => {
    const { result, sql } = await inFreshSession(engine, async (s) =>
      (await s.scalars(select(TreeNode).where(TreeNode.id.in([9, 11])).orderBy(TreeNode.id).options(selectinload(TreeNode.parent, { recursionDepth: -1 })))).all(),
    );
    expect(sql).toHaveLength(2);
    expect(sql[1]).toBe("SELECT nodes.id, nodes.parent_id, nodes.name FROM nodes WHERE nodes.id = ANY($1)");
    const [nine, eleven] = result as unknown as Linked[];
    expect(nine!.parent!.id).toBe(10);
    expect(nine!.parent!.parent).toBe(nine);
    expect(eleven!.parent).toBe(nine);
  });
});
