import { jest } from '@jest/globals';
import { act, type ReactNode } from 'react';
import { createRoot, type Root } from 'react-dom/client';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

/**
 * A React root in a fresh jsdom container for each test of the file, unmounted after it. A test
 * fails if React wrote to console.error ("getSnapshot should be cached", "not wrapped in act(...)").
 */
export function reactRoot(): {
  readonly render: (node: ReactNode) => Promise<void>;
  readonly unmount: () => Promise<void>;
  readonly container: () => HTMLElement;
} {
  let container: HTMLElement;
  let root: Root;
  let consoleError: ReturnType<typeof jest.spyOn>;
  beforeEach(() => {
    container = document.body.appendChild(document.createElement('div'));
    root = createRoot(container);
    consoleError = jest.spyOn(console, 'error');
  });
  afterEach(() => {
    act(() => root.unmount()); // a second unmount does nothing
    container.remove();
    expect(consoleError).not.toHaveBeenCalled();
    consoleError.mockRestore();
  });
  return { render: (node) => act(async () => root.render(node)), unmount: () => act(async () => root.unmount()), container: () => container };
}
