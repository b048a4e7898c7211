import * as path from 'node:path';
import type { Figure, Scenario } from '../scenario.js';
import { corruptFiles } from './4-bad-input/corrupt-files.js';
import { events } from './4-bad-input/event-messages.js';
import { socket } from './4-bad-input/events-socket.js';
import { Tally, TITLES, type Context, type Family } from './4-bad-input/harness.js';
import { keys } from './4-bad-input/hostile-keys.js';
import { hugeValues } from './4-bad-input/huge-values.js';
import { describeError } from './4-bad-input/print.js';
import { schemas } from './4-bad-input/schemas.js';
import { lines, writeBase } from './4-bad-input/stored-files.js';
import { versions } from './4-bad-input/versions.js';

/*
 * Bad input, generated with fast-check from the scenario's seed. Each input must either work or be
 * refused with a typed PersistentStoreError; anything else (a TypeError, a RangeError, a raw fs
 * error, an unhandled rejection, an uncaught exception, a hang) is a crash. And stored data is
 * never overwritten or deleted without consent: a refused open leaves every stored byte as it was;
 * opening and closing without an update writes nothing; `moveAside` keeps the original bytes under
 * the moved-aside name; a hostile key creates or touches no file outside the store's folder.
 *
 * Each kind of input is a family of its own, one file each in 4-bad-input/ beside the harness they
 * share; this file runs them in turn and sums up what they found.
 */

function badInput(): Scenario {
  return {
    name: 'Bad input, generated with fast-check (corrupt files, schemas, versions, hostile keys, event messages, huge values)',
    async run({ dir, log, seed }) {
      const tally = new Tally(log);
      const ctx: Context = { dir, log, tally };
      let family: Family = 'files';
      // Unhandled rejections and uncaught exceptions while a family runs are its crashes.
      const onStray =
        (kind: string) =>
        (error: unknown): void => {
          tally.crash(family);
          tally.note(family, kind, describeError(error), '(not known: raised outside any awaited call)');
        };
      const onRejection = onStray('unhandled rejection');
      const onException = onStray('uncaught exception');
      process.on('unhandledRejection', onRejection);
      process.on('uncaughtException', onException);
      const times: string[] = [];
      try {
        const baseFolder = path.join(dir, 'base');
        const base = await writeBase(baseFolder, 'BASE');
        log(`base store: snapshot ${base.snapshot!.length} bytes, journal ${lines(base.journal).whole.length} records`);
        const steps: Array<[Family, () => Promise<void>]> = [
          ['files', () => corruptFiles(ctx, seed, base)],
          ['schemas', () => schemas(ctx, seed + 1, base)],
          ['versions', () => versions(ctx, seed + 2, base)],
          ['keys', () => keys(ctx, seed + 3)],
          ['events', () => events(ctx, seed + 4)],
          ['socket', () => socket(ctx, seed + 5)],
          ['huge', () => hugeValues(ctx, seed + 6)],
        ];
        for (const [name, step] of steps) {
          family = name;
          const at = Date.now();
          await step();
          await new Promise((resolve) => setTimeout(resolve, 50)); // stray rejections land in their family
          times.push(`${name} ${((Date.now() - at) / 1000).toFixed(1)} s`);
          log(`${name}: ${tally.tried.get(name) ?? 0} inputs, ${tally.crashes.get(name) ?? 0} crashes (${((Date.now() - at) / 1000).toFixed(1)} s)`);
        }
      } finally {
        process.off('unhandledRejection', onRejection);
        process.off('uncaughtException', onException);
      }
      const families = Object.keys(TITLES) as Family[];
      const total = families.reduce((sum, f) => sum + (tally.tried.get(f) ?? 0), 0);
      const crashes = families.reduce((sum, f) => sum + (tally.crashes.get(f) ?? 0), 0);
      const crashesBy = families.filter((f) => (tally.crashes.get(f) ?? 0) > 0).map((f) => `${f} ${tally.crashes.get(f)}`);
      const figures: Figure[] = [
        ...families.map((f): Figure => ({
          name: `inputs: ${TITLES[f]}`,
          value: `${(tally.tried.get(f) ?? 0).toLocaleString('en')}${(tally.crashes.get(f) ?? 0) > 0 ? ` (${tally.crashes.get(f)} crashed)` : ''}`,
        })),
        { name: 'inputs in all', value: `${total.toLocaleString('en')} (${times.join(', ')})` },
        { name: 'stored inputs refused with a typed error / opened / moved aside', value: `${tally.refused} / ${tally.opened} / ${tally.movedAside}` },
        {
          name: 'crashes (not a PersistentStoreError: TypeError, RangeError, raw fs errors, unhandled rejections, hangs over 15 s)',
          value: crashesBy.length > 0 ? `${crashes} (${crashesBy.join(', ')})` : 0,
          must: '= 0',
          ok: crashes === 0,
        },
        { name: 'overwrites or deletions of stored data without consent', value: tally.overwrites, must: '= 0', ok: tally.overwrites === 0 },
        { name: 'files created or touched outside the store folder (hostile keys)', value: tally.outside, must: '= 0', ok: tally.outside === 0 },
        { name: 'global prototypes polluted by stored data or values', value: tally.polluted, must: '= 0', ok: tally.polluted === 0 },
        { name: 'durable updates missing after reopening', value: tally.lost, must: '= 0', ok: tally.lost === 0 },
        { name: 'platform events dropped, invented or let through invalid', value: tally.eventsWrong, must: '= 0', ok: tally.eventsWrong === 0 },
        {
          name: 'accepted states or values that cannot be written whole (compaction fails forever)',
          value: tally.unwritable,
          must: '= 0',
          ok: tally.unwritable === 0,
        },
        { name: 'flushes refused with FlushError after an accepted update', value: tally.flushFailed },
        { name: 'moveAside: copy moved, then the open refused (initial fails the schema)', value: tally.movedThenRefused },
      ];
      return figures;
    },
  };
}

export default badInput();
