// The one module through which this library uses rxjs (an ESLint rule keeps it so). Values come
// from '#rxjs' (package.json "imports"): in Node a module (rx/node.ts) requiring only
// the files under `rxjs/internal/*` used here, since the package index loads every operator
// (≈220 files, most of this library's import time), and each of them only at its first use;
// elsewhere the same files as ES modules (rx/esm.ts). They are the files the index
// re-exports, so a caller's `Observable` from 'rxjs' is the same class. When rxjs changes its layout, only src/rx* change; spec/import-cost.spec.ts
// says whether the index came back.
//
// The declarations must not mention '#rxjs' (TypeScript's node10 resolution cannot follow it), so
// types come from rxjs's public index: the classes as typed constants, the functions (whose types
// no declaration names) re-exported as they are, marked internal so the declarations leave them out.
import type * as Rx from 'rxjs';
import * as values from '#rxjs';

export type { MonoTypeOperatorFunction, ObservableInput, OperatorFunction, SchedulerLike, Subscription } from 'rxjs';
import type { ObservableInputTuple } from 'rxjs';
export type Observable<T> = Rx.Observable<T>;
export type Subject<T> = Rx.Subject<T>;
export type BehaviorSubject<T> = Rx.BehaviorSubject<T>;
export const Observable: typeof Rx.Observable = values.Observable;
export const Subject: typeof Rx.Subject = values.Subject;
export const BehaviorSubject: typeof Rx.BehaviorSubject = values.BehaviorSubject;

/** @internal */
export {
  asyncScheduler,
  defer,
  fromEvent,
  innerFrom,
  race,
  timer,
  audit,
  catchError,
  distinctUntilChanged,
  exhaustMap,
  filter,
  map,
  mergeAll,
  retry,
  share,
  switchMap,
  take,
  takeUntil,
} from '#rxjs';

/**
 * An Observable that stands for `make()`'s until something touches it, then forwards every
 * operation to it: made at the first `pipe`, `subscribe`, property read or `instanceof`, so that a
 * constant like `events$` costs no rxjs file at import in Node (src/rx/node.ts). It passes
 * `instanceof Observable` and `isObservable`, since its prototype is the made one's.
 * @internal
 */
export function lazyObservable<O extends Rx.Observable<unknown>>(make: () => O): O {
  let made: O | undefined;
  const real = (): O => (made ??= make());
  // The target is only a placeholder: every trap answers from the made Observable. Its properties are
  // all configurable (rxjs assigns them), so forwarding keeps Proxy's invariants.
  return new Proxy(Object.create(null) as O, {
    get: (_, key) => Reflect.get(real(), key),
    set: (_, key, value) => Reflect.set(real(), key, value),
    has: (_, key) => Reflect.has(real(), key),
    deleteProperty: (_, key) => Reflect.deleteProperty(real(), key),
    defineProperty: (_, key, descriptor) => Reflect.defineProperty(real(), key, descriptor),
    getOwnPropertyDescriptor: (_, key) => Reflect.getOwnPropertyDescriptor(real(), key),
    ownKeys: () => Reflect.ownKeys(real()),
    getPrototypeOf: () => Reflect.getPrototypeOf(real()),
  });
}

/** rxjs's `EMPTY` (an Observable that completes at once, as rxjs makes it), made at its first use. @internal */
export const EMPTY: Rx.Observable<never> = lazyObservable(() => new Observable<never>((subscriber) => subscriber.complete()));

/**
 * rxjs's `merge(...sources)` (no scheduler, no limit): each source subscribed at once, their values
 * as they come; through innerFrom, as rxjs's own does it, since rxjs's `merge` loads `from` and its
 * schedulers, which nothing else here uses (11 files in Node, at a store's open).
 * @internal
 */
export function merge<A extends readonly unknown[]>(...sources: [...ObservableInputTuple<A>]): Rx.Observable<A[number]> {
  const inputs = sources as readonly Rx.ObservableInput<A[number]>[];
  return values.innerFrom(inputs).pipe(values.mergeAll());
}
