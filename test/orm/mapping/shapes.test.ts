/**
 * Shape exemplars (mapping/shapes.ts): registering entities keeps one synthetic object per shape
 * alive, made without running user constructors and invisible to sessions.
 */
import { describe, expect, it } from "vitest";
import { column, createEngine, declarativeBase, Session } from "../../../src/index.js";
import { ENTITY } from "../../../src/orm/mapping/entity-key.js";
import type { Mapper } from "../../../src/orm/mapping/mapper.js";
import { keepShapes } from "../../../src/orm/mapping/shapes.js";

interface Models { Counted: Counted; Child: Child }
const Base = declarativeBase<Models>();
let constructed = 0;

class Counted extends Base.entity("shape_counted", {
  id: column.integer().primaryKey(),
  children: Base.many("Child", { backPopulates: "parent" }),
}) {
  constructor(init?: { id?: number }) {
    super(init);
    constructed += 1;
  }
}
class Child extends Base.entity("shape_children", {
  id: column.integer().primaryKey(),
  parentId: column.integer().references("shape_counted.id"),
  parent: Base.one("Counted", { backPopulates: "children" }),
}) {}

describe("shape exemplars", () => {
  it("are made without running the entity's own constructor", () => {
    Base.register({ Counted, Child });
    expect(constructed).toBe(0);
    new Counted({ id: 1 });
    expect(constructed).toBe(1);
  });

  it("are made once per mapper, however often configuration runs", () => {
    const { mapper } = (Counted as unknown as { [ENTITY]: { mapper: Mapper } })[ENTITY];
    keepShapes(mapper);
    keepShapes(mapper);
    expect(constructed).toBe(1);
  });

  it("never show up in a session", async () => {
    const engine = createEngine("pglite://memory");
    try {
      await using session = new Session(engine);
      expect(session.identityMap.size).toBe(0);
      expect(session.pending.size).toBe(0);
      expect(session.dirty.size).toBe(0);
    } finally {
      await engine.dispose();
    }
  });
});
