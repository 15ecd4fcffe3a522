/**
 * The many-to-many batch load (keyed-query.ts) sends each target row once, with the array of the
 * parent keys it belongs to. These tests pin what that shape must keep from the plain join it
 * replaced: composite keys on both sides, repeated association rows, the relationship's orderBy,
 * criteria binds, and one object per target.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { aliased, column, createEngine, declarativeBase, select, selectinload, type Engine } from "../../../src/index.js";
import { Order, Product } from "../../fixtures/models.js";
import { backends } from "../../support/backends.js";
import { freshEngine, inFreshSession, PRODUCTS_BY_ORDERS } from "./support.js";

// Courses keyed by (term, code) and students keyed by (school, number), enrolled through a table
// holding both composite keys; it has no primary key, so an enrollment can be repeated.
interface CampusModels {
  Course: Course;
  Student: Student;
}
const Campus = declarativeBase<CampusModels>();

class Course extends Campus.entity("k_courses", {
  term: column.integer().primaryKey(),
  code: column.text().primaryKey(),
  students: Campus.many("Student", { secondary: "k_enrollments" }),
  studentsByName: Campus.many("Student", { secondary: "k_enrollments", orderBy: "name DESC" }),
}) {}

class Student extends Campus.entity("k_students", {
  school: column.text().primaryKey(),
  number: column.integer().primaryKey(),
  name: column.text(),
}) {}

Campus.table("k_enrollments", {
  term: column.integer().references("k_courses.term"),
  code: column.text().references("k_courses.code"),
  school: column.text().references("k_students.school"),
  number: column.integer().references("k_students.number"),
});
Campus.register({ Course, Student });

const SEED = [
  "INSERT INTO k_courses (term, code) VALUES (1, 'A'), (1, 'B'), (2, 'A'), (2, 'C')",
  "INSERT INTO k_students (school, number, name) VALUES ('n', 1, 'ann'), ('n', 2, 'bob'), ('s', 1, 'cy')",
  // (2,'A') holds ('n',1) twice; (2,'C') has nobody; ('n',1) is in three courses.
  "INSERT INTO k_enrollments (term, code, school, number) VALUES " +
    "(1, 'A', 'n', 1), (1, 'A', 's', 1), (1, 'B', 'n', 1), (1, 'B', 'n', 2), (2, 'A', 'n', 1), (2, 'A', 'n', 1)",
];

const STUDENTS_BY_COURSES =
  "SELECT anon_1.term, anon_1.code, k_students.school, k_students.number, k_students.name FROM k_students " +
  "JOIN (SELECT k_enrollments_1.school, k_enrollments_1.number, array_agg(k_enrollments_1.term) AS term, array_agg(k_enrollments_1.code) AS code " +
  "FROM k_enrollments AS k_enrollments_1 WHERE (k_enrollments_1.term, k_enrollments_1.code) IN (SELECT * FROM unnest($1::integer[], $2::text[])) " +
  "GROUP BY k_enrollments_1.school, k_enrollments_1.number) AS anon_1 ON k_students.school = anon_1.school AND k_students.number = anon_1.number";

const keyOf = (c: Course): string => `${c.term}${c.code}`;
const studentKeys = (students: readonly Student[]): string[] => students.map((s) => `${s.school}${s.number}`);

describe.each(backends)("many-to-many batch loads ($name)", (backend) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = createEngine(await backend.freshUrl());
    await Campus.metadata.createAll(engine);
    for (const sql of SEED) await engine.execute({ sql, params: [] });
  });
  afterAll(() => engine?.dispose());

  it("composite keys on both sides: one array per key column, zipped back by position", async () => {
    const { result, sql, params } = await inFreshSession(engine, async (s) =>
      (await s.scalars(select(Course).orderBy(Course.term, Course.code).options(selectinload(Course.students)))).all(),
    );
    expect(sql).toHaveLength(2);
    expect(sql[1]).toBe(STUDENTS_BY_COURSES);
    expect(params[1]).toEqual([[1, 1, 2, 2], ["A", "B", "A", "C"]]);
    const graph = Object.fromEntries(result.map((c) => [keyOf(c), studentKeys(c.students).sort()]));
    // A repeated association row repeats the target in the collection, as the plain join did.
    expect(graph).toEqual({ "1A": ["n1", "s1"], "1B": ["n1", "n2"], "2A": ["n1", "n1"], "2C": [] });
    // ('n', 1) is one object in every collection that holds it.
    const ann = result[0]!.students.find((s) => s.name === "ann");
    for (const course of result.slice(1, 3)) expect(course.students.find((s) => s.name === "ann")).toBe(ann);
  });

  it("each target row is sent once, however many parents hold it", async () => {
    const { sql, params } = await inFreshSession(engine, async (s) =>
      (await s.scalars(select(Course).options(selectinload(Course.students)))).all(),
    );
    const rows = (await engine.execute({ sql: sql[1]!, params: params[1]! })).rows;
    expect(rows).toHaveLength(3);
    const ann = rows.find((r) => r[4] === "ann")!;
    expect([...(ann[0] as number[])].map((term, i) => `${term}${(ann[1] as string[])[i]}`).sort()).toEqual(["1A", "1B", "2A", "2A"]);
  });

  it("the relationship's orderBy orders every collection", async () => {
    const { result, sql } = await inFreshSession(engine, async (s) =>
      (await s.scalars(select(Course).where(Course.term.eq(1)).options(selectinload(Course.studentsByName)))).all(),
    );
    expect(sql[1]).toMatch(/ ORDER BY k_students\.name DESC$/);
    expect(Object.fromEntries(result.map((c) => [keyOf(c), c.studentsByName.map((s) => s.name)]))).toEqual({ "1A": ["cy", "ann"], "1B": ["bob", "ann"] });
  });

  it("criteria on the target filter the joined rows; their binds follow the key arrays", async () => {
    const { result, sql, params } = await inFreshSession(engine, async (s) =>
      (await s.scalars(select(Course).where(Course.term.eq(1)).options(selectinload(Course.students.and(Student.school.eq("n")))))).all(),
    );
    expect(sql[1]).toBe(`${STUDENTS_BY_COURSES} WHERE k_students.school = $3`);
    expect(params[1]![2]).toBe("n");
    expect(Object.fromEntries(result.map((c) => [keyOf(c), studentKeys(c.students).sort()]))).toEqual({ "1A": ["n1"], "1B": ["n1", "n2"] });
  });
});

describe.each(backends)("the seed's Order.products ($name)", (backend) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await freshEngine(backend);
  });
  afterAll(() => engine?.dispose());

  it("sends products 1 and 2 once each though orders 10, 12 and 15 share them", async () => {
    const { sql, params } = await inFreshSession(engine, async (s) =>
      (await s.scalars(select(Order).options(selectinload(Order.products)))).all(),
    );
    expect(sql[1]).toBe(PRODUCTS_BY_ORDERS);
    const rows = (await engine.execute({ sql: sql[1]!, params: params[1]! })).rows;
    const byProduct = Object.fromEntries(rows.map((r) => [r[1], [...(r[0] as number[])].sort()]));
    expect(byProduct).toEqual({ 1: [10, 15], 2: [10, 12], 3: [14, 15] });
  });

  it("an aliased target (Order.products.of(alias)) is grouped and joined the same way", async () => {
    const p = aliased(Product, "p");
    const { result, sql } = await inFreshSession(engine, async (s) =>
      (await s.scalars(select(Order).where(Order.id.in([10, 15])).orderBy(Order.id).options(selectinload(Order.products.of(p).and(p.price.gt("2")))))).all(),
    );
    expect(sql[1]).toBe(
      PRODUCTS_BY_ORDERS.replace(/\bproducts\./g, "p.").replace("FROM products JOIN", "FROM products AS p JOIN") + " WHERE p.price > $2",
    );
    expect(result.map((o) => [o.id, o.products.map((x) => x.id).sort()])).toEqual([[10, []], [15, [3]]]);
  });
});
