// A counter and a to-do list kept in rx-persistent-store on IndexedDB, rendered with React
// through `rx-persistent-store/react`. Each component selects only what it shows, so a click on
// "+" re-renders the counter and the status line, not the list (each says how often it rendered).
import { useEffect, useState, type FormEvent } from 'react';
import { createRoot } from 'react-dom/client';
import { createPersistentStore, indexedDbAdapter } from '../../src/browser.js';
import { useStoreState, useStoreStatus } from '../../src/react.js';
import { statusText } from '../shared/status-text.js';

interface Todo {
  id: string;
  title: string;
  done: boolean;
}

// Opened once, before the first render: the page shows the stored state from the start.
const store = await createPersistentStore({
  key: 'REACT_DEMO',
  initial: { count: 0, todos: [] as Todo[] },
  adapter: indexedDbAdapter(),
  onConflict: 'rebase', // two tabs: each one's changes land on top of the other's
  debounceMs: 400,
});

/** Renders per component, shown on the page: what a selector saves is visible. */
const renders: Record<string, number> = {};
const Renders = ({ of }: { of: string }) => <small className="renders">rendered {renders[of]}×</small>;
const rendered = (name: string) => void (renders[name] = (renders[name] ?? 0) + 1);

function Counter() {
  rendered('counter');
  const count = useStoreState(store, (s) => s.count);
  const add = (by: number) => store.update((s) => void (s.count += by));
  return (
    <section id="counter">
      <button type="button" aria-label="minus one" onClick={() => add(-1)}>
        −
      </button>
      <output id="count">{count}</output>
      <button type="button" aria-label="plus one" onClick={() => add(1)}>
        +
      </button>
      <Renders of="counter" />
    </section>
  );
}

function TodoList() {
  rendered('list');
  const todos = useStoreState(store, (s) => s.todos);
  const [title, setTitle] = useState('');
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (title.trim() === '') return;
    store.update((s) => void s.todos.push({ id: crypto.randomUUID(), title: title.trim(), done: false }));
    setTitle('');
  };
  const change = (id: string, recipe: (todo: Todo, todos: Todo[]) => void) =>
    store.update((s) => {
      const todo = s.todos.find((t) => t.id === id);
      if (todo) recipe(todo, s.todos);
    });
  return (
    <section id="list">
      <form onSubmit={submit}>
        <input id="title" value={title} onChange={(e) => setTitle(e.target.value)} placeholder="Something to do" autoComplete="off" />
        <button type="submit">Add</button>
      </form>
      <ul id="items">
        {todos.map((todo) => (
          <li key={todo.id} className={todo.done ? 'read' : ''}>
            <input type="checkbox" checked={todo.done} title="Done" onChange={(e) => change(todo.id, (t) => void (t.done = e.target.checked))} />
            <span className="title">{todo.title}</span>
            <button type="button" onClick={() => change(todo.id, (t, all) => void all.splice(all.indexOf(t), 1))}>
              Remove
            </button>
          </li>
        ))}
      </ul>
      <Renders of="list" />
    </section>
  );
}

function StatusLine() {
  const status = useStoreStatus(store);
  return (
    <p id="status" className={`status ${status.phase}`} data-phase={status.phase}>
      {statusText(status)}
    </p>
  );
}

function Left() {
  // A number: re-renders only when it changes, not on each edit of the list.
  const left = useStoreState(store, (s) => s.todos.filter((t) => !t.done).length);
  return <span id="left">{left} to do</span>;
}

function App() {
  useEffect(() => void (document.body.dataset.ready = 'true'), []);
  return (
    <main>
      <header>
        <h1>Counter and to-dos</h1>
        <StatusLine />
      </header>
      <Counter />
      <TodoList />
      <footer>
        <Left />
        <span className="hint">Kept in IndexedDB by rx-persistent-store, shown with rx-persistent-store/react. Reload, or open a second tab.</span>
      </footer>
    </main>
  );
}

createRoot(document.getElementById('root')!).render(<App />);
