/**
 * The differential test's shrunk counterexamples, written out as fixed cases (issue 11). Each
 * names the defect it pins, the schema as the generator described it, the rows, the call, and the
 * graph and statements a correct loader gives. They fail until the fixes are merged.
 *
 * Entities are the generated ones: table T<i> is `r_t<i>`; a link n adds `l<n>_id` to the child
 * and the relationships `r<n>c` (children, or the one-to-one side) and `r<n>p` (the parent), or
 * `r<n>m` / `r<n>b` for a many-to-many through `r_m<n>`. Every table has `val` and `ts`.
 */
import { afterEach, describe, expect, it } from "vitest";
import {
  AthanorError, immediateload, joinedload, select, selectinload, Session, subqueryload, withLoaderCriteria,
  type Engine, type InstrumentedColumn, type RelationshipAttribute,
} from "../../../../src/index.js";
import { withStatements } from "../../../../src/testing/assert-sql.js";
import { backends } from "../../../support/backends.js";
import { fixture, keysOf, type Fixture } from "./fixture.js";
import { RecursionRunner } from "./recursion.js";
import type { EntityClassOf, Schema } from "./schema.js";

/** T0 with a self-reference: r0c children, r0p parent. */
const TREE: Schema = { tables: [{ composite: false }, { composite: false }], links: [{ kind: "self", table: 0, orderBy: undefined }], eager: undefined };
/** T1 (parent) ← T0 (child): T1.r0c children, T0.r0p parent. */
const PARENT_CHILD: Schema = {
  tables: [{ composite: false }, { composite: false }],
  links: [{ kind: "fk", child: 0, parent: 1, nullable: true, oneToOne: false, orderBy: undefined }],
  eager: undefined,
};

const rel = (cls: EntityClassOf, name: string) => cls[name] as RelationshipAttribute as never;
const col = (cls: EntityClassOf, name: string) => cls[name] as InstrumentedColumn<number>;
type Obj = Record<string, unknown>;

// Held out of CI until every defect it finds is fixed on main (ATHANOR_DIFF=1 runs it; see README.md here).
describe.runIf(process.env.ATHANOR_DIFF === "1").each(backends)("differential regressions ($name)", (backend) => {
  let f: Fixture | undefined;
  let session: Session | undefined;
  let runner: RecursionRunner | undefined;
  afterEach(async () => {
    // Kills a child still spinning after a test timed out.
    runner?.stop();
    runner = undefined;
    await session?.close();
    await f?.engine.dispose();
    session = undefined;
    f = undefined;
  });
  const open = (engine: Engine) => (session = new Session(engine));

  // New (not in the list): session.load() accepts `T.rel.and(...)` in a path and drops
  // the criteria. Shrunk: select(T0); load(T0.r0c) { load(T0.r0c) { load(T0.r0p.and(val <= 0)) } }.
  it("session.load(objs, [T0.r0c, T0.r0c, T0.r0p.and(val <= 0)]) applies the criteria (or rejects them)", async () => {
    f = await fixture(backend, TREE, { 0: [{ id: 1, val: 2560, l0_id: 1 }] });
    const [T0] = f.T as [EntityClassOf];
    const s = open(f.engine);
    const roots = (await s.scalars(select(T0))).all() as Obj[];
    const path = [T0.r0c, T0.r0c, (T0.r0p as RelationshipAttribute).and(col(T0, "val").le(0))];
    let rejected: unknown;
    const { statements } = await withStatements(f.engine, () => (s.load as (o: object[], ...p: unknown[]) => Promise<unknown>)(roots, path).catch((e: unknown) => { rejected = e; }));
    if (rejected !== undefined) {
      expect(rejected).toBeInstanceOf(AthanorError);
      expect(statements).toEqual([]);
      return;
    }
    const child = (roots[0]!.r0c as Obj[])[0]!;
    // The row is its own parent, but val 2560 is not <= 0: the filtered parent is null.
    expect(keysOf(() => child.r0p)).toBeNull();
    expect(statements.length).toBeLessThanOrEqual(3);
  });

  // Defect 4. recursionDepth: -1 on a cycle (1 → 2 → 1) must return; run in a child process
  // that is killed after 15 s, since the endless loop sends no SQL and never yields.
  it("selectinload(T0.r0c, { recursionDepth: -1 }) returns on cyclic data (1 → 2 → 1) with each node's children", async () => {
    f = await fixture(backend, TREE, { 0: [{ id: 1, val: 1, l0_id: 2 }, { id: 2, val: 2, l0_id: 1 }, { id: 3, val: 3, l0_id: 2 }] });
    runner = new RecursionRunner(backend.name === "pglite" ? "pglite://memory" : f.url);
    try {
      const answer = await runner.run({ ddl: backend.name === "pglite" ? f.ddl : [], sql: backend.name === "pglite" ? f.sql : [], schema: TREE, prefix: "r", root: 0, rel: "r0c" });
      expect(answer).not.toBe("timeout");
      if (answer === "timeout" || "error" in answer) throw new Error(answer === "timeout" ? "timeout" : answer.error);
      expect(answer.graph).toEqual({ "T0(1)": ["T0(2)"], "T0(2)": ["T0(1)", "T0(3)"], "T0(3)": [] });
      // The parents' query, then one per level until no new object: children of {1,2,3}, and at most one more.
      expect(answer.statements.length).toBeGreaterThanOrEqual(2);
      expect(answer.statements.length).toBeLessThanOrEqual(3);
    } finally {
      runner?.stop();
    }
  }, 120_000);

  it("selectinload(T0.r0c, { recursionDepth: -1 }) on a tree without cycles (control: passes today)", async () => {
    f = await fixture(backend, TREE, { 0: [{ id: 1, val: 1, l0_id: null }, { id: 2, val: 2, l0_id: 1 }, { id: 3, val: 3, l0_id: 2 }] });
    runner = new RecursionRunner(backend.name === "pglite" ? "pglite://memory" : f.url);
    try {
      const answer = await runner.run({ ddl: backend.name === "pglite" ? f.ddl : [], sql: backend.name === "pglite" ? f.sql : [], schema: TREE, prefix: "r", root: 0, rel: "r0c" });
      if (answer === "timeout" || "error" in answer) throw new Error(answer === "timeout" ? "timeout" : answer.error);
      expect(answer.graph).toEqual({ "T0(1)": ["T0(2)"], "T0(2)": ["T0(3)"], "T0(3)": [] });
      expect(answer.statements.length).toBeLessThanOrEqual(4);
    } finally {
      runner?.stop();
    }
  }, 120_000);

  // Defect 6. Shrunk: T1 rows 1, 2; T0 row 1 → parent 1. u1 = T1(1) with r0c loaded; u2 = T1(2),
  // its r0c never read; child.r0p = u2; u1.r0c.push(new child); flush.
  it("child.r0p = u2 after u1.r0c was loaded, then u1.r0c.push(new): the child moves to u2, in memory and in the database", async () => {
    f = await fixture(backend, PARENT_CHILD, { 0: [{ id: 1, val: 1, l0_id: 1 }], 1: [{ id: 1, val: 10 }, { id: 2, val: 20 }] });
    const [T0, T1] = f.T as [EntityClassOf, EntityClassOf];
    const s = open(f.engine);
    const u1 = (await s.scalars(select(T1).where(col(T1, "id").eq(1)).options(selectinload(rel(T1, "r0c"))))).one() as Obj;
    const u2 = (await s.scalars(select(T1).where(col(T1, "id").eq(2)))).one() as Obj;
    const child = (u1.r0c as Obj[])[0]!;
    child.r0p = u2;
    (u1.r0c as Obj[]).push(new (T0 as unknown as new (i: Obj) => Obj)({ id: 5000, val: 1 }));
    const { statements } = await withStatements(f.engine, () => s.flush());
    expect(keysOf(() => u1.r0c)).toEqual([5000]);
    expect(child.r0p).toBe(u2);
    await s.commit();
    const rows = await f.engine.execute({ sql: "SELECT id, l0_id FROM r_t0 ORDER BY id", params: [] });
    expect(rows.rows).toEqual([[1, 2], [5000, 1]]);
    // One UPDATE for the moved child, one INSERT for the new one.
    expect(statements).toHaveLength(2);
  });
});

