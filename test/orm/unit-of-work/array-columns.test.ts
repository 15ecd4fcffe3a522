/** Flushing new objects with array columns: several rows at once must keep each array whole. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { column, createEngine, declarativeBase, select, Session, types, type Engine } from "../../../src/index.js";
import { withStatements } from "../../../src/testing/assert-sql.js";
import { backends } from "../../support/backends.js";

interface Models { Doc: Doc }
const Base = declarativeBase<Models>();
class Doc extends Base.entity("array_docs", {
  id: column.integer().primaryKey(),
  tags: column.array(types.text),
  scores: column.array(types.integer).nullable(),
}) {}
Base.register({ Doc });

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
});
