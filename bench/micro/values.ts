/**
 * Micro-benchmark of the value hot paths (not a test): timestamp parsing (W1 reads one per row),
 * timestamp array encoding, and the per-element conversion and encoding of a bulk insert's
 * columns (W4 inserts 10,000 orders through `INSERT ... SELECT * FROM unnest(...)`).
 *
 *   npx tsx bench/micro/values.ts                    # this tree
 *   npx tsx bench/micro/values.ts /tmp/base          # and a baseline: a tree with src/ (git archive)
 *
 * With a baseline, rounds of the two alternate in one process, so a busy machine slows both
 * alike. Prints the median of the rounds per case, in nanoseconds per value.
 */
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

const N = 10_000;
const ROUNDS = 31;

interface Subject {
  readonly name: string;
  encodeParams(params: readonly unknown[]): unknown;
  parseTimestamp(text: string): unknown;
  readonly types: Record<string, { toDriver?(v: unknown): unknown }>;
  /** A bulk column's conversion, as dml.ts fromArrays does it. */
  convertColumn(type: { toDriver?(v: unknown): unknown }, values: readonly unknown[]): readonly unknown[];
}

async function load(root: string, name: string): Promise<Subject> {
  const at = (p: string): string => pathToFileURL(resolve(root, p)).href;
  const params = (await import(at("src/core/drivers/types/params.ts"))) as Pick<Subject, "encodeParams">;
  const parsers = (await import(at("src/core/drivers/types/parsers.ts"))) as Pick<Subject, "parseTimestamp">;
  const sqlTypes = (await import(at("src/core/sql/types.ts"))) as { types: Subject["types"] };
  let convertColumn: Subject["convertColumn"];
  try {
    const convert = (await import(at("src/core/types/convert.ts"))) as {
      convertColumn(type: unknown, values: readonly unknown[], target: { target: string }): readonly unknown[];
    };
    convertColumn = (type, values) => convert.convertColumn(type, values, { target: "t.c" });
  } catch {
    convertColumn = (type, values) => {
      const toDriver = type.toDriver?.bind(type);
      return toDriver ? values.map((v) => (v === null ? null : toDriver(v))) : values;
    };
  }
  return { name, encodeParams: params.encodeParams, parseTimestamp: parsers.parseTimestamp, types: sqlTypes.types, convertColumn };
}

const here = resolve(import.meta.dirname, "../..");
const subjects = [await load(here, "this tree")];
if (process.argv[2] !== undefined) subjects.push(await load(process.argv[2], "baseline"));

const base = Date.UTC(2024, 0, 1);
const day = (i: number): string => String(1 + (i % 28)).padStart(2, "0");
const msTexts = Array.from({ length: N }, (_, i) => `2024-01-${day(i)} 12:34:56.${String(i % 1000).padStart(3, "0")}+00`);
const usTexts = Array.from({ length: N }, (_, i) => `2024-01-${day(i)} 12:34:56.${String(i % 1000).padStart(3, "0")}${String(1 + (i % 998)).padStart(3, "0")}+00`);
const dates = Array.from({ length: N }, (_, i) => new Date(base + i * 1_017));
const ints = Array.from({ length: N }, (_, i) => i + 1);
const floats = Array.from({ length: N }, (_, i) => i * 1.25);
const texts = Array.from({ length: N }, (_, i) => `order ${i}`);
const docs = Array.from({ length: N }, (_, i) => ({ sku: `s${i}`, qty: i % 7, tags: ["a", "b"] }));

let sink: unknown;
type Case = readonly [string, (s: Subject) => () => void];
const cases: Case[] = [
  ["parse timestamptz, millisecond text", (s) => () => { for (const t of msTexts) sink = s.parseTimestamp(t); }],
  ["parse timestamptz, microsecond text", (s) => () => { for (const t of usTexts) sink = s.parseTimestamp(t); }],
  ["encode one Date parameter", (s) => () => { for (const d of dates) sink = s.encodeParams([d]); }],
  ["encode a 10,000-Date array parameter", (s) => () => { sink = s.encodeParams([dates]); }],
  ["encode read-back microsecond timestamps (array)", (s) => { const read = usTexts.map((t) => s.parseTimestamp(t)); return () => { sink = s.encodeParams([read]); }; }],
  ["bulk column: integer (convert + encode)", (s) => () => { sink = s.encodeParams([s.convertColumn(s.types.integer!, ints)]); }],
  ["bulk column: double (convert + encode)", (s) => () => { sink = s.encodeParams([s.convertColumn(s.types.double!, floats)]); }],
  ["bulk column: text (convert + encode)", (s) => () => { sink = s.encodeParams([s.convertColumn(s.types.text!, texts)]); }],
  ["bulk column: timestamptz (convert + encode)", (s) => () => { sink = s.encodeParams([s.convertColumn(s.types.timestamptz!, dates)]); }],
  ["bulk column: jsonb documents (convert + encode)", (s) => { const t = (s.types.jsonb as unknown as () => Subject["types"][string])(); return () => { sink = s.encodeParams([s.convertColumn(t, docs)]); }; }],
];

console.log(`${"case".padEnd(50)} ${subjects.map((s) => s.name.padStart(12)).join(" ")}   (ns per value, median of ${ROUNDS})`);
for (const [name, make] of cases) {
  const fns = subjects.map((s) => make(s));
  for (let i = 0; i < 5; i++) for (const fn of fns) fn();
  const times = fns.map(() => [] as number[]);
  for (let r = 0; r < ROUNDS; r++) {
    fns.forEach((fn, k) => {
      const t0 = process.hrtime.bigint();
      fn();
      times[k]!.push(Number(process.hrtime.bigint() - t0) / N);
    });
  }
  const medians = times.map((t) => [...t].sort((a, b) => a - b)[Math.floor(t.length / 2)]!);
  console.log(`${name.padEnd(50)} ${medians.map((m) => m.toFixed(1).padStart(12)).join(" ")}`);
}
void sink;
