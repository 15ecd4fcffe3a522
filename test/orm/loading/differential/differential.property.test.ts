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
import { dataArb, materialise } from "./data.js";
import { caseArb, describePlan, excludedFeatures, resolvePlan, restrictSchema } from "./plan.js";
import { declareSchema, describeSchema, schemaArb, schemaDdl, secondaryName, tableName, type Schema } from "./schema.js";

const off = excludedFeatures(process.env.ATHANOR_DIFF_EXCLUDE);
const CASES = Number(process.env.ATHANOR_DIFF_CASES ?? (process.env.ATHANOR_LONG === "1" ? 10_000 : 500));
const SEED = process.env.ATHANOR_DIFF_SEED === undefined ? undefined : Number(process.env.ATHANOR_DIFF_SEED);
/** Cases per generated schema: creating tables costs more than a case. */
const PER_SCHEMA = 25;

let schemaCount = 0;

async function createSchema(engine: Engine, schema: Schema): Promise<SchemaHandle> {
  const prefix = `s${++schemaCount}`;
  for (const sql of schemaDdl(schema, prefix)) await engine.execute({ sql, params: [] });
  return { schema, prefix, classes: declareSchema(schema, prefix) };
}

async function dropSchema(engine: Engine, handle: SchemaHandle): Promise<void> {
  const names = [
    ...handle.schema.tables.map((_, t) => tableName(handle.prefix, t)),
    ...handle.schema.links.flatMap((l, n) => (l.kind === "m2m" ? [secondaryName(handle.prefix, n)] : [])),
  ];
  await engine.execute({ sql: `DROP TABLE ${names.join(", ")}`, params: [] });
}

describe.each(backends)("differential loading ($name)", (backend) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = createEngine(await backend.freshUrl());
  });
  afterAll(() => engine?.dispose());

  it(`every option tree loads the reference graph, within its statement bound (${CASES} cases)`, async () => {
    const property = fc.asyncProperty(
      schemaArb,
      fc.array(fc.tuple(dataArb, caseArb), { minLength: 1, maxLength: Math.min(PER_SCHEMA, CASES) }),
      async (rawSchema, cases) => {
        const schema = restrictSchema(rawSchema, off);
        const handle = await createSchema(engine, schema);
        try {
          for (const [dataSeed, caseSeed] of cases) {
            const plan = resolvePlan(schema, caseSeed, off);
            if (plan === undefined) continue;
            const data = materialise(schema, dataSeed);
            await writeData(engine, handle, data);
            try {
              await checkCase(engine, handle, plan);
            } catch (error) {
              const rows = data.rows.map((r, t) => `T${t}: ${JSON.stringify(r.map((x) => ({ ...x.values, ts: x.ts })))}`).join("\n");
              const pairs = data.pairs.map((p, n) => (p.length ? `m${n}: ${JSON.stringify(p)}` : "")).filter(Boolean).join("\n");
              (error as Error).message = `schema: ${describeSchema(schema)}\nplan: ${describePlan(plan)}\ndata:\n${rows}\n${pairs}\n${(error as Error).message}`;
              throw error;
            }
          }
        } finally {
          await dropSchema(engine, handle);
        }
      },
    );
    await fc.assert(property, { numRuns: Math.max(1, Math.ceil(CASES / PER_SCHEMA)), seed: SEED, interruptAfterTimeLimit: undefined });
  }, 600_000);
});
