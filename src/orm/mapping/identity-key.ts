/**
 * The identity-map key of a row: the primary-key value itself for single-column keys (a Map
 * lookup on a number is the cheapest there is), a string of the values for composite keys.
 */
export function compositeKey(values: readonly unknown[]): string {
  let key = "";
  for (const v of values) key += (typeof v === "bigint" ? `${v}n` : JSON.stringify(v)) + "\u0000";
  return key;
}

export function identityKey(values: readonly unknown[]): unknown {
  return values.length === 1 ? values[0] : compositeKey(values);
}
