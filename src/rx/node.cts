// The rxjs values this library uses, for Node (package.json "imports" maps '#rxjs' here under the
// `node` condition): one CommonJS module that requires each file under `rxjs/internal/*`. An ES
// module pays for every CommonJS module it imports itself (Node lexes each for its exports), so
// one import of this file costs about half of importing the same files one by one from esm.ts.
// `exports.name =` is the form Node's lexer finds. Keep the names in step with esm.ts and ../rx.ts.
exports.Observable = require('rxjs/internal/Observable').Observable;
exports.Subject = require('rxjs/internal/Subject').Subject;
exports.BehaviorSubject = require('rxjs/internal/BehaviorSubject').BehaviorSubject;
exports.asyncScheduler = require('rxjs/internal/scheduler/async').asyncScheduler;
exports.firstValueFrom = require('rxjs/internal/firstValueFrom').firstValueFrom;
exports.defer = require('rxjs/internal/observable/defer').defer;
exports.EMPTY = require('rxjs/internal/observable/empty').EMPTY;
exports.from = require('rxjs/internal/observable/from').from;
exports.fromEvent = require('rxjs/internal/observable/fromEvent').fromEvent;
exports.merge = require('rxjs/internal/observable/merge').merge;
exports.of = require('rxjs/internal/observable/of').of;
exports.race = require('rxjs/internal/observable/race').race;
exports.timer = require('rxjs/internal/observable/timer').timer;
exports.audit = require('rxjs/internal/operators/audit').audit;
exports.catchError = require('rxjs/internal/operators/catchError').catchError;
exports.distinctUntilChanged = require('rxjs/internal/operators/distinctUntilChanged').distinctUntilChanged;
exports.exhaustMap = require('rxjs/internal/operators/exhaustMap').exhaustMap;
exports.filter = require('rxjs/internal/operators/filter').filter;
exports.map = require('rxjs/internal/operators/map').map;
exports.mergeAll = require('rxjs/internal/operators/mergeAll').mergeAll;
exports.retry = require('rxjs/internal/operators/retry').retry;
exports.share = require('rxjs/internal/operators/share').share;
exports.switchMap = require('rxjs/internal/operators/switchMap').switchMap;
exports.take = require('rxjs/internal/operators/take').take;
exports.takeUntil = require('rxjs/internal/operators/takeUntil').takeUntil;
