/**
 * Differential property test of the loaders (issue 11): random schemas, data and option trees;
 * every strategy must build the graph the reference loader (plain SQL, one query per object)
 * builds, within its statement bound. See README.md in this folder for the switches:
 *
 * - ATHANOR_DIFF_CASES=n (default 500; ATHANOR_LONG=1: 10,000), ATHANOR_DIFF_SEED=n to replay,
 * - ATHANOR_DIFF_EXCLUDE=limit,withLoaderCriteria,... to switch features off (plan.ts FEATURES).
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, it } from "vitest";
import { createEngine, type Engine } from "../../../../src/index.js";
import { backends } from "../../../support/backends.js";
import { checkCase, writeData, type SchemaHandle } from "./check-case.js";
import { RecursionRunner } from "./recursion.js";
import { dataArb, materialise } from "./data.js";
import { caseArb, describePlan, excludedFeatures, resolvePlan, restrictSchema } from "./plan.js";
import { declareSchema, describeSchema, schemaArb, schemaDdl, secondaryName, tableName, type Schema } from "./schema.js";

const off = excludedFeatures(process.env.ATHANOR_DIFF_EXCLUDE);
const CASES = Number(process.env.ATHANOR_DIFF_CASES ?? (process.env.ATHANOR_LONG === "1" ? 10_000 : 500));
const SEED = process.env.ATHANOR_DIFF_SEED === undefined ? undefined : Number(process.env.ATHANOR_DIFF_SEED);
/** Cases per generated schema: creating tables costs more than a case. */
const PER_SCHEMA = 25;
/** ATHANOR_DIFF_NO_SHRINK=1: report the first failure as found (faster while exploring). */
const NO_SHRINK = process.env.ATHANOR_DIFF_NO_SHRINK === "1";
const STATS = process.env.ATHANOR_DIFF_STATS === "1";

let schemaCount = 0;

async function createSchema(engine: Engine, schema: Schema): Promise<SchemaHandle> {
  const prefix = `s${++schemaCount}`;
  const ddl = schemaDdl(schema, prefix);
  for (const sql of ddl) await engine.execute({ sql, params: [] });
  return { schema, prefix, classes: declareSchema(schema, prefix), ddl };
}

async function dropSchema(engine: Engine, handle: SchemaHandle): Promise<void> {
  const names = [
    ...handle.schema.tables.map((_, t) => tableName(handle.prefix, t)),
    ...handle.schema.links.flatMap((l, n) => (l.kind === "m2m" ? [secondaryName(handle.prefix, n)] : [])),
  ];
  await engine.execute({ sql: `DROP TABLE ${names.join(", ")}`, params: [] });
}

// Held out of CI until every defect it finds is fixed on main (ATHANOR_DIFF=1 runs it; see README.md here).
describe.runIf(process.env.ATHANOR_DIFF === "1").each(backends)("differential loading ($name)", (backend) => {
  let engine: Engine;
  let runner: RecursionRunner | undefined;
  beforeAll(async () => {
    const url = await backend.freshUrl();
    engine = createEngine(url);
    if (!off.has("recursion")) runner = new RecursionRunner(url);
  });
  afterAll(async () => {
    runner?.stop();
    await engine?.dispose();
  });

  it(`every option tree loads the reference graph, within its statement bound (${CASES} cases)`, async () => {
    const stats = { cases: 0, schemas: 0, ddlMs: 0, totalMs: 0 };
    const property = fc.asyncProperty(
      schemaArb,
      fc.array(fc.tuple(dataArb, caseArb), { minLength: 1, maxLength: Math.min(2 * PER_SCHEMA, CASES), size: "max" }),
      async (rawSchema, cases) => {
        const schema = restrictSchema(rawSchema, off);
        const started = performance.now();
        const handle = await createSchema(engine, schema);
        stats.ddlMs += performance.now() - started;
        try {
          for (const [dataSeed, caseSeed] of cases) {
            const plan = resolvePlan(schema, caseSeed, off);
            if (plan === undefined) continue;
            const data = materialise(schema, dataSeed);
            const dataSql = await writeData(engine, handle, data);
            stats.cases += 1;
            try {
              await checkCase(engine, handle, plan, { dataSql, data, recursion: runner && { runner, ownDatabase: backend.name === "pglite" } });
            } catch (error) {
              const rows = data.rows.map((r, t) => `T${t}: ${JSON.stringify(r.map((x) => ({ ...x.values, ts: x.ts })))}`).join("\n");
              const pairs = data.pairs.map((p, n) => (p.length ? `m${n}: ${JSON.stringify(p)}` : "")).filter(Boolean).join("\n");
              (error as Error).message = `schema: ${describeSchema(schema)}\nplan: ${describePlan(plan)}\ndata:\n${rows}\n${pairs}\n${(error as Error).message}`;
              throw error;
            }
          }
        } finally {
          await dropSchema(engine, handle);
          stats.schemas += 1;
          stats.totalMs += performance.now() - started;
        }
      },
    );
    try {
      await fc.assert(property, { numRuns: Math.max(1, Math.ceil(CASES / PER_SCHEMA)), seed: SEED, endOnFailure: NO_SHRINK });
    } finally {
      // eslint-disable-next-line no-console
      if (STATS) console.log(`${backend.name}: ${stats.cases} cases on ${stats.schemas} schemas in ${Math.round(stats.totalMs)} ms (DDL ${Math.round(stats.ddlMs)} ms)`);
    }
  }, 600_000);
});
