import type { PersistenceStatus } from '../../src/browser.js';

/** The status line both browser demos show: what a user wants to know is whether it is saved. */
export function statusText(status: PersistenceStatus): string {
  switch (status.phase) {
    case 'idle':
      return status.lastSavedAt === null ? 'nothing to save yet' : `saved at ${new Date(status.lastSavedAt).toLocaleTimeString()}`;
    case 'dirty':
      return `${status.pending} change${status.pending === 1 ? '' : 's'} to save`;
    case 'saving':
      return 'saving…';
    case 'error':
      return `not saved: ${status.lastError?.message ?? 'unknown error'} (retrying)`;
  }
}
