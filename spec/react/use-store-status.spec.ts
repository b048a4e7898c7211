/**
 * @jest-environment jsdom
 */
import { act, createElement } from 'react';
import { reactRoot } from '../support/react-root.js';
import { countedSubscriptions } from '../support/counted-subscriptions.js';
import { EMPTY, filter, firstValueFrom } from 'rxjs';
import { createPersistentStore, type PersistentStore } from '../../src/store/create-persistent-store.js';
import type { PersistenceStatus } from '../../src/store/persistence-status.js';
import { useStoreStatus, type StatusSource } from '../../src/react/use-store-status.js';
import { controlledAdapter } from '../support/controlled-adapter.js';

let control: ReturnType<typeof controlledAdapter>;
let store: PersistentStore<{ count: number }>;

beforeEach(async () => {
  control = controlledAdapter();
  store = await createPersistentStore({ key: 'STATUS', initial: { count: 0 }, adapter: control.adapter, events: EMPTY, logger: false });
});
afterEach(() => store.close());

const { render, unmount, container } = reactRoot();

const renders: PersistenceStatus[] = [];
const Status = ({ source }: { source: StatusSource }) => {
  const status = useStoreStatus(source);
  renders.push(status);
  return createElement(
    'p',
    { id: 'status', 'data-phase': status.phase },
    status.lastSavedAt === null ? `${status.phase}, nothing saved` : `${status.phase}, saved`,
  );
};
const shown = () => container().querySelector('#status')?.textContent;
const until = (phase: PersistenceStatus['phase']) => act(() => firstValueFrom(store.status$.pipe(filter((s) => s.phase === phase))));

beforeEach(() => void renders.splice(0));

test('the status follows each write: dirty, saving, then idle with the time it was saved', async () => {
  await render(createElement(Status, { source: store }));
  expect(shown()).toBe('idle, nothing saved');
  control.holdWrites();
  await act(async () => void store.update((s) => void s.count++));
  expect(shown()).toBe('dirty, nothing saved');
  let flushed!: Promise<void>;
  await act(async () => void (flushed = store.flush())); // the write starts at once, held open
  expect(shown()).toBe('saving, nothing saved');
  control.release();
  await act(async () => flushed);
  expect(shown()).toBe('idle, saved');
  expect(renders.map((s) => [s.phase, s.pending])).toEqual([
    ['idle', 0],
    ['dirty', 1],
    ['saving', 1],
    ['idle', 0],
  ]);
  expect(renders.at(-1)!.lastSavedAt).toBe(store.getStatus().lastSavedAt);
});

test('a failed write shows as error with its cause, until a write lands', async () => {
  await render(createElement(Status, { source: store }));
  control.failNext(new Error('disk full'));
  await act(async () => void store.update((s) => void s.count++));
  let flushed!: Promise<unknown>;
  await act(async () => void (flushed = store.flush().catch((error: unknown) => error)));
  await until('error');
  expect(renders.at(-1)!.lastError?.message).toBe('disk full');
  await act(async () => void (await flushed));
  await act(async () => store.flush()); // the next round writes
  expect(shown()).toBe('idle, saved');
});

test('unmounting unsubscribes from status$', async () => {
  const status$ = countedSubscriptions(store.status$);
  const source: StatusSource = { getStatus: () => store.getStatus(), status$: status$.observable };
  await render(createElement(Status, { source }));
  expect(status$.active()).toBe(1);
  await unmount();
  expect(status$.active()).toBe(0);
  const before = renders.length;
  await act(async () => store.flush());
  store.update((s) => void s.count++); // outside act: a warning if anything still listened
  expect(renders.length).toBe(before);
});
