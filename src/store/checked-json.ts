/**
 * Marks a class whose instances serialise themselves (`toJSON`) and check their own contents,
 * so `assertJson` accepts them as they are.
 */
export const CHECKED_JSON = Symbol('rx-persistent-store.checkedJson');
