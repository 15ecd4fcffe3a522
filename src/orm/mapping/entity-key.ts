/** The hidden static under which a mapped class (or an alias of one) keeps its entity. */
export const ENTITY: unique symbol = Symbol("athanor.entity");
