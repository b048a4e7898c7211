import { data, type ApiAnswer, type ApiCall } from './http.js';
import type { Storages } from './storages.js';

type Method = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE';

/** The `:name` segments of a pattern such as `':id/requests/:requestId'`, as an object of strings. */
type ParamsOf<P extends string> = P extends `${infer Head}/${infer Tail}`
  ? ParamsOf<Head> & ParamsOf<Tail>
  : P extends `:${infer Name}`
    ? { readonly [K in Name]: string }
    : Record<never, never>;

/** An answer to one method on a path; `undefined` for a call not emulated after all (answered 501). */
type Answer<P extends string, C> = (call: ApiCall, opened: C, params: ParamsOf<P>) => Promise<ApiAnswer | undefined>;

/**
 * One path of a resource: `open` makes the checks the path needs whatever the method (the storage
 * it names exists, its id is valid) and hands on what it opened; then an answer per method, or
 * `ANY` for a path whose answer checks more before it looks at the method.
 */
export type PathRoutes<P extends string, C> = { readonly open?: (call: ApiCall, params: ParamsOf<P>) => Promise<C> } & {
  readonly [M in Method | 'ANY']?: Answer<P, C>;
};

type Params = Readonly<Record<string, string>>;

export interface Route {
  readonly segments: readonly string[];
  readonly open: (call: ApiCall, params: Params) => Promise<unknown>;
  readonly answerTo: (method: string) => ((call: ApiCall, opened: unknown, params: Params) => Promise<ApiAnswer | undefined>) | undefined;
}

/** A resource's router: its answer to a call, `undefined` when it does not emulate it (501). */
export type Router = (call: ApiCall) => Promise<ApiAnswer | undefined>;

/** The routes of path `pattern` (segments after the resource name, each literal or `:name`; `''` for the resource itself). */
export function at<P extends string, C = undefined>(pattern: P, routes: PathRoutes<P, C>): Route {
  const answers = routes as Partial<Record<string, (call: ApiCall, opened: unknown, params: Params) => Promise<ApiAnswer | undefined>>>;
  return {
    segments: pattern === '' ? [] : pattern.split('/'),
    open: (routes.open as ((call: ApiCall, params: Params) => Promise<unknown>) | undefined) ?? (async () => undefined),
    answerTo: (method) => answers[method as Method] ?? answers.ANY,
  };
}

function match(segments: readonly string[], path: readonly string[]): Params | undefined {
  if (segments.length !== path.length) return undefined;
  const params: Record<string, string> = {};
  for (const [i, segment] of segments.entries()) {
    if (segment.startsWith(':')) params[segment.slice(1)] = path[i]!;
    else if (segment !== path[i]) return undefined;
  }
  return params;
}

/**
 * A resource's routes as one table. The first route whose path and method match answers; a path
 * some route has, called with a method none answers, is opened all the same, and so is the
 * longest route a path no route has begins with (`:runId` for `run-2/metamorph`), so that a
 * missing storage or run, or a bad id, answers (404, 400) before "not emulated" (501) does, as
 * the platform says what is wrong with the call first.
 */
export function router(routes: readonly Route[]): Router {
  return async (call) => {
    let known: { route: Route; params: Params } | undefined;
    for (const route of routes) {
      const params = match(route.segments, call.path);
      if (!params) continue;
      const answer = route.answerTo(call.method);
      if (answer) return answer(call, await route.open(call, params), params);
      known ??= { route, params };
    }
    known ??= longestPrefix(routes, call.path);
    if (known) await known.route.open(call, known.params);
    return undefined;
  };
}

/** The route with the most segments that match the start of a longer `path`, with its params. */
function longestPrefix(routes: readonly Route[], path: readonly string[]): { route: Route; params: Params } | undefined {
  let longest: { route: Route; params: Params } | undefined;
  for (const route of routes) {
    const { length } = route.segments;
    if (length === 0 || length >= path.length || length <= (longest?.route.segments.length ?? 0)) continue;
    const params = match(route.segments, path.slice(0, length));
    if (params) longest = { route, params };
  }
  return longest;
}

/** The routes every kind of storage has: `POST /` (named: get or create), `GET /:id`, `DELETE /:id`. */
export function storageRoutes<T>(stores: Storages<T>, info: (storage: T) => unknown): Route[] {
  return [
    at('', { POST: async (call) => data(info(await stores.getOrCreate(call.query.get('name') || null)), 201) }),
    at(':id', {
      open: (_call, { id }) => stores.get(id),
      GET: async (_call, storage) => data(info(storage)),
      DELETE: async (_call, _storage, { id }) => {
        await stores.drop(id);
        return { status: 204 };
      },
    }),
  ];
}
