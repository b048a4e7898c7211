// The one module through which this library uses rxjs (an ESLint rule keeps it so). Values come
// from '#rxjs' (package.json "imports"): in Node a CommonJS module (rx/node.cts) requiring only
// the files under `rxjs/internal/*` used here, since the package index loads every operator
// (≈220 files, most of this library's import time), and the functions' files only at their first
// call; elsewhere the same files as ES modules (rx/esm.ts). They are the files the index
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
  EMPTY,
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
 * rxjs's `merge(...sources)` (no scheduler, no limit): each source subscribed at once, their values
 * as they come; through innerFrom, as rxjs's own does it, since rxjs's `merge` loads `from` and its
 * schedulers, which nothing else here uses (11 files in Node, at a store's open).
 * @internal
 */
export function merge<A extends readonly unknown[]>(...sources: [...ObservableInputTuple<A>]): Rx.Observable<A[number]> {
  const inputs = sources as readonly Rx.ObservableInput<A[number]>[];
  return values.innerFrom(inputs).pipe(values.mergeAll());
}
