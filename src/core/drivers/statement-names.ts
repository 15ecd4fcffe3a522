/**
 * Server-side prepared statement names derived from the SQL text, so the same statement shape
 * is parsed once per connection. The hash is computed once per distinct SQL string.
 */
import { createHash } from "node:crypto";

/** Only these statements are worth preparing; DDL and transaction control run unnamed. */
const PREPARABLE = /^\s*(select|insert|update|delete|with|values|table|merge)\b/i;

/** Bounds the memo for applications that (wrongly) build SQL with inlined values. */
const MAX_MEMO = 10_000;

const memo = new Map<string, string | null>();

/** A stable name for `sql` ("ath_<16 hex>"), or undefined for statements not worth preparing. */
export function statementName(sql: string): string | undefined {
  let name = memo.get(sql);
  if (name === undefined) {
    name = PREPARABLE.test(sql) ? `ath_${createHash("sha1").update(sql).digest("hex").slice(0, 16)}` : null;
    if (memo.size >= MAX_MEMO) memo.clear();
    memo.set(sql, name);
  }
  return name ?? undefined;
}

/** Also used by postgres.js, which names statements itself but needs the same decision. */
export function isPreparable(sql: string): boolean {
  return statementName(sql) !== undefined;
}
