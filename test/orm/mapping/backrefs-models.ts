/**
 * Models of the back-population tests: a nullable one-to-many (writers → essays), a NOT NULL
 * "all, delete-orphan" one (crates → marbles) and a one-to-one held from the side without the
 * foreign key (people → passports), each back-populated; seeded by `seedBackrefs`.
 *
 * writers   1 ann: essays 10, 11     2 bob: essay 12     3 cy: none
 * crates    1: marbles 20, 21        2: marble 22
 * people    1 pia: passport 30       2 pol: passport 31  3 pat: none
 */
import { column, declarativeBase, type Engine } from "../../../src/index.js";

export interface BackrefModels {
  Writer: Writer;
  Essay: Essay;
  Crate: Crate;
  Marble: Marble;
  Person: Person;
  Passport: Passport;
}
export const Backrefs = declarativeBase<BackrefModels>();

export class Writer extends Backrefs.entity("writers", {
  id: column.integer().primaryKey(),
  penName: column.text(),
  essays: Backrefs.many("Essay", { backPopulates: "writer" }),
}) {}

export class Essay extends Backrefs.entity("essays", {
  id: column.integer().primaryKey(),
  writerId: column.integer().references("writers.id").nullable(),
  title: column.text(),
  writer: Backrefs.one("Writer", { backPopulates: "essays" }),
}) {}

export class Crate extends Backrefs.entity("crates", {
  id: column.integer().primaryKey(),
  label: column.text(),
  marbles: Backrefs.many("Marble", { backPopulates: "crate", cascade: "all, delete-orphan" }),
}) {}

export class Marble extends Backrefs.entity("marbles", {
  id: column.integer().primaryKey(),
  crateId: column.integer().references("crates.id"),
  label: column.text(),
  crate: Backrefs.one("Crate", { backPopulates: "marbles" }),
}) {}

export class Person extends Backrefs.entity("people", {
  id: column.integer().primaryKey(),
  label: column.text(),
  passport: Backrefs.one("Passport", { backPopulates: "holder" }),
}) {}

export class Passport extends Backrefs.entity("passports", {
  id: column.integer().primaryKey(),
  personId: column.integer().references("people.id").nullable(),
  code: column.text(),
  holder: Backrefs.one("Person", { backPopulates: "passport" }),
}) {}

Backrefs.register({ Writer, Essay, Crate, Marble, Person, Passport });

export const RESEED_SQL = [
  "DELETE FROM essays", "DELETE FROM writers", "DELETE FROM marbles", "DELETE FROM crates", "DELETE FROM passports", "DELETE FROM people",
  "INSERT INTO writers (id, pen_name) VALUES (1, 'ann'), (2, 'bob'), (3, 'cy')",
  "INSERT INTO essays (id, writer_id, title) VALUES (10, 1, 'e10'), (11, 1, 'e11'), (12, 2, 'e12')",
  "INSERT INTO crates (id, label) VALUES (1, 'c1'), (2, 'c2')",
  "INSERT INTO marbles (id, crate_id, label) VALUES (20, 1, 'm20'), (21, 1, 'm21'), (22, 2, 'm22')",
  "INSERT INTO people (id, label) VALUES (1, 'pia'), (2, 'pol'), (3, 'pat')",
  "INSERT INTO passports (id, person_id, code) VALUES (30, 1, 'P30'), (31, 2, 'P31')",
  // New objects get ids from 1000, clear of the seeded ones.
  ...["writers", "essays", "crates", "marbles", "people", "passports"].map((t) => `ALTER TABLE ${t} ALTER COLUMN id RESTART WITH 1000`),
];

/** Puts the seed back (tests change it). */
export async function seedBackrefs(engine: Engine): Promise<void> {
  for (const sql of RESEED_SQL) await engine.execute({ sql, params: [] });
}

/** `SELECT <cols> FROM <table> ORDER BY id` as plain rows. */
export async function tableRows(engine: Engine, sql: string): Promise<unknown[][]> {
  return (await engine.execute({ sql, params: [] })).rows as unknown[][];
}
