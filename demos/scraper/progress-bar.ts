// A one-line progress bar on a terminal, redrawn at most ten times a second; elsewhere (a log,
// a pipe) a plain line every `every` items, so that output stays readable.
export function progressBar(out: NodeJS.WriteStream, { width = 30, every = 100 } = {}) {
  let drawnAt = 0;
  let lastMilestone = 0;
  return {
    update(done: number, total: number, note: string, force = false): void {
      if (!out.isTTY) {
        if (Math.floor(done / every) > lastMilestone || force) out.write(`progress: ${done}/${total} pages, ${note}\n`);
        lastMilestone = Math.floor(done / every);
        return;
      }
      if (!force && Date.now() - drawnAt < 100) return;
      drawnAt = Date.now();
      const filled = total === 0 ? 0 : Math.round((done / total) * width);
      out.write(`\r\x1b[2K[${'█'.repeat(filled)}${'░'.repeat(width - filled)}] ${done}/${total} pages, ${note}`);
    },
    /** Ends the bar's line, so that what follows starts on a fresh one. */
    end(): void {
      if (out.isTTY) out.write('\n');
    },
  };
}
