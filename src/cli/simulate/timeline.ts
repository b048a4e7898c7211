/**
 * Prints the simulator's own lines, each with the time since the simulation started, set apart
 * from the job's output (which shares the terminal). On a terminal, a job's unfinished progress
 * line is cleared first, so the two do not run together.
 */
export function timeline(write: (text: string) => void, clock: () => number = Date.now, isTerminal = false): (line: string) => void {
  const started = clock();
  return (line) => {
    const seconds = ((clock() - started) / 1000).toFixed(1).padStart(6);
    write(`${isTerminal ? '\r\x1b[2K' : ''}[simulate ${seconds} s] ${line}\n`);
  };
}
