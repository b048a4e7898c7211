// The rxjs values this library uses, for Node (package.json "imports" maps '#rxjs' here under the
// `node` condition). rxjs is CommonJS in Node, and a caller's `import 'rxjs'` gets those files, so
// these are the same: required from here, one by one under `rxjs/internal/*` (the package index
// loads every operator, ≈220 files), and none with the library. Each value is a stand-in that
// requires its file at its first use, when a store or an event source is built (≈55 files), and
// gives what rxjs's own gives. The classes' stand-ins are constructors that return an instance of
// rxjs's class, so `new Observable(...)` here makes the Observable a caller's rxjs knows (the
// stand-in itself is no base class and no `instanceof` target: nothing here uses it as either).
// An ES module with require(), not a CommonJS one: Node's first CommonJS module imported from an
// ES module costs its loader and lexer (≈4 ms of a 33 ms import here), a require() at first use
// none of that. Loading rxjs's classes with the library took ≈40% of its import (bench/, W9).
// Keep the names in step with esm.ts and ../rx.ts.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** rxjs's `name`, from its `file`. */
const load = <T>(file: string, name: string): T => (require(file) as Record<string, T>)[name]!;
const lazy = (file: string, name: string): ((...args: unknown[]) => unknown) => {
  let loaded: ((...args: unknown[]) => unknown) | undefined;
  return (...args) => (loaded ??= load<NonNullable<typeof loaded>>(file, name))(...args);
};
/** A constructor making an instance of rxjs's class, loaded at the first `new`. */
const lazyClass = (file: string, name: string) => {
  let loaded: (new (...args: unknown[]) => object) | undefined;
  return function (...args: unknown[]) {
    return new (loaded ??= load<NonNullable<typeof loaded>>(file, name))(...args);
  };
};
/** A scheduler passing each call to rxjs's, loaded at the first. */
const lazyScheduler = (file: string, name: string) => {
  let loaded: { now(): number; schedule(...args: unknown[]): unknown } | undefined;
  const scheduler = () => (loaded ??= load<NonNullable<typeof loaded>>(file, name));
  return { now: () => scheduler().now(), schedule: (...args: unknown[]) => scheduler().schedule(...args) };
};

export const Observable = lazyClass('rxjs/internal/Observable', 'Observable');
export const Subject = lazyClass('rxjs/internal/Subject', 'Subject');
export const BehaviorSubject = lazyClass('rxjs/internal/BehaviorSubject', 'BehaviorSubject');
export const asyncScheduler = lazyScheduler('rxjs/internal/scheduler/async', 'asyncScheduler');
export const defer = lazy('rxjs/internal/observable/defer', 'defer');
export const fromEvent = lazy('rxjs/internal/observable/fromEvent', 'fromEvent');
export const innerFrom = lazy('rxjs/internal/observable/innerFrom', 'innerFrom');
export const race = lazy('rxjs/internal/observable/race', 'race');
export const timer = lazy('rxjs/internal/observable/timer', 'timer');
export const audit = lazy('rxjs/internal/operators/audit', 'audit');
export const catchError = lazy('rxjs/internal/operators/catchError', 'catchError');
export const distinctUntilChanged = lazy('rxjs/internal/operators/distinctUntilChanged', 'distinctUntilChanged');
export const exhaustMap = lazy('rxjs/internal/operators/exhaustMap', 'exhaustMap');
export const filter = lazy('rxjs/internal/operators/filter', 'filter');
export const map = lazy('rxjs/internal/operators/map', 'map');
export const mergeAll = lazy('rxjs/internal/operators/mergeAll', 'mergeAll');
export const retry = lazy('rxjs/internal/operators/retry', 'retry');
export const share = lazy('rxjs/internal/operators/share', 'share');
export const switchMap = lazy('rxjs/internal/operators/switchMap', 'switchMap');
export const take = lazy('rxjs/internal/operators/take', 'take');
export const takeUntil = lazy('rxjs/internal/operators/takeUntil', 'takeUntil');
