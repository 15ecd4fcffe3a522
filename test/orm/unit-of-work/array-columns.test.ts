/** Flushing new objects with array columns: several rows at once must keep each array whole. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { column, createEngine, declarativeBase, select, Session, types, type Engine } from "../../../src/index.js";
import { withStatements } from "../../../src/testing/assert-sql.js";
import { backends } from "../../support/backends.js";

interface Models { Doc: Doc; Note: Note }
const Base = declarativeBase<Models>();
class Doc extends Base.entity("array_docs", {
  id: column.integer().primaryKey(),
  tags: column.array(types.text),
  scores: column.array(types.integer).nullable(),
}) {}
// Array columns filled by the server: a bulk insert of the other columns must read them back row by row.
class Note extends Base.entity("array_notes", {
  id: column.integer().primaryKey(),
  body: column.text(),
  labels: column.array(types.text).serverDefault("'{new}'"),
}) {}
Base.register({ Doc, Note });

describe.each(backends)("array columns in a flush ($name)", (backend) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = createEngine(await backend.freshUrl());
    await Base.metadata.createAll(engine);
  }, 180_000);
  afterAll(() => engine.dispose());

  it("inserts several objects with array values in one multi-row VALUES statement", async () => {
    const s = new Session(engine);
    s.addAll([new Doc({ tags: ["a", "b"], scores: [1, 2, 3] }), new Doc({ tags: [], scores: null }), new Doc({ tags: ["c"], scores: [] })]);
    const { statements } = await withStatements(engine, () => s.commit());
    expect(statements.map((st) => st.sql)).toEqual([
      "INSERT INTO array_docs (tags, scores) VALUES ($1, $2), ($3, $4), ($5, $6) RETURNING array_docs.id",
    ]);
    await s.close();
    await using check = new Session(engine);
    const docs = (await check.execute(select(Doc).orderBy(Doc.id))).scalars().all();
    expect(docs.map((d) => [d.tags, d.scores])).toEqual([[["a", "b"], [1, 2, 3]], [[], null], [["c"], []]]);
  });

  it("reads server-filled array columns of a bulk insert as RETURNING rows (array_agg cannot collect arrays)", async () => {
    const s = new Session(engine, { expireOnCommit: false });
    const notes = [new Note({ body: "a" }), new Note({ body: "b" })];
    s.addAll(notes);
    const { statements } = await withStatements(engine, () => s.commit());
    expect(statements.map((st) => st.sql)).toEqual([
      "INSERT INTO array_notes (body) SELECT * FROM unnest($1::text[]) RETURNING array_notes.id, array_notes.labels",
    ]);
    expect(notes.map((n) => [typeof n.id, n.labels])).toEqual([["number", ["new"]], ["number", ["new"]]]);
    await s.close();
  });
});
