/**
 * Identifier quoting for PostgreSQL: names that are lowercase and not reserved stay bare (so echoed
 * SQL reads like hand-written SQL); anything else is double-quoted with quotes doubled.
 */
const RESERVED = new Set(
  ("all analyse analyze and any array as asc asymmetric authorization binary both case cast check collate collation " +
    "column concurrently constraint create cross current_catalog current_date current_role current_schema " +
    "current_time current_timestamp current_user default deferrable desc distinct do else end except false " +
    "fetch for foreign freeze from full grant group having ilike in initially inner intersect into is isnull " +
    "join lateral leading left like limit localtime localtimestamp natural not notnull null offset on only or " +
    "order outer overlaps placing primary references returning right select session_user similar some symmetric " +
    "system_user table tablesample then to trailing true union unique user using variadic verbose when where window with")
    .split(" "),
);

const SAFE = /^[a-z_][a-z0-9_$]*$/;
const cache = new Map<string, string>();

export function quoteIdentifier(name: string): string {
  let quoted = cache.get(name);
  if (quoted === undefined) {
    quoted = SAFE.test(name) && !RESERVED.has(name) ? name : `"${name.replaceAll('"', '""')}"`;
    cache.set(name, quoted);
  }
  return quoted;
}
