/**
 * Something an event source noticed that is not an event: for logs and tests, never thrown.
 *
 * @example
 * events$.diagnostics$.subscribe(({ type, message }: EventDiagnostic) => type === 'reconnecting' && console.warn(message));
 */
export interface EventDiagnostic {
  readonly type: 'connected' | 'reconnecting' | 'closed' | 'socket-error' | 'dropped' | 'reading-failed';
  readonly message: string;
}
