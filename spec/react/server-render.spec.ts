import { createElement } from 'react';
import { renderToString } from 'react-dom/server';
import { EMPTY } from 'rxjs';
import { memoryAdapter } from '../../src/adapters/memory-adapter.js';
import { createPersistentStore } from '../../src/store/create-persistent-store.js';
import { useStoreState, useStoreStatus } from '../../src/react.js';

// Without a getServerSnapshot, React refuses to render useSyncExternalStore on the server.
test('on the server, the hooks render what the store holds', async () => {
  const store = await createPersistentStore({ key: 'SSR', initial: { items: ['server'] }, adapter: memoryAdapter(), events: EMPTY });
  try {
    const Page = () => {
      const items = useStoreState(store, (s) => s.items);
      const { phase } = useStoreStatus(store);
      return createElement('p', null, `${items.join(',')} (${phase})`);
    };
    expect(renderToString(createElement(Page))).toBe('<p>server (idle)</p>');
  } finally {
    await store.close();
  }
});
