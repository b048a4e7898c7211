/** Something an event source noticed that is not an event: for logs and tests, never thrown. */
export interface EventDiagnostic {
  readonly type: 'connected' | 'reconnecting' | 'closed' | 'socket-error' | 'dropped' | 'reading-failed';
  readonly message: string;
}
