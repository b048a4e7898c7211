import { inspect } from 'node:util';
import { firstValueFrom, isObservable, merge, Observable, of, take, toArray } from 'rxjs';
import { EMPTY, lazyObservable } from '../src/rx.js';

describe('lazyObservable', () => {
  const counted = () => {
    let made = 0;
    const lazy = lazyObservable(() => {
      made += 1;
      return Object.assign(of(1, 2, 3), { extra$: of('x') });
    });
    return { lazy, made: () => made };
  };

  test('makes nothing until touched, then once', async () => {
    const { lazy, made } = counted();
    expect(made()).toBe(0);
    await expect(firstValueFrom(lazy.pipe(toArray()))).resolves.toEqual([1, 2, 3]);
    await expect(firstValueFrom(lazy.pipe(take(1)))).resolves.toBe(1);
    expect(made()).toBe(1);
  });

  test("is an Observable of the caller's rxjs: instanceof, isObservable, and a source of rxjs's own merge", async () => {
    const { lazy } = counted();
    expect(lazy instanceof Observable).toBe(true);
    expect(isObservable(lazy)).toBe(true);
    await expect(firstValueFrom(merge(lazy, of(4)).pipe(toArray()))).resolves.toEqual([1, 2, 3, 4]);
  });

  test("shows the made one's own properties: read, listed, `in`", async () => {
    const { lazy } = counted();
    expect('extra$' in lazy).toBe(true);
    expect(Object.keys(lazy)).toContain('extra$');
    await expect(firstValueFrom(lazy.extra$)).resolves.toBe('x');
  });

  test('subscribe with an observer object or a function, and unsubscribe', () => {
    const { lazy } = counted();
    const seen: number[] = [];
    lazy.subscribe((value) => seen.push(value));
    lazy.subscribe({ next: (value) => seen.push(value * 10) });
    expect(seen).toEqual([1, 2, 3, 10, 20, 30]);
    expect(lazy.subscribe(() => undefined).closed).toBe(true);
  });

  // A Proxy whose target lacked what its traps reported broke here: each of these threw a TypeError
  // ever after (instanceof, isObservable, Object.keys), as a deep-freezing caller would meet it.
  test.each([
    ['Object.freeze', (o: object) => Object.freeze(o)],
    ['Object.seal', (o: object) => Object.seal(o)],
    ['Object.preventExtensions', (o: object) => Object.preventExtensions(o)],
    ['a property that is not configurable', (o: object) => Object.defineProperty(o, 'tag', { value: 'mine', enumerable: true })],
  ])('%s, before or after its first use, leaves it an Observable', async (_, change) => {
    for (const touchFirst of [false, true]) {
      const { lazy } = counted();
      if (touchFirst) expect(lazy instanceof Observable).toBe(true);
      change(lazy);
      expect(lazy instanceof Observable).toBe(true);
      expect(isObservable(lazy)).toBe(true);
      expect(Object.keys(lazy)).toEqual(expect.arrayContaining(['extra$']));
      expect(Object.getOwnPropertyDescriptor(lazy, 'extra$')?.value).toBeInstanceOf(Observable);
      await expect(firstValueFrom(lazy.pipe(toArray()))).resolves.toEqual([1, 2, 3]);
    }
  });

  test('util.inspect (console.log) shows the Observable, before its first use too', () => {
    const { lazy, made } = counted();
    expect(inspect(lazy)).toMatch(/^Observable \{.*'extra\$': Observable/s);
    expect(made()).toBe(1);
    expect(inspect({ nested: lazy }, { depth: 0 })).toBe('{ nested: [Observable] }');
  });
});

test("EMPTY completes at once with no value, as rxjs's does", async () => {
  await expect(firstValueFrom(EMPTY.pipe(toArray()))).resolves.toEqual([]);
  expect(EMPTY instanceof Observable).toBe(true);
});
