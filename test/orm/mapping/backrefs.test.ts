/**
 * Back-populated relationships: the last assignment wins on both sides, in memory and in the
 * database, whatever order the two sides were changed in and whichever of them was loaded
 * (issue 11, defect 6). Every in-memory change is asserted to send no SQL, and every flush the
 * exact statements it sends.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ArgumentError, createEngine, joinedload, select, selectinload, Session, type Engine } from "../../../src/index.js";
import { assertQueryCount, withStatements } from "../../../src/testing/assert-sql.js";
import { backends } from "../../support/backends.js";
import { Backrefs, Crate, Essay, Marble, Passport, Person, seedBackrefs, tableRows, Writer } from "./backrefs-models.js";

const essaysOf = (w: Writer): Essay[] => w.essays as Essay[];
const marblesOf = (c: Crate): Marble[] => c.marbles as Marble[];
const ids = (objs: readonly { id: number }[]): number[] => objs.map((o) => o.id);

describe.each(backends)("backPopulates: the last assignment wins ($name)", (backend) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = createEngine(await backend.freshUrl());
    await Backrefs.metadata.createAll(engine);
  });
  beforeEach(() => seedBackrefs(engine));
  afterAll(() => engine?.dispose());

  async function writersWithEssays(session: Session, ...writerIds: number[]): Promise<Writer[]> {
    return (await session.scalars(select(Writer).where(Writer.id.in(writerIds)).options(selectinload(Writer.essays)).orderBy(Writer.id))).all() as Writer[];
  }
  const essayOwners = () => tableRows(engine, "SELECT id, writer_id FROM essays ORDER BY id");

  describe("the many-to-one side is assigned while it was never read", () => {
    it("essay.user = bob (bob's essays never read), then a change to ann's essays: the essay is bob's on both sides and in the database", async () => {
      await using session = new Session(engine);
      const [ann] = await writersWithEssays(session, 1);
      const bob = (await session.get(Writer, 2))!;
      const e10 = essaysOf(ann!)[0]!;
      await assertQueryCount(engine, 0, async () => {
        e10.writer = bob;
        essaysOf(ann!).push(new Essay({ title: "new" }));
      });
      expect(ids(essaysOf(ann!))).toEqual([11, essaysOf(ann!)[1]!.id]);
      expect(essaysOf(ann!)).not.toContain(e10);
      expect(e10.writer).toBe(bob);
      const { statements } = await withStatements(engine, () => session.flush());
      expect(statements.map((s) => s.sql)).toEqual([
        "INSERT INTO essays (writer_id, title) VALUES ($1, $2) RETURNING essays.id",
        "UPDATE essays SET writer_id=$1 WHERE essays.id = $2",
      ]);
      expect(statements.map((s) => s.params)).toEqual([[1, "new"], [2, 10]]);
      await session.commit();
      expect((await essayOwners()).slice(0, 3)).toEqual([[10, 2], [11, 1], [12, 2]]);
    });

    it("the order of the two changes does not matter: ann's essays changed first, then essay.user = bob", async () => {
      await using session = new Session(engine);
      const [ann] = await writersWithEssays(session, 1);
      const bob = (await session.get(Writer, 2))!;
      const e10 = essaysOf(ann!)[0]!;
      await assertQueryCount(engine, 0, async () => {
        essaysOf(ann!).reverse();
        e10.writer = bob;
      });
      expect(ids(essaysOf(ann!))).toEqual([11]);
      const { statements } = await withStatements(engine, () => session.flush());
      expect(statements.map((s) => [s.sql, s.params])).toEqual([["UPDATE essays SET writer_id=$1 WHERE essays.id = $2", [2, 10]]]);
    });

    it("setting it to null takes the essay out of its writer's loaded collection and writes NULL", async () => {
      await using session = new Session(engine);
      const [ann] = await writersWithEssays(session, 1);
      const e11 = essaysOf(ann!)[1]!;
      await assertQueryCount(engine, 0, async () => {
        e11.writer = null;
      });
      expect(ids(essaysOf(ann!))).toEqual([10]);
      const { statements } = await withStatements(engine, () => session.flush());
      expect(statements.map((s) => [s.sql, s.params])).toEqual([["UPDATE essays SET writer_id=$1 WHERE essays.id = $2", [null, 11]]]);
    });

    it("a move back to the first writer is no change at all", async () => {
      await using session = new Session(engine);
      const [ann, bob] = await writersWithEssays(session, 1, 2);
      const e10 = essaysOf(ann!)[0]!;
      e10.writer = bob!;
      expect(ids(essaysOf(bob!))).toEqual([12, 10]);
      e10.writer = ann!;
      expect(ids(essaysOf(ann!))).toEqual([11, 10]);
      expect(ids(essaysOf(bob!))).toEqual([12]);
      await assertQueryCount(engine, 0, () => session.flush());
    });

    it("assigning to a new writer starts its collection and takes the essay from the loaded one", async () => {
      await using session = new Session(engine);
      const [ann] = await writersWithEssays(session, 1);
      const e10 = essaysOf(ann!)[0]!;
      const dee = new Writer({ penName: "dee" });
      e10.writer = dee;
      expect(essaysOf(dee)).toEqual([e10]);
      expect(ids(essaysOf(ann!))).toEqual([11]);
      const { statements } = await withStatements(engine, () => session.flush());
      expect(statements.map((s) => s.sql)).toEqual([
        "INSERT INTO writers (pen_name) VALUES ($1) RETURNING writers.id",
        "UPDATE essays SET writer_id=$1 WHERE essays.id = $2",
      ]);
      expect(statements[1]!.params).toEqual([dee.id, 10]);
    });

    it("when neither collection is loaded, only the foreign key changes, and later loads see it", async () => {
      await using session = new Session(engine);
      const e10 = (await session.get(Essay, 10))!;
      const bob = (await session.get(Writer, 2))!;
      await assertQueryCount(engine, 0, async () => {
        e10.writer = bob;
      });
      const { statements } = await withStatements(engine, () => session.flush());
      expect(statements.map((s) => [s.sql, s.params])).toEqual([["UPDATE essays SET writer_id=$1 WHERE essays.id = $2", [2, 10]]]);
      const [ann] = await writersWithEssays(session, 1);
      expect(ids(essaysOf(ann!))).toEqual([11]);
      await session.load(bob, "essays");
      expect(ids(essaysOf(bob)).sort()).toEqual([10, 12]);
    });
  });

  describe("the collection side is changed while the many-to-one was never read", () => {
    it("pushing an essay that belongs to another loaded collection moves it out of that one", async () => {
      await using session = new Session(engine);
      const [ann, bob] = await writersWithEssays(session, 1, 2);
      const e10 = essaysOf(ann!)[0]!;
      await assertQueryCount(engine, 0, async () => {
        essaysOf(bob!).push(e10);
      });
      expect(ids(essaysOf(ann!))).toEqual([11]);
      expect(ids(essaysOf(bob!))).toEqual([12, 10]);
      expect(e10.writer).toBe(bob);
      const { statements } = await withStatements(engine, () => session.flush());
      expect(statements.map((s) => [s.sql, s.params])).toEqual([["UPDATE essays SET writer_id=$1 WHERE essays.id = $2", [2, 10]]]);
    });

    it("assigning a collection takes its items from the collections they were in", async () => {
      await using session = new Session(engine);
      const [ann, bob] = await writersWithEssays(session, 1, 2);
      const [e10, e11] = essaysOf(ann!);
      await assertQueryCount(engine, 0, async () => {
        bob!.essays = [e11!];
      });
      expect(essaysOf(ann!)).toEqual([e10]);
      expect(e11!.writer).toBe(bob);
      // e12 left bob's collection: its writer is cleared on both sides.
      const e12 = (await session.get(Essay, 12))!;
      expect(e12.writer).toBeNull();
      const { statements } = await withStatements(engine, () => session.flush());
      expect(statements.map((s) => s.sql)).toEqual(["UPDATE essays SET writer_id=$1 WHERE essays.id = $2", "UPDATE essays SET writer_id=$1 WHERE essays.id = $2"]);
      expect(statements.map((s) => s.params).sort()).toEqual([[2, 11], [null, 12]].sort());
    });

    it("removing an essay from a collection clears its writer without SQL and writes NULL", async () => {
      await using session = new Session(engine);
      const [ann] = await writersWithEssays(session, 1);
      const e10 = essaysOf(ann!)[0]!;
      await assertQueryCount(engine, 0, async () => {
        essaysOf(ann!).shift();
      });
      expect(e10.writer).toBeNull();
      const { statements } = await withStatements(engine, () => session.flush());
      expect(statements.map((s) => [s.sql, s.params])).toEqual([["UPDATE essays SET writer_id=$1 WHERE essays.id = $2", [null, 10]]]);
    });

    it("then setting the many-to-one again wins over the removal", async () => {
      await using session = new Session(engine);
      const [ann] = await writersWithEssays(session, 1);
      const cy = (await session.get(Writer, 3))!;
      const e10 = essaysOf(ann!)[0]!;
      essaysOf(ann!).shift();
      e10.writer = cy;
      const { statements } = await withStatements(engine, () => session.flush());
      expect(statements.map((s) => [s.sql, s.params])).toEqual([["UPDATE essays SET writer_id=$1 WHERE essays.id = $2", [3, 10]]]);
    });
  });

  describe("a side assigned while it was never loaded", () => {
    it("bob.essays = [e10] with bob's essays unloaded: the essays bob had are de-associated by one UPDATE", async () => {
      await using session = new Session(engine);
      const [ann] = await writersWithEssays(session, 1);
      const bob = (await session.get(Writer, 2))!;
      const e12 = (await session.get(Essay, 12))!;
      const e10 = essaysOf(ann!)[0]!;
      await assertQueryCount(engine, 0, async () => {
        bob.essays = [e10];
      });
      expect(ids(essaysOf(ann!))).toEqual([11]);
      const { statements } = await withStatements(engine, () => session.flush());
      expect(statements.map((s) => [s.sql, s.params])).toEqual([
        ["UPDATE essays SET writer_id=$1 WHERE essays.id = $2", [2, 10]],
        ["UPDATE essays SET writer_id=$1 WHERE essays.writer_id = $2 AND NOT (essays.id = ANY($3))", [null, 2, [10]]],
      ]);
      // The essay bob held, loaded in this session, sees it too.
      expect(e12.writerId).toBeNull();
      expect(e12.writer).toBeNull();
      await session.commit();
      expect((await essayOwners()).slice(0, 3)).toEqual([[10, 2], [11, 1], [12, null]]);
    });

    it("bob.essays = [] with bob's essays unloaded de-associates all of them", async () => {
      await using session = new Session(engine);
      const bob = (await session.get(Writer, 2))!;
      bob.essays = [];
      const { statements } = await withStatements(engine, () => session.flush());
      expect(statements.map((s) => [s.sql, s.params])).toEqual([["UPDATE essays SET writer_id=$1 WHERE essays.writer_id = $2", [null, 2]]]);
    });

    it("passport.holder = pia with pia's passport unloaded: her old passport loses its holder in the database", async () => {
      await using session = new Session(engine);
      const pia = (await session.get(Person, 1))!;
      const p31 = (await session.get(Passport, 31))!;
      p31.holder = pia;
      expect(pia.passport).toBe(p31);
      const { statements } = await withStatements(engine, () => session.flush());
      expect(statements.map((s) => [s.sql, s.params])).toEqual([
        ["UPDATE passports SET person_id=$1 WHERE passports.id = $2", [1, 31]],
        ["UPDATE passports SET person_id=$1 WHERE passports.person_id = $2 AND NOT (passports.id = ANY($3))", [null, 1, [31]]],
      ]);
      await session.commit();
      expect(await tableRows(engine, "SELECT id, person_id FROM passports ORDER BY id")).toEqual([[30, null], [31, 1]]);
    });

    it("replacing an unloaded delete-orphan collection is refused before anything changes", async () => {
      await using session = new Session(engine);
      const c1 = (await session.get(Crate, 1))!;
      const m22 = (await session.get(Marble, 22))!;
      await assertQueryCount(engine, 0, async () => {
        expect(() => (c1.marbles = [m22])).toThrow(ArgumentError);
        expect(() => (c1.marbles = [m22])).toThrow('Crate.marbles is not loaded, so replacing it would delete (delete-orphan) the objects it holds without Athanor knowing which. Load it first: await session.load(obj, "marbles")');
        await session.flush();
      });
      expect(m22.crateId).toBe(2);
    });
  });

  describe("delete-orphan", () => {
    it("a marble moved to a crate whose collection is not loaded is updated, not deleted as an orphan", async () => {
      await using session = new Session(engine);
      const c1 = (await session.scalars(select(Crate).where(Crate.id.eq(1)).options(selectinload(Crate.marbles)))).one() as Crate;
      const c2 = (await session.get(Crate, 2))!;
      const m20 = marblesOf(c1)[0]!;
      m20.crate = c2;
      expect(ids(marblesOf(c1))).toEqual([21]);
      const { statements } = await withStatements(engine, () => session.flush());
      expect(statements.map((s) => [s.sql, s.params])).toEqual([["UPDATE marbles SET crate_id=$1 WHERE marbles.id = $2", [2, 20]]]);
      await session.commit();
      expect(await tableRows(engine, "SELECT id, crate_id FROM marbles ORDER BY id")).toEqual([[20, 2], [21, 1], [22, 2]]);
    });

    it("a marble whose crate is set to null is deleted with one DELETE, no UPDATE first", async () => {
      await using session = new Session(engine);
      const c1 = (await session.scalars(select(Crate).where(Crate.id.eq(1)).options(selectinload(Crate.marbles)))).one() as Crate;
      const m21 = marblesOf(c1)[1]!;
      m21.crate = null as unknown as Crate;
      expect(ids(marblesOf(c1))).toEqual([20]);
      const { statements } = await withStatements(engine, () => session.flush());
      expect(statements.map((s) => [s.sql, s.params])).toEqual([["DELETE FROM marbles WHERE marbles.id = $1", [21]]]);
    });
  });

  describe("one-to-one", () => {
    it("passport.holder = pol: pol's old passport loses its holder, pia's side is cleared, both foreign keys are written", async () => {
      await using session = new Session(engine);
      const people = (await session.scalars(select(Person).where(Person.id.in([1, 2])).options(joinedload(Person.passport)).orderBy(Person.id))).all() as Person[];
      const [pia, pol] = people as [Person, Person];
      const p30 = pia.passport as Passport;
      const p31 = pol.passport as Passport;
      await assertQueryCount(engine, 0, async () => {
        p30.holder = pol;
      });
      expect(pol.passport).toBe(p30);
      expect(pia.passport).toBeNull();
      expect(p31.holder).toBeNull();
      const { statements } = await withStatements(engine, () => session.flush());
      expect(statements.map((s) => s.sql)).toEqual(["UPDATE passports SET person_id=$1 WHERE passports.id = $2", "UPDATE passports SET person_id=$1 WHERE passports.id = $2"]);
      expect(statements.map((s) => s.params).sort()).toEqual([[2, 30], [null, 31]].sort());
    });

    it("person.passport = another: the replaced passport loses its holder in memory and in the database", async () => {
      await using session = new Session(engine);
      const people = (await session.scalars(select(Person).where(Person.id.in([1, 2])).options(joinedload(Person.passport)).orderBy(Person.id))).all() as Person[];
      const [pia, pol] = people as [Person, Person];
      const p30 = pia.passport as Passport;
      const p31 = pol.passport as Passport;
      pia.passport = p31;
      expect(p31.holder).toBe(pia);
      expect(p30.holder).toBeNull();
      expect(pol.passport).toBeNull();
      await session.commit();
      expect(await tableRows(engine, "SELECT id, person_id FROM passports ORDER BY id")).toEqual([[30, null], [31, 1]]);
    });
  });
});
