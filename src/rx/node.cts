// The rxjs values this library uses, for Node (package.json "imports" maps '#rxjs' here under the
// `node` condition): one CommonJS module that requires files under `rxjs/internal/*`. An ES module
// pays for every CommonJS module it imports itself (Node lexes each for its exports), so this one
// file stands for all of them. None of rxjs's files load with the library: each value is a stand-in
// that requires its file at the first use, when a store or an event source is built (≈55 files),
// and gives what rxjs's own gives. The classes' stand-ins are constructors that return an instance
// of rxjs's class, so `new Observable(...)` here makes the Observable a caller's rxjs knows (the
// stand-in itself is no base class and no `instanceof` target: nothing here uses it as either).
// Loading rxjs's classes with the library took about 40% of its import (bench/, W9).
// `exports.name =` is the form Node's lexer finds. Keep the names in step with esm.ts and ../rx.ts.
const lazy = (file: string, name: string): ((...args: unknown[]) => unknown) => {
  let loaded: ((...args: unknown[]) => unknown) | undefined;
  return (...args) => (loaded ??= require(file)[name])(...args);
};
/** A constructor making an instance of rxjs's class, loaded at the first `new`. */
const lazyClass = (file: string, name: string) => {
  let loaded: (new (...args: unknown[]) => object) | undefined;
  return function (...args: unknown[]) {
    return new (loaded ??= require(file)[name] as NonNullable<typeof loaded>)(...args);
  };
};
/** A scheduler passing each call to rxjs's, loaded at the first. */
const lazyScheduler = (file: string, name: string) => {
  let loaded: { now(): number; schedule(...args: unknown[]): unknown } | undefined;
  const scheduler = () => (loaded ??= require(file)[name] as NonNullable<typeof loaded>);
  return { now: () => scheduler().now(), schedule: (...args: unknown[]) => scheduler().schedule(...args) };
};

exports.Observable = lazyClass('rxjs/internal/Observable', 'Observable');
exports.Subject = lazyClass('rxjs/internal/Subject', 'Subject');
exports.BehaviorSubject = lazyClass('rxjs/internal/BehaviorSubject', 'BehaviorSubject');
exports.asyncScheduler = lazyScheduler('rxjs/internal/scheduler/async', 'asyncScheduler');
exports.defer = lazy('rxjs/internal/observable/defer', 'defer');
exports.fromEvent = lazy('rxjs/internal/observable/fromEvent', 'fromEvent');
exports.innerFrom = lazy('rxjs/internal/observable/innerFrom', 'innerFrom');
exports.race = lazy('rxjs/internal/observable/race', 'race');
exports.timer = lazy('rxjs/internal/observable/timer', 'timer');
exports.audit = lazy('rxjs/internal/operators/audit', 'audit');
exports.catchError = lazy('rxjs/internal/operators/catchError', 'catchError');
exports.distinctUntilChanged = lazy('rxjs/internal/operators/distinctUntilChanged', 'distinctUntilChanged');
exports.exhaustMap = lazy('rxjs/internal/operators/exhaustMap', 'exhaustMap');
exports.filter = lazy('rxjs/internal/operators/filter', 'filter');
exports.map = lazy('rxjs/internal/operators/map', 'map');
exports.mergeAll = lazy('rxjs/internal/operators/mergeAll', 'mergeAll');
exports.retry = lazy('rxjs/internal/operators/retry', 'retry');
exports.share = lazy('rxjs/internal/operators/share', 'share');
exports.switchMap = lazy('rxjs/internal/operators/switchMap', 'switchMap');
exports.take = lazy('rxjs/internal/operators/take', 'take');
exports.takeUntil = lazy('rxjs/internal/operators/takeUntil', 'takeUntil');
