/**
 * Random sequences of back-populated changes against a model of who owns what (issue 11, defect
 * 6). Each case loads some writers with their essays, some without, leaves some out of the
 * session, loads the many-to-one side of some essays, then applies random assignments, pushes,
 * removals and collection assignments. The model is one map, essay -> writer, where the last
 * change wins. After every step each loaded side must agree with it; after the flush (at most one
 * UPDATE per essay, nothing else) the database must too.
 *
 * 40 cases per backend; ATHANOR_LONG=1 runs 500.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEngine, joinedload, select, selectinload, Session, type Engine } from "../../../src/index.js";
import { withStatements } from "../../../src/testing/assert-sql.js";
import { STATE, type Instrumented } from "../../../src/orm/mapping/instance-state.js";
import { backends } from "../../support/backends.js";
import { Backrefs, Essay, seedBackrefs, tableRows, Writer } from "./backrefs-models.js";

const WRITERS = [1, 2, 3] as const;
const ESSAYS = [10, 11, 12, 13, 14, 15] as const;
const INITIAL: Record<number, number | null> = { 10: 1, 11: 1, 12: 2, 13: 2, 14: 3, 15: null };
const RUNS = process.env.ATHANOR_LONG === "1" ? 500 : 40;

type WriterLoad = "collection" | "object" | "absent";
type Op =
  | { readonly kind: "set"; readonly essay: number; readonly writer: number | null }
  | { readonly kind: "push"; readonly writer: number; readonly essay: number }
  | { readonly kind: "remove"; readonly writer: number; readonly at: number }
  | { readonly kind: "assign"; readonly writer: number; readonly essays: readonly number[] };

const essayId = fc.constantFrom(...ESSAYS);
const writerId = fc.constantFrom(...WRITERS);
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant("set" as const), essay: essayId, writer: fc.option(writerId, { nil: null }) }),
  fc.record({ kind: fc.constant("push" as const), writer: writerId, essay: essayId }),
  fc.record({ kind: fc.constant("remove" as const), writer: writerId, at: fc.nat(5) }),
  fc.record({ kind: fc.constant("assign" as const), writer: writerId, essays: fc.uniqueArray(essayId, { maxLength: 3 }) }),
);
const scenario = fc.record({
  writerLoads: fc.tuple(...WRITERS.map(() => fc.constantFrom<WriterLoad>("collection", "object", "absent"))),
  scalarLoaded: fc.tuple(...ESSAYS.map(() => fc.boolean())),
  ops: fc.array(op, { minLength: 1, maxLength: 8 }),
});

function loadedRel(obj: object, key: "essays" | "writer"): unknown {
  const state = (obj as Instrumented)[STATE];
  return state.rels?.[state.mapper.relationship(key).index];
}

describe.each(backends)("backPopulates property: random changes agree with the last-wins model ($name)", (backend) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = createEngine(await backend.freshUrl());
    await Backrefs.metadata.createAll(engine);
  });
  afterAll(() => engine?.dispose());

  it("every loaded side and the flushed rows match the model", async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async ({ writerLoads, scalarLoaded, ops }) => {
        await seedBackrefs(engine);
        await engine.execute({ sql: "INSERT INTO essays (id, writer_id, title) VALUES (13, 2, 'e13'), (14, 3, 'e14'), (15, NULL, 'e15')", params: [] });
        await using session = new Session(engine, { autoflush: false });
        const writers = new Map<number, Writer>();
        const withCollection = WRITERS.filter((_, i) => writerLoads[i] === "collection");
        for (const w of (await session.scalars(select(Writer).where(Writer.id.in(withCollection)).options(selectinload(Writer.essays)))).all()) writers.set(w.id, w as Writer);
        for (const [i, id] of WRITERS.entries()) if (writerLoads[i] === "object") writers.set(id, (await session.get(Writer, id))!);
        const withScalar = ESSAYS.filter((_, i) => scalarLoaded[i]);
        // The many-to-one is loaded for these essays only (a joined load fills it even on essays
        // the collections loaded already); the rest never have it read.
        await session.scalars(select(Essay).where(Essay.id.in(withScalar)).options(joinedload(Essay.writer)));
        const essays = new Map<number, Essay>();
        for (const e of (await session.scalars(select(Essay))).all()) essays.set(e.id, e);

        const model = new Map<number, number | null>(ESSAYS.map((e) => [e, INITIAL[e]!]));
        const check = (step: string): void => {
          for (const [id, w] of writers) {
            const list = loadedRel(w, "essays") as Essay[] | undefined;
            if (list === undefined) continue;
            const expected = ESSAYS.filter((e) => model.get(e) === id);
            expect([...list.map((e) => e.id)].sort(), `${step}: writer ${id}'s essays`).toEqual(expected);
          }
          for (const [id, e] of essays) {
            const w = loadedRel(e, "writer") as Writer | null | undefined;
            if (w !== undefined) expect(w?.id ?? null, `${step}: essay ${id}'s writer`).toBe(model.get(id));
          }
        };
        check("loaded");
        for (const [i, change] of ops.entries()) {
          const step = `op ${i} ${JSON.stringify(change)}`;
          if (change.kind === "set") {
            if (change.writer !== null && !writers.has(change.writer)) continue;
            essays.get(change.essay)!.writer = change.writer === null ? null : writers.get(change.writer)!;
            model.set(change.essay, change.writer);
          } else {
            const w = writers.get(change.writer);
            const list = w === undefined ? undefined : (loadedRel(w, "essays") as Essay[] | undefined);
            if (list === undefined) continue;
            if (change.kind === "push") {
              const e = essays.get(change.essay)!;
              if (list.includes(e)) continue;
              list.push(e);
              model.set(change.essay, change.writer);
            } else if (change.kind === "remove") {
              if (list.length === 0) continue;
              const [gone] = list.splice(change.at % list.length, 1);
              model.set(gone!.id, null);
            } else {
              for (const e of ESSAYS) if (model.get(e) === change.writer && !change.essays.includes(e)) model.set(e, null);
              for (const e of change.essays) model.set(e, change.writer);
              w!.essays = change.essays.map((e) => essays.get(e)!);
            }
          }
          check(step);
        }
        const { statements } = await withStatements(engine, () => session.flush());
        const changed = ESSAYS.filter((e) => model.get(e) !== INITIAL[e]);
        for (const s of statements) expect(s.sql).toBe("UPDATE essays SET writer_id=$1 WHERE essays.id = $2");
        expect(statements.length).toBeLessThanOrEqual(ESSAYS.length);
        expect(statements.map((s) => s.params[1]).filter((id) => changed.includes(id as never)).sort()).toEqual(changed);
        await session.commit();
        const committed = await tableRows(engine, "SELECT id, writer_id FROM essays ORDER BY id");
        expect(committed, "rows after commit").toEqual(ESSAYS.map((e) => [e, model.get(e)]));
      }),
      { numRuns: RUNS },
    );
  }, 120_000);
});
