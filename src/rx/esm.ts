// The rxjs values this library uses, each from its own file under `rxjs/internal/*`: what
// bundlers, jest and tsx load for '#rxjs' (package.json "imports", tsconfig "paths"). Node loads
// node.ts instead. Keep the names in step with node.ts and ../rx.ts.
export { Observable } from 'rxjs/internal/Observable';
export { Subject } from 'rxjs/internal/Subject';
export { BehaviorSubject } from 'rxjs/internal/BehaviorSubject';
export { asyncScheduler } from 'rxjs/internal/scheduler/async';
export { defer } from 'rxjs/internal/observable/defer';
export { fromEvent } from 'rxjs/internal/observable/fromEvent';
export { innerFrom } from 'rxjs/internal/observable/innerFrom';
export { race } from 'rxjs/internal/observable/race';
export { timer } from 'rxjs/internal/observable/timer';
export { audit } from 'rxjs/internal/operators/audit';
export { catchError } from 'rxjs/internal/operators/catchError';
export { distinctUntilChanged } from 'rxjs/internal/operators/distinctUntilChanged';
export { exhaustMap } from 'rxjs/internal/operators/exhaustMap';
export { filter } from 'rxjs/internal/operators/filter';
export { map } from 'rxjs/internal/operators/map';
export { mergeAll } from 'rxjs/internal/operators/mergeAll';
export { retry } from 'rxjs/internal/operators/retry';
export { share } from 'rxjs/internal/operators/share';
export { switchMap } from 'rxjs/internal/operators/switchMap';
export { take } from 'rxjs/internal/operators/take';
export { takeUntil } from 'rxjs/internal/operators/takeUntil';
