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
 * An Observable that stands for `make()`'s until something touches it: made at the first `pipe`,
 * `subscribe`, property read, `instanceof` or `util.inspect`, so that a constant like `events$`
 * costs no rxjs file at import in Node (src/rx/node.ts). `make()` must return a new Observable that
 * nothing else holds: its prototype and own properties move onto the Proxy's target (an rxjs
 * Observable keeps its state there, reached through `this`), and the Proxy's traps are then
 * removed. From then on it is that Observable to every operation, so Proxy's invariants hold
 * whatever a caller does (`Object.freeze`, a property that is not configurable), and
 * `util.inspect`, which reads a Proxy's target without its traps, shows the Observable.
 * @internal
 */
export function lazyObservable<O extends Rx.Observable<unknown>>(make: () => O): O {
  const handler: ProxyHandler<O> = {};
  // Until it is made, the target's prototype answers only util.inspect (the traps answer the rest).
  const target = Object.create({
    [Symbol.for('nodejs.util.inspect.custom')]: (depth: number, options: object, inspect: (value: unknown, options: object) => string) =>
      inspect(become(), { ...options, depth }),
  }) as O;
  let made = false;
  const become = (): O => {
    if (made) return target;
    const observable = make();
    Object.setPrototypeOf(target, Object.getPrototypeOf(observable));
    Object.defineProperties(target, Object.getOwnPropertyDescriptors(observable));
    made = true;
    for (const trap of Object.keys(handler)) delete handler[trap as keyof typeof handler];
    return target;
  };
  const traps = [
    'get',
    'set',
    'has',
    'deleteProperty',
    'defineProperty',
    'getOwnPropertyDescriptor',
    'ownKeys',
    'getPrototypeOf',
    'setPrototypeOf',
    'isExtensible',
    'preventExtensions',
  ] as const;
  for (const trap of traps) {
    (handler as Record<string, unknown>)[trap] = (_: O, ...args: unknown[]) => (Reflect[trap] as (target: O, ...args: unknown[]) => unknown)(become(), ...args);
  }
  return new Proxy(target, handler);
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
