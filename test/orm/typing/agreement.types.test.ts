/**
 * Type-only companions of agreement.test.ts (docs/typing.md, "Types and runtime agree"): cases
 * that need no database, checked by `tsc --noEmit` in `npm test`. Each `@ts-expect-error` must be
 * an error; every other line must compile. The run-time side of each is in agreement.test.ts.
 */
import { describe, expect, expectTypeOf, it } from "vitest";
import {
  aliased, column, declarativeBase, EntitySelect, joinedload, load, noload, raiseload, select, selectinload, withLoaderCriteria,
  type Aliased, type AnyLoad, type Json, type Loaded, type Session,
} from "../../../src/index.js";
import { Invoice, Order, Product, User } from "../../fixtures/models.js";

/** Never called: only tsc looks at these. */
export async function checks(session: Session): Promise<void> {
  // Options apply to the entity they start from, among all selected ones (aliases included).
  const u = aliased(User);
  const o = aliased(Order);
  expectTypeOf(select(u)).toEqualTypeOf<EntitySelect<readonly [User]>>();
  expectTypeOf(select(User, o)).toEqualTypeOf<EntitySelect<readonly [User, Order]>>();
  expectTypeOf(select(u, o.total)).toEqualTypeOf<EntitySelect<readonly [User, number]>>();
  const pair = (await session.execute(select(u, o).options(selectinload(o.products), joinedload(u.invoice)))).all()[0]!;
  expectTypeOf(pair[0].invoice).toEqualTypeOf<Invoice | null>();
  expectTypeOf(pair[1].products).toEqualTypeOf<Product[]>();
  // The same option through the class or the alias types the result alike.
  expectTypeOf(select(u).options(selectinload(User.orders))).toEqualTypeOf(select(User).options(selectinload(User.orders)));
  expectTypeOf(select(u).options(load(u).selectinload(u.orders))).toEqualTypeOf(select(User).options(selectinload(User.orders)));
  // A Loaded<> parameter takes rows selected through an alias.
  const viaAlias = (await session.execute(select(u).options(selectinload(u.orders).selectinload(o.products)))).scalars().all();
  const takesLoaded = (user: Loaded<User, "orders.products">): number => user.orders.length;
  takesLoaded(viaAlias[0]!);
  expectTypeOf(u).toEqualTypeOf<Aliased<typeof User>>();

  // @ts-expect-error Order is not selected
  select(User).options(selectinload(User.orders), selectinload(Order.products));
  // @ts-expect-error the second options() call is checked against the same row
  select(User).options(selectinload(User.orders)).options(joinedload(Order.user));
  // @ts-expect-error raiseload of a relationship starts at its entity too
  select(User).options(raiseload(Order.user));
  // @ts-expect-error noload too
  select(Invoice).options(noload(Order.products));
  // @ts-expect-error get(Order) selects orders
  await session.get(Order, 1, { options: [selectinload(User.orders)] });
  await session.get(Order, 1, { options: [selectinload(Order.user), raiseload("*"), load(User).raiseload("*")] });
  // Several options, several entities, anything without a relationship step: accepted.
  select(User, Order).options(selectinload(User.orders), joinedload(Order.user), withLoaderCriteria(Product, Product.id.gt(0)), noload("*"));
  select(User.id, Order).options(selectinload(Order.products));
  // A statement whose row type is not known leaves the check to the run time.
  const unknownRow: EntitySelect<readonly unknown[]> = select(User);
  unknownRow.options(selectinload(Order.products));

  // Options typed only as AnyLoad (built at run time) compile and load nothing, as far as the types know.
  const dynamic: AnyLoad[] = [selectinload(User.orders)];
  const dynamicUsers = (await session.execute(select(User).options(...dynamic))).scalars().all();
  expectTypeOf(dynamicUsers).toEqualTypeOf<User[]>();

  // Chains: every step moves to its target; "*" ends the chain.
  selectinload(User.orders).noload(Order.user).joinedload(User.invoice);
  // @ts-expect-error after noload(Order.user) the chain is at users
  selectinload(User.orders).noload(Order.user).selectinload(Order.products);
  // @ts-expect-error nothing follows "*"
  load(User).noload("*").raiseload("*");
}

// JSON columns: Json without a type argument, wherever the call stands; a declared shape otherwise.
interface JsonModels { Setting: Setting }
const JsonBase = declarativeBase<JsonModels>();
class Setting extends JsonBase.entity("json_settings", {
  id: column.integer().primaryKey(),
  value: column.json(),
  binary: column.jsonb(),
  optional: column.json().nullable(),
  shaped: column.jsonb<{ retries: number; hosts: string[] }>(),
  list: column.array(column.json().options.type),
}) {}
JsonBase.register({ Setting });
expectTypeOf<Setting["value"]>().toEqualTypeOf<Json>();
expectTypeOf<Setting["binary"]>().toEqualTypeOf<Json>();
expectTypeOf<Setting["optional"]>().toEqualTypeOf<Json>();
expectTypeOf<Setting["shaped"]>().toEqualTypeOf<{ retries: number; hosts: string[] }>();
expectTypeOf(Setting.value.eq).parameter(0).toEqualTypeOf<Json | import("../../../src/index.js").Expression<Json> | null>();
expectTypeOf(column.json()).toEqualTypeOf(column.jsonb());
// @ts-expect-error a Date is not a JSON value
new Setting({ value: new Date(), binary: 1, shaped: { retries: 1, hosts: [] }, list: [] });
// @ts-expect-error the shape is checked
new Setting({ value: 1, binary: 1, shaped: { retries: "1", hosts: [] }, list: [] });

describe("agreement types", () => {
  it("is checked by tsc in npm test", () => {
    expect(typeof checks).toBe("function");
  });
});
