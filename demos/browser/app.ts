// A reading list whose state lives in rx-persistent-store on IndexedDB: it survives reloads,
// closed tabs and frozen pages, and two open tabs stay in step.
import { createPersistentStore } from '../../src/browser.js';
import { statusText } from '../shared/status-text.js';

interface Item {
  id: string;
  title: string;
  read: boolean;
}

const store = await createPersistentStore({
  key: 'READING_LIST',
  initial: { items: [] as Item[] },
  onConflict: 'rebase', // two tabs: each one's changes land on top of the other's
  debounceMs: 400,
});

const $ = <E extends HTMLElement>(id: string) => document.getElementById(id) as E;
const list = $<HTMLUListElement>('items');

store
  .select((s) => s.items)
  .subscribe((items) => {
    list.replaceChildren(
      ...items.map((item) => {
        const li = document.createElement('li');
        li.className = item.read ? 'read' : '';
        li.dataset.id = item.id;
        const box = Object.assign(document.createElement('input'), { type: 'checkbox', checked: item.read, title: 'Read' });
        box.addEventListener('change', () => store.update((s) => void (s.items.find((i) => i.id === item.id)!.read = box.checked)));
        const title = Object.assign(document.createElement('span'), { className: 'title', textContent: item.title });
        const remove = Object.assign(document.createElement('button'), { textContent: 'Remove', type: 'button' });
        remove.addEventListener('click', () =>
          store.update(
            (s) =>
              void s.items.splice(
                s.items.findIndex((i) => i.id === item.id),
                1,
              ),
          ),
        );
        li.append(box, title, remove);
        return li;
      }),
    );
    const unread = items.filter((i) => !i.read).length;
    $('count').textContent = `${items.length} item${items.length === 1 ? '' : 's'}, ${unread} unread`;
  });

store.status$.subscribe((status) => {
  const el = $('status');
  el.textContent = statusText(status);
  el.className = `status ${status.phase}`;
  el.dataset.phase = status.phase;
});

$<HTMLFormElement>('add').addEventListener('submit', (event) => {
  event.preventDefault();
  const input = $<HTMLInputElement>('title');
  const title = input.value.trim();
  if (title === '') return;
  store.update((s) => void s.items.push({ id: crypto.randomUUID(), title, read: false }));
  input.value = '';
});
document.body.dataset.ready = 'true';
