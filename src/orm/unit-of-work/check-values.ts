/**
 * Every value a flush will write, checked against its column's type rule before the first
 * statement (docs/values.md): a value the column cannot hold exactly raises InvalidValueError
 * naming `Entity.attribute`, and nothing of the flush is sent. The statements convert the values
 * again as they bind them; the rules are cheap next to the round trip (bench/micro/values.ts).
 */
import { convertValue } from "../../core/types/convert.js";
import { EXPIRED, NOT_SET, STATE, type Instrumented } from "../mapping/instance-state.js";
import type { ColumnProperty, Mapper } from "../mapping/mapper.js";

/** The values of a new object that its INSERT will send. */
export function checkInsertValues(obj: Instrumented): void {
  const state = obj[STATE];
  const values = state.values;
  for (const col of state.mapper.columns) checkValue(state.mapper, col, values[col.index]);
}

/** The changed values of a persistent object that its UPDATE will send. */
export function checkUpdateValues(obj: Instrumented): void {
  const state = obj[STATE];
  if (!state.changes) return;
  for (const index of state.changes.keys()) checkValue(state.mapper, state.mapper.columns[index]!, state.values[index]);
}

function checkValue(mapper: Mapper, col: ColumnProperty, value: unknown): void {
  if (value === NOT_SET || value === EXPIRED || value === null || value === undefined) return;
  const toDriver = col.spec.type.toDriver;
  if (toDriver === undefined) return;
  convertValue(col.spec.type, value, {
    target: `${mapper.name}.${col.key}`, entity: mapper.name, attribute: col.key, table: mapper.table.name, column: col.spec.name,
  });
}

/** `session.get(Entity, key)`: each key value against its primary-key column, named as the attribute. */
export function checkKeyValues(mapper: Mapper, values: readonly unknown[]): void {
  for (let i = 0; i < values.length; i++) checkValue(mapper, mapper.primaryKey[i]!, values[i]);
}
