/**
 * The registry: every contender module the runner loads, in table order. A module's default
 * export is a `ContenderDefinition[]` (one file may define several, e.g. one per loading
 * strategy). See README.md in this folder.
 */
export interface RegistryEntry {
  /** File name in this folder. */
  module: string;
  /** Shown in the table if the module itself cannot be loaded. */
  label: string;
  /** npm packages whose installed versions RESULTS.md lists for this module. */
  packages: string[];
  /** A missing file is noted in RESULTS.md instead of being reported as a failure. */
  optional?: boolean;
}

export const registry: RegistryEntry[] = [
  { module: "raw-pg.ts", label: "raw pg", packages: ["pg"] },
  { module: "raw-postgres.ts", label: "raw postgres.js", packages: ["postgres"] },
  // Written by the Athanor engineers: strategies selectin, joined and subquery on each driver.
  { module: "athanor.ts", label: "Athanor", packages: [], optional: true },
  { module: "drizzle.ts", label: "Drizzle", packages: ["drizzle-orm", "pg"] },
  { module: "prisma.ts", label: "Prisma 7", packages: ["prisma", "@prisma/client", "@prisma/adapter-pg"] },
  { module: "mikro-orm.ts", label: "MikroORM 6", packages: ["@mikro-orm/core", "@mikro-orm/postgresql"] },
  { module: "typeorm.ts", label: "TypeORM", packages: ["typeorm", "pg"] },
  { module: "objection.ts", label: "Objection", packages: ["objection", "knex", "pg"] },
  { module: "sequelize.ts", label: "Sequelize", packages: ["sequelize", "pg"] },
  { module: "kysely.ts", label: "Kysely", packages: ["kysely", "pg"] },
];
