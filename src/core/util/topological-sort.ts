/**
 * Orders items so that each comes after everything it depends on (Kahn's algorithm, stable:
 * independent items keep their input order). Dependencies on items outside the list, and on
 * the item itself (self-referential tables), are ignored; a true cycle keeps the remaining items
 * in input order, since PostgreSQL checks the constraints only at statement end anyway for
 * those rows the caller must then order itself.
 */
export function topologicalSort<T>(items: readonly T[], dependsOn: (item: T) => Iterable<T>): T[] {
  const inList = new Set(items);
  const remaining = new Map<T, Set<T>>();
  for (const item of items) {
    const deps = new Set<T>();
    for (const d of dependsOn(item)) if (d !== item && inList.has(d)) deps.add(d);
    remaining.set(item, deps);
  }
  const sorted: T[] = [];
  while (remaining.size > 0) {
    const ready = [...remaining].filter(([, deps]) => deps.size === 0).map(([item]) => item);
    const next = ready.length > 0 ? ready : [remaining.keys().next().value as T];
    for (const item of next) {
      remaining.delete(item);
      sorted.push(item);
      for (const deps of remaining.values()) deps.delete(item);
    }
  }
  return sorted;
}
